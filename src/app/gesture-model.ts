// The default model: a small MLP for the bundled magic-wand gestures. The host turns each 119-sample IMU
// gesture into `inputs` features (host-sim/data/gestures.ts); the board only needs the width.
import type { ModelSpec } from "../engine/spec";

export const GESTURE_CLASSES = 5;
/** Features the host extracts per gesture window: 6 IMU axes x 5 statistics (host-sim/data/gestures.ts). */
export const GESTURE_FEATURES = 30;

export function gestureModelSpec(inputs: number, classes = GESTURE_CLASSES, over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    inputs,
    layers: [
      { units: 32, activation: "relu" },
      { units: classes, activation: "softmax" },
    ],
    loss: "softmax_cross_entropy",
    optimizer: { type: "sgd", learningRate: 0.02 },
    batchSize: 1,
    seed: 1,
    ...over,
  };
}
