// Float32 dense-layer kernels. Matrices of samples are stored sample after sample ("columns are samples"):
// X[c * nIn + j] is input j of sample c. W is [nOut x nIn] row-major.
//
// Written for the XS interpreter, where cost is the number of bytecodes executed: variables are declared
// once per function (a block-scoped `let`/`const` inside a loop costs a scope per iteration), inner loops
// are unrolled (by eight in the forward dot product, by four elsewhere), the forward pass reads each group of
// inputs once for four rows, the update skips the multiplication by a decay of 1 and updates two rows per pass
// over the inputs, and rows whose delta is zero (common after ReLU) are skipped. Every sum is formed in the same order on every engine, so results are
// bit-identical in Node and XS. Nothing here allocates. The layer kernels take the layer's LayerFormat (built
// once with the model) and copy its fields into locals first.
import { Act } from "../codes";
import { exp, tanh } from "../math";
import type { LayerFormat } from "./layer-format";

/**
 * Y = W X + b for `cols` samples of X (read from x starting at xOff). Each row's sum is b, plus its products in
 * groups of eight, plus the tail products one by one. Rows are computed four at a time so that the eight inputs
 * of a group are read once (into v0..v7) for four rows: under XS a local read costs one bytecode, an element
 * read with its index arithmetic six. Every row still sums in the same order, so the bits do not change.
 */
export function denseForward(L: LayerFormat, x: ArrayLike<number>, xOff: number, cols: number): void {
  const W = L.W, b = L.b, Y = L.Y, nIn = L.nIn, nOut = L.nOut;
  let c = 0, i = 0, j = 0, k = 0, y = 0, x0 = 0, end = 0, end8 = 0, s = 0;
  let k1 = 0, k2 = 0, k3 = 0, s1 = 0, s2 = 0, s3 = 0, v0 = 0, v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0, v6 = 0, v7 = 0;
  for (c = 0; c < cols; c++) {
    x0 = xOff + c * nIn;
    end = x0 + nIn;
    end8 = end - 7;
    for (i = 0; i + 3 < nOut; i += 4) {
      k = i * nIn;
      k1 = k + nIn;
      k2 = k1 + nIn;
      k3 = k2 + nIn;
      s = b[i];
      s1 = b[i + 1];
      s2 = b[i + 2];
      s3 = b[i + 3];
      for (j = x0; j < end8; j += 8) {
        v0 = x[j]; v1 = x[j + 1]; v2 = x[j + 2]; v3 = x[j + 3]; v4 = x[j + 4]; v5 = x[j + 5]; v6 = x[j + 6]; v7 = x[j + 7];
        s += W[k] * v0 + W[k + 1] * v1 + W[k + 2] * v2 + W[k + 3] * v3 + W[k + 4] * v4 + W[k + 5] * v5 + W[k + 6] * v6 + W[k + 7] * v7;
        s1 += W[k1] * v0 + W[k1 + 1] * v1 + W[k1 + 2] * v2 + W[k1 + 3] * v3 + W[k1 + 4] * v4 + W[k1 + 5] * v5 + W[k1 + 6] * v6 + W[k1 + 7] * v7;
        s2 += W[k2] * v0 + W[k2 + 1] * v1 + W[k2 + 2] * v2 + W[k2 + 3] * v3 + W[k2 + 4] * v4 + W[k2 + 5] * v5 + W[k2 + 6] * v6 + W[k2 + 7] * v7;
        s3 += W[k3] * v0 + W[k3 + 1] * v1 + W[k3 + 2] * v2 + W[k3 + 3] * v3 + W[k3 + 4] * v4 + W[k3 + 5] * v5 + W[k3 + 6] * v6 + W[k3 + 7] * v7;
        k += 8;
        k1 += 8;
        k2 += 8;
        k3 += 8;
      }
      for (; j < end; j++) {
        v0 = x[j];
        s += W[k++] * v0;
        s1 += W[k1++] * v0;
        s2 += W[k2++] * v0;
        s3 += W[k3++] * v0;
      }
      Y[y] = s;
      Y[y + 1] = s1;
      Y[y + 2] = s2;
      Y[y + 3] = s3;
      y += 4;
    }
    for (; i < nOut; i++) {
      k = i * nIn;
      s = b[i];
      for (j = x0; j < end8; j += 8) {
        s += W[k] * x[j] + W[k + 1] * x[j + 1] + W[k + 2] * x[j + 2] + W[k + 3] * x[j + 3] +
          W[k + 4] * x[j + 4] + W[k + 5] * x[j + 5] + W[k + 6] * x[j + 6] + W[k + 7] * x[j + 7];
        k += 8;
      }
      for (; j < end; j++) s += W[k++] * x[j];
      Y[y] = s;
      y++;
    }
  }
}

/** denseForward, then the layer's forward activation on its output (Linear: none). */
export function denseForwardAct(L: LayerFormat, x: ArrayLike<number>, xOff: number, cols: number): void {
  denseForward(L, x, xOff, cols);
  if (L.act !== Act.Linear) activate(L.Y, L.nOut * cols, L.act, L.leakySlope);
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

/** dX = W^T dZ for `cols` samples (a layer with dZ and dX). */
export function denseBackwardInput(L: LayerFormat, cols: number): void {
  const W = L.W, dZ = L.dZ as Float32Array, dX = L.dX as Float32Array, nIn = L.nIn, nOut = L.nOut;
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

/** dW = dZ X^T and db = Σ_samples dZ, summed over `cols` samples of X (a layer with dZ, dW and db). */
export function denseBackwardParams(L: LayerFormat, x: ArrayLike<number>, cols: number): void {
  const dZ = L.dZ as Float32Array, dW = L.dW as Float32Array, db = L.db as Float32Array, nIn = L.nIn, nOut = L.nOut;
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
 * dX = W^T dZ (with the old W; skipped when the layer has no dX), then W -= lr (dZ x^T + weightDecay W), b -= lr dZ.
 */
export function denseBackwardSgdFused(L: LayerFormat, x: ArrayLike<number>, lr: number): void {
  const decay = 1 - lr * L.weightDecay;
  if (decay === 1) return sgdRowPairs(L, x, lr);
  const W = L.W, b = L.b, dZ = L.dZ as Float32Array, dX = L.dX, nIn = L.nIn, nOut = L.nOut;
  let i = 0, j = 0, k = 0, end = 0, end4 = 0, g = 0, lg = 0, w = 0;
  if (dX !== null) dX.fill(0, 0, nIn);
  for (i = 0; i < nOut; i++) {
    g = dZ[i];
    k = i * nIn;
    if (g === 0) {
      for (j = 0; j < nIn; j++) W[k + j] *= decay;
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

/** denseBackwardSgdFused, then the activation derivative of the layer below into dX (when the layer has dX and belowY). */
export function denseBackwardSgdFusedAct(L: LayerFormat, x: ArrayLike<number>, lr: number): void {
  denseBackwardSgdFused(L, x, lr);
  const dX = L.dX, Yb = L.belowY;
  if (dX !== null && Yb !== null) activationBackward(dX, Yb, L.nIn, L.belowAct, L.leakySlope);
}

/**
 * denseBackwardSgdFused without weight decay (w * 1 is w: left out), two rows with a delta per pass over the
 * inputs, so each group of four inputs is read once for both rows. Whether there is a layer below (dX) is
 * checked once per pair of rows; with one, dX[j] still adds row i before the next row. Each weight's
 * arithmetic is unchanged: the same bits as one row at a time.
 */
function sgdRowPairs(L: LayerFormat, x: ArrayLike<number>, lr: number): void {
  const W = L.W, b = L.b, dZ = L.dZ as Float32Array, dX = L.dX, nIn = L.nIn, nOut = L.nOut;
  let i = 0, i2 = 0, j = 0, k = 0, k2 = 0, end4 = 0, g = 0, g2 = 0, lg = 0, lg2 = 0, w = 0, v0 = 0, v1 = 0, v2 = 0, v3 = 0;
  if (dX !== null) dX.fill(0, 0, nIn);
  end4 = nIn - 3;
  for (i = 0; i < nOut; i++) {
    g = dZ[i];
    if (g === 0) continue;
    b[i] -= lr * g;
    lg = lr * g;
    k = i * nIn;
    for (i2 = i + 1; i2 < nOut && dZ[i2] === 0; i2++);
    if (i2 === nOut) { // the last row with a delta: alone
      if (dX !== null) for (j = 0; j < nIn; j++) { dX[j] += (w = W[k]) * g; W[k++] = w - lg * x[j]; }
      else for (j = 0; j < nIn; j++) W[k++] -= lg * x[j];
      return;
    }
    g2 = dZ[i2];
    b[i2] -= lr * g2;
    lg2 = lr * g2;
    k2 = i2 * nIn;
    if (dX !== null) {
      for (j = 0; j < end4; j += 4) {
        v0 = x[j]; v1 = x[j + 1]; v2 = x[j + 2]; v3 = x[j + 3];
        dX[j] += (w = W[k]) * g; W[k] = w - lg * v0;
        dX[j + 1] += (w = W[k + 1]) * g; W[k + 1] = w - lg * v1;
        dX[j + 2] += (w = W[k + 2]) * g; W[k + 2] = w - lg * v2;
        dX[j + 3] += (w = W[k + 3]) * g; W[k + 3] = w - lg * v3;
        dX[j] += (w = W[k2]) * g2; W[k2] = w - lg2 * v0;
        dX[j + 1] += (w = W[k2 + 1]) * g2; W[k2 + 1] = w - lg2 * v1;
        dX[j + 2] += (w = W[k2 + 2]) * g2; W[k2 + 2] = w - lg2 * v2;
        dX[j + 3] += (w = W[k2 + 3]) * g2; W[k2 + 3] = w - lg2 * v3;
        k += 4;
        k2 += 4;
      }
      for (; j < nIn; j++) {
        v0 = x[j];
        dX[j] += (w = W[k++]) * g; W[k - 1] = w - lg * v0;
        dX[j] += (w = W[k2++]) * g2; W[k2 - 1] = w - lg2 * v0;
      }
    } else {
      for (j = 0; j < end4; j += 4) {
        v0 = x[j]; v1 = x[j + 1]; v2 = x[j + 2]; v3 = x[j + 3];
        W[k] -= lg * v0; W[k + 1] -= lg * v1; W[k + 2] -= lg * v2; W[k + 3] -= lg * v3;
        W[k2] -= lg2 * v0; W[k2 + 1] -= lg2 * v1; W[k2 + 2] -= lg2 * v2; W[k2 + 3] -= lg2 * v3;
        k += 4;
        k2 += 4;
      }
      for (; j < nIn; j++) {
        v0 = x[j];
        W[k++] -= lg * v0;
        W[k2++] -= lg2 * v0;
      }
    }
    i = i2;
  }
}
