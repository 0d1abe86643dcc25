// Fixed-point kernels: integer-only. Every value is an int16 in a power-of-two Q format (value = int * 2^-frac)
// or an int32 accumulator; docs/fixed-point.md proves the 32-bit bound of each kernel. This file must not
// contain floating-point operations (its lookup tables are built in convert.ts): test/fixed-static.test.ts
// forbids Math.fround, the division operator, float literals and Float32Array here. Shifts are arithmetic (>>) on int32 values.
// A value that may be 0 is negated as 0 - v: in XS, -v of the integer 0 is -0, a double (test/xs-device-costs.test.ts).
//
// Rounding: round-to-nearest (ties up) is (v + 2^(s-1)) >> s. Stores to Int16Array saturate to +-32767 and
// return how many saturated: an Int16Array store would otherwise wrap around silently.
//
// Written for the XS interpreter, where cost is bytecodes executed, like the Float32 kernels: variables declared
// once per function; the forward pass and the fused update work on four rows per pass over the inputs (each input
// read once into a local for the four), the other long loops are unrolled (by 16 then 4, or by 4) with a plain
// tail; no allocation per call, no strings. Each kernel takes the layer's LayerFormatQ (and an update's UpdateQ)
// and copies the fields it needs into locals at its top. reference.ts holds a plain version of each kernel
// that the tests use as the oracle.
// Over 400 lines: every integer kernel sits in this one file because test/fixed-static.test.ts scans it, and
// only it, for floating-point operations; plain reference versions are in reference.ts.
import { Act } from "../codes";

/** Largest stored magnitude: symmetric, so negation never overflows and |a*b| < 2^30. */
export const QMAX = 32767;
/** Normalised deltas satisfy |d| <= 2^14, so |W d| < 2^29. */
export const DMAX = 16384;

/**
 * What the kernels need to know about one dense layer: its parameter views, sizes, shifts and activation. The
 * model builds one per layer when it is built (never per call); each kernel copies the fields it uses into
 * locals at its top, so its loops read locals as before. Reading ten fields costs about as much as passing
 * ten arguments under XS (+3 compute units per call, 0.00-0.06 % of a step: docs/xs-meter.md).
 */
export interface LayerFormatQ {
  readonly W: Int16Array;
  readonly b: Int16Array;
  readonly nIn: number;
  readonly nOut: number;
  /** Forward: right shift of each product pair, bias shift, output shift, floor-bias compensation. */
  readonly SH: number;
  readonly bShift: number;
  readonly outShift: number;
  readonly comp: number;
  /** Activation code (Act) and the leaky slope in Q15. */
  readonly act: number;
  readonly slopeQ15: number;
  /** Sigmoid table for sigmoid and tanh: sigmoid at 0, 1/16, ..., 16 in Q15 (convert.ts builds it). */
  readonly sig: Uint16Array;
  /** Backward: pair shift of W^T dZ (backInputQ), per-term shift of the fused batch-1 update (sgdFusedQ). */
  readonly SHb: number;
  readonly SHd: number;
}

/** Pre-activations of the rows denseForwardQ sums together (up to four): module scratch, not allocated per call. */
const ROW_SUMS = new Int32Array(4);

/**
 * Y = act(W x + b) for `cols` samples. Products of two int16 are < 2^30, a pair of them < 2^31; each pair is
 * shifted right by SH before it is added, and SH is chosen by the plan so that ceil(nIn/2) + 1 (bias) such
 * terms fit in int32. The accumulator has frac fa = fw + fin - SH; the bias enters as b << bShift (fa - fb);
 * outShift = fa - (frac of the stored value). Activations: relu/leaky/linear store at the output frac;
 * sigmoid/tanh read the table at Q4.11 (tanh: 2z at Q4.11) and store Q1.14; softmax (and Z for losses) store Z.
 * Returns the number of saturated stores; stats[at] (when given) receives max|Y| over the stored values.
 *
 * Rows are summed four at a time, so each group of eight inputs is read once (into v0..v7) for four rows; the
 * last nOut mod 4 rows one at a time. Every group starts at an even offset, so the pairs are those of
 * preActivationQ whatever the grouping, and integer sums do not depend on their order.
 */
export function denseForwardQ(f: LayerFormatQ, x: Int16Array, xOff: number, Y: Int16Array, cols: number,
  stats: Int32Array | null = null, at = 0): number {
  const W = f.W, b = f.b, nIn = f.nIn, nOut = f.nOut, SH = f.SH, bShift = f.bShift, outShift = f.outShift, comp = f.comp;
  const act = f.act, slopeQ15 = f.slopeQ15, sig = f.sig, Z = ROW_SUMS;
  let c = 0, i = 0, n = 0, r = 0, j = 0, k = 0, k1 = 0, k2 = 0, k3 = 0, y = 0, j0 = 0, end = 0, end2 = 0, end8 = 0;
  let s = 0, s1 = 0, s2 = 0, s3 = 0, sat = 0, a = 0, v = 0, hi = 0, lo = 0;
  let v0 = 0, v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0, v6 = 0, v7 = 0;
  const H = outShift > 0 ? 1 << (outShift - 1) : 0;
  const relu = act === Act.Relu, table = act === Act.Sigmoid || act === Act.Tanh;
  for (c = 0; c < cols; c++) {
    j0 = xOff + c * nIn;
    end = j0 + nIn;
    end2 = end - 1;
    end8 = end - 7;
    for (i = 0; i < nOut; i += n) {
      k = i * nIn;
      if (i + 3 < nOut) {
        n = 4;
        k1 = k + nIn;
        k2 = k1 + nIn;
        k3 = k2 + nIn;
        s = (b[i] << bShift) + comp;
        s1 = (b[i + 1] << bShift) + comp;
        s2 = (b[i + 2] << bShift) + comp;
        s3 = (b[i + 3] << bShift) + comp;
        for (j = j0; j < end8; j += 8) {
          v0 = x[j]; v1 = x[j + 1]; v2 = x[j + 2]; v3 = x[j + 3]; v4 = x[j + 4]; v5 = x[j + 5]; v6 = x[j + 6]; v7 = x[j + 7];
          s += ((W[k] * v0 + W[k + 1] * v1) >> SH) + ((W[k + 2] * v2 + W[k + 3] * v3) >> SH)
            + ((W[k + 4] * v4 + W[k + 5] * v5) >> SH) + ((W[k + 6] * v6 + W[k + 7] * v7) >> SH);
          s1 += ((W[k1] * v0 + W[k1 + 1] * v1) >> SH) + ((W[k1 + 2] * v2 + W[k1 + 3] * v3) >> SH)
            + ((W[k1 + 4] * v4 + W[k1 + 5] * v5) >> SH) + ((W[k1 + 6] * v6 + W[k1 + 7] * v7) >> SH);
          s2 += ((W[k2] * v0 + W[k2 + 1] * v1) >> SH) + ((W[k2 + 2] * v2 + W[k2 + 3] * v3) >> SH)
            + ((W[k2 + 4] * v4 + W[k2 + 5] * v5) >> SH) + ((W[k2 + 6] * v6 + W[k2 + 7] * v7) >> SH);
          s3 += ((W[k3] * v0 + W[k3 + 1] * v1) >> SH) + ((W[k3 + 2] * v2 + W[k3 + 3] * v3) >> SH)
            + ((W[k3 + 4] * v4 + W[k3 + 5] * v5) >> SH) + ((W[k3 + 6] * v6 + W[k3 + 7] * v7) >> SH);
          k += 8;
          k1 += 8;
          k2 += 8;
          k3 += 8;
        }
        for (; j < end2; j += 2) {
          v0 = x[j]; v1 = x[j + 1];
          s += (W[k] * v0 + W[k + 1] * v1) >> SH;
          s1 += (W[k1] * v0 + W[k1 + 1] * v1) >> SH;
          s2 += (W[k2] * v0 + W[k2 + 1] * v1) >> SH;
          s3 += (W[k3] * v0 + W[k3 + 1] * v1) >> SH;
          k += 2;
          k1 += 2;
          k2 += 2;
          k3 += 2;
        }
        if (j < end) {
          v0 = x[j];
          s += (W[k] * v0) >> SH;
          s1 += (W[k1] * v0) >> SH;
          s2 += (W[k2] * v0) >> SH;
          s3 += (W[k3] * v0) >> SH;
        }
        if (relu) {
          // the common case without the generic loop below: round, clamp at 0 and QMAX, store
          v = (s + H) >> outShift; if (v < 0) v = 0; else if (v > QMAX) { v = QMAX; sat++; } if (v > hi) hi = v; Y[y] = v;
          v = (s1 + H) >> outShift; if (v < 0) v = 0; else if (v > QMAX) { v = QMAX; sat++; } if (v > hi) hi = v; Y[y + 1] = v;
          v = (s2 + H) >> outShift; if (v < 0) v = 0; else if (v > QMAX) { v = QMAX; sat++; } if (v > hi) hi = v; Y[y + 2] = v;
          v = (s3 + H) >> outShift; if (v < 0) v = 0; else if (v > QMAX) { v = QMAX; sat++; } if (v > hi) hi = v; Y[y + 3] = v;
          y += 4;
          continue;
        }
        Z[0] = s;
        Z[1] = s1;
        Z[2] = s2;
        Z[3] = s3;
      } else {
        n = 1;
        s = (b[i] << bShift) + comp;
        for (j = j0; j < end8; j += 8) {
          s += ((W[k] * x[j] + W[k + 1] * x[j + 1]) >> SH) + ((W[k + 2] * x[j + 2] + W[k + 3] * x[j + 3]) >> SH)
            + ((W[k + 4] * x[j + 4] + W[k + 5] * x[j + 5]) >> SH) + ((W[k + 6] * x[j + 6] + W[k + 7] * x[j + 7]) >> SH);
          k += 8;
        }
        for (; j < end2; j += 2) {
          s += (W[k] * x[j] + W[k + 1] * x[j + 1]) >> SH;
          k += 2;
        }
        if (j < end) s += (W[k] * x[j]) >> SH;
        Z[0] = s;
      }
      for (r = 0; r < n; r++) {
        // Z[r] is the pre-activation at frac fa; v the value at the stored (or table) frac.
        v = (Z[r] + H) >> outShift;
        if (relu) {
          if (v < 0) v = 0;
          else if (v > QMAX) { v = QMAX; sat++; }
          if (v > hi) hi = v;
        } else if (table) {
          if (v > QMAX) v = QMAX;
          else if (v < -QMAX) v = -QMAX;
          a = v < 0 ? -v : v;
          // sig: sigmoid at 0, 1/16, ..., 16 in Q15 (Uint16); linear interpolation between entries.
          a = sig[a >> 7] + (((sig[(a >> 7) + 1] - sig[a >> 7]) * (a & 127) + 64) >> 7);
          if (v < 0) a = 32768 - a;
          if (act === Act.Tanh) a = a + a - 32768;
          v = (a + 1) >> 1;
          if (v > hi) hi = v; else if (v < lo) lo = v;
        } else {
          // leaky: round(v slope / 2^15) split as v = hi 2^15 + lo so no product exceeds 2^31
          if (act === Act.Leaky && v < 0) v = (v >> 15) * slopeQ15 + (((v & 32767) * slopeQ15 + 16384) >> 15);
          if (v > QMAX) { v = QMAX; sat++; }
          else if (v < -QMAX) { v = -QMAX; sat++; }
          if (v > hi) hi = v; else if (v < lo) lo = v;
        }
        Y[y] = v;
        y++;
      }
    }
  }
  if (stats !== null) stats[at] = hi > 0 - lo ? hi : 0 - lo;
  return sat;
}

/**
 * The accumulator of one output of denseForwardQ, pair by pair without unrolling: (b << bShift) + comp +
 * sum over pairs of (W x + W x) >> SH, at the accumulator's frac. The same sum denseForwardQ forms (its
 * groups start at even offsets), used where the exact pre-activation is needed again (the sigmoid
 * cross-entropy loss) and as the tests' plain reference for the unrolled loop.
 */
export function preActivationQ(f: LayerFormatQ, x: Int16Array, xOff: number, row: number): number {
  const W = f.W, nIn = f.nIn, SH = f.SH;
  let j = 0, s = (f.b[row] << f.bShift) + f.comp;
  const k = row * nIn;
  for (j = 0; j + 1 < nIn; j += 2) s += (W[k + j] * x[xOff + j] + W[k + j + 1] * x[xOff + j + 1]) >> SH;
  if (j < nIn) s += (W[k + j] * x[xOff + j]) >> SH;
  return s;
}

/** 2^(-u) for u >= 0 in Q14, as Q15 (32768 = 1). exp2: 2^(-i/64) for i = 0..64 in Q15. */
export function exp2NegQ(u: number, exp2: Uint16Array): number {
  let n = 0, r = 0, i = 0, v = 0;
  n = u >> 14;
  if (n > 15) return 0;
  r = u & 16383;
  i = r >> 8;
  v = exp2[i] - (((exp2[i] - exp2[i + 1]) * (r & 255) + 128) >> 8);
  return n === 0 ? v : (v + (1 << (n - 1))) >> n;
}

/** log2(S / 2^15) in Q14 for 2^15 <= S < 2^31. log2t: log2(1 + i/64) for i = 0..64 in Q15. */
export function log2Q(S: number, log2t: Uint16Array): number {
  let k = 0, m = 0, i = 0, v = 0;
  k = 31 - Math.clz32(S);
  m = S << (30 - k);
  i = (m >> 24) & 63;
  v = log2t[i] + (((log2t[i + 1] - log2t[i]) * ((m >> 14) & 1023) + 512) >> 10);
  return ((k - 15) << 14) + ((v + 1) >> 1);
}

/**
 * Softmax in place: Z at Q5.10 in, probabilities at Q1.14 out, through log-sum-exp in base 2 (no division):
 * u_i = (max - z_i) log2(e) in Q14, S = sum 2^-u_i (Q15, >= 1), p_i = 2^-(u_i + log2 S).
 * With labels, returns sum over samples of -log2 p[label] in Q10 (the caller multiplies by ln 2 / 1024).
 */
export function softmaxQ(Y: Int16Array, n: number, cols: number, labels: ArrayLike<number> | null, lOff: number,
  exp2: Uint16Array, log2t: Uint16Array): number {
  let c = 0, i = 0, o = 0, max = 0, d = 0, S = 0, LS = 0, u = 0, loss = 0;
  for (c = 0; c < cols; c++) {
    o = c * n;
    max = Y[o];
    for (i = 1; i < n; i++) if (Y[o + i] > max) max = Y[o + i];
    S = 0;
    for (i = 0; i < n; i++) {
      d = max - Y[o + i];
      if (d > 24576) d = 24576; // e^-24 < 2^-34: far below one Q15 step
      S += exp2NegQ((d * 47274 + 1024) >> 11, exp2); // 47274 = log2(e) in Q15
    }
    LS = log2Q(S, log2t);
    if (labels !== null) {
      // unclamped here: d <= 65534, times log2(e) in Q14 (23637) < 2^31
      d = max - Y[o + labels[lOff + c]];
      loss += (((d * 23637 + 512) >> 10) + LS + 8) >> 4;
    }
    for (i = 0; i < n; i++) {
      d = max - Y[o + i];
      if (d > 24576) d = 24576;
      u = ((d * 47274 + 1024) >> 11) + LS;
      Y[o + i] = (exp2NegQ(u, exp2) + 1) >> 1;
    }
  }
  return loss;
}

/**
 * Output delta before normalisation, into the int32 scratch A (frac = the output's frac):
 * softmax CE: p - onehot (Q14); sigmoid CE and MSE: y - t, with t already quantized to Y's format.
 */
export function lossDeltaQ(softmax: boolean, Y: Int16Array, A: Int32Array, n: number, cols: number,
  y: ArrayLike<number>, yOff: number): void {
  let c = 0, i = 0;
  const total = n * cols;
  if (softmax) {
    for (i = 0; i < total; i++) A[i] = Y[i];
    for (c = 0; c < cols; c++) A[c * n + y[yOff + c]] -= 16384;
  } else {
    for (i = 0; i < total; i++) A[i] = Y[i] - y[yOff + i];
  }
}

/** Number of significant bits of a non-negative int32 (0 for 0). */
export function bitsQ(m: number): number {
  return 32 - Math.clz32(m);
}

/**
 * Turn an int32 gradient A (n values at frac aFrac, |A| < 2^31) into a stored delta D with |D| <= 2^14, after
 * multiplying by f'(z) of the activation (expressed through Y). Per-tensor dynamic exponent: the shift is
 * chosen from the largest magnitude, so nothing saturates. Returns the frac of D.
 */
export function normalizeDeltaQ(A: Int32Array, n: number, Y: Int16Array, act: number, slopeQ15: number,
  D: Int16Array, aFrac: number): number {
  let i = 0, m = 0, v = 0, s = 0, H = 0, y = 0, hi = 0, lo = 0;
  let frac = aFrac;
  const end4 = n - 3;
  if (act === Act.Relu) {
    // mask and find the range in one pass (unrolled by four, like the store pass below)
    while (i < end4) {
      if (Y[i] > 0) { if ((v = A[i]) > hi) hi = v; else if (v < lo) lo = v; } else A[i] = 0;
      if (Y[i + 1] > 0) { if ((v = A[i + 1]) > hi) hi = v; else if (v < lo) lo = v; } else A[i + 1] = 0;
      if (Y[i + 2] > 0) { if ((v = A[i + 2]) > hi) hi = v; else if (v < lo) lo = v; } else A[i + 2] = 0;
      if (Y[i + 3] > 0) { if ((v = A[i + 3]) > hi) hi = v; else if (v < lo) lo = v; } else A[i + 3] = 0;
      i += 4;
    }
    for (; i < n; i++) {
      if (Y[i] > 0) { if ((v = A[i]) > hi) hi = v; else if (v < lo) lo = v; } else A[i] = 0;
    }
  } else {
    if (act !== Act.Linear && act !== Act.Softmax) {
      // Bring |A| to <= 2^15 so that A f' (f' <= 2^15) stays below 2^31.
      for (i = 0; i < n; i++) { if ((v = A[i]) > hi) hi = v; else if (v < lo) lo = v; }
      m = hi > 0 - lo ? hi : 0 - lo;
      s = bitsQ(m) - 15;
      if (s > 0) {
        H = 1 << (s - 1);
        for (i = 0; i < n; i++) A[i] = (A[i] + H) >> s;
        frac -= s;
      }
      if (act === Act.Leaky) {
        for (i = 0; i < n; i++) if (Y[i] <= 0) A[i] = A[i] * slopeQ15;
        else A[i] = A[i] * 32768;
        frac += 15;
      } else if (act === Act.Sigmoid) {
        for (i = 0; i < n; i++) { y = Y[i]; A[i] = A[i] * ((y * (16384 - y) + 8192) >> 14); }
        frac += 14;
      } else {
        for (i = 0; i < n; i++) { y = Y[i]; A[i] = A[i] * (16384 - ((y * y + 8192) >> 14)); }
        frac += 14;
      }
      hi = 0;
      lo = 0;
    }
    for (i = 0; i < n; i++) { if ((v = A[i]) > hi) hi = v; else if (v < lo) lo = v; }
  }
  m = hi > 0 - lo ? hi : 0 - lo;
  s = bitsQ(m) - 14;
  i = 0;
  if (s > 0) {
    H = 1 << (s - 1);
    while (i < end4) {
      D[i] = (A[i] + H) >> s; D[i + 1] = (A[i + 1] + H) >> s; D[i + 2] = (A[i + 2] + H) >> s; D[i + 3] = (A[i + 3] + H) >> s;
      i += 4;
    }
    for (; i < n; i++) D[i] = (A[i] + H) >> s;
    return frac - s;
  }
  for (; i < n; i++) D[i] = A[i];
  return frac;
}

/**
 * A = W^T dZ for `cols` samples (int32, frac fw + gz - SHb), column by column: pairs of rows are summed
 * (|pair| < 2^30 since |dZ| <= 2^14) and shifted by SHb before accumulating.
 */
export function backInputQ(f: LayerFormatQ, dZ: Int16Array, A: Int32Array, cols: number): void {
  const W = f.W, nIn = f.nIn, nOut = f.nOut, SH = f.SHb;
  let c = 0, i = 0, j = 0, k = 0, g = 0, s = 0, end4 = 0;
  const n2 = nIn + nIn, n3 = n2 + nIn, n4 = n3 + nIn;
  for (c = 0; c < cols; c++) {
    g = c * nOut;
    end4 = g + nOut - 3;
    for (j = 0; j < nIn; j++) {
      s = 0;
      k = j;
      i = g;
      while (i < end4) {
        s += ((W[k] * dZ[i] + W[k + nIn] * dZ[i + 1]) >> SH) + ((W[k + n2] * dZ[i + 2] + W[k + n3] * dZ[i + 3]) >> SH);
        k += n4;
        i += 4;
      }
      while (i < g + nOut) {
        s += (W[k] * dZ[i]) >> SH;
        k += nIn;
        i++;
      }
      A[c * nIn + j] = s;
    }
  }
}

/**
 * One layer update's rate and shifts (sgdFusedQ, updateQ, applyGradientsQ). The model keeps one such object and
 * rewrites its fields before each layer's update, so nothing is allocated per step.
 */
export interface UpdateQ {
  /** Mantissa of the learning rate times the loss's mean factor (the exponent is folded into the shifts). */
  lrM: number;
  /** Weight and bias shifts (each kernel says how they are used). */
  S: number;
  Sb: number;
  /** updateQ: bits dropped from the per-sample rates (14 + ceil(log2 cols)). */
  t: number;
  /** Momentum in Q15 (used when a velocity is given); weight decay mantissa and exponent (dE > 30: no decay). */
  muQ15: number;
  dM: number;
  dE: number;
}

/** sgdFusedQ's bound state: no bound known (the next call rescans the layer). */
export const BOUND_UNKNOWN = QMAX;
/** Above this bound, sgdFusedQ rescans the exact max|W| (at most once every RESCAN_EVERY calls while it stays above). */
const RESCAN_ABOVE = 16384;
const RESCAN_EVERY = 32;

/**
 * Plain SGD at batch 1 fused with the input gradient, without storing dW (the common on-device case):
 * per row i with g = dZ[i] != 0: lg = round(lrM g / 2^14) (|lg| < 2^15), then for each input j
 * A[j] += (W_ij g) >> SHd (old W; skipped when A is null) and W_ij -= round(lg x_j / 2^S) saturated.
 * b_i -= round(lg / 2^Sb) (1 <= S, 1 <= Sb <= 30; S > 30 means every weight update rounds to 0). Rows whose
 * update rounds to zero for every input (|lg| xAbsMax < 2^(S-1)) only feed A. Returns the number of saturated stores.
 *
 * Saturation without a per-weight check: bound[at] is an upper bound on max|W_ij| of this layer (BOUND_UNKNOWN:
 * none) and bound[at + 1] a rescan countdown; the model resets both whenever its weights may have been written
 * from outside. No weight of row i moves by more than D_i = (|lg| xAbsMax + 2^(S-1)) >> S, so a row with
 * bound + D_i <= QMAX cannot saturate and is updated without checks; other rows run the checked loop. Afterwards
 * the bound grows by the largest D_i of the unchecked rows (or becomes BOUND_UNKNOWN after a checked row). A bound
 * above RESCAN_ABOVE is replaced by the exact max|W| first. Both loops store the same values whenever nothing
 * saturates, so the choice never changes results.
 *
 * P (optional, with A; >= nIn int16 of scratch): the caller masks A wherever x = 0 afterwards (ReLU below, whose
 * Y <= 0 means x = 0). Then inputs equal to 0 can be skipped entirely: their weights would not move (round(0) = 0)
 * and their A entries would be masked, so when at most 2/3 of the inputs are active, the unchecked loops visit only
 * the active ones (indices collected in P) and leave A[j] = 0 for the rest. Results are the same either way.
 *
 * Unchecked rows are queued and updated four per pass over the inputs; the last one to three one at a time.
 */
export function sgdFusedQ(f: LayerFormatQ, dZ: Int16Array, x: Int16Array, A: Int32Array | null, u: UpdateQ, xAbsMax: number,
  bound: Int32Array, at: number, P: Int16Array | null = null): number {
  const W = f.W, b = f.b, nIn = f.nIn, nOut = f.nOut, SHd = f.SHd, lrM = u.lrM, S = u.S, Sb = u.Sb;
  let i = 0, j = 0, k = 0, g = 0, lg = 0, w = 0, v = 0, sat = 0, a = 0, D = 0, Dmax = 0, checked = 0, na = 0, t = 0, na4 = 0;
  // the unchecked rows wait in r0..r3 until four can share one pass over the inputs (see below)
  let queued = 0, r0 = 0, r1 = 0, r2 = 0, r3 = 0, k0 = 0, k1 = 0, k2 = 0, k3 = 0, g0 = 0, g1 = 0, g2 = 0, g3 = 0;
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0, s = 0, q = 0;
  let B = bound[at], cd = bound[at + 1];
  const H = S > 30 ? 0 : 1 << (S - 1);
  const Hb = 1 << (Sb - 1);
  const skipBelow = S > 30 ? 0x7fffffff : H;
  const end16 = nIn - 15, end4 = nIn - 3;
  if (B > RESCAN_ABOVE) {
    if (cd <= 0) {
      B = absMaxQ(W, 0, nIn * nOut);
      cd = B > RESCAN_ABOVE ? RESCAN_EVERY : 0;
    } else cd--;
  }
  // A loop, not A.fill(0, 0, nIn): XS converts fill's start and end through doubles (2 floating-point operations)
  if (A !== null) for (j = 0; j < nIn; j++) A[j] = 0;
  // Active inputs (x != 0) into P when they are few enough for the indexed loops to pay off.
  if (P !== null && A !== null) {
    for (j = 0; j < nIn; j++) if (x[j] !== 0) { P[na] = j; na++; }
    if (na + na + na > nIn + nIn) na = -1; // more than 2/3 active: the dense loops are cheaper
    na4 = na - 3;
  } else na = -1;
  for (i = 0; i < nOut; i++) {
    g = dZ[i];
    if (g === 0) continue;
    lg = (lrM * g + 8192) >> 14;
    k = i * nIn;
    // bias (1 <= Sb <= 30; |lg| < 2^15)
    v = b[i] - ((lg + Hb) >> Sb);
    if (v > QMAX) { v = QMAX; sat++; } else if (v < -QMAX) { v = -QMAX; sat++; }
    b[i] = v;
    a = (lg < 0 ? -lg : lg) * xAbsMax; // < 2^30
    if (a < skipBelow) {
      if (na >= 0) {
        t = 0;
        while (t < na4) {
          j = P![t]; A![j] += (W[k + j] * g) >> SHd;
          j = P![t + 1]; A![j] += (W[k + j] * g) >> SHd;
          j = P![t + 2]; A![j] += (W[k + j] * g) >> SHd;
          j = P![t + 3]; A![j] += (W[k + j] * g) >> SHd;
          t += 4;
        }
        while (t < na) { j = P![t]; A![j] += (W[k + j] * g) >> SHd; t++; }
      } else if (A !== null) {
        j = 0;
        while (j < end4) {
          A[j] += (W[k] * g) >> SHd;
          A[j + 1] += (W[k + 1] * g) >> SHd;
          A[j + 2] += (W[k + 2] * g) >> SHd;
          A[j + 3] += (W[k + 3] * g) >> SHd;
          k += 4;
          j += 4;
        }
        while (j < nIn) { A[j] += (W[k] * g) >> SHd; k++; j++; }
      }
      continue;
    }
    D = (a + H) >> S; // a + H < 2^31 (S <= 30 here)
    if (B + D <= QMAX) {
      if (D > Dmax) Dmax = D;
      if (queued === 0) r0 = i; else if (queued === 1) r1 = i; else if (queued === 2) r2 = i; else r3 = i;
      queued++;
      if (queued < 4) continue;
      // Four unchecked rows in one pass over the inputs: each input (and its A entry) is read once for the four.
      // Every weight and every A term is the one-row loop's; A's int32 sums do not depend on the row order.
      queued = 0;
      k0 = r0 * nIn; k1 = r1 * nIn; k2 = r2 * nIn; k3 = r3 * nIn;
      g0 = dZ[r0]; g1 = dZ[r1]; g2 = dZ[r2]; g3 = dZ[r3];
      // 0 - x, not -x: x may be 0, and -0 is a double in XS
      l0 = 0 - ((lrM * g0 + 8192) >> 14); l1 = 0 - ((lrM * g1 + 8192) >> 14);
      l2 = 0 - ((lrM * g2 + 8192) >> 14); l3 = 0 - ((lrM * g3 + 8192) >> 14);
      if (na >= 0) {
        for (t = 0; t < na; t++) {
          j = P![t];
          v = x[j];
          s = A![j];
          s += ((w = W[k0 + j]) * g0) >> SHd; W[k0 + j] = w + ((l0 * v + H) >> S);
          s += ((w = W[k1 + j]) * g1) >> SHd; W[k1 + j] = w + ((l1 * v + H) >> S);
          s += ((w = W[k2 + j]) * g2) >> SHd; W[k2 + j] = w + ((l2 * v + H) >> S);
          s += ((w = W[k3 + j]) * g3) >> SHd; W[k3 + j] = w + ((l3 * v + H) >> S);
          A![j] = s;
        }
      } else if (A !== null) {
        for (j = 0; j < nIn; j++) {
          v = x[j];
          s = A[j];
          s += ((w = W[k0 + j]) * g0) >> SHd; W[k0 + j] = w + ((l0 * v + H) >> S);
          s += ((w = W[k1 + j]) * g1) >> SHd; W[k1 + j] = w + ((l1 * v + H) >> S);
          s += ((w = W[k2 + j]) * g2) >> SHd; W[k2 + j] = w + ((l2 * v + H) >> S);
          s += ((w = W[k3 + j]) * g3) >> SHd; W[k3 + j] = w + ((l3 * v + H) >> S);
          A[j] = s;
        }
      } else {
        for (j = 0; j < nIn; j++) {
          v = x[j];
          W[k0 + j] += (l0 * v + H) >> S;
          W[k1 + j] += (l1 * v + H) >> S;
          W[k2 + j] += (l2 * v + H) >> S;
          W[k3 + j] += (l3 * v + H) >> S;
        }
      }
      continue;
    }
    checked = 1;
    lg = 0 - lg;
    for (j = 0; j < nIn; j++) {
      if (A !== null) A[j] += (W[k] * g) >> SHd;
      v = W[k] + ((lg * x[j] + H) >> S);
      if (v > QMAX) { v = QMAX; sat++; } else if (v < -QMAX) { v = -QMAX; sat++; }
      W[k] = v;
      k++;
    }
  }
  // The last (up to three) unchecked rows, one at a time.
  for (q = 0; q < queued; q++) {
    i = q === 0 ? r0 : q === 1 ? r1 : r2;
    g = dZ[i];
    lg = 0 - ((lrM * g + 8192) >> 14);
    k = i * nIn;
    j = 0;
    if (na >= 0) {
      t = 0;
      while (t < na4) {
        j = P![t]; A![j] += ((w = W[k + j]) * g) >> SHd; W[k + j] = w + ((lg * x[j] + H) >> S);
        j = P![t + 1]; A![j] += ((w = W[k + j]) * g) >> SHd; W[k + j] = w + ((lg * x[j] + H) >> S);
        j = P![t + 2]; A![j] += ((w = W[k + j]) * g) >> SHd; W[k + j] = w + ((lg * x[j] + H) >> S);
        j = P![t + 3]; A![j] += ((w = W[k + j]) * g) >> SHd; W[k + j] = w + ((lg * x[j] + H) >> S);
        t += 4;
      }
      while (t < na) { j = P![t]; A![j] += ((w = W[k + j]) * g) >> SHd; W[k + j] = w + ((lg * x[j] + H) >> S); t++; }
    } else if (A !== null) {
      while (j < end4) {
        A[j] += ((w = W[k]) * g) >> SHd; W[k] = w + ((lg * x[j] + H) >> S);
        A[j + 1] += ((w = W[k + 1]) * g) >> SHd; W[k + 1] = w + ((lg * x[j + 1] + H) >> S);
        A[j + 2] += ((w = W[k + 2]) * g) >> SHd; W[k + 2] = w + ((lg * x[j + 2] + H) >> S);
        A[j + 3] += ((w = W[k + 3]) * g) >> SHd; W[k + 3] = w + ((lg * x[j + 3] + H) >> S);
        k += 4;
        j += 4;
      }
      while (j < nIn) { A[j] += ((w = W[k]) * g) >> SHd; W[k] = w + ((lg * x[j] + H) >> S); k++; j++; }
    } else {
      while (j < end16) {
        W[k] += (lg * x[j] + H) >> S;
        W[k + 1] += (lg * x[j + 1] + H) >> S;
        W[k + 2] += (lg * x[j + 2] + H) >> S;
        W[k + 3] += (lg * x[j + 3] + H) >> S;
        W[k + 4] += (lg * x[j + 4] + H) >> S;
        W[k + 5] += (lg * x[j + 5] + H) >> S;
        W[k + 6] += (lg * x[j + 6] + H) >> S;
        W[k + 7] += (lg * x[j + 7] + H) >> S;
        W[k + 8] += (lg * x[j + 8] + H) >> S;
        W[k + 9] += (lg * x[j + 9] + H) >> S;
        W[k + 10] += (lg * x[j + 10] + H) >> S;
        W[k + 11] += (lg * x[j + 11] + H) >> S;
        W[k + 12] += (lg * x[j + 12] + H) >> S;
        W[k + 13] += (lg * x[j + 13] + H) >> S;
        W[k + 14] += (lg * x[j + 14] + H) >> S;
        W[k + 15] += (lg * x[j + 15] + H) >> S;
        k += 16;
        j += 16;
      }
      while (j < end4) {
        W[k] += (lg * x[j] + H) >> S;
        W[k + 1] += (lg * x[j + 1] + H) >> S;
        W[k + 2] += (lg * x[j + 2] + H) >> S;
        W[k + 3] += (lg * x[j + 3] + H) >> S;
        k += 4;
        j += 4;
      }
      while (j < nIn) { W[k] += (lg * x[j] + H) >> S; k++; j++; }
    }
  }
  bound[at] = checked !== 0 ? BOUND_UNKNOWN : B + Dmax;
  bound[at + 1] = cd;
  return sat;
}

/**
 * Per-weight gradient of one layer summed over `cols` samples, scaled by the learning rate, into a row
 * scratch: for row i, G[c] = round(lrM dZ[c,i] / 2^t) with t = 14 + lb (lb = ceil(log2 cols)), so that
 * sum_c |G[c] x| < 2^30. Then, per weight, d = sum_c G[c] x[c,j] (int32) and:
 *   plain:    W -= round(d / 2^S) [+ decay]
 *   momentum: V = round(mu V / 2^15) + round(d / 2^(S-4)) [+ decay]; W -= round(V / 2^4)
 * where the velocity V (U: the W velocities, then the b velocities; Int16 at frac fw + 4, in weight units).
 * Decay adds round(dM w / 2^dE) to the decrement (dE > 30: off). rng: null for round-to-nearest, else a
 * one-element xorshift32 state for stochastic rounding of the weight decrement. The caller keeps
 * 1 <= S - 4m <= 30 or S - 4m > 30 (weight gradient rounds to 0), 1 <= Sb - 4m <= 30 and 1 <= dE - 4m
 * (m = 1 with momentum), so no shift is negative. Returns the number of saturated stores.
 */
export function updateQ(f: LayerFormatQ, U: Int16Array | null, dZ: Int16Array, x: Int16Array, xOff: number,
  G: Int32Array, cols: number, u: UpdateQ, rng: Int32Array | null): number {
  return updateRowsQ(f, U, dZ, x, xOff, null, G, cols, u, rng);
}

/**
 * Apply stored gradients (gradientsQ) to a layer: per weight d = lrM dW, per bias lrM db (|.| < 2^30), then as
 * updateQ with cols = 1: W by S (with decay), b by Sb (without), round-to-nearest. Returns the number of
 * saturated stores.
 */
export function applyGradientsQ(f: LayerFormatQ, dW: Int16Array, db: Int16Array, U: Int16Array | null, u: UpdateQ): number {
  return updateRowsQ(f, U, null, dW, 0, db, null, 1, u, null);
}

/**
 * The body of updateQ (db null: the products come from dZ and x) and applyGradientsQ (db given: X is dW and
 * each row's only "sample" has the rate lrM). The mode is settled once per row; the per-weight part is shared.
 */
function updateRowsQ(f: LayerFormatQ, U: Int16Array | null, dZ: Int16Array | null, X: Int16Array, xOff: number,
  db: Int16Array | null, G: Int32Array | null, cols: number, u: UpdateQ, rng: Int32Array | null): number {
  const W = f.W, b = f.b, nIn = f.nIn, nOut = f.nOut, lrM = u.lrM, t = u.t, S = u.S, Sb = u.Sb, muQ15 = u.muQ15, dM = u.dM, dE = u.dE;
  let i = 0, j = 0, c = 0, k = 0, o = 0, d = 0, v = 0, w = 0, uv = 0, sat = 0, g0 = 0, gs = 0, r = 0;
  const stored = db !== null, one = cols === 1, nW = nIn * nOut;
  const tH = stored ? 0 : 1 << (t - 1);
  const mom = U !== null;
  const Su = mom ? S - 4 : S;
  const wOn = Su <= 30;
  const H = wOn ? 1 << (Su - 1) : 0;
  const dEu = mom ? dE - 4 : dE;
  const decay = dM !== 0 && dEu <= 30;
  const dH = decay ? 1 << (dEu - 1) : 0;
  const Sbu = mom ? Sb - 4 : Sb;
  const bOn = Sbu <= 30;
  const Hb = bOn ? 1 << (Sbu - 1) : 0;
  if (rng !== null) r = rng[0];
  for (i = 0; i < nOut; i++) {
    k = i * nIn;
    if (stored) {
      g0 = lrM;
      gs = lrM * db![i];
      o = k;
    } else {
      gs = 0;
      for (c = 0; c < cols; c++) { G![c] = (lrM * dZ![c * nOut + i] + tH) >> t; gs += G![c]; }
      g0 = G![0];
      o = xOff;
    }
    for (j = 0; j < nIn; j++) {
      if (one) d = g0 * X[o + j];
      else { d = 0; for (c = 0; c < cols; c++) d += G![c] * X[o + c * nIn + j]; }
      w = W[k];
      if (!wOn) d = 0;
      else if (rng !== null) {
        r ^= r << 13; r ^= r >>> 17; r ^= r << 5;
        d = (d + (r >>> (32 - Su))) >> Su;
      } else d = (d + H) >> Su;
      if (decay) d += (dM * w + dH) >> dEu;
      if (mom) {
        uv = (((muQ15 * U![k]) + 16384) >> 15) + d;
        if ((uv + QMAX) >>> 0 > 65534) { uv = uv > 0 ? QMAX : -QMAX; sat++; }
        U![k] = uv;
        d = (uv + 8) >> 4;
      }
      v = w - d;
      if ((v + QMAX) >>> 0 > 65534) { v = v > 0 ? QMAX : -QMAX; sat++; }
      W[k] = v;
      k++;
    }
    // bias: the rates summed over the samples (|gs| < 2^15 2^lb / 2^lb), or lrM db
    d = bOn ? (gs + Hb) >> Sbu : 0;
    if (mom) {
      uv = (((muQ15 * U![nW + i]) + 16384) >> 15) + d;
      if ((uv + QMAX) >>> 0 > 65534) { uv = uv > 0 ? QMAX : -QMAX; sat++; }
      U![nW + i] = uv;
      d = (uv + 8) >> 4;
    }
    v = b[i] - d;
    if ((v + QMAX) >>> 0 > 65534) { v = v > 0 ? QMAX : -QMAX; sat++; }
    b[i] = v;
  }
  if (rng !== null) rng[0] = r;
  return sat;
}

/**
 * Stored gradients (keepGradients): dW = sum_c dZ[c,i] x[c,j] >> lb (|.| < 2^29), then >> T (rounded) into
 * Int16 at frac gz + fin - lb - T; db = sum_c dZ[c,i] >> Tb at frac gz - Tb. T and Tb come from bounds, so
 * nothing saturates except the single rounding-up case, which is clamped and counted.
 */
export function gradientsQ(f: LayerFormatQ, dZ: Int16Array, x: Int16Array, xOff: number, dW: Int16Array, db: Int16Array,
  cols: number, lb: number, T: number, Tb: number): number {
  const nIn = f.nIn, nOut = f.nOut;
  let i = 0, j = 0, c = 0, k = 0, s = 0, sat = 0;
  const H = T > 0 ? 1 << (T - 1) : 0;
  const Hb = Tb > 0 ? 1 << (Tb - 1) : 0;
  for (i = 0; i < nOut; i++) {
    s = 0;
    for (c = 0; c < cols; c++) s += dZ[c * nOut + i];
    s = (s + Hb) >> Tb;
    if (s > QMAX) { s = QMAX; sat++; } else if (s < -QMAX) { s = -QMAX; sat++; }
    db[i] = s;
    for (j = 0; j < nIn; j++) {
      s = 0;
      for (c = 0; c < cols; c++) s += (dZ[c * nOut + i] * x[xOff + c * nIn + j]) >> lb;
      s = (s + H) >> T;
      if (s > QMAX) { s = QMAX; sat++; } else if (s < -QMAX) { s = -QMAX; sat++; }
      dW[k] = s;
      k++;
    }
  }
  return sat;
}

/** Largest |x| over n int16 values from off. */
export function absMaxQ(x: Int16Array, off: number, n: number): number {
  let i = off, v = 0, hi = 0, lo = 0;
  const end = off + n, end4 = end - 3;
  while (i < end4) {
    if ((v = x[i]) > hi) hi = v; else if (v < lo) lo = v;
    if ((v = x[i + 1]) > hi) hi = v; else if (v < lo) lo = v;
    if ((v = x[i + 2]) > hi) hi = v; else if (v < lo) lo = v;
    if ((v = x[i + 3]) > hi) hi = v; else if (v < lo) lo = v;
    i += 4;
  }
  while (i < end) { if ((v = x[i]) > hi) hi = v; else if (v < lo) lo = v; i++; }
  return hi > 0 - lo ? hi : 0 - lo;
}
