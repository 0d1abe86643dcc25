// The train-on-PC / fine-tune-on-device workflow over the serial protocol, against the simulated board
// (node engine, in-process port): train in Node on the bundled gestures -> .tpm -> quantize (fixed point)
// -> `weights put` with all but the last layer frozen -> fine-tune on the board with new samples (a
// shifted copy of the data: a sensor whose features drifted) -> `weights get`. Accuracy on the new data
// improves and the frozen layer comes back bit-identical to what was sent.
//
// Here the board fine-tunes in Float32: the quantized model is dequantized (exactly: every int16 Q value
// times 2^-frac is a float32) before `weights put`, so the fixed-point weights are what it starts from. (A
// fixed-point file put as it is installs a fixed-point model on the board: test/board-install.test.ts.)
import { afterAll, describe, expect, it } from "vitest";
import { buildModel, dequantize, gestureModelSpec, quantize, Random, type Model } from "../src/index";
import { FixedModel } from "../src/engine/fixed/model";
import { modelFromFile, parseModel, saveModel } from "../src/modelfile/index";
import { HostLink } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator, type Simulator } from "../host-sim/sim/simulator";
import { loadDefaultDataset, type GestureDataset, type Split } from "../host-sim/data/gestures";
import { deviceTestAccuracy, trainingBatches } from "../host-sim/commands/stream";
import { getModelFile, putModelFile } from "../host-sim/commands/weights";
import * as P from "../src/protocol/index";

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

const data = loadDefaultDataset();
const W = data.inputWidth;

/** The same samples seen through a drifted sensor: a fixed per-feature offset and gain (seeded), in units of
 * the normalised features: offsets up to ±6 standard deviations, gains 0.6 to 1.4. */
function drifted(split: Split, seed: number): Split {
  const rng = new Random(seed);
  const offset = Float32Array.from({ length: W }, () => 12 * (rng.uniform() - 0.5));
  const gain = Float32Array.from({ length: W }, () => 0.6 + 0.8 * rng.uniform());
  const x = new Float32Array(split.x.length);
  for (let s = 0; s < split.count; s++) {
    for (let i = 0; i < W; i++) x[s * W + i] = split.x[s * W + i]! * gain[i]! + offset[i]!;
  }
  return { ...split, x };
}

function accuracy(model: Model | FixedModel, split: Split): number {
  return model.evaluate(split.x, split.y, split.count).accuracy;
}

async function board(): Promise<{ sim: Simulator; link: HostLink }> {
  const sim = await startSimulator({ engine: "node", pty: false, flashFile: null });
  cleanup.push(() => sim.stop());
  const link = new HostLink(asBytePort(sim.port!, "board"));
  cleanup.push(() => link.destroy());
  await link.connect({ inputs: W, classes: data.classes.length });
  return { sim, link };
}

describe("train on PC -> quantize -> weights put --freeze -> fine-tune on the board -> weights get", () => {
  it("improves accuracy on the new data and returns the frozen layer bit-identical", async () => {
    // 1. Train on the PC (Node engine, the board's network) and write a .tpm.
    const pc = buildModel(gestureModelSpec(W));
    for (const b of trainingBatches(data, 30, 1, 3)) pc.trainStep(b.x, b.y);
    const trained = saveModel(pc);
    expect(accuracy(pc, data.test)).toBeGreaterThan(0.8);

    // 2. Quantize to fixed point (post-training, calibrated on the training split) and write that file.
    const fixed = quantize(modelFromFile(trained) as Model, { calibration: data.train.x });
    const qfile = saveModel(fixed);
    expect(parseModel(qfile).spec.dtype).toBe("fixed");

    // The new data: the same gestures through a drifted sensor. Fine-tune on the drifted training split,
    // measure on the drifted test split.
    const fresh: GestureDataset = { ...data, train: drifted(data.train, 11), test: drifted(data.test, 11) };
    const before = accuracy(fixed, fresh.test);

    // 3. weights put with all but the last layer frozen.
    const { sim, link } = await board();
    expect((link.info!.flags ?? 0) & P.CAPS_FLAG_MODEL_SPEC).toBe(P.CAPS_FLAG_MODEL_SPEC);
    const put = await putModelFile(link, saveModel(dequantize(modelFromFile(qfile) as FixedModel)), { freeze: 1 });
    expect(put.frozen).toBe(1);
    // What was sent is the quantized model exactly (its int16 Q values as Float32).
    const exact = dequantize(modelFromFile(qfile) as FixedModel).parameters;
    expect(bits(put.parameters)).toEqual(bits(exact));
    const boardBefore = await deviceTestAccuracy(link, fresh);

    // 4. Fine-tune on the board with the new samples (the board keeps its frozen layer across CONFIGs).
    await link.configure({ learningRate: 0.02, batchSize: 1 });
    const result = await link.sendBatches(trainingBatches(fresh, 3, 1, 5), () => {}, { snapshotEvery: 0 });
    expect(result.lastBatchId).toBe(3 * fresh.train.count);

    // 5. weights get: a .tpm with the board's spec (1 frozen layer), its weights and last batch id.
    const got = await getModelFile(link);
    expect(got.batchId).toBe(result.lastBatchId);
    const back = parseModel(got.bytes);
    expect(back.spec.frozen).toBe(1);
    expect(back.training?.lastBatchId).toBe(result.lastBatchId);
    const after = accuracy(modelFromFile(got.bytes) as Model, fresh.test);

    // Frozen layer 0 (W_0 then b_0) is bit for bit what was sent; the last layer did change.
    const frozenCount = 32 * W + 32;
    const backParams = back.parameters as Float32Array;
    expect(bits(backParams.subarray(0, frozenCount))).toEqual(bits(put.parameters.subarray(0, frozenCount)));
    expect(bits(backParams.subarray(frozenCount))).not.toEqual(bits(put.parameters.subarray(frozenCount)));

    console.log(`accuracy on the drifted test split: quantized ${(before * 100).toFixed(1)}%, on the board before ${(boardBefore * 100).toFixed(1)}%, after fine-tuning ${(after * 100).toFixed(1)}%`);
    expect(boardBefore).toBeCloseTo(before, 1);
    expect(after).toBeGreaterThanOrEqual(before + 0.15);
    expect(sim.crashes()).toEqual([]);
    await link.close();
  }, 30000);
});

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}
