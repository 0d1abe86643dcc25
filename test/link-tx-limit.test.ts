// A board whose transmit frame limit (config.serial.txMaxFrame) is below its receive limit, as the
// manifest ships it (2048 in, 1024 out: docs/protocol.md), answers long reads with short chunks and
// refuses predictions whose scores do not fit its frame (TOO_LARGE). CAPS states only the receive limit,
// so the host continues a short WEIGHTS/MODEL chunk where it ended and halves a refused prediction: the
// same weights and scores as from a board that sends frames as large as it receives.
import { describe, expect, it } from "vitest";
import { HostLink } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator } from "../host-sim/sim/simulator";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { trainingBatches } from "../host-sim/commands/stream";

const data = loadDefaultDataset();

async function readBack(txMaxFrame: number): Promise<{ weights: Uint8Array; model: Uint8Array; scores: Float32Array }> {
  const sim = await startSimulator({ engine: "node", pty: false, cost: "zero", flashFile: null, maxFrame: 2048, txMaxFrame });
  const link = new HostLink(asBytePort(sim.port!, "board"), { maxFrame: 4096 });
  try {
    await link.connect({ inputs: data.inputWidth, classes: data.classes.length });
    await link.configure({ learningRate: 0.02, batchSize: 1 });
    await link.sendBatches([...trainingBatches(data, 1, 1, 7)].slice(0, 20), () => {}, { snapshotEvery: 0 });
    const weights = (await link.getWeights()).blob;
    const model = (await link.getModel()).blob;
    const scores = await link.predict(data.test.x, data.test.count);
    return { weights, model, scores };
  } finally {
    link.destroy();
    await sim.stop();
  }
}

describe("a board that sends smaller frames than it receives", () => {
  it("txMaxFrame 256 under maxFrame 2048: weights, model file and scores read back the same as at 2048", async () => {
    const big = await readBack(2048);
    const small = await readBack(256);
    expect(Buffer.from(small.weights).equals(Buffer.from(big.weights))).toBe(true);
    expect(Buffer.from(small.model).equals(Buffer.from(big.model))).toBe(true);
    expect(Array.from(small.scores)).toEqual(Array.from(big.scores));
    expect(small.scores.length).toBe(data.test.count * data.classes.length);
  }, 60_000);
});
