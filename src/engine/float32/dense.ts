// Float32 dense-layer kernels. Matrices of samples are stored sample after sample ("columns are samples"):
// X[c * nIn + j] is input j of sample c. W is [nOut x nIn] row-major.
//
// Written for the XS interpreter, where cost is the number of bytecodes executed: variables are declared
// once per function (a block-scoped `let`/`const` inside a loop costs a scope per iteration), inner loops
// are unrolled (by eight in the forward dot product, by four elsewhere), and rows whose delta is zero
// (common after ReLU) are skipped. Every sum is formed in the same order on every engine, so results are
// bit-identical in Node and XS. Nothing here allocates.
import { Act } from "../codes";
import { exp, tanh } from "../math";

/** Y = W X + b for `cols` samples of X (read from x starting at xOff). */
export function denseForward(
  W: Float32Array, b: Float32Array, x: ArrayLike<number>, xOff: number,
  Y: Float32Array, nIn: number, nOut: number, cols: number,
): void {
  let c = 0, i = 0, j = 0, k = 0, y = 0, end = 0, end8 = 0, s = 0;
  for (c = 0; c < cols; c++) {
    k = 0;
    for (i = 0; i < nOut; i++) {
      s = b[i];
      j = xOff + c * nIn;
      end = j + nIn;
      end8 = end - 7;
      while (j < end8) {
        s += W[k] * x[j] + W[k + 1] * x[j + 1] + W[k + 2] * x[j + 2] + W[k + 3] * x[j + 3] +
          W[k + 4] * x[j + 4] + W[k + 5] * x[j + 5] + W[k + 6] * x[j + 6] + W[k + 7] * x[j + 7];
        k += 8;
        j += 8;
      }
      while (j < end) {
        s += W[k] * x[j];
        k++;
        j++;
      }
      Y[y] = s;
      y++;
    }
  }
}

/** Y = f(Y) in place over the first n elements (softmax is handled with the loss). */
export function activate(Y: Float32Array, n: number, act: Act, leakySlope: number): void {
  let i = 0, v = 0;
  switch (act) {
    case Act.Relu:
      for (i = 0; i < n; i++) if (Y[i] < 0) Y[i] = 0;
      break;
    case Act.Leaky:
      for (i = 0; i < n; i++) { v = Y[i]; if (v < 0) Y[i] = v * leakySlope; }
      break;
    case Act.Sigmoid:
      for (i = 0; i < n; i++) {
        v = Y[i];
        if (v >= 0) Y[i] = 1 / (1 + exp(-v));
        else { v = exp(v); Y[i] = v / (1 + v); }
      }
      break;
    case Act.Tanh:
      for (i = 0; i < n; i++) Y[i] = tanh(Y[i]);
      break;
  }
}

/** dZ = dY ⊙ f'(Z) in place, with f' expressed through Y = f(Z). */
export function activationBackward(dZ: Float32Array, Y: Float32Array, n: number, act: Act, leakySlope: number): void {
  let i = 0, v = 0;
  switch (act) {
    case Act.Relu:
      for (i = 0; i < n; i++) if (Y[i] <= 0) dZ[i] = 0;
      break;
    case Act.Leaky:
      for (i = 0; i < n; i++) if (Y[i] <= 0) dZ[i] *= leakySlope;
      break;
    case Act.Sigmoid:
      for (i = 0; i < n; i++) { v = Y[i]; dZ[i] *= v * (1 - v); }
      break;
    case Act.Tanh:
      for (i = 0; i < n; i++) { v = Y[i]; dZ[i] *= 1 - v * v; }
      break;
  }
}

/** dX = W^T dZ for `cols` samples. */
export function denseBackwardInput(
  W: Float32Array, dZ: Float32Array, dX: Float32Array, nIn: number, nOut: number, cols: number,
): void {
  let c = 0, i = 0, j = 0, k = 0, end = 0, end4 = 0, g = 0;
  dX.fill(0, 0, cols * nIn);
  for (c = 0; c < cols; c++) {
    for (i = 0; i < nOut; i++) {
      g = dZ[c * nOut + i];
      if (g === 0) continue;
      k = i * nIn;
      j = c * nIn;
      end = j + nIn;
      end4 = end - 3;
      while (j < end4) {
        dX[j] += W[k] * g;
        dX[j + 1] += W[k + 1] * g;
        dX[j + 2] += W[k + 2] * g;
        dX[j + 3] += W[k + 3] * g;
        k += 4;
        j += 4;
      }
      while (j < end) {
        dX[j] += W[k] * g;
        k++;
        j++;
      }
    }
  }
}

/** dW = dZ X^T and db = Σ_samples dZ, summed over `cols` samples of X. */
export function denseBackwardParams(
  dZ: Float32Array, x: ArrayLike<number>, dW: Float32Array, db: Float32Array,
  nIn: number, nOut: number, cols: number,
): void {
  let c = 0, i = 0, j = 0, k = 0, end = 0, end4 = 0, g = 0;
  dW.fill(0);
  db.fill(0);
  for (c = 0; c < cols; c++) {
    for (i = 0; i < nOut; i++) {
      g = dZ[c * nOut + i];
      if (g === 0) continue;
      db[i] += g;
      k = i * nIn;
      j = c * nIn;
      end = j + nIn;
      end4 = end - 3;
      while (j < end4) {
        dW[k] += g * x[j];
        dW[k + 1] += g * x[j + 1];
        dW[k + 2] += g * x[j + 2];
        dW[k + 3] += g * x[j + 3];
        k += 4;
        j += 4;
      }
      while (j < end) {
        dW[k] += g * x[j];
        k++;
        j++;
      }
    }
  }
}

/**
 * Backward and plain-SGD update of one layer for a single sample, without storing dW:
 * dX = W^T dZ (with the old W, skipped when dX is null), then W -= lr (dZ x^T + weightDecay W), b -= lr dZ.
 */
export function denseBackwardSgdFused(
  W: Float32Array, b: Float32Array, dZ: Float32Array, x: ArrayLike<number>,
  dX: Float32Array | null, nIn: number, nOut: number, lr: number, weightDecay: number,
): void {
  let i = 0, j = 0, k = 0, end = 0, end4 = 0, g = 0, lg = 0, w = 0;
  const decay = 1 - lr * weightDecay;
  if (dX !== null) dX.fill(0, 0, nIn);
  for (i = 0; i < nOut; i++) {
    g = dZ[i];
    k = i * nIn;
    if (g === 0) {
      if (decay !== 1) for (j = 0; j < nIn; j++) W[k + j] *= decay;
      continue;
    }
    b[i] -= lr * g;
    lg = lr * g;
    j = 0;
    end = nIn;
    end4 = end - 3;
    if (dX !== null) {
      // (w = W[k]) reads each weight once for both uses: fewer bytecodes than a separate statement.
      while (j < end4) {
        dX[j] += (w = W[k]) * g; W[k] = w * decay - lg * x[j];
        dX[j + 1] += (w = W[k + 1]) * g; W[k + 1] = w * decay - lg * x[j + 1];
        dX[j + 2] += (w = W[k + 2]) * g; W[k + 2] = w * decay - lg * x[j + 2];
        dX[j + 3] += (w = W[k + 3]) * g; W[k + 3] = w * decay - lg * x[j + 3];
        k += 4;
        j += 4;
      }
      while (j < end) {
        dX[j] += (w = W[k]) * g; W[k] = w * decay - lg * x[j];
        k++;
        j++;
      }
    } else {
      while (j < end4) {
        W[k] = W[k] * decay - lg * x[j];
        W[k + 1] = W[k + 1] * decay - lg * x[j + 1];
        W[k + 2] = W[k + 2] * decay - lg * x[j + 2];
        W[k + 3] = W[k + 3] * decay - lg * x[j + 3];
        k += 4;
        j += 4;
      }
      while (j < end) {
        W[k] = W[k] * decay - lg * x[j];
        k++;
        j++;
      }
    }
  }
}
