// Deterministic elementary functions. Engines are free to implement Math.exp/log/tanh/cos with different
// rounding (V8 and XS do differ in the last bits), which would make Node and XS training diverge. These use
// only + - * / and exact power-of-two scaling, which IEEE 754 defines bit for bit on every engine.
// Math.sqrt is correctly rounded by IEEE 754 and may be used directly.

/** ln 2 to double precision. */
export const LN2 = 0.6931471805599453;
// ln2 split so that k * LN2_HI is exact for |k| < 2^11 (Cody-Waite reduction keeps r accurate for large x).
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.4426950408889634;
const HALF_PI = 1.5707963267948966;
export const PI = 3.141592653589793;

// 2^k for k in [-POW2_BIAS, POW2_BIAS], built by exact doubling/halving.
const POW2_BIAS = 1074;
const pow2Table = new Float64Array(2 * POW2_BIAS + 1);
{
  let p = 1;
  for (let k = 0; k <= 1023; k++) { pow2Table[POW2_BIAS + k] = p; p *= 2; }
  p = 1;
  for (let k = 0; k <= POW2_BIAS; k++) { pow2Table[POW2_BIAS - k] = p; p /= 2; }
}

/** 2^k for integer k; 0 or Infinity outside the double range. */
export function pow2(k: number): number {
  if (k > 1023) return Infinity;
  if (k < -POW2_BIAS) return 0;
  return pow2Table[POW2_BIAS + k];
}

// The series' coefficients 1/n!, divided once here: XS does not fold constant expressions, and each `1 / n`
// in the series would cost two more bytecodes per call. The values are the same correctly rounded quotients.
const F2 = 1 / 2, F3 = 1 / 6, F4 = 1 / 24, F5 = 1 / 120, F6 = 1 / 720, F7 = 1 / 5040, F8 = 1 / 40320, F9 = 1 / 362880,
  F10 = 1 / 3628800, F11 = 1 / 39916800, F12 = 1 / 479001600, F13 = 1 / 6227020800;

// Taylor series of e^r - 1 for |r| <= ln2/2: the 13th-degree remainder is below 1e-17 relative.
function expm1Small(r: number): number {
  return r * (1 + r * (F2 + r * (F3 + r * (F4 + r * (F5 + r * (F6 + r * (F7 +
    r * (F8 + r * (F9 + r * (F10 + r * (F11 + r * (F12 + r * F13))))))))))));
}

/** e^x to within a few ulp of double precision. */
export function exp(x: number): number {
  if (x !== x) return NaN;
  if (x > 709.8) return Infinity;
  if (x < -745.2) return 0;
  // x = k ln2 + r with |r| <= ln2/2, so e^x = 2^k (1 + expm1(r)).
  const k = Math.floor(x * INV_LN2 + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  const m = 1 + expm1Small(r);
  // Split the scaling so that subnormal results are not flushed by an out-of-table 2^k.
  return k < -1022 ? m * pow2(k + 60) * pow2(-60) : m * pow2(k);
}

/** e^x - 1, accurate near 0 (needed by tanh for small arguments). */
export function expm1(x: number): number {
  if (x > -0.34657359027997264 && x < 0.34657359027997264) return expm1Small(x);
  return exp(x) - 1;
}

// Scratch to read a double's exponent bits without allocating (little-endian on x86, ARM and Xtensa).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

// 1/(2n+1) of log's atanh series, divided once (see F2 above).
const I3 = 1 / 3, I5 = 1 / 5, I7 = 1 / 7, I9 = 1 / 9, I11 = 1 / 11, I13 = 1 / 13, I15 = 1 / 15, I17 = 1 / 17, I19 = 1 / 19,
  I21 = 1 / 21, I23 = 1 / 23;

/** Natural logarithm. */
export function log(x: number): number {
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  let scale = 0;
  if (x < 2.2250738585072014e-308) { x *= 18014398509481984; scale = -54; } // lift subnormals by 2^54
  f64[0] = x;
  const hi = u32[1];
  let e = ((hi >>> 20) & 0x7ff) - 1023;
  u32[1] = (hi & 0x000fffff) | 0x3ff00000; // mantissa m in [1, 2)
  let m = f64[0];
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; } // m in (sqrt(1/2), sqrt(2)]
  // log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172: the series to s^23 is exact to double precision.
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  const series = s2 * (I3 + s2 * (I5 + s2 * (I7 + s2 * (I9 + s2 * (I11 + s2 * (I13 +
    s2 * (I15 + s2 * (I17 + s2 * (I19 + s2 * (I21 + s2 * I23))))))))));
  return 2 * s + 2 * s * series + (e + scale) * LN2;
}

/** Hyperbolic tangent. */
export function tanh(x: number): number {
  if (x !== x) return NaN;
  const a = x < 0 ? -x : x;
  if (a > 20) return x < 0 ? -1 : 1; // 1 - tanh(20) < 2^-56
  const t = expm1(2 * a);
  const y = t / (t + 2);
  return x < 0 ? -y : y;
}

/** Logistic sigmoid 1 / (1 + e^-x), stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + exp(-x));
  const e = exp(x);
  return e / (1 + e);
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + log(1 + exp(-x)) : log(1 + exp(x));
}

// Taylor series of cos on [-pi/2, pi/2]; the x^22 remainder is below 2e-17.
function cosSmall(x: number): number {
  const x2 = x * x;
  let t = 1;
  let sum = 1;
  for (let n = 2; n <= 20; n += 2) {
    t *= -x2 / (n * (n - 1));
    sum += t;
  }
  return sum;
}

/** Cosine, reduced to [-pi/2, pi/2] by periodicity and cos(x) = -cos(pi - x). */
export function cos(x: number): number {
  if (x !== x || x === Infinity || x === -Infinity) return NaN;
  if (x < 0) x = -x;
  const twoPi = 2 * PI;
  x -= Math.floor(x / twoPi) * twoPi; // [0, 2pi)
  if (x > PI) x = twoPi - x; // [0, pi]
  return x > HALF_PI ? -cosSmall(PI - x) : cosSmall(x);
}

/** True for a finite number (NaN and ±Infinity fail). Cheaper than Number.isFinite in XS. */
export function isFiniteNumber(v: number): boolean {
  return v - v === 0;
}

/**
 * base^k for an integer k >= 0 by binary powering: at most 2 log2(k) multiplications, so O(1) for any u32
 * step count, and the same bits on every engine (Math.pow's last bit differs between engines).
 */
export function powInt(base: number, k: number): number {
  let power = 1;
  while (k > 0) {
    if (k % 2 === 1) power *= base;
    base *= base;
    k = Math.floor(k / 2);
  }
  return power;
}
