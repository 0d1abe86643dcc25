// The model shell shared by both number backends (Model: Float32, FixedModel: int16 Q formats): the arena
// and its views, argument checks, initialisation, batching of predict/evaluate, classify and the accuracy
// rules. A backend supplies how one batch of float samples runs forward (runBatch), how outputs become
// floats (readOutputs), how an initial weight is stored (storeWeight), and its training step. Neither
// backend imports the other; both import this.
import { Act, LossCode } from "./codes";
import type { ModelSpec, ResolvedSpec } from "./spec";
import type { MemoryPlan, Slice } from "./layout";
import type { DenseModel, Evaluation, LayerViews, Tensor } from "./model-api";
import { Random } from "./random";
import { learningRateAt } from "./schedule";
import { argmax, Call, checkCount, checkFinite, checkInputs, checkTargets, type FiniteScan } from "./validate";

/** Typed-array view constructor of a backend (Float32Array or Int16Array). */
export type TensorView<T extends Tensor> = (arena: ArrayBuffer, s: Slice) => T;

export abstract class ModelShell<T extends Tensor, L extends LayerViews<T>> implements DenseModel<T> {
  abstract readonly dtype: "float32" | "fixed";
  readonly spec: ModelSpec;
  readonly config: ResolvedSpec;
  readonly plan: MemoryPlan;
  /** The one buffer every tensor views. */
  readonly arena: ArrayBuffer;
  /** Every parameter, layer by layer: W_0 b_0 W_1 b_1 ... */
  readonly parameters: T;
  /** Stored gradients of the trainable layers in the same layout (keepGradients), or null when the update is fused. */
  readonly gradients: T | null;
  readonly layers: readonly L[];
  /** Optimizer state arrays (views into the arena: velocity, or Adam's m then v), for model files and checkpoints. */
  readonly optimizerState: readonly T[];
  readonly inputs: number;
  readonly outputs: number;
  readonly batchSize: number;
  /** True when the model runs native C kernels (spec.kernels and the platform decide; bit-identical results, except with "native-f32"). */
  readonly nativeKernels: boolean;
  /** Completed updates. */
  step = 0;
  /** Training steps refused because the loss or the gradients were not finite (always 0 in fixed point). */
  rejectedSteps = 0;

  protected readonly lossCode: LossCode;
  /** A native scan for non-finite inputs from the backend's kernel table (one call instead of a loop), or null. */
  protected finiteScan: FiniteScan | null = null;
  /** Output value at which a sigmoid output counts as 1 (0.5 in backend units). */
  protected abstract readonly half: number;
  private readonly evaluation: Evaluation = { loss: 0, accuracy: 0, count: 0 };

  /** `layer` adds a backend's own fields to each layer's views (the fixed formats). */
  constructor(spec: ModelSpec, config: ResolvedSpec, plan: MemoryPlan, view: TensorView<T>, nativeKernels: boolean,
    layer: (views: LayerViews<T>, l: number) => L) {
    this.spec = spec;
    this.config = config;
    this.plan = plan;
    this.arena = new ArrayBuffer(plan.total);
    this.lossCode = config.loss;
    this.nativeKernels = nativeKernels;
    this.inputs = config.inputs;
    this.outputs = config.units[config.units.length - 1];
    this.batchSize = config.batchSize;
    this.parameters = view(this.arena, { offset: 0, length: plan.parameterCount });
    const first = plan.layers[config.frozen];
    this.gradients = first.dW === null ? null : view(this.arena, { offset: first.dW.offset, length: plan.trainableCount });
    this.optimizerState = plan.optimizerState.map((s) => view(this.arena, s));
    this.layers = plan.layers.map((p, l) => {
      const Y = view(this.arena, p.Y);
      return layer({
        inputs: p.inputs, units: p.units, activation: p.activation, trainable: p.trainable,
        W: view(this.arena, p.W), b: view(this.arena, p.b), Z: Y, Y,
        dZ: p.dZ && view(this.arena, p.dZ), dX: p.dX && view(this.arena, p.dX),
        dW: p.dW && view(this.arena, p.dW), db: p.db && view(this.arena, p.db),
      }, l);
    });
  }

  /**
   * Fresh weights from the seeded PRNG: uniform He (relu family) or Glorot (others) limits, zero biases, the
   * same values on both backends (fixed point rounds them to each weight format). Also clears optimizer state,
   * the step count and the backend's counters.
   */
  initialize(seed: number = this.config.seed): void {
    const rng = new Random(seed);
    for (const layer of this.layers) {
      const relu = layer.activation === Act.Relu || layer.activation === Act.Leaky;
      const limit = Math.sqrt(6 / (relu ? layer.inputs : layer.inputs + layer.units));
      for (let k = 0; k < layer.W.length; k++) this.storeWeight(layer, k, (2 * rng.uniform() - 1) * limit);
      layer.b.fill(0);
    }
    for (const s of this.optimizerState) s.fill(0);
    this.step = 0;
    this.rejectedSteps = 0;
    this.initialized(seed);
  }

  abstract weightsChanged(): void;
  abstract meanGradients(out: Float32Array): Float32Array;
  abstract backward(y: ArrayLike<number>): number;
  abstract update(): boolean;

  /** The output of the last forward pass: [samples x outputs], sample after sample, in backend units. */
  get output(): T {
    return this.layers[this.layers.length - 1].Y;
  }

  /** Learning rate the next update will use. */
  get learningRate(): number {
    return learningRateAt(this.config, this.step);
  }

  /** Forward pass of one batch (1..batchSize float samples). Returns the output view (see `output`). */
  forward(x: ArrayLike<number>, count: number = this.batchSize): T {
    checkCount(Call.forward, count, this.batchSize);
    checkInputs(Call.forward, x, count, this.inputs, this.finiteScan);
    this.runBatch(x, 0, count, null, 0);
    return this.output;
  }

  /**
   * One training step on exactly one batch: x is batchSize × inputs values; y is batchSize class indices
   * (softmax cross-entropy) or batchSize × outputs targets. Returns the mean loss before the update.
   */
  trainStep(x: ArrayLike<number>, y: ArrayLike<number>): number {
    const B = this.batchSize;
    checkInputs(Call.trainStep, x, B, this.inputs, this.finiteScan);
    checkTargets(Call.trainStep, y, B, this.outputs, this.lossCode);
    return this.trainChecked(x, y);
  }

  /** Outputs (probabilities for softmax/sigmoid) of `count` samples into out[count × outputs]. */
  predict(x: ArrayLike<number>, out: Float32Array, count: number = Math.floor(x.length / this.inputs)): Float32Array {
    checkInputs(Call.predict, x, count, this.inputs, this.finiteScan);
    if (out.length < count * this.outputs) throw new Error(`predict: out has ${out.length} values, needs ${count * this.outputs}`);
    const B = this.batchSize, n = this.outputs;
    for (let s = 0; s < count; s += B) {
      const cols = count - s < B ? count - s : B;
      this.runBatch(x, s * this.inputs, cols, null, 0);
      this.readOutputs(out, s * n, cols * n);
    }
    return out;
  }

  /** Index of the largest output for one sample at x[offset ...]. */
  classify(x: ArrayLike<number>, offset = 0): number {
    if (!Number.isInteger(offset) || offset < 0 || x.length < offset + this.inputs) throw new Error(`classify: needs ${this.inputs} values at offset ${offset}, x has ${x.length}`);
    checkFinite(Call.classify, x, offset, this.inputs, this.finiteScan);
    this.runBatch(x, offset, 1, null, 0);
    return argmax(this.output, 0, this.outputs);
  }

  /**
   * Mean loss and accuracy over `count` samples. Accuracy: argmax vs label (softmax), per-output threshold 0.5
   * (sigmoid), argmax vs argmax of targets (MSE, > 1 output; NaN for 1). The returned object is reused.
   */
  evaluate(x: ArrayLike<number>, y: ArrayLike<number>, count: number = Math.floor(x.length / this.inputs)): Evaluation {
    checkInputs(Call.evaluate, x, count, this.inputs, this.finiteScan);
    checkTargets(Call.evaluate, y, count, this.outputs, this.lossCode);
    const B = this.batchSize, n = this.outputs, Y = this.output, half = this.half;
    const perSample = this.lossCode === LossCode.SoftmaxCE ? 1 : n;
    let loss = 0, correct = 0, judged = 0;
    for (let s = 0; s < count; s += B) {
      const cols = count - s < B ? count - s : B;
      loss += this.runBatch(x, s * this.inputs, cols, y, s * perSample);
      for (let c = 0; c < cols; c++) {
        if (this.lossCode === LossCode.SoftmaxCE) {
          judged++;
          if (argmax(Y, c * n, n) === y[s + c]) correct++;
        } else if (this.lossCode === LossCode.SigmoidCE) {
          for (let i = 0; i < n; i++) {
            judged++;
            if ((Y[c * n + i] >= half) === (y[(s + c) * n + i] >= 0.5)) correct++;
          }
        } else if (n > 1) {
          judged++;
          if (argmax(Y, c * n, n) === argmax(y, (s + c) * n, n)) correct++;
        }
      }
    }
    const e = this.evaluation;
    e.loss = count > 0 ? loss / this.lossDivisor(count) : NaN;
    e.accuracy = judged > 0 ? correct / judged : NaN;
    e.count = count;
    return e;
  }

  // --- what a backend supplies -----------------------------------------------------------------------

  /** Store initial weight k of a layer from its float value. */
  protected abstract storeWeight(layer: L, k: number, value: number): void;
  /** After initialize() has set weights and cleared state: reset the backend's own counters. */
  protected abstract initialized(seed: number): void;
  /**
   * Forward `cols` float samples of x from xOff (already checked); with targets y (from yOff: sample index
   * for class labels, value index otherwise), returns the summed (not averaged) loss, else 0.
   */
  protected abstract runBatch(x: ArrayLike<number>, xOff: number, cols: number, y: ArrayLike<number> | null, yOff: number): number;
  /** The last forward pass's n output values as floats into out[from ...]. */
  protected abstract readOutputs(out: Float32Array, from: number, n: number): void;
  /** One training step on a checked batch; returns the mean loss before the update. */
  protected abstract trainChecked(x: ArrayLike<number>, y: ArrayLike<number>): number;

  // --- for the backends ------------------------------------------------------------------------------

  /** The summed loss over `cols` samples divided by this is the mean loss. */
  protected lossDivisor(cols: number): number {
    return this.lossCode === LossCode.SoftmaxCE ? cols : cols * this.outputs;
  }

  /** Guard of backward(): gradients stored and a batch seen. */
  protected checkBackward(cols: number): void {
    if (this.gradients === null) throw new Error("backward: this model fuses the update into backward and stores no gradients; build it with keepGradients: true, or call trainStep");
    if (cols === 0) throw new Error("backward: call forward first");
  }

  /** Guard of update(): gradients stored. */
  protected checkUpdate(): void {
    if (this.gradients === null) throw new Error("update: this model fuses the update into backward; call trainStep");
  }

  /** Guard of meanGradients(): gradients stored, and room for them in out. */
  protected checkMeanGradients(out: Float32Array): void {
    if (this.gradients === null) throw new Error("meanGradients: this model fuses the update into backward and stores no gradients; build it with keepGradients: true");
    if (out.length < this.gradients.length) throw new Error(`meanGradients: out has ${out.length} values, needs ${this.gradients.length}`);
  }
}
