// Raw-sample streaming (issue 12): SAMPLE_BATCH with int16 windows; the board computes the features with
// its copy of the pipeline (src/features, the host's very code). Same batches -> bit-identical weights to
// feature streaming, in the Node and XS engines; refusals for a board without a pipeline or a wrong shape.
import { afterEach, describe, expect, it } from "vitest";
import { HostLink } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator, type Engine } from "../host-sim/sim/simulator";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { trainingBatches } from "../host-sim/commands/stream";
import { getPipeline, putPipeline } from "../host-sim/link/sensor-link";
import * as P from "../src/protocol/index";

const data = loadDefaultDataset({ keepSamples: true });
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function board(engine: Engine): Promise<HostLink> {
  const sim = await startSimulator({ engine, pty: false, cost: "zero", flashFile: null });
  cleanup.push(() => sim.stop());
  const link = new HostLink(asBytePort(sim.port!, "board"));
  cleanup.push(() => link.destroy());
  await link.connect({ inputs: data.inputWidth, classes: data.classes.length });
  await link.configure({ learningRate: 0.02, batchSize: 1 });
  return link;
}

async function train(engine: Engine, raw: boolean, batches: number): Promise<{ weights: Uint8Array; accuracy: number[] }> {
  const link = await board(engine);
  if (raw) await putPipeline(link, data.pipeline);
  const accuracy: number[] = [];
  const all = [...trainingBatches(data, 2, 1, 7, raw)].slice(0, batches);
  await link.sendBatches(all, (r) => accuracy.push(r.accuracy), { snapshotEvery: 0 });
  const weights = (await link.getWeights()).blob;
  await link.close();
  return { weights, accuracy };
}

describe("raw-sample streaming", () => {
  it("node: the board computes the same features, so the weights are bit-identical to feature streaming", async () => {
    const n = 2 * data.train.count;
    const features = await train("node", false, n);
    const raw = await train("node", true, n);
    expect(raw.accuracy).toEqual(features.accuracy);
    expect(Buffer.from(raw.weights).equals(Buffer.from(features.weights))).toBe(true);
    expect(features.accuracy.length).toBe(n);
  }, 60000);

  it("xs: raw windows under XS train the same weights as features under Node", async () => {
    const n = 24;
    const xs = await train("xs", true, n);
    const node = await train("node", false, n);
    expect(Buffer.from(xs.weights).equals(Buffer.from(node.weights))).toBe(true);
  }, 120000);

  it("installs and reads back the pipeline; refuses raw windows without one or of the wrong shape", async () => {
    const link = await board("node");
    expect(((link.info!.flags ?? 0) & P.CAPS_FLAG_PIPELINE) !== 0).toBe(true);
    await expect(getPipeline(link)).rejects.toThrow(/no input pipeline/);
    // Without a pipeline the board cannot read raw windows.
    const [first] = trainingBatches(data, 1, 1, 7, true);
    await expect(link.sendBatches([first!], () => {}, { snapshotEvery: 0 })).rejects.toThrow(/BAD_STATE/);
    await link.close();
    const link2 = await board("node");
    await putPipeline(link2, data.pipeline);
    expect(await getPipeline(link2)).toEqual(data.pipeline);
    // A pipeline whose features do not match the model's inputs is refused, naming the shapes.
    await expect(putPipeline(link2, { ...data.pipeline, features: 4, rawPoints: 4, mean: [], scale: [] })).rejects.toThrow(/refused the pipeline/);
    // A window of the wrong length.
    const bad = { x: new Float32Array(0), y: [0], raw: { data: new Int16Array(100 * 6), rows: 100, columns: 6 } };
    await expect(link2.sendBatches([bad], () => {}, { snapshotEvery: 0 })).rejects.toThrow(/SHAPE_MISMATCH/);
    await link2.close();
  }, 60000);
});
