// Model files: save -> load gives bit-identical weights, predictions and (with TRAINING) continued training,
// in Node and under the real XS engine running the device bundle.
import { beforeAll, describe, expect, it } from "vitest";
import { buildModel, Random, type Model, type ModelSpec } from "../src/index";
import { saveModel, parseModel, loadInto, modelFromFile, readHeader, modelFileSize, saveModelInto } from "../src/modelfile/index";
import { resolveSpec } from "../src/engine/spec";
import { readXsBundle, runInNode, runInXs } from "../host-sim/xs/twin";

export const SPECS: Record<string, ModelSpec> = {
  "relu/softmax SGD batch 1": { inputs: 6, layers: [{ units: 9, activation: "relu" }, { units: 4, activation: "softmax" }], loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05 }, batchSize: 1, seed: 3 },
  "adam, clip, decay, cosine, 3 layers": { inputs: 5, layers: [{ units: 7, activation: "tanh" }, { units: 6, activation: "leaky_relu" }, { units: 3, activation: "softmax" }], loss: "softmax_cross_entropy", optimizer: { type: "adam", learningRate: 0.01, clipNorm: 0.5, weightDecay: 0.001, schedule: { type: "cosine", steps: 40, minLearningRate: 0.001 } }, batchSize: 4, seed: 4, leakySlope: 0.05 },
  "momentum, step schedule, sigmoid CE, frozen 1": { inputs: 4, layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "sigmoid" }], loss: "sigmoid_cross_entropy", optimizer: { type: "sgd", learningRate: 0.1, momentum: 0.9, schedule: { type: "step", every: 5, gamma: 0.7 } }, batchSize: 3, seed: 5, frozen: 1 },
  "mse linear, keepGradients": { inputs: 3, layers: [{ units: 5, activation: "sigmoid" }, { units: 2, activation: "linear" }], loss: "mse", optimizer: { type: "sgd", learningRate: 0.02 }, batchSize: 2, seed: 6, keepGradients: true },
};

/** Deterministic batch for a model. */
export function batch(m: Model, rng: Random): { x: Float32Array; y: Float32Array | Uint8Array } {
  const B = m.batchSize, n = m.outputs;
  const x = new Float32Array(B * m.inputs);
  for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
  if (m.config.loss === 1) {
    const y = new Uint8Array(B);
    for (let s = 0; s < B; s++) y[s] = (x[s * m.inputs] > 0 ? 1 : 0) + (x[s * m.inputs + 1] > 0 ? 1 : 0);
    return { x, y };
  }
  const y = new Float32Array(B * n);
  for (let s = 0; s < B; s++) for (let o = 0; o < n; o++) y[s * n + o] = x[s * m.inputs + (o % m.inputs)] > 0 ? 0.9 : 0.1;
  return { x, y };
}

export function trained(spec: ModelSpec, steps: number, seed = 11): Model {
  const m = buildModel(spec);
  const rng = new Random(seed);
  for (let t = 0; t < steps; t++) {
    const { x, y } = batch(m, rng);
    m.trainStep(x, y);
  }
  return m;
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function predictions(m: Model, seed = 99): Float32Array {
  const rng = new Random(seed);
  const x = new Float32Array(7 * m.inputs);
  for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
  return m.predict(x, new Float32Array(7 * m.outputs));
}

describe("host round trip", () => {
  for (const [name, spec] of Object.entries(SPECS)) {
    it(`weights and predictions are bit-identical: ${name}`, () => {
      const m = trained(spec, 25);
      const file = saveModel(m);
      expect(file.length).toBe(modelFileSize(m));
      const back = modelFromFile(file) as Model;
      expect(bytesOf(back.parameters)).toEqual(bytesOf(m.parameters));
      expect(bytesOf(predictions(back))).toEqual(bytesOf(predictions(m)));
      // The spec survives: the resolved form is identical.
      const parsed = parseModel(file);
      expect(resolveSpec(parsed.spec)).toEqual(resolveSpec(spec));
      expect(parsed.training).toBeNull();
      const h = readHeader(file);
      expect(h.units).toEqual(spec.layers.map((l) => l.units));
      expect(h.parameterCount).toBe(m.plan.parameterCount);
      expect(h.lastBatchId).toBe(-1);
    });

    it(`with TRAINING, training continues bit-identically: ${name}`, () => {
      const m = trained(spec, 17);
      const file = saveModel(m, { lastBatchId: 4242 });
      const back = buildModel(spec);
      const r = loadInto(back, file, { state: "require" });
      expect(r).toEqual({ stateLoaded: true, step: m.step, lastBatchId: 4242 });
      expect(readHeader(file).lastBatchId).toBe(4242);
      const rng1 = new Random(5), rng2 = new Random(5);
      for (let t = 0; t < 12; t++) {
        const a = batch(m, rng1), b = batch(back, rng2);
        expect(back.trainStep(b.x, b.y)).toBe(m.trainStep(a.x, a.y));
      }
      expect(bytesOf(back.parameters)).toEqual(bytesOf(m.parameters));
      expect(back.step).toBe(m.step);
    });
  }

  it("the same model saves to the same bytes, and saveModelInto reuses a buffer", () => {
    const m = trained(SPECS["adam, clip, decay, cosine, 3 layers"], 9);
    const a = saveModel(m, { state: true });
    const buf = new Uint8Array(a.length + 10).fill(0xaa);
    expect(saveModelInto(m, buf, { state: true })).toBe(a.length);
    expect(buf.subarray(0, a.length)).toEqual(a);
    expect(saveModel(modelFromFile(a) as Model, { state: true })).toEqual(a);
  });

  it("loads into a model with different training settings (fine-tune with frozen layers)", () => {
    const spec = SPECS["adam, clip, decay, cosine, 3 layers"];
    const m = trained(spec, 30);
    const file = saveModel(m, { state: true });
    const ft = <Model>modelFromFile(file, { frozen: 2, optimizer: { type: "sgd", learningRate: 0.01 }, batchSize: 1 });
    expect(ft.config.frozen).toBe(2);
    expect(bytesOf(ft.parameters)).toEqual(bytesOf(m.parameters));
    expect(ft.step).toBe(0); // state of another optimizer is not loaded under "auto"
    expect(() => loadInto(buildModel({ ...spec, frozen: 1 }), file, { state: "require" })).toThrow(/TRAINING section does not match/);
  });

  it("refuses a model of another shape and leaves it unchanged", () => {
    const m = trained(SPECS["relu/softmax SGD batch 1"], 5);
    const file = saveModel(m);
    const other: ModelSpec = { ...SPECS["relu/softmax SGD batch 1"], layers: [{ units: 10, activation: "relu" }, { units: 4, activation: "softmax" }] };
    const target = buildModel(other);
    const before = bytesOf(target.parameters).slice();
    expect(() => loadInto(target, file)).toThrow("model file: does not fit the target model: layer 0 units differ (file 9, model 10)");
    expect(bytesOf(target.parameters)).toEqual(before);
    const tanh = buildModel({ ...SPECS["relu/softmax SGD batch 1"], layers: [{ units: 9, activation: "tanh" }, { units: 4, activation: "softmax" }] });
    expect(() => loadInto(tanh, file)).toThrow(/layer 0 activation differs \(file relu, model tanh\)/);
  });
});

describe("under XS (device bundle)", () => {
  let bundle = "";
  beforeAll(() => {
    bundle = readXsBundle();
  });

  const driver = (spec: ModelSpec, nodeFileHex: string) => `
    function hex(a) { const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength); let s = ""; for (let i = 0; i < u.length; i++) s += (u[i] < 16 ? "0" : "") + u[i].toString(16); return s; }
    function unhex(s) { const u = new Uint8Array(s.length / 2); for (let i = 0; i < u.length; i++) u[i] = parseInt(s.substr(2 * i, 2), 16); return u; }
    const spec = ${JSON.stringify(spec)};
    const m = tinyprop.buildModel(spec);
    const rng = new tinyprop.Random(11);
    const x = new Float32Array(spec.batchSize * spec.inputs);
    const y = spec.loss === "softmax_cross_entropy" ? new Uint8Array(spec.batchSize) : new Float32Array(spec.batchSize * m.outputs);
    for (let t = 0; t < 20; t++) {
      for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
      for (let i = 0; i < y.length; i++) y[i] = spec.loss === "softmax_cross_entropy" ? (x[i * spec.inputs] > 0 ? 1 : 0) : (x[i % x.length] > 0 ? 0.9 : 0.1);
      m.trainStep(x, y);
    }
    const file = tinyprop.modelfile.saveModel(m, { lastBatchId: 7 });
    print("file " + hex(file));
    const back = tinyprop.modelfile.modelFromFile(unhex("${nodeFileHex}"));
    const probe = new Float32Array(5 * spec.inputs);
    for (let i = 0; i < probe.length; i++) probe[i] = rng.uniform() - 0.5;
    print("params " + hex(back.parameters));
    print("predict " + hex(back.predict(probe, new Float32Array(5 * back.outputs))));
    let err = "";
    const bad = unhex("${nodeFileHex}"); bad[bad.length >> 1] ^= 1;
    try { tinyprop.modelfile.loadInto(back, bad); } catch (e) { err = e.message; }
    print("error " + err);
  `;

  for (const [name, spec] of Object.entries(SPECS)) {
    it(`XS writes the same bytes as Node and loads Node's files bit-identically: ${name}`, async () => {
      const nodeModel = trained(spec, 13, 21);
      const nodeFile = Buffer.from(saveModel(nodeModel, { state: true })).toString("hex");
      const script = driver(spec, nodeFile);
      const inNode = runInNode([bundle, script]);
      const { lines: inXs } = await runInXs([bundle, script]);
      expect(inXs).toEqual(inNode);
      const get = (k: string) => inXs.find((l) => l.startsWith(k + " "))!.slice(k.length + 1);
      expect(get("params")).toBe(Buffer.from(bytesOf(nodeModel.parameters)).toString("hex"));
      expect(get("error")).toBe("model file: CRC mismatch: the file is corrupted");
      // Node can read XS's file and gets the same weights.
      const xsFile = new Uint8Array(Buffer.from(get("file"), "hex"));
      expect(readHeader(xsFile).lastBatchId).toBe(7);
    });
  }
});

describe("fixed point (dtype fixed, QFORMAT section)", () => {
  it("quantized models round-trip bit-identically (int16 weights, Q formats, predictions)", async () => {
    const { quantize, FixedModel } = await import("../src/index");
    const spec = SPECS["relu/softmax SGD batch 1"];
    const m = trained(spec, 40);
    const q = quantize(m);
    const file = saveModel(q);
    expect(readHeader(file).dtype).toBe("fixed");
    const back = modelFromFile(file);
    expect(back).toBeInstanceOf(FixedModel);
    const fb = back as InstanceType<typeof FixedModel>;
    expect(Buffer.from(fb.parameters.buffer, fb.parameters.byteOffset, fb.parameters.byteLength)).toEqual(Buffer.from(q.parameters.buffer, q.parameters.byteOffset, q.parameters.byteLength));
    expect(fb.config.fixed).toEqual(q.config.fixed);
    const rng = new Random(3);
    const x = Float32Array.from({ length: 9 * spec.inputs }, () => rng.uniform() - 0.5);
    const a = q.predict(x, new Float32Array(9 * 4)), b = fb.predict(x, new Float32Array(9 * 4));
    expect(bytesOf(b)).toEqual(bytesOf(a));
    expect(saveModel(fb)).toEqual(file);
    // A float model and a fixed file do not mix, and a fixed file with other Q formats is refused.
    expect(() => loadInto(buildModel(spec), file)).toThrow(/dtype differs/);
    const other = new FixedModel({ ...(fb.spec), fixed: { ...fb.spec.fixed, inputFrac: 9 } });
    expect(() => loadInto(other, file)).toThrow(/input format differs/);
    expect(readHeader(saveModel(q, { state: true })).hasTraining).toBe(true); // its TRAINING: test/modelfile-fixed-state.test.ts
    for (let i = 0; i < file.length; i += 7) {
      const bad = file.slice();
      bad[i] ^= 0x40;
      expect(() => loadInto(fb, bad)).toThrow(/^model file: /);
    }
  });
});
