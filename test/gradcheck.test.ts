import { describe, expect, it } from "vitest";
import { buildModel, Random, type ActivationName, type LossName, type ModelSpec } from "../src/index";

// Central finite differences of the mean loss against backward()'s dW and db, for every activation in
// every layer position and every loss. Float32 storage limits precision, hence h = 1e-2 and the tolerance.
const hidden: ActivationName[] = ["linear", "relu", "leaky_relu", "sigmoid", "tanh"];
const B = 3;

function check(spec: ModelSpec, seed: number) {
  const m = buildModel({ ...spec, keepGradients: true, batchSize: B });
  const rng = new Random(seed);
  const x = Float32Array.from({ length: B * spec.inputs }, () => 2 * rng.uniform() - 1);
  const n = m.outputs;
  const y = spec.loss === "softmax_cross_entropy"
    ? Uint8Array.from({ length: B }, () => rng.below(n))
    : Float32Array.from({ length: B * n }, () => rng.uniform());
  m.forward(x);
  m.backward(y);
  let checked = 0;
  for (const [l, layer] of m.layers.entries()) {
    if (!layer.trainable) {
      expect(layer.dW).toBeNull();
      continue;
    }
    for (const [P, G] of [[layer.W, layer.dW!], [layer.b, layer.db!]] as const) {
      for (let k = 0; k < P.length; k++) {
        const w = P[k];
        P[k] = w + 1e-2;
        const up = P[k], lossUp = m.evaluate(x, y, B).loss;
        P[k] = w - 1e-2;
        const down = P[k], lossDown = m.evaluate(x, y, B).loss;
        P[k] = w;
        const numeric = (lossUp - lossDown) / (up - down);
        expect(Math.abs(G[k] - numeric), `layer ${l} ${P === layer.W ? "W" : "b"}[${k}]: analytic ${G[k]} numeric ${numeric}`)
          .toBeLessThan(5e-4 + 2e-2 * Math.abs(numeric));
        checked++;
      }
    }
  }
  return checked;
}

const net = (inputs: number, acts: ActivationName[], out: ActivationName, loss: LossName, outUnits = 3): ModelSpec => ({
  inputs,
  layers: [...acts.map((activation, i) => ({ units: 5 - i, activation })), { units: outUnits, activation: out }],
  loss,
  optimizer: { type: "sgd", learningRate: 0.1 },
  batchSize: B,
  seed: 11,
});

describe("gradient check (central differences)", () => {
  for (const act of hidden) {
    it(`${act} as first and second hidden layer, softmax cross-entropy`, () => {
      expect(check(net(4, [act, act], "softmax", "softmax_cross_entropy"), 3)).toBeGreaterThan(50);
    });
    it(`${act} as the output layer with MSE`, () => {
      expect(check(net(4, ["tanh"], act, "mse", 2), 5)).toBeGreaterThan(20);
    });
  }
  it("sigmoid cross-entropy with a sigmoid output", () => {
    expect(check(net(4, ["relu", "tanh"], "sigmoid", "sigmoid_cross_entropy", 2), 9)).toBeGreaterThan(40);
  });
  it("mixed activations in all positions, single hidden layer", () => {
    expect(check(net(6, ["leaky_relu"], "softmax", "softmax_cross_entropy", 4), 13)).toBeGreaterThan(30);
  });
  it("frozen prefix: only the trainable suffix gets gradients, and they are still right", () => {
    expect(check({ ...net(4, ["tanh", "sigmoid"], "softmax", "softmax_cross_entropy"), frozen: 1 }, 17)).toBeGreaterThan(20);
  });
});
