// A fixed-point model's training state in .tpm files and checkpoints (issue 8): the TRAINING section of
// dtype fixed holds the int16 momentum velocity (its parameter's format + VELOCITY_EXTRA_FRAC fraction bits),
// the step and the stochastic-rounding state, so that a model restored from it continues training
// bit-identically, in Node and under XS; bad state is refused before the model changes.
import { describe, expect, it } from "vitest";
import { FixedModel, Random, type ModelSpec } from "../src/index";
import { loadInto, modelFileSize, saveModel } from "../src/modelfile/index";
import { readXsBundle, runInNode, runInXs } from "../host-sim/xs/twin";

const SPECS: Record<string, ModelSpec & { dtype: "fixed" }> = {
  "momentum, batch 4, stochastic rounding": {
    inputs: 6, layers: [{ units: 9, activation: "relu" }, { units: 4, activation: "softmax" }], loss: "softmax_cross_entropy",
    optimizer: { type: "sgd", learningRate: 0.05, momentum: 0.9 }, batchSize: 4, seed: 3, dtype: "fixed", fixed: { stochasticRounding: true },
  },
  "plain SGD, batch 1 (the board's default)": {
    inputs: 30, layers: [{ units: 32, activation: "relu" }, { units: 5, activation: "softmax" }], loss: "softmax_cross_entropy",
    optimizer: { type: "sgd", learningRate: 0.02 }, batchSize: 1, seed: 1, dtype: "fixed",
  },
  "momentum, MSE, weight decay, 3 layers": {
    inputs: 4, layers: [{ units: 8, activation: "tanh" }, { units: 6, activation: "relu" }, { units: 2, activation: "linear" }], loss: "mse",
    optimizer: { type: "sgd", learningRate: 0.02, momentum: 0.5, weightDecay: 0.001 }, batchSize: 2, seed: 7, dtype: "fixed",
  },
};

function train(m: FixedModel, rng: Random, steps: number): void {
  const B = m.batchSize, n = m.outputs;
  const x = new Float32Array(B * m.inputs);
  const soft = m.config.loss === 1;
  const y = soft ? new Uint8Array(B) : new Float32Array(B * n);
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
    for (let b = 0; b < B; b++) {
      if (soft) y[b] = rng.below(n);
      else for (let o = 0; o < n; o++) y[b * n + o] = x[b * m.inputs + o] > 0 ? 0.5 : -0.5;
    }
    m.trainStep(x, y);
  }
}

const bytes = (a: ArrayBufferView) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

describe.each(Object.entries(SPECS))("%s", (_name, spec) => {
  it("save with state, load into a fresh model: training continues bit-identically", () => {
    const a = new FixedModel(spec);
    train(a, new Random(11), 25);
    const file = saveModel(a, { lastBatchId: 77 });
    expect(file.length).toBe(modelFileSize(a, { lastBatchId: 77 }));
    const b = new FixedModel(spec);
    b.initialize(99);
    const result = loadInto(b, file, { state: "require" });
    expect(result).toEqual({ stateLoaded: true, step: 25, lastBatchId: 77 });
    expect(b.step).toBe(25);
    if (a.optimizerState.length) expect(a.optimizerState[0].some((v) => v !== 0)).toBe(true);
    train(a, new Random(12), 30);
    train(b, new Random(12), 30);
    expect(bytes(b.parameters)).toEqual(bytes(a.parameters));
    for (let k = 0; k < a.optimizerState.length; k++) expect(bytes(b.optimizerState[k])).toEqual(bytes(a.optimizerState[k]));
    expect(b.roundingState?.[0]).toBe(a.roundingState?.[0]);
    expect(saveModel(b, { state: true })).toEqual(saveModel(a, { state: true }));
  });

  it("without state, the same file continues differently (the state is what makes it identical)", () => {
    const a = new FixedModel(spec);
    train(a, new Random(11), 25);
    if (a.optimizerState.length === 0 && !a.roundingState) return; // plain SGD: the weights are the whole state
    const b = new FixedModel(spec);
    loadInto(b, saveModel(a), { state: "skip" });
    train(a, new Random(12), 10);
    train(b, new Random(12), 10);
    expect(bytes(b.parameters)).not.toEqual(bytes(a.parameters));
  });
});

describe("bad fixed-point TRAINING sections are refused and leave the model unchanged", () => {
  const spec = SPECS["momentum, batch 4, stochastic rounding"];
  const trained = () => { const m = new FixedModel(spec); train(m, new Random(5), 10); return m; };
  const reseal = (f: Uint8Array) => {
    // CRC-32 over everything before the trailer (the reader's own check would refuse a raw flip first)
    let c = ~0;
    for (let i = 0; i < f.length - 4; i++) { c ^= f[i]; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); }
    new DataView(f.buffer).setInt32(f.length - 4, ~c, true);
    return f;
  };
  const trainingAt = (f: Uint8Array) => {
    const v = new DataView(f.buffer);
    let at = 16;
    for (;;) { if (v.getUint16(at, true) === 4) return at + 8; at += 8 + ((v.getUint32(at + 4, true) + 3) & ~3); }
  };
  it.each([
    ["a velocity of -32768", (f: Uint8Array, p: number) => new DataView(f.buffer).setInt16(p + 48 + 6, -32768, true), /-32768/],
    ["a rounding state of 0 (xorshift would stay at 0)", (f: Uint8Array, p: number) => new DataView(f.buffer).setInt32(p + 24, 0, true), /rounding state/],
    ["another velocity format", (f: Uint8Array, p: number) => new DataView(f.buffer).setInt8(p + 28, 3), /velocity format/],
    ["reserved bytes set", (f: Uint8Array, p: number) => new DataView(f.buffer).setUint8(p + 29, 1), /reserved/],
  ])("%s", (_what, corrupt, message) => {
    const file = saveModel(trained(), { state: true });
    corrupt(file, trainingAt(file));
    reseal(file);
    const target = new FixedModel(spec);
    const before = bytes(new Uint8Array(target.arena));
    expect(() => loadInto(target, file)).toThrow(message);
    expect(bytes(new Uint8Array(target.arena))).toEqual(before);
  });

  it("a file without the rounding state does not restore into a model with stochastic rounding", () => {
    const plain = new FixedModel({ ...spec, fixed: {} });
    train(plain, new Random(5), 3);
    const file = saveModel(plain, { state: true });
    expect(loadInto(new FixedModel({ ...spec, fixed: {} }), file).stateLoaded).toBe(true);
    const stochastic = new FixedModel(spec);
    expect(loadInto(stochastic, file).stateLoaded).toBe(false);
    expect(() => loadInto(new FixedModel(spec), file, { state: "require" })).toThrow(/rounding/);
    expect(stochastic.roundingState?.[0]).not.toBe(0);
  });
});

describe("Node and XS write the same fixed-point checkpoint file after the same training", () => {
  it("momentum with stochastic rounding, saved with state at step 20, then 10 more steps after a reload", async () => {
    const script = `
      const spec = ${JSON.stringify(SPECS["momentum, batch 4, stochastic rounding"])};
      const m = tinyprop.buildModel(spec), rng = new tinyprop.Random(4);
      const x = new Float32Array(4 * 6), y = new Uint8Array(4);
      const steps = (model, n) => { for (let s = 0; s < n; s++) { for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1; for (let b = 0; b < 4; b++) y[b] = rng.below(4); model.trainStep(x, y); } };
      steps(m, 20);
      const file = tinyprop.modelfile.saveModel(m, { state: true });
      const r = tinyprop.buildModel(spec);
      tinyprop.modelfile.loadInto(r, file, { state: "require" });
      steps(r, 10);
      const out = tinyprop.modelfile.saveModel(r, { state: true });
      let h = 0; for (let i = 0; i < out.length; i++) h = (Math.imul(h, 31) + out[i]) | 0;
      print(out.length + " " + h);`;
    const node = runInNode([readXsBundle(), script]);
    const { lines } = await runInXs([readXsBundle(), script]);
    expect(lines).toEqual(node);
  });
});
