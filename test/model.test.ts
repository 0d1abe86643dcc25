import { describe, expect, it } from "vitest";
import { buildModel, Random, type ModelSpec } from "../src/index";

const spec = (over: Partial<ModelSpec> = {}): ModelSpec => ({
  inputs: 4,
  layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }],
  loss: "softmax_cross_entropy",
  optimizer: { type: "sgd", learningRate: 0.1 },
  batchSize: 1,
  seed: 1,
  ...over,
});

// A toy problem: the class is the index of the largest of the first three inputs.
function toy(n: number, seed = 5) {
  const rng = new Random(seed);
  const x = new Float32Array(n * 4), y = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < 4; i++) x[s * 4 + i] = rng.uniform();
    let best = 0;
    for (let i = 1; i < 3; i++) if (x[s * 4 + i] > x[s * 4 + best]) best = i;
    y[s] = best;
  }
  return { x, y };
}

function train(m: ReturnType<typeof buildModel>, epochs: number, data = toy(240)) {
  const B = m.batchSize;
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s + B <= data.y.length; s += B) m.trainStep(data.x.subarray(s * 4, (s + B) * 4), data.y.subarray(s, s + B));
  }
  return data;
}

describe("Model", () => {
  it("is built from its seed: same spec, same weights; another seed, other weights", () => {
    expect(buildModel(spec()).parameters).toEqual(buildModel(spec()).parameters);
    expect(buildModel(spec()).parameters).not.toEqual(buildModel(spec({ seed: 2 })).parameters);
    const W = buildModel(spec()).layers[0].W;
    const limit = Math.sqrt(6 / 4); // He uniform for relu
    expect(Math.max(...W.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(buildModel(spec()).layers[0].b.every((v) => v === 0)).toBe(true);
  });

  for (const [name, over] of [
    ["plain SGD, batch 1 (fused)", {}],
    ["SGD with momentum, batch 4", { batchSize: 4, optimizer: { type: "sgd", learningRate: 0.05, momentum: 0.9 } }],
    ["Adam, batch 8, clipping, weight decay, cosine schedule", { batchSize: 8, optimizer: { type: "adam", learningRate: 0.01, clipNorm: 1, weightDecay: 1e-4, schedule: { type: "cosine", steps: 300 } } }],
    ["SGD with step schedule, tanh", { layers: [{ units: 8, activation: "tanh" }, { units: 3, activation: "softmax" }], optimizer: { type: "sgd", learningRate: 0.2, schedule: { type: "step", every: 100, gamma: 0.5 } } }],
  ] as [string, Partial<ModelSpec>][]) {
    it(`learns a toy problem: ${name}`, () => {
      const m = buildModel(spec(over));
      const test = toy(300, 99);
      const before = m.evaluate(test.x, test.y).accuracy;
      train(m, 30);
      const after = m.evaluate(test.x, test.y);
      expect(after.accuracy).toBeGreaterThan(0.8);
      expect(after.accuracy).toBeGreaterThan(before);
      expect(after.count).toBe(300);
      expect(m.rejectedSteps).toBe(0);
    });
  }

  it("fused and stored-gradient SGD take the same steps (up to float32 rounding of dW)", () => {
    const a = buildModel(spec()), b = buildModel(spec({ keepGradients: true }));
    expect(a.plan.fusedUpdate).toBe(true);
    expect(b.plan.fusedUpdate).toBe(false);
    train(a, 2);
    train(b, 2);
    for (let k = 0; k < a.parameters.length; k++) expect(a.parameters[k]).toBeCloseTo(b.parameters[k], 4);
  });

  it("forward / backward / update can be called separately, exposing gradients before the update", () => {
    const m = buildModel(spec({ keepGradients: true, batchSize: 2 }));
    const x = new Float32Array([0.1, 0.9, 0.2, 0.3, 0.8, 0.1, 0.1, 0.5]), y = [1, 0];
    const W0 = m.layers[1].W.slice();
    const out = m.forward(x);
    expect(out.length).toBe(2 * 3);
    for (let s = 0; s < 2; s++) expect(out[s * 3] + out[s * 3 + 1] + out[s * 3 + 2]).toBeCloseTo(1, 6);
    const loss = m.backward(y);
    expect(loss).toBeGreaterThan(0);
    expect(m.layers[1].W).toEqual(W0); // not updated yet
    const dW = m.layers[1].dW!.slice();
    expect(dW.some((v) => v !== 0)).toBe(true);
    expect(m.update()).toBe(true);
    for (let k = 0; k < W0.length; k++) expect(m.layers[1].W[k]).toBeCloseTo(W0[k] - 0.1 * dW[k], 6);
    expect(m.step).toBe(1);
  });

  it("refuses backward/update on a fused model, with a message saying what to do", () => {
    const m = buildModel(spec());
    m.forward(new Float32Array(4));
    expect(() => m.backward([0])).toThrow(/keepGradients/);
    expect(() => m.update()).toThrow(/trainStep/);
  });

  it("trains only the unfrozen suffix", () => {
    const m = buildModel(spec({ layers: [{ units: 8, activation: "relu" }, { units: 6, activation: "relu" }, { units: 3, activation: "softmax" }], frozen: 1 }));
    const W0 = m.layers[0].W.slice(), b0 = m.layers[0].b.slice(), W1 = m.layers[1].W.slice();
    train(m, 2);
    expect(m.layers[0].W).toEqual(W0);
    expect(m.layers[0].b).toEqual(b0);
    expect(m.layers[1].W).not.toEqual(W1);
  });

  it("predict, classify and evaluate agree", () => {
    const m = buildModel(spec({ batchSize: 4 }));
    train(m, 5);
    const data = toy(10, 3); // 10 samples: the last chunk is a partial batch
    const out = m.predict(data.x, new Float32Array(30));
    let correct = 0;
    for (let s = 0; s < 10; s++) {
      const row = Array.from(out.subarray(s * 3, s * 3 + 3));
      const cls = row.indexOf(Math.max(...row));
      expect(m.classify(data.x, s * 4)).toBe(cls);
      if (cls === data.y[s]) correct++;
    }
    expect(m.evaluate(data.x, data.y).accuracy).toBeCloseTo(correct / 10, 10);
  });

  it("supports MSE regression and sigmoid cross-entropy (multi-label)", () => {
    const reg = buildModel({ inputs: 2, layers: [{ units: 16, activation: "tanh" }, { units: 1, activation: "linear" }], loss: "mse", optimizer: { type: "adam", learningRate: 0.01 }, batchSize: 4, seed: 3 });
    const rng = new Random(1);
    const x = Float32Array.from({ length: 400 }, () => rng.uniform() * 2 - 1);
    const t = Float32Array.from({ length: 200 }, (_, s) => x[2 * s] * x[2 * s + 1]);
    const first = reg.evaluate(x, t).loss;
    for (let e = 0; e < 200; e++) for (let s = 0; s < 200; s += 4) reg.trainStep(x.subarray(2 * s, 2 * s + 8), t.subarray(s, s + 4));
    expect(reg.evaluate(x, t).loss).toBeLessThan(first / 10);
    expect(reg.evaluate(x, t).accuracy).toBeNaN(); // no accuracy for a single regression output

    const ml = buildModel({ inputs: 2, layers: [{ units: 8, activation: "relu" }, { units: 2, activation: "sigmoid" }], loss: "sigmoid_cross_entropy", optimizer: { type: "adam", learningRate: 0.02 }, batchSize: 4, seed: 3 });
    const tl = Float32Array.from({ length: 400 }, (_, i) => (x[i] > 0 ? 1 : 0)); // label k = sign of input k
    for (let e = 0; e < 50; e++) for (let s = 0; s < 200; s += 4) ml.trainStep(x.subarray(2 * s, 2 * s + 8), tl.subarray(2 * s, 2 * s + 8));
    expect(ml.evaluate(x, tl).accuracy).toBeGreaterThan(0.95);
  });

  describe("bad input: a clear error, and nothing changes", () => {
    const cases: [string, (m: ReturnType<typeof buildModel>) => unknown, RegExp][] = [
      ["short x", (m) => m.trainStep(new Float32Array(3), [0]), /x has 3 values, expected 4/],
      ["long x", (m) => m.trainStep(new Float32Array(5), [0]), /expected 4/],
      ["NaN in x", (m) => m.trainStep(new Float32Array([0, NaN, 0, 0]), [0]), /x\[1\] is NaN/],
      ["Infinity in x", (m) => m.trainStep(new Float32Array([0, 0, Infinity, 0]), [0]), /x\[2\] is Infinity/],
      ["label out of range", (m) => m.trainStep(new Float32Array(4), [3]), /not a class index in 0..2/],
      ["negative label", (m) => m.trainStep(new Float32Array(4), [-1]), /class index/],
      ["fractional label", (m) => m.trainStep(new Float32Array(4), [0.5]), /class index/],
      ["NaN label", (m) => m.trainStep(new Float32Array(4), [NaN]), /class index/],
      ["missing labels", (m) => m.trainStep(new Float32Array(4), []), /expected 1 class indices/],
      ["predict into a short buffer", (m) => m.predict(new Float32Array(8), new Float32Array(5)), /needs 6/],
      ["evaluate with NaN", (m) => m.evaluate(new Float32Array([NaN, 0, 0, 0]), [0]), /not a finite number/],
      ["classify past the end", (m) => m.classify(new Float32Array(4), 2), /offset 2/],
      ["forward too many samples", (m) => m.forward(new Float32Array(8), 2), /sample count must be 1..1/],
    ];
    for (const [name, act, message] of cases) {
      it(name, () => {
        const m = buildModel(spec());
        const before = m.parameters.slice();
        expect(() => act(m)).toThrow(message);
        expect(m.parameters).toEqual(before);
        expect(m.step).toBe(0);
      });
    }

    it("a non-finite loss rejects the step and leaves no NaN in the weights", () => {
      const m = buildModel(spec({ keepGradients: false }));
      const before = m.parameters.slice();
      const loss = m.trainStep(new Float32Array([3e38, 3e38, 3e38, 3e38]), [0]); // overflows float32 in forward
      expect(Number.isFinite(loss)).toBe(false);
      expect(m.rejectedSteps).toBe(1);
      expect(m.step).toBe(0);
      expect(m.parameters).toEqual(before);
      // And training continues normally afterwards.
      expect(Number.isFinite(m.trainStep(new Float32Array([0.1, 0.2, 0.3, 0.4]), [2]))).toBe(true);
      expect(m.step).toBe(1);
    });

    it("targets outside [0, 1] are refused for sigmoid cross-entropy", () => {
      const m = buildModel({ ...spec(), layers: [{ units: 3, activation: "sigmoid" }], loss: "sigmoid_cross_entropy" });
      expect(() => m.trainStep(new Float32Array(4), [0, 2, 0])).toThrow(/outside \[0, 1\]/);
    });
  });
});
