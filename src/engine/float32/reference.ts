// Plain reference versions of the unrolled Float32 kernels in dense.ts: the textbook loops, one term at a
// time, in double precision, with no skipped rows. Nothing on the device uses them; the tests use them as
// the oracle for the fast kernels (as llm.c keeps matmul_forward_naive beside matmul_forward). The other
// Float32 kernels (activate, activationBackward, loss.ts, optimizer.ts) are plain loops already. They take
// the same LayerFormat as the kernels they check.
import type { LayerFormat } from "./layer-format";

/** Y[c, i] = b[i] + sum_j W[i, j] x[c, j]. */
export function denseForwardReference(L: LayerFormat, x: ArrayLike<number>, xOff: number, cols: number): void {
  const { W, b, Y, nIn, nOut } = L;
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < nOut; i++) {
      let sum = b[i];
      for (let j = 0; j < nIn; j++) sum += W[i * nIn + j] * x[xOff + c * nIn + j];
      Y[c * nOut + i] = sum;
    }
  }
}

/** dX[c, j] = sum_i W[i, j] dZ[c, i]. */
export function denseBackwardInputReference(L: LayerFormat, cols: number): void {
  const { W, nIn, nOut } = L, dZ = L.dZ as Float32Array, dX = L.dX as Float32Array;
  for (let c = 0; c < cols; c++) {
    for (let j = 0; j < nIn; j++) {
      let sum = 0;
      for (let i = 0; i < nOut; i++) sum += W[i * nIn + j] * dZ[c * nOut + i];
      dX[c * nIn + j] = sum;
    }
  }
}

/** dW[i, j] = sum_c dZ[c, i] x[c, j]; db[i] = sum_c dZ[c, i]. */
export function denseBackwardParamsReference(L: LayerFormat, x: ArrayLike<number>, cols: number): void {
  const { nIn, nOut } = L, dZ = L.dZ as Float32Array, dW = L.dW as Float32Array, db = L.db as Float32Array;
  for (let i = 0; i < nOut; i++) {
    let bias = 0;
    for (let c = 0; c < cols; c++) bias += dZ[c * nOut + i];
    db[i] = bias;
    for (let j = 0; j < nIn; j++) {
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += dZ[c * nOut + i] * x[c * nIn + j];
      dW[i * nIn + j] = sum;
    }
  }
}

/** dX = W^T dZ with the old W (when the layer has dX); then W = W (1 - lr weightDecay) - lr dZ x^T, b -= lr dZ. */
export function denseBackwardSgdFusedReference(L: LayerFormat, x: ArrayLike<number>, lr: number): void {
  const { W, b, nIn, nOut, weightDecay } = L, dZ = L.dZ as Float32Array;
  if (L.dX !== null) denseBackwardInputReference(L, 1);
  for (let i = 0; i < nOut; i++) {
    b[i] -= lr * dZ[i];
    for (let j = 0; j < nIn; j++) W[i * nIn + j] = W[i * nIn + j] * (1 - lr * weightDecay) - lr * dZ[i] * x[j];
  }
}
