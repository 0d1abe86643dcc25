// Boundary conversions between numbers and fixed point. These may use floating point (they run once per
// call or per step, not per multiply-accumulate); the kernels in kernels.ts may not.
import { exp, LN2, log, pow2 } from "../math";

/** Build the lookup tables once (deterministic math: identical in Node and XS). */
function table(n: number, f: (i: number) => number): Uint16Array {
  const t = new Uint16Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.round(f(i) * 32768);
  return t;
}
/** sigmoid(i / 16), i = 0..256, Q15. */
export const SIGMOID_Q15 = table(257, (i) => 1 / (1 + exp(-i / 16)));
/** 2^(-i/64), i = 0..64, Q15. */
export const EXP2_Q15 = table(65, (i) => exp((-i / 64) * LN2));
/** log2(1 + i/64), i = 0..64, Q15. */
export const LOG2_Q15 = table(65, (i) => log(1 + i / 64) / LN2);

/** round(v * 2^frac) saturated to +-32767. */
export function toQ(v: number, frac: number): number {
  const q = Math.round(v * pow2(frac));
  return q > 32767 ? 32767 : q < -32767 ? -32767 : q;
}

/**
 * Quantize n values of src (from sOff) into dst (from dOff) at `frac`. Returns how many saturated.
 * Non-finite values must be rejected by the caller.
 */
export function quantizeInto(src: ArrayLike<number>, sOff: number, dst: Int16Array, dOff: number, n: number, frac: number): number {
  const scale = pow2(frac), round = Math.round;
  let sat = 0, i = 0, q = 0;
  for (i = 0; i < n; i++) {
    q = round(src[sOff + i] * scale);
    if (q > 32767) { q = 32767; sat++; } else if (q < -32767) { q = -32767; sat++; }
    dst[dOff + i] = q;
  }
  return sat;
}

/** dst[i] = src[i] * 2^-frac. */
export function dequantizeInto(src: Int16Array, sOff: number, dst: { [i: number]: number }, dOff: number, n: number, frac: number): void {
  const scale = pow2(-frac);
  for (let i = 0; i < n; i++) dst[dOff + i] = src[sOff + i] * scale;
}

/**
 * A positive number as mantissa * 2^-exponent with the mantissa in [2^14, 2^15): out[0] = mantissa,
 * out[1] = exponent. 0 gives mantissa 0.
 */
export function toMantissa(v: number, out: Int32Array): void {
  if (!(v > 0)) { out[0] = 0; out[1] = 0; return; }
  let e = 14;
  let m = v * pow2(e);
  while (m >= 32768) { m *= 0.5; e--; }
  while (m < 16384) { m *= 2; e++; }
  let q = Math.round(m);
  if (q === 32768) { q = 16384; e--; }
  out[0] = q;
  out[1] = e;
}
