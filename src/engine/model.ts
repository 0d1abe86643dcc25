// The Float32 engine: a dense network on one arena. The spec is planned (plan.ts); the shell shared with
// the fixed backend (model-shell.ts) allocates the arena, makes the views and owns argument checks,
// batching, initialisation and evaluation; this file is the Float32 forward pass, loss and update. After
// construction nothing allocates: the caller's arrays are read in place and only the arena is written.
import { planFloat32 } from "./plan";
import { Act, LossCode, Opt } from "./codes";
import { resolveSpec, type ModelSpec } from "./spec";
import type { LayerViews } from "./model-api";
import { Call, checkTargets } from "./validate";
import { ModelShell } from "./model-shell";
import { powInt } from "./math";
import { learningRateAt } from "./schedule";
import { lossGradient, sigmoidForward, squaredError } from "./float32/loss";
import { float32KernelsFor, type Float32Kernels } from "./float32/kernel-table";
import { layerFormat, type LayerFormat } from "./float32/layer-format";

/** One dense layer's Float32 views into the arena. Z is the same memory as Y (the activation is applied in place). */
export type Layer = LayerViews<Float32Array>;
export type { Evaluation } from "./model-api";

const view = (arena: ArrayBuffer, s: { offset: number; length: number }) => new Float32Array(arena, s.offset, s.length);

export class Model extends ModelShell<Float32Array, Layer> {
  readonly dtype = "float32";
  protected readonly half = 0.5;
  /** The hot loops: JavaScript or native kernels (spec.kernels; bit-identical results). */
  private readonly k: Float32Kernels;
  /** Each layer as the kernels take it (layers[l]'s views and sizes with the constants of its calls). */
  private readonly formats: readonly LayerFormat[];
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

  constructor(spec: ModelSpec) {
    const r = resolveSpec(spec);
    if (r.dtype === "fixed") throw new Error('Model is the Float32 engine: build dtype "fixed" with buildModel() or new FixedModel()');
    const k = float32KernelsFor(r.kernels);
    super(spec, r, planFloat32(r), view, k.native, (layer) => layer);
    this.k = k;
    this.formats = this.layers.map((layer, l) => {
      const below = l > 0 && layer.dX !== null ? this.layers[l - 1] : null;
      return layerFormat({
        W: layer.W, b: layer.b, nIn: layer.inputs, nOut: layer.units, Y: layer.Y,
        // The output layer's softmax or sigmoid is applied with its loss.
        act: l < this.layers.length - 1 || r.loss === LossCode.Mse ? layer.activation : Act.Linear,
        leakySlope: r.leakySlope, weightDecay: r.weightDecay,
        dZ: layer.dZ, dX: layer.dX, dW: layer.dW, db: layer.db,
        belowY: below === null ? null : below.Y, belowAct: below === null ? Act.Linear : below.activation,
      });
    });
    this.finiteScan = k.firstNonFinite;
    this.initialize(r.seed);
  }

  protected storeWeight(layer: Layer, k: number, value: number): void {
    layer.W[k] = value;
  }

  protected initialized(): void {}

  /** Float32 keeps no cached facts about the weights: nothing to forget. */
  weightsChanged(): void {}

  /** The stored gradients are already the mean-loss gradient: a copy of them. */
  meanGradients(out: Float32Array): Float32Array {
    this.checkMeanGradients(out);
    out.set(this.gradients as Float32Array);
    return out;
  }

  /**
   * Gradients of the mean loss of the last forward() batch into dW/db (and dZ, dX), without updating.
   * Needs stored gradients: build with keepGradients, or use trainStep when the update is fused.
   * Returns the mean loss.
   */
  backward(y: ArrayLike<number>): number {
    this.checkBackward(this.cols);
    const cols = this.cols;
    checkTargets(Call.backward, y, cols, this.outputs, this.lossCode);
    // The loss comes from the logits, as in trainStep: the output now holds probabilities, so the last
    // batch is run forward again (same input, same weights, same result) with the targets.
    const loss = this.runBatch(this.input, 0, cols, y, 0) / this.lossDivisor(cols);
    this.backpropagate(y, false);
    return loss;
  }

  /**
   * Apply the optimizer to the stored gradients. Returns false (and changes nothing) when the gradients
   * are not finite.
   */
  update(): boolean {
    this.checkUpdate();
    const r = this.config;
    const G = this.gradients as Float32Array;
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
        else if (r.optimizer === Opt.Momentum) k.momentum(P, p, G, g, this.optimizerState[0], n, lr, r.momentum, wd, gScale);
        else k.adam(P, p, G, g, this.optimizerState[0], this.optimizerState[1], n, lr, r.beta1, r.beta2, r.epsilon, c1, c2, wd, gScale);
        g += n;
      }
    }
    this.step++;
    return true;
  }

  /**
   * One training step on a checked batch. A non-finite loss (or gradient) rejects the step: nothing is
   * updated and rejectedSteps grows.
   */
  protected trainChecked(x: ArrayLike<number>, y: ArrayLike<number>): number {
    const B = this.batchSize;
    const loss = this.runBatch(x, 0, B, y, 0) / (this.lossCode === LossCode.SoftmaxCE ? B : B * this.outputs); // lossDivisor, inline on the hot path
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

  protected readOutputs(out: Float32Array, from: number, n: number): void {
    const Y = this.output;
    for (let i = 0; i < n; i++) out[from + i] = Y[i];
  }

  // --- internals -------------------------------------------------------------------------------------

  /** Forward `cols` samples of x from xOff; with targets, returns the summed (not averaged) loss. */
  protected runBatch(x: ArrayLike<number>, xOff: number, cols: number, y: ArrayLike<number> | null, yOff: number): number {
    const formats = this.formats;
    const L = formats.length, k = this.k;
    let input: ArrayLike<number> = x, inOff = xOff;
    for (let l = 0; l < L; l++) {
      const f = formats[l];
      k.denseForwardAct(f, input, inOff, cols);
      input = f.Y;
      inOff = 0;
    }
    this.input = x;
    this.cols = xOff === 0 ? cols : 0; // backward() needs the batch at offset 0
    const out = formats[L - 1];
    if (this.lossCode === LossCode.SoftmaxCE) return k.softmaxForward(out.Y, out.nOut, cols, y, yOff);
    if (this.lossCode === LossCode.SigmoidCE) return sigmoidForward(out.Y, out.nOut, cols, y, yOff);
    return y === null ? 0 : squaredError(out.Y, out.nOut, cols, y, yOff);
  }

  /** Backward from the loss down to the lowest trainable layer; fused applies plain SGD on the way. */
  private backpropagate(y: ArrayLike<number>, fused: boolean): void {
    const r = this.config;
    const formats = this.formats;
    const cols = this.cols, k = this.k;
    const top = formats[formats.length - 1];
    const dTop = top.dZ as Float32Array;
    lossGradient(this.lossCode, top.Y, dTop, top.nOut, cols, y);
    if (this.lossCode === LossCode.Mse) k.activationBackward(dTop, top.Y, top.nOut * cols, top.act, top.leakySlope);
    const lr = fused ? learningRateAt(r, this.step) : 0;
    for (let l = formats.length - 1; l >= r.frozen; l--) {
      const f = formats[l];
      const input = l === 0 ? this.input : formats[l - 1].Y;
      if (fused) {
        // One call: the update, dX, and the activation derivative of the layer below.
        k.denseBackwardSgdFusedAct(f, input, lr);
        continue;
      }
      const dX = f.dX, Yb = f.belowY;
      if (dX !== null) k.denseBackwardInput(f, cols);
      k.denseBackwardParams(f, input, cols);
      if (dX !== null && Yb !== null) k.activationBackward(dX, Yb, f.nIn * cols, f.belowAct, f.leakySlope);
    }
  }

}
