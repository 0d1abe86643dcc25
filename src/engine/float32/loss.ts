// Output layer: the last activation fused with its loss. The output buffer holds Z on entry and Y on
// exit (in place), so losses that need Z for numerical stability (softmax and sigmoid cross-entropy) are
// computed while Z is still there. Losses are summed over the samples here; the caller averages.
import { LossCode } from "../codes";
import { exp, log, softplus } from "../math";

/**
 * Softmax over each sample's n outputs, in place. With labels, also returns Σ_samples -log p[label]
 * (as log-sum-exp - z[label], which cannot overflow or take log(0)).
 */
export function softmaxForward(Y: Float32Array, n: number, cols: number, labels: ArrayLike<number> | null, lOff: number): number {
  let c = 0, i = 0, o = 0, max = 0, sum = 0, e = 0, loss = 0;
  for (c = 0; c < cols; c++) {
    o = c * n;
    max = Y[o];
    for (i = 1; i < n; i++) if (Y[o + i] > max) max = Y[o + i];
    if (labels !== null) loss -= Y[o + labels[lOff + c]] - max;
    sum = 0;
    for (i = 0; i < n; i++) {
      e = exp(Y[o + i] - max);
      Y[o + i] = e;
      sum += e;
    }
    if (labels !== null) loss += log(sum);
    for (i = 0; i < n; i++) Y[o + i] = Y[o + i] / sum;
  }
  return loss;
}

/** Sigmoid in place; with targets, also returns Σ binary cross-entropy, from Z: softplus(z) - z t. */
export function sigmoidForward(Y: Float32Array, n: number, cols: number, targets: ArrayLike<number> | null, tOff: number): number {
  let i = 0, z = 0, e = 0, loss = 0;
  const total = n * cols;
  for (i = 0; i < total; i++) {
    z = Y[i];
    if (targets !== null) loss += softplus(z) - z * targets[tOff + i];
    if (z >= 0) Y[i] = 1 / (1 + exp(-z));
    else { e = exp(z); Y[i] = e / (1 + e); }
  }
  return loss;
}

/** Σ (y - t)^2 over n outputs of `cols` samples. */
export function squaredError(Y: Float32Array, n: number, cols: number, targets: ArrayLike<number>, tOff: number): number {
  let i = 0, d = 0, loss = 0;
  const total = n * cols;
  for (i = 0; i < total; i++) {
    d = Y[i] - targets[tOff + i];
    loss += d * d;
  }
  return loss;
}

/**
 * dLoss/dY (MSE) or dLoss/dZ (the fused cross-entropies) of the mean loss, into dZ.
 * Softmax CE averages over samples; MSE and sigmoid CE over every output of every sample.
 */
export function lossGradient(
  loss: LossCode, Y: Float32Array, dZ: Float32Array, n: number, cols: number, y: ArrayLike<number>,
): void {
  let c = 0, i = 0;
  const total = n * cols;
  if (loss === LossCode.SoftmaxCE) {
    const scale = 1 / cols;
    for (i = 0; i < total; i++) dZ[i] = Y[i] * scale;
    for (c = 0; c < cols; c++) dZ[c * n + y[c]] -= scale;
  } else if (loss === LossCode.SigmoidCE) {
    const scale = 1 / total;
    for (i = 0; i < total; i++) dZ[i] = (Y[i] - y[i]) * scale;
  } else {
    const scale = 2 / total;
    for (i = 0; i < total; i++) dZ[i] = (Y[i] - y[i]) * scale;
  }
}
