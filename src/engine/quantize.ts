// Post-training quantization on the device: Float32 Model -> FixedModel (predict or keep fine-tuning in
// fixed point), and back for inspection. It bridges the two backends, so it sits above both. Runs once, so
// it may allocate and use floating point.
import { Model } from "./model";
import type { ModelSpec } from "./spec";
import { rangeBits, storedFrac, type FixedSpec } from "./fixed/spec";
import { FixedModel } from "./fixed/model";
import { quantizeInto } from "./fixed/convert";

const clampFrac = (f: number, lo: number, hi: number) => (f < lo ? lo : f > hi ? hi : f);

function absMax(a: ArrayLike<number>, from = 0, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) { const v = a[i] < 0 ? -a[i] : a[i]; if (v > m) m = v; }
  return m;
}

export interface QuantizeOptions {
  /**
   * Samples (sample after sample) to calibrate the input and activation formats on: the float model runs
   * them and each format gets the smallest range that holds the largest magnitude seen with 25 % headroom.
   * Without them the plan's defaults apply (inputs Q3.12, relu/linear activations Q4.11).
   */
  calibration?: ArrayLike<number>;
  /** Extra Q-format settings that override the chosen ones. */
  fixed?: FixedSpec;
}

/**
 * Quantize a trained Float32 model: the weight and bias formats come from the trained values' ranges (25 %
 * headroom, so fine-tuning has room), activation and input formats from calibration data if given. Adam
 * becomes SGD with the same learning rate (fixed point has no Adam) and clipNorm is dropped; optimizer state
 * starts at zero. Values that do not fit are clamped and counted in the result's saturatedStores.
 */
export function quantize(model: Model, options: QuantizeOptions = {}): FixedModel {
  const L = model.layers.length;
  const headroom = 1.25;
  let inputFrac = 12;
  const activationFrac: number[] = new Array(L).fill(11);
  const cal = options.calibration;
  if (cal !== undefined && cal.length >= model.inputs) {
    const n = model.inputs, count = Math.floor(cal.length / n);
    inputFrac = clampFrac(15 - rangeBits(absMax(cal, 0, count * n) * headroom), 0, 15);
    const peak = new Array(L).fill(0);
    const batch = new Float32Array(model.batchSize * n);
    for (let s = 0; s < count; s += model.batchSize) {
      const cols = Math.min(model.batchSize, count - s);
      for (let i = 0; i < cols * n; i++) batch[i] = cal[s * n + i];
      model.forward(cols === model.batchSize ? batch : batch.subarray(0, cols * n), cols);
      for (let l = 0; l < L; l++) peak[l] = Math.max(peak[l], absMax(model.layers[l].Y, 0, cols * model.layers[l].units));
    }
    for (let l = 0; l < L; l++) if (peak[l] > 0) activationFrac[l] = clampFrac(15 - rangeBits(peak[l] * headroom), 0, 15);
  }
  const weightFrac: number[] = [], biasFrac: number[] = [];
  let inFrac = inputFrac;
  for (let l = 0; l < L; l++) {
    const layer = model.layers[l];
    const fw = clampFrac(15 - rangeBits(absMax(layer.W) * headroom), 0, 15);
    let SH = 0;
    while (2 ** SH < Math.ceil(layer.inputs / 2) + 2) SH++;
    const fb = clampFrac(15 - rangeBits(absMax(layer.b) * headroom), fw + inFrac - 16, Math.min(15, fw + inFrac - SH));
    weightFrac.push(fw);
    biasFrac.push(fb);
    inFrac = storedFrac(layer.activation, activationFrac[l]);
  }
  const src = model.spec;
  const o = src.optimizer;
  const spec: ModelSpec = {
    ...src,
    dtype: "fixed",
    optimizer: { type: "sgd", learningRate: o.learningRate, momentum: o.type === "sgd" ? o.momentum : undefined, weightDecay: o.weightDecay, schedule: o.schedule },
    fixed: { inputFrac, activationFrac, weightFrac, biasFrac, ...options.fixed },
  };
  const fm = new FixedModel(spec);
  for (let l = 0; l < L; l++) {
    const from = model.layers[l], to = fm.layers[l];
    fm.saturatedStores += quantizeInto(from.W, 0, to.W, 0, to.W.length, to.format.weightFrac);
    fm.saturatedStores += quantizeInto(from.b, 0, to.b, 0, to.b.length, to.format.biasFrac);
  }
  fm.weightsChanged();
  return fm;
}

/** The Float32 model with the fixed model's weights (exact: every int16 Q value is a float32). */
export function dequantize(fixed: FixedModel): Model {
  const spec: ModelSpec = { ...fixed.spec, dtype: "float32" };
  delete spec.fixed;
  const m = new Model(spec);
  for (let l = 0; l < m.layers.length; l++) {
    const from = fixed.layers[l], to = m.layers[l];
    const sw = 2 ** -from.format.weightFrac, sb = 2 ** -from.format.biasFrac;
    for (let k = 0; k < to.W.length; k++) to.W[k] = from.W[k] * sw;
    for (let k = 0; k < to.b.length; k++) to.b[k] = from.b[k] * sb;
  }
  return m;
}
