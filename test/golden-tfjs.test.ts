// Golden test against an independent implementation: TensorFlow.js (CPU backend, pure JS) computes the
// same loss and gradients from the same weights and batch, using its own kernels and autodiff.
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { buildModel, Random, type ActivationName, type LossName, type ModelSpec } from "../src/index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const SLOPE = 0.2;
const B = 5;

function tfActivation(z: tf.Tensor2D, act: ActivationName): tf.Tensor2D {
  switch (act) {
    case "relu": return tf.relu(z);
    case "leaky_relu": return tf.leakyRelu(z, SLOPE);
    case "sigmoid": return tf.sigmoid(z);
    case "tanh": return tf.tanh(z);
    default: return z;
  }
}

function golden(spec: ModelSpec, seed: number) {
  const m = buildModel({ ...spec, batchSize: B, keepGradients: true, leakySlope: SLOPE });
  const rng = new Random(seed);
  const x = Float32Array.from({ length: B * spec.inputs }, () => 4 * rng.uniform() - 2);
  const n = m.outputs;
  const y = spec.loss === "softmax_cross_entropy"
    ? Int32Array.from({ length: B }, () => rng.below(n))
    : Float32Array.from({ length: B * n }, () => (spec.loss === "mse" ? 2 * rng.uniform() - 1 : rng.uniform()));
  m.forward(x);
  const loss = m.backward(y);

  // TF.js: dense layers y = x W^T + b on [batch, features] tensors (rows are samples there).
  const Ws = m.layers.map((l) => tf.variable(tf.tensor2d(l.W.slice(), [l.units, l.inputs])));
  const bs = m.layers.map((l) => tf.variable(tf.tensor1d(l.b.slice())));
  const xT = tf.tensor2d(x, [B, spec.inputs]);
  const f = () => {
    let h: tf.Tensor2D = xT;
    m.layers.forEach((l, i) => {
      const z = tf.add(tf.matMul(h, Ws[i], false, true), bs[i]) as tf.Tensor2D;
      h = i === m.layers.length - 1 && spec.loss !== "mse" ? z : tfActivation(z, spec.layers[i].activation);
    });
    if (spec.loss === "softmax_cross_entropy") return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y as Int32Array, "int32"), n), h) as tf.Scalar;
    if (spec.loss === "sigmoid_cross_entropy") return tf.losses.sigmoidCrossEntropy(tf.tensor2d(y, [B, n]), h) as tf.Scalar;
    return tf.losses.meanSquaredError(tf.tensor2d(y, [B, n]), h) as tf.Scalar;
  };
  const { value, grads } = tf.variableGrads(f, [...Ws, ...bs]);
  const tfLoss = value.dataSync()[0];
  expect(Math.abs(loss - tfLoss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(tfLoss)));
  let compared = 0;
  m.layers.forEach((l, i) => {
    for (const [mine, v] of [[l.dW!, Ws[i]], [l.db!, bs[i]]] as const) {
      const theirs = grads[v.name].dataSync();
      let scale = 0;
      for (const t of theirs) scale = Math.max(scale, Math.abs(t));
      for (let k = 0; k < theirs.length; k++) {
        expect(Math.abs(mine[k] - theirs[k]), `layer ${i} ${v === Ws[i] ? "dW" : "db"}[${k}]`).toBeLessThan(2e-6 * Math.max(scale, 1e-3) + 1e-7);
        compared++;
      }
    }
  });
  tf.dispose([...Ws, ...bs, xT, value, ...Object.values(grads)]);
  return compared;
}

const net = (acts: ActivationName[], out: ActivationName, loss: LossName, outUnits = 4): ModelSpec => ({
  inputs: 6,
  layers: [...acts.map((activation, i) => ({ units: 9 - 2 * i, activation })), { units: outUnits, activation: out }],
  loss,
  optimizer: { type: "sgd", learningRate: 0.1 },
  batchSize: B,
  seed: 21,
});

describe("golden: loss and gradients equal TensorFlow.js (CPU backend) within float32 tolerance", () => {
  it("relu-relu-softmax, softmax cross-entropy", () => expect(golden(net(["relu", "relu"], "softmax", "softmax_cross_entropy"), 1)).toBeGreaterThan(100));
  it("tanh-leaky_relu-softmax, softmax cross-entropy", () => expect(golden(net(["tanh", "leaky_relu"], "softmax", "softmax_cross_entropy"), 2)).toBeGreaterThan(100));
  it("sigmoid-sigmoid, sigmoid cross-entropy", () => expect(golden(net(["sigmoid"], "sigmoid", "sigmoid_cross_entropy", 3), 3)).toBeGreaterThan(50));
  for (const out of ["linear", "tanh", "relu", "leaky_relu", "sigmoid"] as ActivationName[]) {
    it(`relu-${out}, mean squared error`, () => expect(golden(net(["relu"], out, "mse", 2), 4)).toBeGreaterThan(50));
  }
});
