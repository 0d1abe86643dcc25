/*
 * Float32 dense-layer kernels in C, and the deterministic exp/expm1/tanh/log of src/engine/math.ts and the
 * softmax of src/engine/float32/loss.ts. The dense kernels are written once (float32_dense.h) and compiled
 * twice: tp_f32_* computes in double, bit-identical to src/engine/float32/dense.ts and optimizer.ts (the
 * default), and tp_f32s_* computes in float ("native-f32" mode, bit-identical to float32/float-only.ts),
 * which the ESP32's single-precision FPU does in hardware.
 *
 * How the results stay identical: JavaScript reads a float32 element as a double, does every + - * / in
 * double, and rounds to float32 only when it stores into the Float32Array. Here every value is a double,
 * every expression is written in the same order with the same parenthesisation as the TypeScript, and the
 * only float conversions are the stores ((float) of a double rounds to nearest-even, as Float32Array does).
 * The float variant rounds every operation to float, as float-only.ts does with Math.fround.
 * Two compiler properties are required and checked below or in the build: doubles are evaluated in double
 * (FLT_EVAL_METHOD 0; not x87) and no multiply-add is fused (-ffp-contract=off; on Xtensa also
 * -mno-fused-madd), because a fused a*b+c rounds once where JavaScript rounds twice.
 */
#include <float.h>
#include <math.h>
#include <string.h>
#include "tinyprop_kernels.h"

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "tinyprop kernels need double arithmetic evaluated in double (FLT_EVAL_METHOD 0)"
#endif

#ifdef __GNUC__
#pragma GCC optimize("fp-contract=off")
#endif

/* ---- math.ts ---- */

static const double LN2_HI = 6.93147180369123816490e-1;
static const double LN2_LO = 1.90821492927058770002e-10;
static const double INV_LN2 = 1.4426950408889634;

/* 2^k exactly, built from its bits: normal for k >= -1022, subnormal down to -1074 (math.ts's table). */
static double pow2(int32_t k)
{
  uint64_t bits;
  double v;
  if (k > 1023) return INFINITY;
  if (k < -1074) return 0;
  bits = k >= -1022 ? (uint64_t)(k + 1023) << 52 : (uint64_t)1 << (k + 1074);
  memcpy(&v, &bits, sizeof v);
  return v;
}

/* Same Horner form as math.ts; the coefficients 1/n! are the correctly rounded quotients in both languages. */
static double expm1Small(double r)
{
  return r * (1 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 +
    r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 +
    r * (1.0 / 6227020800.0)))))))))))));
}

double tp_exp(double x)
{
  double t, r, m;
  int32_t k;
  if (x != x) return NAN;
  if (x > 709.8) return INFINITY;
  if (x < -745.2) return 0;
  t = x * INV_LN2 + 0.5; /* in [-1075, 1025]: floor by truncation, corrected for negatives */
  k = (int32_t)t;
  if ((double)k > t) k--;
  r = x - (double)k * LN2_HI - (double)k * LN2_LO;
  m = 1 + expm1Small(r);
  return k < -1022 ? m * pow2(k + 60) * pow2(-60) : m * pow2(k);
}

double tp_expm1(double x)
{
  if (x > -0.34657359027997264 && x < 0.34657359027997264) return expm1Small(x);
  return tp_exp(x) - 1;
}

double tp_tanh(double x)
{
  double a, t, y;
  if (x != x) return NAN;
  a = x < 0 ? -x : x;
  if (a > 20) return x < 0 ? -1 : 1;
  t = tp_expm1(2 * a);
  y = t / (t + 2);
  return x < 0 ? -y : y;
}

/* ln x, operation for operation as math.ts's log (which reads the exponent through a Float64Array). */
double tp_log(double x)
{
  static const double LN2 = 0.6931471805599453;
  uint64_t bits;
  uint32_t hi;
  int32_t e, scale = 0;
  double m, s, s2, series;
  if (x != x || x < 0) return NAN;
  if (x == 0) return -INFINITY;
  if (x == INFINITY) return INFINITY;
  if (x < 2.2250738585072014e-308) { x *= 18014398509481984.0; scale = -54; }
  memcpy(&bits, &x, sizeof bits);
  hi = (uint32_t)(bits >> 32);
  e = (int32_t)((hi >> 20) & 0x7ff) - 1023;
  bits = ((uint64_t)((hi & 0x000fffff) | 0x3ff00000) << 32) | (bits & 0xffffffffu);
  memcpy(&m, &bits, sizeof m);
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
  s = (m - 1) / (m + 1);
  s2 = s * s;
  series = s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13 +
    s2 * (1.0 / 15 + s2 * (1.0 / 17 + s2 * (1.0 / 19 + s2 * (1.0 / 21 + s2 * (1.0 / 23)))))))))));
  return 2 * s + 2 * s * series + (double)(e + scale) * LN2;
}

/* ---- validate.ts: index of the first value that is not finite (v - v is NaN for NaN and ±Infinity), or -1 ---- */

int32_t tp_f32_first_non_finite(const float *x, int32_t n)
{
  int32_t i;
  for (i = 0; i < n; i++) if (x[i] - x[i] != 0) return i;
  return -1;
}

/* ---- loss.ts: softmaxForward for one label (cols 1) or none (label -1); the same in both variants ---- */

double tp_f32_softmax(float *Y, int32_t n, int32_t cols, int32_t label)
{
  int32_t c, i, o;
  double max, sum, e, loss = 0;
  for (c = 0; c < cols; c++) {
    o = c * n;
    max = Y[o];
    for (i = 1; i < n; i++) if (Y[o + i] > max) max = Y[o + i];
    if (label >= 0) loss -= (double)Y[o + label] - max;
    sum = 0;
    for (i = 0; i < n; i++) {
      e = tp_exp((double)Y[o + i] - max);
      Y[o + i] = (float)e;
      sum += e;
    }
    if (label >= 0) loss += tp_log(sum);
    for (i = 0; i < n; i++) Y[o + i] = (float)((double)Y[o + i] / sum);
  }
  return loss;
}

/* ---- dense.ts and optimizer.ts, twice ---- */

#define D double
#define TP_NAME(name) tp_f32_##name
#define TP_SQRT sqrt
#include "float32_dense.h"
#undef D
#undef TP_NAME
#undef TP_SQRT

#define D float
#define TP_NAME(name) tp_f32s_##name
#define TP_SQRT sqrtf
#include "float32_dense.h"
