// One loss, computed one way (from the logits): backward(), trainStep() and evaluate() agree on both
// backends even for confident outputs, where a loss taken from the rounded probabilities saturates
// (float: -log 1e-30 = 69.08; fixed: -log 1e-9 = 20.72). And the gradient both backends expose through
// meanGradients() is the same quantity: the gradient of the mean loss.
import { describe, expect, it } from "vitest";
import { buildModel, quantize, Random, type DenseModel, type ModelSpec } from "../src/index";

/** A 2-input, 1-layer model whose logits are z = W x + b with W and b set by hand. */
function single(loss: "sigmoid_cross_entropy" | "softmax_cross_entropy", dtype: "float32" | "fixed"): DenseModel {
  const spec: ModelSpec = {
    inputs: 2, layers: [{ units: 2, activation: loss === "softmax_cross_entropy" ? "softmax" : "sigmoid" }], loss,
    optimizer: { type: "sgd", learningRate: 0.01 }, batchSize: 1, seed: 1, keepGradients: true, dtype,
    ...(dtype === "fixed" ? { fixed: { inputFrac: 12, weightFrac: 10, biasFrac: 10 } } : {}),
  };
  const m: DenseModel = buildModel(spec);
  const W = m.layers[0].W, b = m.layers[0].b;
  const scale = dtype === "fixed" ? 2 ** 10 : 1;
  // z0 = 6 x0 + 6 x1, z1 = -(6 x0 + 6 x1)
  W[0] = 6 * scale; W[1] = 6 * scale; W[2] = -6 * scale; W[3] = -6 * scale; b[0] = 0; b[1] = 0;
  m.weightsChanged();
  return m;
}

describe("the loss of confident outputs", () => {
  it("Float32 sigmoid CE: backward() = trainStep's loss = softplus(z) for z = 24 (not 69.08)", () => {
    const x = Float32Array.of(2, 2), y = Float32Array.of(0, 1); // z = (24, -24): output 0 confidently wrong
    const m = single("sigmoid_cross_entropy", "float32");
    m.forward(x, 1);
    const fromBackward = m.backward(y);
    expect(fromBackward).toBeCloseTo(24 + Math.log1p(Math.exp(-24)), 5); // both outputs 24 on the wrong side
    expect(m.evaluate(x, y).loss).toBe(fromBackward);
    expect(single("sigmoid_cross_entropy", "float32").trainStep(x, y)).toBe(fromBackward);
  });

  it("Float32 softmax CE: a logit gap of 96 gives loss 96 from backward(), trainStep and evaluate", () => {
    const x = Float32Array.of(4, 4), y = Uint8Array.of(1); // z = (48, -48): label 1 is 96 behind
    const m = single("softmax_cross_entropy", "float32");
    m.forward(x, 1);
    const fromBackward = m.backward(y);
    expect(fromBackward).toBeCloseTo(96, 4);
    expect(m.evaluate(x, y).loss).toBe(fromBackward);
    expect(single("softmax_cross_entropy", "float32").trainStep(x, y)).toBe(fromBackward);
  });

  it("fixed sigmoid CE: the loss follows z past the point where sigmoid rounds to 1 (z = 12, not 20.72)", () => {
    const x = Float32Array.of(1, 1), y = Float32Array.of(0, 1); // z = (12, -12)
    const m = single("sigmoid_cross_entropy", "fixed");
    m.forward(x, 1);
    const fromBackward = m.backward(y);
    const exact = 12 + Math.log1p(Math.exp(-12)); // both outputs 12 on the wrong side
    expect(Math.abs(fromBackward - exact)).toBeLessThan(0.01);
    expect(m.evaluate(x, y).loss).toBe(fromBackward);
    expect(single("sigmoid_cross_entropy", "fixed").trainStep(x, y)).toBe(fromBackward);
  });

  it("fixed softmax CE: backward() takes the loss from the logits like trainStep (gap 24, not 20.72)", () => {
    const x = Float32Array.of(1, 1), y = Uint8Array.of(1); // z = (12, -12)
    const m = single("softmax_cross_entropy", "fixed");
    m.forward(x, 1);
    const fromBackward = m.backward(y);
    expect(Math.abs(fromBackward - 24)).toBeLessThan(0.02);
    expect(single("softmax_cross_entropy", "fixed").trainStep(x, y)).toBe(fromBackward);
    expect(m.evaluate(x, y).loss).toBe(fromBackward);
  });
});

describe("meanGradients(): one meaning on both backends", () => {
  for (const [loss, outputs] of [["softmax_cross_entropy", 3], ["mse", 3], ["sigmoid_cross_entropy", 3]] as const) {
    it(`${loss}, batch 4: the fixed model's dequantized gradient is Float32's mean-loss gradient`, () => {
      const spec: ModelSpec = {
        inputs: 5, layers: [{ units: 6, activation: "tanh" }, { units: outputs, activation: loss === "softmax_cross_entropy" ? "softmax" : loss === "mse" ? "linear" : "sigmoid" }],
        loss, optimizer: { type: "sgd", learningRate: 0.1 }, batchSize: 4, seed: 2, keepGradients: true,
      };
      const rng = new Random(9);
      const x = Float32Array.from({ length: 20 }, () => rng.uniform() - 0.5);
      const y = loss === "softmax_cross_entropy" ? Uint8Array.of(0, 1, 2, 1) : Float32Array.from({ length: 12 }, () => rng.uniform());
      const float = buildModel(spec);
      const fixed = quantize(float, { calibration: x });
      float.forward(x, 4); float.backward(y);
      fixed.forward(x, 4); fixed.backward(y);
      const g = float.meanGradients(new Float32Array(float.plan.trainableCount));
      const q = fixed.meanGradients(new Float32Array(fixed.plan.trainableCount));
      const scale = Math.max(...Array.from(g, Math.abs));
      let worst = 0;
      for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - q[i]));
      expect(worst / scale).toBeLessThan(0.02);
      expect(Array.from(g)).toEqual(Array.from(float.gradients!));
    });
  }
});

describe("argument checks on both backends", () => {
  for (const dtype of ["float32", "fixed"] as const) {
    it(`${dtype}: classify(x, NaN) and fractional offsets throw; non-array x and y get a message that says so`, () => {
      const m = single("softmax_cross_entropy", dtype);
      const x = Float32Array.of(1, 2, 3, 4);
      expect(() => m.classify(x, NaN)).toThrow("classify: needs 2 values at offset NaN, x has 4");
      expect(() => m.classify(x, 0.5)).toThrow(/classify: needs 2 values at offset 0.5/);
      expect(m.classify(x, 2)).toBe(0);
      expect(() => m.predict("ab" as unknown as Float32Array, new Float32Array(2), 1)).toThrow("predict: x must be an array or typed array of numbers, got string");
      expect(() => m.trainStep(new DataView(new ArrayBuffer(8)) as unknown as Float32Array, Uint8Array.of(0))).toThrow(/trainStep: x has undefined values, expected 2/);
      expect(() => m.trainStep(Float32Array.of(1, 2), "a" as unknown as Uint8Array)).toThrow("trainStep: y must be an array or typed array of numbers, got string");
    });
  }
});
