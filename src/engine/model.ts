// A dense network on one arena. The spec is planned (plan.ts), one ArrayBuffer is allocated, and every
// tensor is a typed-array view into it. After construction, forward, backward, update, trainStep, predict
// and evaluate allocate nothing: they read the caller's arrays in place and write only into the arena.
import { planFloat32 } from "./plan";
import type { MemoryPlan } from "./layout";
import { Act, LossCode, Opt } from "./codes";
import { resolveSpec, type ModelSpec, type ResolvedSpec } from "./spec";
import type { DenseModel, Evaluation, LayerViews } from "./model-api";
import { Random } from "./random";
import { powInt } from "./math";
import { argmax, checkCount, checkFinite, checkInputs, checkTargets } from "./validate";
import { learningRateAt } from "./schedule";
import { lossGradient, sigmoidForward, softmaxForward, squaredError } from "./float32/loss";
import { float32KernelsFor, type Float32Kernels } from "./float32/kernel-table";

/** One dense layer's Float32 views into the arena. Z is the same memory as Y (the activation is applied in place). */
export type Layer = LayerViews<Float32Array>;
export type { Evaluation } from "./model-api";

const view = (arena: ArrayBuffer, s: { offset: number; length: number }) => new Float32Array(arena, s.offset, s.length);

export class Model implements DenseModel<Float32Array> {
  readonly dtype = "float32";
  readonly spec: ModelSpec;
  readonly config: ResolvedSpec;
  readonly plan: MemoryPlan;
  readonly arena: ArrayBuffer;
  /** Every parameter, layer by layer: W_0 b_0 W_1 b_1 ... */
  readonly parameters: Float32Array;
  /** Gradients of the trainable layers in the same layout, or null when the update is fused. */
  readonly gradients: Float32Array | null;
  readonly layers: readonly Layer[];
  readonly inputs: number;
  readonly outputs: number;
  readonly batchSize: number;
  /** Completed updates. */
  step = 0;
  /** Training steps refused because the loss or the gradients were not finite. */
  rejectedSteps = 0;

  private readonly state: Float32Array[];
  /** The hot loops: JavaScript or native kernels (spec.kernels; bit-identical results). */
  private readonly k: Float32Kernels;
  private readonly evaluation: Evaluation = { loss: 0, accuracy: 0, count: 0 };
  private readonly lossCode: LossCode;
  /** The batch seen by the last forward(): read again by backward() as the first layer's input. */
  private input: ArrayLike<number> = new Float32Array(0);
  private cols = 0;

  /** b1^t and b2^t of Adam's bias correction after `step` updates: derived from the step, O(1) for any step. */
  get beta1Power(): number {
    return powInt(this.config.beta1, this.step);
  }

  get beta2Power(): number {
    return powInt(this.config.beta2, this.step);
  }

  /** Optimizer state arrays (views into the arena: velocity, or Adam's m then v), for model files and checkpoints. */
  get optimizerState(): readonly Float32Array[] {
    return this.state;
  }

  constructor(spec: ModelSpec) {
    const r = resolveSpec(spec);
    if (r.dtype === "fixed") throw new Error('Model is the Float32 engine: build dtype "fixed" with buildModel() or new FixedModel()');
    this.spec = spec;
    this.config = r;
    this.plan = planFloat32(r);
    this.arena = new ArrayBuffer(this.plan.total);
    this.lossCode = r.loss;
    this.k = float32KernelsFor(r.kernels);
    this.inputs = r.inputs;
    this.outputs = r.units[r.units.length - 1];
    this.batchSize = r.batchSize;
    this.parameters = new Float32Array(this.arena, 0, this.plan.parameterCount);
    const first = this.plan.layers[r.frozen];
    this.gradients = first.dW === null ? null : new Float32Array(this.arena, first.dW.offset, this.plan.trainableCount);
    this.state = this.plan.optimizerState.map((s) => view(this.arena, s));
    this.layers = this.plan.layers.map((p) => {
      const Y = view(this.arena, p.Y);
      return {
        inputs: p.inputs, units: p.units, activation: p.activation, trainable: p.trainable,
        W: view(this.arena, p.W), b: view(this.arena, p.b), Z: Y, Y,
        dZ: p.dZ && view(this.arena, p.dZ), dX: p.dX && view(this.arena, p.dX),
        dW: p.dW && view(this.arena, p.dW), db: p.db && view(this.arena, p.db),
      };
    });
    this.initialize(r.seed);
  }

  /**
   * Fresh weights from the seeded PRNG: uniform He (relu family) or Glorot (others) limits, zero biases.
   * Also clears optimizer state and the step count.
   */
  initialize(seed: number = this.config.seed): void {
    const rng = new Random(seed);
    for (const layer of this.layers) {
      const relu = layer.activation === Act.Relu || layer.activation === Act.Leaky;
      const limit = Math.sqrt(6 / (relu ? layer.inputs : layer.inputs + layer.units));
      for (let k = 0; k < layer.W.length; k++) layer.W[k] = (2 * rng.uniform() - 1) * limit;
      layer.b.fill(0);
    }
    for (const s of this.state) s.fill(0);
    this.step = 0;
    this.rejectedSteps = 0;
  }

  /** Float32 keeps no cached facts about the weights: nothing to forget. */
  weightsChanged(): void {}

  /** The stored gradients are already the mean-loss gradient: a copy of them. */
  meanGradients(out: Float32Array): Float32Array {
    if (this.gradients === null) throw new Error("meanGradients: this model fuses the update into backward and stores no gradients; build it with keepGradients: true");
    if (out.length < this.gradients.length) throw new Error(`meanGradients: out has ${out.length} values, needs ${this.gradients.length}`);
    out.set(this.gradients);
    return out;
  }

  /** True when this model runs native C kernels (spec.kernels and the platform decide). */
  get nativeKernels(): boolean {
    return this.k.native;
  }

  /** The output of the last forward pass: [samples x outputs], sample after sample. */
  get output(): Float32Array {
    return this.layers[this.layers.length - 1].Y;
  }

  /** Learning rate the next update will use. */
  get learningRate(): number {
    return learningRateAt(this.config, this.step);
  }

  /** Forward pass of one batch (1..batchSize samples). Returns the output views' memory (see `output`). */
  forward(x: ArrayLike<number>, count: number = this.batchSize): Float32Array {
    checkCount("forward", count, this.batchSize);
    checkInputs("forward", x, count, this.inputs);
    this.run(x, 0, count, null, 0);
    return this.output;
  }

  /**
   * Gradients of the mean loss of the last forward() batch into dW/db (and dZ, dX), without updating.
   * Needs stored gradients: build with keepGradients, or use trainStep when the update is fused.
   * Returns the mean loss.
   */
  backward(y: ArrayLike<number>): number {
    if (this.gradients === null) throw new Error("backward: this model fuses the update into backward and stores no gradients; build it with keepGradients: true, or call trainStep");
    if (this.cols === 0) throw new Error("backward: call forward first");
    const cols = this.cols;
    checkTargets("backward", y, cols, this.outputs, this.lossCode);
    // The loss comes from the logits, as in trainStep: the output now holds probabilities, so the last
    // batch is run forward again (same input, same weights, same result) with the targets.
    const loss = this.run(this.input, 0, cols, y, 0) / this.lossDivisor(cols);
    this.backpropagate(y, false);
    return loss;
  }

  /**
   * Apply the optimizer to the stored gradients. Returns false (and changes nothing) when the gradients
   * are not finite.
   */
  update(): boolean {
    if (this.gradients === null) throw new Error("update: this model fuses the update into backward; call trainStep");
    const r = this.config;
    const G = this.gradients;
    const k = this.k;
    const normSq = k.sumOfSquares(G, G.length);
    if (normSq - normSq !== 0) {
      this.rejectedSteps++;
      return false;
    }
    const norm = Math.sqrt(normSq);
    const gScale = r.clipNorm > 0 && norm > r.clipNorm ? r.clipNorm / norm : 1;
    const lr = learningRateAt(r, this.step);
    let c1 = 1, c2 = 1;
    if (r.optimizer === Opt.Adam) {
      c1 = 1 - powInt(r.beta1, this.step + 1);
      c2 = 1 - powInt(r.beta2, this.step + 1);
    }
    const P = this.parameters;
    let g = 0;
    for (let l = r.frozen; l < this.layers.length; l++) {
      const layer = this.layers[l];
      // Weights with weight decay, then biases without.
      for (let part = 0; part < 2; part++) {
        const n = part === 0 ? layer.W.length : layer.b.length;
        const wd = part === 0 ? r.weightDecay : 0;
        const p = this.plan.trainableStart + g;
        if (r.optimizer === Opt.Sgd) k.sgd(P, p, G, g, n, lr, wd, gScale);
        else if (r.optimizer === Opt.Momentum) k.momentum(P, p, G, g, this.state[0], n, lr, r.momentum, wd, gScale);
        else k.adam(P, p, G, g, this.state[0], this.state[1], n, lr, r.beta1, r.beta2, r.epsilon, c1, c2, wd, gScale);
        g += n;
      }
    }
    this.step++;
    return true;
  }

  /**
   * One training step on exactly one batch: x is batchSize × inputs values; y is batchSize class indices
   * (softmax cross-entropy) or batchSize × outputs targets. Returns the mean loss before the update.
   * A non-finite loss (or gradient) rejects the step: nothing is updated and rejectedSteps grows.
   */
  trainStep(x: ArrayLike<number>, y: ArrayLike<number>): number {
    const B = this.batchSize;
    checkInputs("trainStep", x, B, this.inputs);
    checkTargets("trainStep", y, B, this.outputs, this.lossCode);
    const loss = this.run(x, 0, B, y, 0) / this.lossDivisor(B);
    if (loss - loss !== 0) {
      this.rejectedSteps++;
      return loss;
    }
    if (this.gradients === null) {
      this.backpropagate(y, true);
      this.step++;
    } else {
      this.backpropagate(y, false);
      this.update();
    }
    return loss;
  }

  /** Outputs (probabilities for softmax/sigmoid) of `count` samples into out[count × outputs]. */
  predict(x: ArrayLike<number>, out: Float32Array, count: number = Math.floor(x.length / this.inputs)): Float32Array {
    checkInputs("predict", x, count, this.inputs);
    if (out.length < count * this.outputs) throw new Error(`predict: out has ${out.length} values, needs ${count * this.outputs}`);
    const B = this.batchSize, n = this.outputs, Y = this.output;
    for (let s = 0; s < count; s += B) {
      const cols = count - s < B ? count - s : B;
      this.run(x, s * this.inputs, cols, null, 0);
      for (let i = 0; i < cols * n; i++) out[s * n + i] = Y[i];
    }
    return out;
  }

  /** Index of the largest output for one sample at x[offset ...]. */
  classify(x: ArrayLike<number>, offset = 0): number {
    if (!Number.isInteger(offset) || offset < 0 || x.length < offset + this.inputs) throw new Error(`classify: needs ${this.inputs} values at offset ${offset}, x has ${x.length}`);
    checkFinite("classify", x, offset, this.inputs);
    this.run(x, offset, 1, null, 0);
    return argmax(this.output, 0, this.outputs);
  }

  /** Mean loss and accuracy over `count` samples. The returned object is reused by the next call. */
  evaluate(x: ArrayLike<number>, y: ArrayLike<number>, count: number = Math.floor(x.length / this.inputs)): Evaluation {
    checkInputs("evaluate", x, count, this.inputs);
    checkTargets("evaluate", y, count, this.outputs, this.lossCode);
    const B = this.batchSize, n = this.outputs, Y = this.output;
    const perSample = this.lossCode === LossCode.SoftmaxCE ? 1 : n;
    let loss = 0, correct = 0, judged = 0;
    for (let s = 0; s < count; s += B) {
      const cols = count - s < B ? count - s : B;
      loss += this.run(x, s * this.inputs, cols, y, s * perSample);
      for (let c = 0; c < cols; c++) {
        if (this.lossCode === LossCode.SoftmaxCE) {
          judged++;
          if (argmax(Y, c * n, n) === y[s + c]) correct++;
        } else if (this.lossCode === LossCode.SigmoidCE) {
          for (let i = 0; i < n; i++) {
            judged++;
            if ((Y[c * n + i] >= 0.5) === (y[(s + c) * n + i] >= 0.5)) correct++;
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

  // --- internals -------------------------------------------------------------------------------------

  /** Forward `cols` samples of x from xOff; with targets, returns the summed (not averaged) loss. */
  private run(x: ArrayLike<number>, xOff: number, cols: number, y: ArrayLike<number> | null, yOff: number): number {
    const layers = this.layers;
    const L = layers.length;
    const slope = this.config.leakySlope, k = this.k;
    let input: ArrayLike<number> = x, inOff = xOff;
    for (let l = 0; l < L; l++) {
      const layer = layers[l];
      k.denseForward(layer.W, layer.b, input, inOff, layer.Y, layer.inputs, layer.units, cols);
      if (l < L - 1 || this.lossCode === LossCode.Mse) k.activate(layer.Y, layer.units * cols, layer.activation, slope);
      input = layer.Y;
      inOff = 0;
    }
    this.input = x;
    this.cols = xOff === 0 ? cols : 0; // backward() needs the batch at offset 0
    const out = layers[L - 1];
    if (this.lossCode === LossCode.SoftmaxCE) return softmaxForward(out.Y, out.units, cols, y, yOff);
    if (this.lossCode === LossCode.SigmoidCE) return sigmoidForward(out.Y, out.units, cols, y, yOff);
    return y === null ? 0 : squaredError(out.Y, out.units, cols, y, yOff);
  }

  private lossDivisor(cols: number): number {
    return this.lossCode === LossCode.SoftmaxCE ? cols : cols * this.outputs;
  }

  /** Backward from the loss down to the lowest trainable layer; fused applies plain SGD on the way. */
  private backpropagate(y: ArrayLike<number>, fused: boolean): void {
    const r = this.config;
    const layers = this.layers;
    const cols = this.cols, k = this.k;
    const top = layers[layers.length - 1];
    const dTop = top.dZ as Float32Array;
    lossGradient(this.lossCode, top.Y, dTop, top.units, cols, y);
    if (this.lossCode === LossCode.Mse) k.activationBackward(dTop, top.Y, top.units * cols, top.activation, r.leakySlope);
    const lr = fused ? learningRateAt(r, this.step) : 0;
    for (let l = layers.length - 1; l >= r.frozen; l--) {
      const layer = layers[l];
      const dZ = layer.dZ as Float32Array;
      const input = l === 0 ? this.input : layers[l - 1].Y;
      if (fused) {
        k.denseBackwardSgdFused(layer.W, layer.b, dZ, input, layer.dX, layer.inputs, layer.units, lr, r.weightDecay);
      } else {
        if (layer.dX !== null) k.denseBackwardInput(layer.W, dZ, layer.dX, layer.inputs, layer.units, cols);
        k.denseBackwardParams(dZ, input, layer.dW as Float32Array, layer.db as Float32Array, layer.inputs, layer.units, cols);
      }
      if (layer.dX !== null) {
        const below = layers[l - 1];
        k.activationBackward(layer.dX, below.Y, below.units * cols, below.activation, r.leakySlope);
      }
    }
  }

}
