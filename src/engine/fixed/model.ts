// A fixed-point dense network on one arena: the same spec, API and shell (../model-shell.ts: arena, views,
// checks, batching, evaluation) as the Float32 Model, with int16 tensors in power-of-two Q formats and
// integer-only kernels (kernels.ts). Float inputs and targets are quantized at the boundary (convert.ts);
// trainStepQ / predictQ / classifyQ take int16 inputs already in the input format (`inputFrac`). After
// construction nothing here allocates.
// Over 400 lines: forward, loss, backward and the three update paths share the per-step Q-format state
// (delta fractions, gradient fractions, weight bounds, the rate mantissa); the shared shell holds the rest.
import { Act, LossCode, Opt, Sched } from "../codes";
import { LN2, pow2, softplus } from "../math";
import { learningRateAt } from "../schedule";
import { argmax, Call, checkCount, checkTargets } from "../validate";
import type { LayerViews } from "../model-api";
import { ModelShell } from "../model-shell";
import { planFixed, resolveFixedSpec, type FixedLayerFormat, type FixedModelSpec, type FixedPlan, type ResolvedFixedSpec } from "./plan";
import { BIAS_SHIFT, updateShifts, WEIGHT_SHIFT } from "./update-shifts";
import { EXP2_Q15, LOG2_Q15, SIGMOID_Q15, dequantizeInto, quantizeInto, toMantissa, toQ } from "./convert";
import { BOUND_UNKNOWN, bitsQ, lossDeltaQ, preActivationQ, softmaxQ, type LayerFormatQ, type UpdateQ } from "./kernels";
import { fixedKernelsFor, type FixedKernels } from "./kernel-table";

/** One dense layer's int16 views into the arena, and its Q formats. */
export interface FixedLayer extends LayerViews<Int16Array> {
  readonly format: FixedLayerFormat;
  /** What the kernels read about this layer (views, sizes, shifts, activation), built once with the model. */
  readonly kernelFormat: LayerFormatQ;
}

const v16 = (arena: ArrayBuffer, s: { offset: number; length: number }) => new Int16Array(arena, s.offset, s.length);

export class FixedModel extends ModelShell<Int16Array, FixedLayer> {
  readonly dtype = "fixed";
  declare readonly config: ResolvedFixedSpec;
  declare readonly plan: FixedPlan;
  // Stored gradients (keepGradients) are in units of 2^-gradientFrac (see meanGradients); the optimizer state
  // is the momentum velocity (weight units, 4 extra fraction bits), or nothing.
  /** Fraction bits of the inputs that trainStepQ / predictQ / classifyQ expect. */
  readonly inputFrac: number;
  /** Fraction bits of the output values (probabilities for softmax and sigmoid: 14). */
  readonly outputFrac: number;
  /** Activation, weight, bias and velocity stores that hit the int16 range (+-32767) and were clamped. */
  saturatedStores = 0;
  /** Input and target values outside their Q format, clamped when quantized. */
  saturatedInputs = 0;
  /** Layer updates scaled down because lr * gradient did not fit the weight format (power-of-two clipping). */
  clippedGradients = 0;
  /** Per layer: fraction bits of dZ from the last backward pass (a per-step exponent). */
  readonly deltaFrac: Int32Array;
  /** Per layer: max|Y| of the last forward pass (the fused update's bound on its inputs). */
  private readonly yMax: Int32Array;
  /** Per layer: fraction bits of the stored dW and db (keepGradients). */
  readonly gradientFrac: Int32Array;
  readonly biasGradientFrac: Int32Array;

  /**
   * Per layer l: [2l] an upper bound on max|W| (BOUND_UNKNOWN: none), [2l + 1] a rescan countdown, kept by
   * sgdFusedQ so that most rows need no per-weight saturation check. Reset by weightsChanged().
   */
  private readonly wBound: Int32Array;
  /** Per layer: the momentum velocities of W then b (one view), or null. */
  private readonly velocity: (Int16Array | null)[];
  private readonly acc: Int32Array;
  private readonly row: Int32Array;
  private readonly xq: Int16Array;
  private readonly tq: Int16Array;
  /**
   * Stochastic rounding's xorshift32 state (one int32, never 0), or null without stochastic rounding: part of
   * the training state that model files and checkpoints save, so a restored model rounds the same way.
   */
  readonly roundingState: Int32Array | null;
  private readonly mant = new Int32Array(2);
  /** Weight and bias shifts of the current layer's update (updateShifts). */
  private readonly shifts = new Int32Array(2);
  /** The current layer update's rate and shifts, rewritten before each kernel call (one object for all steps). */
  private readonly upd: UpdateQ = { lrM: 0, S: 0, Sb: 0, t: 0, muQ15: 0, dM: 0, dE: 0 };
  /** The last rate given to toMantissa and its mantissa and exponent (most steps reuse them). */
  private readonly lastRate = Float64Array.of(-1, 0, 0);
  /**
   * With a constant learning rate the mantissa and exponent of lr × the mean factor depend only on the batch
   * size: [batch, mantissa, exponent] of the last one ([0] = -1: none yet), and [mantissa, exponent] of the
   * decay rate. An Int32Array, so the step reads them back as XS integers and does no floating-point work.
   */
  private readonly constantRate = Int32Array.of(-1, 0, 0);
  private readonly constantDecay = Int32Array.of(-1, 0);
  /** The last training step's summed loss (softmax cross-entropy: an integer in LOSS_UNITs) and batch. */
  private lossSum = 0;
  private lossCols = 0;
  /** 0.5 at the output format: where a sigmoid output counts as 1. */
  protected readonly half: number;
  /** The hot loops: JavaScript or native kernels (spec.kernels; bit-identical results). */
  private readonly k: FixedKernels;
  private readonly slopeQ15: number;
  private readonly muQ15: number;
  /** Weight decay is on (read per step as a boolean: comparing the decay itself would be a double compare). */
  private readonly decays: boolean;
  private cols = 0;

  constructor(spec: FixedModelSpec) {
    const r = resolveFixedSpec(spec);
    const p = planFixed(r), fx = p.fixed;
    const k = fixedKernelsFor(r.kernels);
    // | 0: held as XS integers (Math.* results are doubles, and arithmetic on them counts as floating point)
    const slopeQ15 = toQ(r.leakySlope, 15) | 0;
    super(spec, r, p, v16, k.native, (views, l) => ({
      ...views, format: fx.formats[l], kernelFormat: kernelFormat(views, fx.formats[l], slopeQ15),
    }));
    this.k = k;
    this.inputFrac = fx.inputFrac | 0;
    this.outputFrac = fx.formats[fx.formats.length - 1].outFrac | 0;
    this.half = 1 << (this.outputFrac - 1);
    this.slopeQ15 = slopeQ15;
    this.muQ15 = Math.min(32767, Math.round(r.momentum * 32768)) | 0;
    this.upd.muQ15 = this.muQ15;
    this.decays = r.weightDecay > 0;
    const U = this.optimizerState.length ? this.optimizerState[0] : null;
    this.velocity = [];
    let u = 0;
    for (let l = 0; l < p.layers.length; l++) {
      const lp = p.layers[l];
      if (U === null || !lp.trainable) {
        this.velocity.push(null);
        continue;
      }
      const n = lp.W.length + lp.b.length;
      this.velocity.push(U.subarray(u, u + n));
      u += n;
    }
    this.acc = new Int32Array(this.arena, fx.acc.offset, fx.acc.length);
    this.row = fx.row ? new Int32Array(this.arena, fx.row.offset, fx.row.length) : new Int32Array(0);
    this.xq = v16(this.arena, fx.xq);
    this.tq = fx.tq ? v16(this.arena, fx.tq) : new Int16Array(0);
    this.roundingState = r.fixed.stochasticRounding ? new Int32Array(1) : null;
    const L = p.layers.length;
    this.deltaFrac = new Int32Array(L);
    this.wBound = new Int32Array(2 * L);
    this.yMax = new Int32Array(L);
    this.gradientFrac = new Int32Array(L);
    this.biasGradientFrac = new Int32Array(L);
    this.initialize(r.seed);
  }

  /** Fresh weights are the Float32 initialisation (same seed, same values) rounded to each weight format. */
  protected storeWeight(layer: FixedLayer, k: number, value: number): void {
    layer.W[k] = toQ(value, layer.format.weightFrac);
  }

  protected initialized(seed: number): void {
    if (this.roundingState) this.roundingState[0] = (seed ^ 0x2545f491) | 1;
    this.weightsChanged();
    this.saturatedStores = 0;
    this.saturatedInputs = 0;
    this.clippedGradients = 0;
  }

  /**
   * Forget what the training kernels know about the weights' magnitudes (the next step rescans them). Call it
   * after writing weights through parameters, layers or the arena (the model-file reader, the weights blob
   * and quantize() do).
   */
  weightsChanged(): void {
    const wb = this.wBound;
    for (let l = 0; l < wb.length; l += 2) { wb[l] = BOUND_UNKNOWN; wb[l + 1] = 0; }
  }

  /**
   * The stored gradients (keepGradients) as the gradient of the mean loss of the last backward() batch, the
   * quantity Model stores: each int16 dW scaled by 2^-gradientFrac (2^-biasGradientFrac for db) and by the
   * loss's mean factor (1/B for softmax cross-entropy, 1/(B K) sigmoid cross-entropy, 2/(B K) MSE; K outputs),
   * which the fixed update folds into the learning rate instead of storing.
   */
  meanGradients(out: Float32Array): Float32Array {
    this.checkMeanGradients(out);
    const mean = this.meanFactor(this.cols || this.batchSize);
    let g = 0;
    for (let l = this.config.frozen; l < this.layers.length; l++) {
      const layer = this.layers[l];
      dequantizeInto(layer.dW as Int16Array, 0, out, g, layer.W.length, this.gradientFrac[l]);
      for (let k = 0; k < layer.W.length; k++) out[g + k] *= mean;
      g += layer.W.length;
      dequantizeInto(layer.db as Int16Array, 0, out, g, layer.b.length, this.biasGradientFrac[l]);
      for (let k = 0; k < layer.b.length; k++) out[g + k] *= mean;
      g += layer.b.length;
    }
    return out;
  }

  /** Forward pass of `count` int16 samples already at inputFrac. */
  forwardQ(x: Int16Array, count: number = this.batchSize): Int16Array {
    checkCount(Call.forwardQ, count, this.batchSize);
    this.loadQ(Call.forwardQ, x, 0, count);
    this.run(count, null, 0);
    return this.output;
  }

  /** Gradients of the last forward batch into dW/db (keepGradients), without updating. Returns the mean loss. */
  backward(y: ArrayLike<number>): number {
    this.checkBackward(this.cols);
    const cols = this.cols;
    this.loadTargets(Call.backward, y, cols, false);
    let loss = 0;
    if (this.lossCode === LossCode.SoftmaxCE) {
      // From the logits, as in trainStep: the output holds probabilities now, so the batch (still in xq)
      // runs forward again with the labels; forward() already counted its saturated stores.
      const saturated = this.saturatedStores;
      loss = this.run(cols, y, 0) * LOSS_UNIT;
      this.saturatedStores = saturated;
    } else {
      loss = this.lossOf(cols);
    }
    loss /= this.lossDivisor(cols);
    this.backpropagate(y, cols, true);
    return loss;
  }

  /** Apply the optimizer to the stored gradients. */
  update(): boolean {
    this.checkUpdate();
    const r = this.config, m = r.optimizer === Opt.Momentum ? 4 : 0;
    this.lrMantissa(this.cols || this.batchSize);
    const upd = this.upd, lrE = this.mant[1];
    upd.lrM = this.mant[0];
    this.decayMantissa();
    upd.dM = this.mant[0];
    this.weightsChanged();
    const shifts = this.shifts;
    for (let l = r.frozen; l < this.layers.length; l++) {
      const layer = this.layers[l], f = layer.format;
      // |lrM dB| < 2^30: a bias shift past 31 + m rounds to 0 either way
      this.clippedGradients += updateShifts(shifts, lrE + this.gradientFrac[l] - f.weightFrac, lrE + this.biasGradientFrac[l] - f.biasFrac, m, 31 + m);
      upd.S = shifts[WEIGHT_SHIFT];
      upd.Sb = shifts[BIAS_SHIFT];
      upd.dE = this.decayExponent(m);
      this.saturatedStores += this.k.applyGradientsQ(layer.kernelFormat, layer.dW as Int16Array, layer.db as Int16Array, this.velocity[l], upd);
    }
    this.step++;
    return true;
  }

  /** One training step on a checked float batch (quantized at the boundary). */
  protected trainChecked(x: ArrayLike<number>, y: ArrayLike<number>): number {
    const B = this.batchSize;
    if (this.lossCode !== LossCode.SoftmaxCE) this.saturatedInputs += quantizeInto(y, 0, this.tq, 0, B * this.outputs, this.outputFrac);
    this.saturatedInputs += quantizeInto(x, 0, this.xq, 0, B * this.inputs, this.inputFrac);
    this.train(y, B);
    return this.lastLoss;
  }

  /**
   * One training step on int16 inputs already at inputFrac. y: class indices (softmax cross-entropy), or
   * int16 targets at outputFrac (MSE, sigmoid cross-entropy). Returns nothing: the mean loss is `lastLoss`,
   * converted when read, so that with softmax cross-entropy and a constant learning rate the step does no
   * floating-point operation under XS (test/xs-device-costs.test.ts). MSE and sigmoid cross-entropy still
   * compute their loss in floating point during the step.
   */
  trainStepQ(x: Int16Array, y: ArrayLike<number>): void {
    const B = this.batchSize;
    this.loadQ(Call.trainStepQ, x, 0, B);
    this.loadTargets(Call.trainStepQ, y, B, true);
    this.train(y, B);
  }

  /** Mean loss of the batch of the last trainStep or trainStepQ, before its update (NaN before any). */
  get lastLoss(): number {
    if (this.lossCols === 0) return NaN;
    const sum = this.lossCode === LossCode.SoftmaxCE ? this.lossSum * LOSS_UNIT : this.lossSum;
    return sum / this.lossDivisor(this.lossCols);
  }

  /** Outputs (int16 at outputFrac) of `count` int16 samples into out. */
  predictQ(x: Int16Array, out: Int16Array, count: number = Math.floor(x.length / this.inputs)): Int16Array {
    if (!Number.isInteger(count) || count < 0 || x.length < count * this.inputs) throw new Error(`predictQ: x has ${x.length} values, needs ${count * this.inputs}`);
    if (out.length < count * this.outputs) throw new Error(`predictQ: out has ${out.length} values, needs ${count * this.outputs}`);
    const B = this.batchSize, n = this.outputs, Y = this.output;
    for (let s = 0; s < count; s += B) {
      const cols = count - s < B ? count - s : B;
      this.loadQ(Call.predictQ, x, s * this.inputs, cols);
      this.run(cols, null, 0);
      // a loop, not out.set(Y.subarray(...)): a subarray is a new object, and XS converts set's offset through a double
      for (let i = 0, o = s * n; i < cols * n; i++) out[o + i] = Y[i];
    }
    return out;
  }

  /** Index of the largest output for one int16 sample at x[offset ...]. */
  classifyQ(x: Int16Array, offset = 0): number {
    if (!Number.isInteger(offset) || offset < 0 || x.length < offset + this.inputs) throw new Error(`classifyQ: needs ${this.inputs} values at offset ${offset}, x has ${x.length}`);
    this.loadQ(Call.classifyQ, x, offset, 1);
    this.run(1, null, 0);
    return argmax(this.output, 0, this.outputs);
  }

  /** Quantize `cols` float samples (and MSE / sigmoid targets) and run them forward; with targets, the summed loss. */
  protected runBatch(x: ArrayLike<number>, xOff: number, cols: number, y: ArrayLike<number> | null, yOff: number): number {
    this.saturatedInputs += quantizeInto(x, xOff, this.xq, 0, cols * this.inputs, this.inputFrac);
    if (y === null) return this.run(cols, null, 0);
    if (this.lossCode === LossCode.SoftmaxCE) return this.run(cols, y, yOff) * LOSS_UNIT;
    this.saturatedInputs += quantizeInto(y, yOff, this.tq, 0, cols * this.outputs, this.outputFrac);
    return this.run(cols, null, 0) + this.lossOf(cols);
  }

  protected readOutputs(out: Float32Array, from: number, n: number): void {
    dequantizeInto(this.output, 0, out, from, n, this.outputFrac);
  }

  // --- internals -------------------------------------------------------------------------------------

  /** Forward, loss (kept in lossSum, see lastLoss), backward and update of one batch already in xq / tq. */
  private train(y: ArrayLike<number>, B: number): void {
    const soft = this.lossCode === LossCode.SoftmaxCE;
    const sum = this.run(B, soft ? y : null, 0);
    this.lossSum = soft ? sum : this.lossOf(B);
    this.lossCols = B;
    if (this.gradients === null) {
      this.backpropagate(y, B, false);
      this.step++;
    } else {
      this.backpropagate(y, B, true);
      this.update();
    }
  }

  /** Forward `cols` samples from xq; with labels (softmax), returns the summed loss in LOSS_UNITs (an integer). */
  private run(cols: number, labels: ArrayLike<number> | null, lOff: number): number {
    const layers = this.layers, L = layers.length, k = this.k;
    let input = this.xq, sat = 0, l = 0;
    for (l = 0; l < L; l++) {
      const layer = layers[l];
      sat += k.denseForwardQ(layer.kernelFormat, input, 0, layer.Y, cols, this.yMax, l);
      input = layer.Y;
    }
    this.saturatedStores += sat;
    this.cols = cols;
    if (this.lossCode === LossCode.SoftmaxCE) {
      const top = layers[L - 1];
      return softmaxQ(top.Y, top.units, cols, labels, lOff, EXP2_Q15, LOG2_Q15);
    }
    return 0;
  }

  /** Summed MSE or sigmoid cross-entropy of the current output against float targets y (or tq for ints). */
  private lossOf(cols: number): number {
    const n = this.outputs, Y = this.output, t = this.tq, scale = pow2(-this.outputFrac);
    let sum = 0;
    if (this.lossCode === LossCode.Mse) {
      for (let i = 0; i < n * cols; i++) { const d = (Y[i] - t[i]) * scale; sum += d * d; }
      return sum;
    }
    // Sigmoid cross-entropy from the logit z, as softplus(z) - z t: the stored probability rounds to 0 or 1
    // once |z| passes about 10, and a loss taken from it would stop growing there. z is the exact
    // pre-activation, recomputed per output (the forward pass rounds and clamps it before its table).
    const L = this.layers.length, top = this.layers[L - 1], f = top.format;
    const input = L === 1 ? this.xq : this.layers[L - 2].Y, zScale = pow2(-f.accFrac);
    for (let c = 0; c < cols; c++) {
      for (let i = 0; i < n; i++) {
        const z = preActivationQ(top.kernelFormat, input, c * top.inputs, i) * zScale;
        sum += softplus(z) - z * t[c * n + i] * scale;
      }
    }
    return sum;
  }

  /** d(mean loss)/d(loss delta): the factor the integer deltas (p - t, or y - t) leave out. */
  private meanFactor(cols: number): number {
    return this.lossCode === LossCode.SoftmaxCE ? 1 / cols : this.lossCode === LossCode.Mse ? 2 / (cols * this.outputs) : 1 / (cols * this.outputs);
  }

  /** lr times the mean factor of the loss gradient, as mantissa/exponent in this.mant. */
  private lrMantissa(cols: number): void {
    const mant = this.mant, same = this.constantRate;
    if (same[0] === cols) { mant[0] = same[1]; mant[1] = same[2]; return; } // constant rate: integers only
    const v = learningRateAt(this.config, this.step) * this.meanFactor(cols), last = this.lastRate;
    if (v === last[0]) { mant[0] = last[1]; mant[1] = last[2]; return; } // same rate as last step
    toMantissa(v, mant);
    last[0] = v; last[1] = mant[0]; last[2] = mant[1];
    if (this.config.schedule === Sched.Constant) { same[0] = cols; same[1] = mant[0]; same[2] = mant[1]; }
  }

  private decayMantissa(): void {
    const mant = this.mant, same = this.constantDecay;
    if (same[0] >= 0) { mant[0] = same[0]; mant[1] = same[1]; return; }
    toMantissa(learningRateAt(this.config, this.step) * this.config.weightDecay, mant);
    if (this.config.schedule === Sched.Constant) { same[0] = mant[0]; same[1] = mant[1]; }
  }

  /** Exponent of the decay factor (from the last decayMantissa), kept >= 1 + m (clipped and counted). */
  private decayExponent(m: number): number {
    if (!this.decays) return 31 + m;
    let dE = this.mant[1];
    if (dE < 1 + m) { dE = 1 + m; this.clippedGradients++; }
    return dE;
  }

  /** Backward from the loss; stored = keepGradients (fill dW/db), else fused optimizer updates. */
  private backpropagate(y: ArrayLike<number>, cols: number, stored: boolean): void {
    const r = this.config, layers = this.layers, L = layers.length, fx = this.plan.fixed;
    const top = layers[L - 1], acc = this.acc, k = this.k;
    const soft = this.lossCode === LossCode.SoftmaxCE;
    lossDeltaQ(soft, top.Y, acc, top.units, cols, soft ? y : this.tq, 0);
    this.deltaFrac[L - 1] = k.normalizeDeltaQ(acc, top.units * cols, top.Y, this.lossCode === LossCode.Mse ? top.activation : Act.Linear,
      this.slopeQ15, top.dZ as Int16Array, top.format.outFrac);
    const m = r.optimizer === Opt.Momentum ? 4 : 0;
    let lb = 0;
    while (1 << lb < cols) lb++;
    this.lrMantissa(cols);
    const upd = this.upd, lrE = this.mant[1];
    upd.lrM = this.mant[0];
    upd.dM = 0;
    upd.dE = 31 + m;
    if (!stored && this.decays) { this.decayMantissa(); upd.dM = this.mant[0]; upd.dE = this.decayExponent(m); }
    const shifts = this.shifts;
    let sat = 0, l = 0, accFrac = 0, t = 0, mx = 0, xm = 0, T = 0, Tb = 0;
    for (l = L - 1; l >= r.frozen; l--) {
      const layer = layers[l], f = layer.format, q = layer.kernelFormat;
      const dZ = layer.dZ as Int16Array;
      const input = l === 0 ? this.xq : layers[l - 1].Y;
      const gz = this.deltaFrac[l];
      const dX = layer.dX !== null;
      if (stored) {
        if (dX) { k.backInputQ(q, dZ, acc, cols); accFrac = f.weightFrac + gz - f.SHb; }
        mx = k.absMaxQ(dZ, 0, layer.units * cols);
        xm = k.absMaxQ(input, 0, layer.inputs * cols);
        T = bitsQ(mx * xm) - 15; if (T < 0) T = 0;
        Tb = bitsQ(mx * cols) - 15; if (Tb < 0) Tb = 0;
        sat += k.gradientsQ(q, dZ, input, 0, layer.dW as Int16Array, layer.db as Int16Array, cols, lb, T, Tb);
        this.gradientFrac[l] = gz + f.inFrac - lb - T;
        this.biasGradientFrac[l] = gz - Tb;
      } else if (fx.fusedBatch1) {
        // dZ x has frac gz - 14 + inFrac (dZ is normalised to 2^14), dZ alone gz - 14
        this.clippedGradients += updateShifts(shifts, lrE + gz - 14 + f.inFrac - f.weightFrac, lrE + gz - 14 - f.biasFrac, 0, 30);
        upd.S = shifts[WEIGHT_SHIFT];
        upd.Sb = shifts[BIAS_SHIFT];
        sat += k.sgdFusedQ(q, dZ, input, dX ? acc : null, upd, l === 0 ? k.absMaxQ(input, 0, layer.inputs) : this.yMax[l - 1], this.wBound, 2 * l,
          dX && layers[l - 1].activation === Act.Relu ? layer.dX : null); // dX is free until normalizeDeltaQ below
        accFrac = f.weightFrac + gz - f.SHd;
      } else {
        if (dX) { k.backInputQ(q, dZ, acc, cols); accFrac = f.weightFrac + gz - f.SHb; }
        // the per-sample rates drop t = 14 + lb bits (dZ normalised to 2^14, a batch of up to 2^lb samples)
        t = 14 + lb;
        this.clippedGradients += updateShifts(shifts, lrE + gz - t + f.inFrac - f.weightFrac, lrE + gz - t - f.biasFrac, m, 30 + m);
        this.weightsChanged();
        upd.S = shifts[WEIGHT_SHIFT];
        upd.Sb = shifts[BIAS_SHIFT];
        upd.t = t;
        sat += k.updateQ(q, this.velocity[l], dZ, input, 0, this.row, cols, upd, this.roundingState);
      }
      if (dX) {
        const below = layers[l - 1];
        this.deltaFrac[l - 1] = k.normalizeDeltaQ(acc, layer.inputs * cols, below.Y, below.activation, this.slopeQ15, layer.dX as Int16Array, accFrac);
      }
    }
    this.saturatedStores += sat;
  }

  /** Copy `count` int16 samples into xq, clamping -32768 (outside the symmetric range) and counting it. */
  private loadQ(where: string, x: Int16Array, off: number, count: number): void {
    const n = count * this.inputs;
    if (!(x instanceof Int16Array) || x.length < off + n) throw new Error(`${where}: x must be an Int16Array with ${n} values at offset ${off}`);
    const q = this.xq;
    for (let i = 0; i < n; i++) {
      const v = x[off + i];
      if (v === -32768) { q[i] = -32767; this.saturatedInputs++; } else q[i] = v;
    }
  }

  /** Validate targets; for MSE / sigmoid CE also quantize them into tq (ints: copied, clamped). */
  private loadTargets(where: string, y: ArrayLike<number>, count: number, ints: boolean): void {
    if (ints && this.lossCode !== LossCode.SoftmaxCE) {
      const n = count * this.outputs;
      if (!(y instanceof Int16Array) || y.length !== n) throw new Error(`${where}: y must be an Int16Array of ${n} targets at Q${15 - this.outputFrac}.${this.outputFrac}`);
      for (let i = 0; i < n; i++) {
        const v = y[i];
        if (v === -32768) { this.tq[i] = -32767; this.saturatedInputs++; } else this.tq[i] = v;
      }
      return;
    }
    checkTargets(where, y, count, this.outputs, this.lossCode);
    if (this.lossCode !== LossCode.SoftmaxCE) this.saturatedInputs += quantizeInto(y, 0, this.tq, 0, count * this.outputs, this.outputFrac);
  }

}

/** The unit of the integer softmax loss: softmaxQ sums -log2 p in Q10, so one unit is ln 2 / 1024 nats. */
const LOSS_UNIT = LN2 / 1024;

/** The kernels' record of one layer, built once per layer with the model (kernels.ts, LayerFormatQ). */
function kernelFormat(views: LayerViews<Int16Array>, f: FixedLayerFormat, slopeQ15: number): LayerFormatQ {
  return {
    W: views.W, b: views.b, nIn: views.inputs | 0, nOut: views.units | 0, SH: f.SH, bShift: f.bShift, outShift: f.outShift, comp: f.comp,
    act: views.activation | 0, slopeQ15, sig: SIGMOID_Q15, SHb: f.SHb, SHd: f.SHd,
  };
}

/** Build a fixed-point model (spec.dtype must be "fixed"). */
export function buildFixedModel(spec: FixedModelSpec): FixedModel {
  return new FixedModel(spec);
}
