// The one model interface that both number backends implement (Model: Float32, FixedModel: int16 Q
// formats). Model files, the weights blob, checkpoints and the device are typed on it; only buildModel()
// (build.ts) looks at the dtype to choose a class.
import type { Act, DType } from "./codes";
import type { ModelSpec, ResolvedSpec } from "./spec";
import type { MemoryPlan } from "./layout";

/** The storage of a backend's tensors: Float32Array, or Int16Array in fixed point. */
export type Tensor = Float32Array | Int16Array;

/** One dense layer's views into the arena. Z is the same memory as Y (the activation is applied in place). */
export interface LayerViews<T extends Tensor> {
  readonly inputs: number;
  readonly units: number;
  readonly activation: Act;
  readonly trainable: boolean;
  readonly W: T;
  readonly b: T;
  readonly Z: T;
  readonly Y: T;
  /** Null for frozen layers. */
  readonly dZ: T | null;
  /** Null when no layer below trains. */
  readonly dX: T | null;
  /** Null when gradients are not stored (frozen layer, or the update is fused into backward). */
  readonly dW: T | null;
  readonly db: T | null;
}

/** Result of evaluate(); the same object is reused by every call. */
export interface Evaluation {
  /** Mean loss over the samples. */
  loss: number;
  /** Fraction correct: argmax vs label (softmax), per-output threshold 0.5 (sigmoid), argmax vs argmax of targets (MSE, > 1 output; NaN for 1). */
  accuracy: number;
  count: number;
}

/**
 * A dense network on one arena, in either backend. Inputs, targets and predictions are floats on both;
 * parameters, optimizer state and layer views are the backend's own Tensor type.
 */
export interface DenseModel<T extends Tensor = Tensor> {
  readonly dtype: DType;
  readonly spec: ModelSpec;
  readonly config: ResolvedSpec;
  readonly plan: MemoryPlan;
  /** The one buffer every tensor views. */
  readonly arena: ArrayBuffer;
  /** Every parameter, layer by layer: W_0 b_0 W_1 b_1 ... */
  readonly parameters: T;
  /** Optimizer state arrays (velocity, or Adam's m then v), each over the trainable run of the parameters. */
  readonly optimizerState: readonly T[];
  /** Raw stored gradients of the trainable layers (backend units; see meanGradients), or null when fused. */
  readonly gradients: T | null;
  readonly layers: readonly LayerViews<T>[];
  readonly inputs: number;
  readonly outputs: number;
  readonly batchSize: number;
  /** Completed updates (0..2^32-1 in model files and blobs). */
  step: number;
  /** Training steps refused because the loss or the gradients were not finite (always 0 in fixed point). */
  rejectedSteps: number;
  /** Learning rate the next update will use. */
  readonly learningRate: number;
  /** The output of the last forward pass, [samples x outputs] in backend units. */
  readonly output: T;
  /** True when the model runs native C kernels (spec.kernels and the platform decide; docs/native.md). */
  readonly nativeKernels: boolean;

  /** Fresh weights from the seeded PRNG; clears optimizer state and the step count. */
  initialize(seed?: number): void;
  /** Call after writing parameters or optimizer state through a view (loaders do): drops cached bounds. */
  weightsChanged(): void;
  /** Forward pass of one batch (1..batchSize float samples). Returns the output view. */
  forward(x: ArrayLike<number>, count?: number): T;
  /** Gradients of the mean loss of the last forward() batch (stored, not applied). Returns the mean loss. */
  backward(y: ArrayLike<number>): number;
  /** Apply the optimizer to the stored gradients; false (and nothing changed) when they are not finite. */
  update(): boolean;
  /** One training step on exactly one batch. Returns the mean loss before the update. */
  trainStep(x: ArrayLike<number>, y: ArrayLike<number>): number;
  /** Outputs (probabilities for softmax/sigmoid) of `count` samples into out[count × outputs]. */
  predict(x: ArrayLike<number>, out: Float32Array, count?: number): Float32Array;
  /** Index of the largest output for one sample at x[offset ...]. */
  classify(x: ArrayLike<number>, offset?: number): number;
  /** Mean loss and accuracy over `count` samples. The returned object is reused by the next call. */
  evaluate(x: ArrayLike<number>, y: ArrayLike<number>, count?: number): Evaluation;
  /**
   * The stored gradients as floats with one meaning on both backends: the gradient of the mean loss of the
   * last backward() batch, trainable parameters in parameter order, into out[plan.trainableCount].
   */
  meanGradients(out: Float32Array): Float32Array;
}
