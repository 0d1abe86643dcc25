// The "native-f32" kernels' arithmetic in JavaScript: the Float32 kernels with every product, sum and
// quotient rounded to float32 (Math.fround), in the summation order of the C kernels (float32_dense.h compiled
// with D = float), so the results are bit-identical to them. Rounding a double result of two float32 operands
// gives the float32 result (a double holds twice the precision plus two bits), so fround(a op b) is what a
// single-precision FPU computes. Scalars (learning rate, slope, ...) are rounded to float32 first, as the C
// call converts them. Exponentials (sigmoid, tanh) and the losses stay in double, as in both C variants.
// This is the reference the native-f32 kernels are tested against, and their fallback for a first-layer input
// that is not a Float32Array (read through fround, as C reads it as float). Slow in XS: not a device path.
import { Act } from "../codes";
import { activate, activationBackward } from "./dense";
import type { LayerFormat } from "./layer-format";

const f = Math.fround;

/** Y = W X + b: each row's products summed in groups of eight (the C unrolling), each group added to s. */
export function denseForwardF(L: LayerFormat, x: ArrayLike<number>, xOff: number, cols: number): void {
  const W = L.W, b = L.b, Y = L.Y, nIn = L.nIn, nOut = L.nOut;
  let y = 0;
  for (let c = 0; c < cols; c++) {
    let k = 0;
    for (let i = 0; i < nOut; i++) {
      let s = b[i], j = xOff + c * nIn;
      const end = j + nIn;
      for (; j < end - 7; j += 8, k += 8) {
        let t = f(W[k] * f(x[j]));
        for (let u = 1; u < 8; u++) t = f(t + f(W[k + u] * f(x[j + u])));
        s = f(s + t);
      }
      for (; j < end; j++, k++) s = f(s + f(W[k] * f(x[j])));
      Y[y++] = s;
    }
  }
}

/** denseForwardF, then the forward activation (Linear: none). */
export function denseForwardActF(L: LayerFormat, x: ArrayLike<number>, xOff: number, cols: number): void {
  denseForwardF(L, x, xOff, cols);
  if (L.act !== Act.Linear) activateF(L.Y, L.nOut * cols, L.act, L.leakySlope);
}

/** The activations: leaky ReLU multiplies in float32; sigmoid and tanh are the double ones of dense.ts. */
export function activateF(Y: Float32Array, n: number, act: number, leakySlope: number): void {
  if (act !== Act.Leaky) return activate(Y, n, act as Act, leakySlope);
  const s = f(leakySlope);
  for (let i = 0; i < n; i++) if (Y[i] < 0) Y[i] = Y[i] * s;
}

export function activationBackwardF(dZ: Float32Array, Y: Float32Array, n: number, act: number, leakySlope: number): void {
  const s = f(leakySlope);
  switch (act) {
    case Act.Relu: return activationBackward(dZ, Y, n, act, leakySlope);
    case Act.Leaky: for (let i = 0; i < n; i++) if (Y[i] <= 0) dZ[i] = dZ[i] * s; return;
    case Act.Sigmoid: for (let i = 0; i < n; i++) dZ[i] = dZ[i] * f(Y[i] * f(1 - Y[i])); return;
    case Act.Tanh: for (let i = 0; i < n; i++) dZ[i] = dZ[i] * f(1 - f(Y[i] * Y[i])); return;
  }
}

/** dX = W^T dZ, accumulated row by row into dX (rounded at every step). */
export function denseBackwardInputF(L: LayerFormat, cols: number): void {
  const W = L.W, dZ = L.dZ as Float32Array, dX = L.dX as Float32Array, nIn = L.nIn, nOut = L.nOut;
  dX.fill(0, 0, cols * nIn);
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < nOut; i++) {
      const g = dZ[c * nOut + i];
      if (g === 0) continue;
      for (let j = 0; j < nIn; j++) dX[c * nIn + j] += f(W[i * nIn + j] * g);
    }
  }
}

/** dW = dZ X^T and db = Σ dZ, accumulated sample by sample. */
export function denseBackwardParamsF(L: LayerFormat, x: ArrayLike<number>, cols: number): void {
  const dZ = L.dZ as Float32Array, dW = L.dW as Float32Array, db = L.db as Float32Array, nIn = L.nIn, nOut = L.nOut;
  dW.fill(0, 0, nIn * nOut);
  db.fill(0, 0, nOut);
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < nOut; i++) {
      const g = dZ[c * nOut + i];
      if (g === 0) continue;
      db[i] += g;
      for (let j = 0; j < nIn; j++) dW[i * nIn + j] += f(g * f(x[c * nIn + j]));
    }
  }
}

/** The fused single-sample SGD backward (dX with the old W, when the layer has dX). */
export function denseBackwardSgdFusedF(L: LayerFormat, x: ArrayLike<number>, lr: number): void {
  const W = L.W, b = L.b, dZ = L.dZ as Float32Array, dX = L.dX, nIn = L.nIn, nOut = L.nOut;
  lr = f(lr);
  const decay = f(1 - f(lr * f(L.weightDecay)));
  if (dX !== null) dX.fill(0, 0, nIn);
  for (let i = 0; i < nOut; i++) {
    const g = dZ[i], k = i * nIn;
    if (g === 0) {
      if (decay !== 1) for (let j = 0; j < nIn; j++) W[k + j] = W[k + j] * decay;
      continue;
    }
    b[i] -= f(lr * g);
    const lg = f(lr * g);
    for (let j = 0; j < nIn; j++) {
      const w = W[k + j];
      if (dX !== null) dX[j] += f(w * g);
      W[k + j] = f(w * decay) - f(lg * f(x[j]));
    }
  }
}

/** denseBackwardSgdFusedF, then f'(belowY) into dX when the layer has both. */
export function denseBackwardSgdFusedActF(L: LayerFormat, x: ArrayLike<number>, lr: number): void {
  denseBackwardSgdFusedF(L, x, lr);
  const dX = L.dX, Yb = L.belowY;
  if (dX !== null && Yb !== null) activationBackwardF(dX, Yb, L.nIn, L.belowAct, L.leakySlope);
}

export function sumOfSquaresF(G: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = f(s + f(G[i] * G[i]));
  return s;
}

export function sgdF(P: Float32Array, p: number, G: Float32Array, g: number, n: number, lr: number, wd: number, gScale: number): void {
  lr = f(lr); wd = f(wd); gScale = f(gScale);
  for (let k = 0; k < n; k++) {
    const w = P[p + k];
    P[p + k] = w - f(lr * f(f(G[g + k] * gScale) + f(wd * w)));
  }
}

export function momentumF(P: Float32Array, p: number, G: Float32Array, g: number, V: Float32Array, n: number,
  lr: number, mu: number, wd: number, gScale: number): void {
  lr = f(lr); mu = f(mu); wd = f(wd); gScale = f(gScale);
  for (let k = 0; k < n; k++) {
    const w = P[p + k];
    const v = f(f(f(mu * V[g + k]) + f(G[g + k] * gScale)) + f(wd * w));
    V[g + k] = v;
    P[p + k] = w - f(lr * v);
  }
}

export function adamF(P: Float32Array, p: number, G: Float32Array, g: number, M: Float32Array, V: Float32Array,
  n: number, lr: number, b1: number, b2: number, eps: number, c1: number, c2: number, wd: number, gScale: number): void {
  lr = f(lr); b1 = f(b1); b2 = f(b2); eps = f(eps); c1 = f(c1); c2 = f(c2); wd = f(wd); gScale = f(gScale);
  for (let k = 0; k < n; k++) {
    const w = P[p + k];
    const grad = f(f(G[g + k] * gScale) + f(wd * w));
    const m = f(f(b1 * M[g + k]) + f(f(1 - b1) * grad));
    const v = f(f(b2 * V[g + k]) + f(f(f(1 - b2) * grad) * grad));
    M[g + k] = m;
    V[g + k] = v;
    P[p + k] = w - f(f(lr * f(m / c1)) / f(f(Math.sqrt(f(v / c2))) + eps));
  }
}
