// Plain reference versions of the unrolled fixed-point kernels in kernels.ts: one term (or the kernel's
// documented pair) at a time, without unrolling, skipped rows, sparse index lists or saturation bounds.
// Integer arithmetic is exact, so the fast kernels must match these bit for bit; the tests use them as the
// oracle. Nothing on the device uses them. Kernels not listed are plain loops already.
import { Act } from "../codes";
import { bitsQ, preActivationQ, QMAX, type LayerFormatQ, type UpdateQ } from "./kernels";

/** denseForwardQ: the accumulator of each output (preActivationQ), rounded to the stored frac, activated. */
export function denseForwardQReference(f: LayerFormatQ, x: Int16Array, xOff: number, Y: Int16Array, cols: number): number {
  const { nIn, nOut, outShift, act, slopeQ15, sig } = f;
  let saturated = 0;
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < nOut; i++) {
      const s = preActivationQ(f, x, xOff + c * nIn, i);
      let v = outShift > 0 ? (s + (1 << (outShift - 1))) >> outShift : s;
      if (act === Act.Sigmoid || act === Act.Tanh) {
        v = Math.max(-QMAX, Math.min(QMAX, v));
        const a = Math.abs(v), lo = sig[a >> 7], hi = sig[(a >> 7) + 1];
        let p = lo + (((hi - lo) * (a & 127) + 64) >> 7); // linear interpolation, Q15
        if (v < 0) p = 32768 - p;
        if (act === Act.Tanh) p = 2 * p - 32768;
        v = (p + 1) >> 1;
      } else {
        if (act === Act.Relu && v < 0) v = 0;
        if (act === Act.Leaky && v < 0) v = leaky(v, slopeQ15);
        if (v > QMAX) { v = QMAX; saturated++; } else if (v < -QMAX) { v = -QMAX; saturated++; }
      }
      Y[c * nOut + i] = v;
    }
  }
  return saturated;
}

/** round(v slope / 2^15), ties up, computed exactly in double precision (|v slope| < 2^53). */
function leaky(v: number, slopeQ15: number): number {
  return Math.floor((v * slopeQ15 + 16384) / 32768);
}

/**
 * backInputQ: A[c, j] = sum over rows of (W dZ) >> SH, rows taken in pairs (i, i+1) while a block of four
 * rows remains and one at a time for the last nOut mod 4 rows (the kernel's documented grouping).
 */
export function backInputQReference(f: LayerFormatQ, dZ: Int16Array, A: Int32Array, cols: number): void {
  const { W, nIn, nOut, SHb: SH } = f;
  const paired = nOut - (nOut % 4);
  for (let c = 0; c < cols; c++) {
    for (let j = 0; j < nIn; j++) {
      let s = 0;
      for (let i = 0; i < paired; i += 2) s += (W[i * nIn + j] * dZ[c * nOut + i] + W[(i + 1) * nIn + j] * dZ[c * nOut + i + 1]) >> SH;
      for (let i = paired; i < nOut; i++) s += (W[i * nIn + j] * dZ[c * nOut + i]) >> SH;
      A[c * nIn + j] = s;
    }
  }
}

/** normalizeDeltaQ for act relu/linear/softmax: mask (relu), then shift so the largest |D| is at most 2^14. */
export function normalizeDeltaQReference(A: Int32Array, n: number, Y: Int16Array, act: number, D: Int16Array, aFrac: number): number {
  let largest = 0;
  for (let i = 0; i < n; i++) {
    if (act === Act.Relu && Y[i] <= 0) A[i] = 0;
    largest = Math.max(largest, Math.abs(A[i]));
  }
  const s = Math.max(0, bitsQ(largest) - 14);
  for (let i = 0; i < n; i++) D[i] = s > 0 ? (A[i] + (1 << (s - 1))) >> s : A[i];
  return aFrac - s;
}

/**
 * sgdFusedQ without its shortcuts: every row with g = dZ[i] != 0 gets lg = round(lrM g / 2^14); the bias
 * moves by -round(lg / 2^Sb), each weight by round(-lg x_j / 2^S) (0 when S > 30), saturated and counted; A
 * (when given) receives (W_ij g) >> SHd with the old weight for every input.
 */
export function sgdFusedQReference(f: LayerFormatQ, dZ: Int16Array, x: Int16Array, A: Int32Array | null, u: UpdateQ): number {
  const { W, b, nIn, nOut, SHd } = f, { lrM, S, Sb } = u;
  let saturated = 0;
  const clamp = (v: number) => {
    if (v > QMAX) { saturated++; return QMAX; }
    if (v < -QMAX) { saturated++; return -QMAX; }
    return v;
  };
  if (A !== null) A.fill(0, 0, nIn);
  for (let i = 0; i < nOut; i++) {
    const g = dZ[i];
    if (g === 0) continue;
    const lg = (lrM * g + 8192) >> 14;
    b[i] = clamp(b[i] - ((lg + (1 << (Sb - 1))) >> Sb));
    for (let j = 0; j < nIn; j++) {
      if (A !== null) A[j] += (W[i * nIn + j] * g) >> SHd;
      const step = S > 30 ? 0 : (-lg * x[j] + (1 << (S - 1))) >> S;
      W[i * nIn + j] = clamp(W[i * nIn + j] + step);
    }
  }
  return saturated;
}

/**
 * updateQ (dW and db null: row i's product for input j is sum_c round(lrM dZ[c,i] / 2^t) x[c,j], the bias's the
 * sum of those rates) and applyGradientsQ (lrM times the stored dW and db), one parameter at a time, with
 * round-to-nearest (stochastic rounding is the fast kernel's own xorshift stream).
 */
export function updateQReference(f: LayerFormatQ, U: Int16Array | null, dZ: Int16Array | null, x: Int16Array, xOff: number,
  cols: number, u: UpdateQ, dW: Int16Array | null = null, db: Int16Array | null = null): number {
  const { W, b, nIn, nOut } = f;
  const saturated = { count: 0 };
  const rates = new Array<number>(cols);
  for (let i = 0; i < nOut; i++) {
    for (let c = 0; c < cols && dZ !== null; c++) rates[c] = Math.floor((u.lrM * dZ[c * nOut + i] + 2 ** (u.t - 1)) / 2 ** u.t);
    for (let j = 0; j < nIn; j++) {
      let d = 0;
      if (dW !== null) d = u.lrM * dW[i * nIn + j];
      else for (let c = 0; c < cols; c++) d += rates[c] * x[xOff + c * nIn + j];
      W[i * nIn + j] = moveParameter(W[i * nIn + j], d, u.S, true, u, U, i * nIn + j, saturated);
    }
    const d = db !== null ? u.lrM * db[i] : rates.reduce((sum, r) => sum + r, 0);
    b[i] = moveParameter(b[i], d, u.Sb, false, u, U, nIn * nOut + i, saturated);
  }
  return saturated.count;
}

/** A parameter w minus round(d / 2^s) (0 past s = 30) and its decay, through its velocity U[k] when given. */
function moveParameter(w: number, d: number, shift: number, decays: boolean, u: UpdateQ, U: Int16Array | null, k: number,
  saturated: { count: number }): number {
  const m = U !== null ? 4 : 0, s = shift - m, e = u.dE - m;
  const clamp = (v: number) => {
    if (Math.abs(v) <= QMAX) return v;
    saturated.count++;
    return Math.sign(v) * QMAX;
  };
  let step = s > 30 ? 0 : Math.floor((d + 2 ** (s - 1)) / 2 ** s);
  if (decays && u.dM !== 0 && e <= 30) step += Math.floor((u.dM * w + 2 ** (e - 1)) / 2 ** e);
  if (U !== null) {
    U[k] = clamp(Math.floor((u.muQ15 * U[k] + 16384) / 32768) + step);
    step = Math.floor((U[k] + 8) / 16);
  }
  return clamp(w - step);
}
