// Model specs that together use every activation, loss, optimizer and both dtypes, fused and stored
// updates, odd batch sizes, frozen layers, weight decay and stochastic rounding: the native-kernel identity
// tests train each of them with JavaScript and with native kernels (test/native-model.test.ts, test/native-xs.test.ts).
import type { ModelSpec } from "../src/index";

const dense = (sizes: number[], acts: string[]) => sizes.slice(1).map((units, i) => ({ units, activation: acts[i] as ModelSpec["layers"][number]["activation"] }));

export const NATIVE_SPECS: Record<string, ModelSpec> = {
  "f32 relu SGD batch 1 (fused), softmax CE": { inputs: 9, layers: dense([9, 17, 8, 4], ["relu", "relu", "softmax"]), loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05 }, batchSize: 1, seed: 3 },
  "f32 fused with weight decay, first layer frozen": { inputs: 7, layers: dense([7, 16, 9, 3], ["relu", "tanh", "softmax"]), loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05, weightDecay: 0.01 }, batchSize: 1, seed: 8, frozen: 1 },
  "f32 tanh/sigmoid Adam batch 5, clip, decay, cosine": { inputs: 6, layers: dense([6, 10, 7, 3], ["tanh", "sigmoid", "softmax"]), loss: "softmax_cross_entropy", optimizer: { type: "adam", learningRate: 0.01, clipNorm: 0.5, weightDecay: 0.001, schedule: { type: "cosine", steps: 100, minLearningRate: 0.001 } }, batchSize: 5, seed: 4 },
  "f32 leaky momentum batch 3, sigmoid CE": { inputs: 5, layers: dense([5, 9, 3], ["leaky_relu", "sigmoid"]), loss: "sigmoid_cross_entropy", optimizer: { type: "sgd", learningRate: 0.1, momentum: 0.9, schedule: { type: "step", every: 50, gamma: 0.7 } }, batchSize: 3, seed: 5 },
  "f32 MSE linear output batch 7, keepGradients": { inputs: 8, layers: dense([8, 16, 1], ["sigmoid", "linear"]), loss: "mse", optimizer: { type: "sgd", learningRate: 0.02 }, batchSize: 7, seed: 6, keepGradients: true },
  "f32 MSE tanh output batch 1 keepGradients": { inputs: 17, layers: dense([17, 8, 2], ["relu", "tanh"]), loss: "mse", optimizer: { type: "sgd", learningRate: 0.02 }, batchSize: 1, seed: 9, keepGradients: true },
  "fixed relu SGD batch 1 (fused), softmax CE": { inputs: 9, layers: dense([9, 17, 8, 4], ["relu", "relu", "softmax"]), loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05 }, batchSize: 1, seed: 3, dtype: "fixed" },
  "fixed tanh/sigmoid momentum batch 5, decay": { inputs: 6, layers: dense([6, 10, 7, 3], ["tanh", "sigmoid", "softmax"]), loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05, momentum: 0.9, weightDecay: 0.001 }, batchSize: 5, seed: 4, dtype: "fixed" },
  "fixed leaky SGD batch 3, sigmoid CE, stochastic rounding": { inputs: 5, layers: dense([5, 9, 3], ["leaky_relu", "sigmoid"]), loss: "sigmoid_cross_entropy", optimizer: { type: "sgd", learningRate: 0.1 }, batchSize: 3, seed: 5, dtype: "fixed", fixed: { stochasticRounding: true } },
  "fixed MSE linear output batch 7, keepGradients, frozen": { inputs: 8, layers: dense([8, 16, 9, 1], ["relu", "tanh", "linear"]), loss: "mse", optimizer: { type: "sgd", learningRate: 0.02 }, batchSize: 7, seed: 6, keepGradients: true, frozen: 1, dtype: "fixed" },
  "fixed relu fused, weight decay, 16 inputs": { inputs: 16, layers: dense([16, 32, 5], ["relu", "softmax"]), loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05, weightDecay: 0.001 }, batchSize: 1, seed: 2, dtype: "fixed" },
};

/** trainSynthetic (test/xs-scripts.ts) with the spec's kernels forced, printing everything the step changed. */
export const NATIVE_DRIVER = `
function trainWith(spec, kernels, steps) {
  const s = Object.assign({}, spec, { kernels });
  const { m, losses, out } = trainSynthetic(s, steps, 99);
  print("native " + m.nativeKernels);
  print("losses " + hex(losses));
  print("weights " + hex(m.parameters));
  print("predict " + hex(out));
  if (m.saturatedStores !== undefined) print("saturated " + m.saturatedStores + " clipped " + m.clippedGradients);
}
`;
