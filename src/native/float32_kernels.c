/*
 * Float32 dense-layer kernels in C, bit-identical to src/engine/float32/dense.ts and optimizer.ts, and
 * the deterministic exp/expm1/tanh of src/engine/math.ts.
 *
 * How the results stay identical: JavaScript reads a float32 element as a double, does every + - * / in
 * double, and rounds to float32 only when it stores into the Float32Array. Here every value is a double,
 * every expression is written in the same order with the same parenthesisation as the TypeScript, and the
 * only float conversions are the stores ((float) of a double rounds to nearest-even, as Float32Array does).
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

typedef double D;

/* ---- math.ts ---- */

static const D LN2_HI = 6.93147180369123816490e-1;
static const D LN2_LO = 1.90821492927058770002e-10;
static const D INV_LN2 = 1.4426950408889634;

/* 2^k exactly, built from its bits: normal for k >= -1022, subnormal down to -1074 (math.ts's table). */
static D pow2(int32_t k)
{
  uint64_t bits;
  D v;
  if (k > 1023) return INFINITY;
  if (k < -1074) return 0;
  bits = k >= -1022 ? (uint64_t)(k + 1023) << 52 : (uint64_t)1 << (k + 1074);
  memcpy(&v, &bits, sizeof v);
  return v;
}

/* Same Horner form as math.ts; the coefficients 1/n! are the correctly rounded quotients in both languages. */
static D expm1Small(D r)
{
  return r * (1 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 +
    r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 +
    r * (1.0 / 6227020800.0)))))))))))));
}

D tp_exp(D x)
{
  D t, r, m;
  int32_t k;
  if (x != x) return NAN;
  if (x > 709.8) return INFINITY;
  if (x < -745.2) return 0;
  t = x * INV_LN2 + 0.5; /* in [-1075, 1025]: floor by truncation, corrected for negatives */
  k = (int32_t)t;
  if ((D)k > t) k--;
  r = x - (D)k * LN2_HI - (D)k * LN2_LO;
  m = 1 + expm1Small(r);
  return k < -1022 ? m * pow2(k + 60) * pow2(-60) : m * pow2(k);
}

D tp_expm1(D x)
{
  if (x > -0.34657359027997264 && x < 0.34657359027997264) return expm1Small(x);
  return tp_exp(x) - 1;
}

D tp_tanh(D x)
{
  D a, t, y;
  if (x != x) return NAN;
  a = x < 0 ? -x : x;
  if (a > 20) return x < 0 ? -1 : 1;
  t = tp_expm1(2 * a);
  y = t / (t + 2);
  return x < 0 ? -y : y;
}

/* ---- dense.ts ---- */

void tp_f32_dense_forward(const float *W, const float *b, const float *x, float *Y,
  int32_t nIn, int32_t nOut, int32_t cols)
{
  int32_t c, i, k, j, end, end8, y = 0;
  D s;
  for (c = 0; c < cols; c++) {
    k = 0;
    for (i = 0; i < nOut; i++) {
      s = b[i];
      j = c * nIn;
      end = j + nIn;
      end8 = end - 7;
      while (j < end8) {
        s += (D)W[k] * x[j] + (D)W[k + 1] * x[j + 1] + (D)W[k + 2] * x[j + 2] + (D)W[k + 3] * x[j + 3] +
          (D)W[k + 4] * x[j + 4] + (D)W[k + 5] * x[j + 5] + (D)W[k + 6] * x[j + 6] + (D)W[k + 7] * x[j + 7];
        k += 8;
        j += 8;
      }
      while (j < end) {
        s += (D)W[k] * x[j];
        k++;
        j++;
      }
      Y[y] = (float)s;
      y++;
    }
  }
}

void tp_f32_activate(float *Y, int32_t n, int32_t act, D leakySlope)
{
  int32_t i;
  D v;
  switch (act) {
  case TP_ACT_RELU:
    for (i = 0; i < n; i++) if (Y[i] < 0) Y[i] = 0;
    break;
  case TP_ACT_LEAKY:
    for (i = 0; i < n; i++) { v = Y[i]; if (v < 0) Y[i] = (float)(v * leakySlope); }
    break;
  case TP_ACT_SIGMOID:
    for (i = 0; i < n; i++) {
      v = Y[i];
      if (v >= 0) Y[i] = (float)(1 / (1 + tp_exp(-v)));
      else { v = tp_exp(v); Y[i] = (float)(v / (1 + v)); }
    }
    break;
  case TP_ACT_TANH:
    for (i = 0; i < n; i++) Y[i] = (float)tp_tanh(Y[i]);
    break;
  }
}

void tp_f32_activation_backward(float *dZ, const float *Y, int32_t n, int32_t act, D leakySlope)
{
  int32_t i;
  D v;
  switch (act) {
  case TP_ACT_RELU:
    for (i = 0; i < n; i++) if (Y[i] <= 0) dZ[i] = 0;
    break;
  case TP_ACT_LEAKY:
    for (i = 0; i < n; i++) if (Y[i] <= 0) dZ[i] = (float)((D)dZ[i] * leakySlope);
    break;
  case TP_ACT_SIGMOID:
    for (i = 0; i < n; i++) { v = Y[i]; dZ[i] = (float)((D)dZ[i] * (v * (1 - v))); }
    break;
  case TP_ACT_TANH:
    for (i = 0; i < n; i++) { v = Y[i]; dZ[i] = (float)((D)dZ[i] * (1 - v * v)); }
    break;
  }
}

/* dX[j] += W[k] * g, rounded to float32 at the store, like `dX[j] += W[k] * g` in dense.ts. */
#define ACC(T, j, w, g) ((T)[j] = (float)((D)(T)[j] + (D)(w) * (g)))

void tp_f32_backward_input(const float *W, const float *dZ, float *dX, int32_t nIn, int32_t nOut, int32_t cols)
{
  int32_t c, i, j, k, end, end4, n = cols * nIn;
  D g;
  for (j = 0; j < n; j++) dX[j] = 0;
  for (c = 0; c < cols; c++) {
    for (i = 0; i < nOut; i++) {
      g = dZ[c * nOut + i];
      if (g == 0) continue;
      k = i * nIn;
      j = c * nIn;
      end = j + nIn;
      end4 = end - 3;
      while (j < end4) {
        ACC(dX, j, W[k], g);
        ACC(dX, j + 1, W[k + 1], g);
        ACC(dX, j + 2, W[k + 2], g);
        ACC(dX, j + 3, W[k + 3], g);
        k += 4;
        j += 4;
      }
      while (j < end) {
        ACC(dX, j, W[k], g);
        k++;
        j++;
      }
    }
  }
}

/* dW[k] += g * x[j]: the product g * x equals x * g (IEEE multiplication commutes). */
void tp_f32_backward_params(const float *dZ, const float *x, float *dW, float *db,
  int32_t nIn, int32_t nOut, int32_t cols)
{
  int32_t c, i, j, k, end, end4, n = nIn * nOut;
  D g;
  for (k = 0; k < n; k++) dW[k] = 0;
  for (i = 0; i < nOut; i++) db[i] = 0;
  for (c = 0; c < cols; c++) {
    for (i = 0; i < nOut; i++) {
      g = dZ[c * nOut + i];
      if (g == 0) continue;
      db[i] = (float)((D)db[i] + g);
      k = i * nIn;
      j = c * nIn;
      end = j + nIn;
      end4 = end - 3;
      while (j < end4) {
        ACC(dW, k, x[j], g);
        ACC(dW, k + 1, x[j + 1], g);
        ACC(dW, k + 2, x[j + 2], g);
        ACC(dW, k + 3, x[j + 3], g);
        k += 4;
        j += 4;
      }
      while (j < end) {
        ACC(dW, k, x[j], g);
        k++;
        j++;
      }
    }
  }
}

void tp_f32_backward_sgd_fused(float *W, float *b, const float *dZ, const float *x, float *dX,
  int32_t nIn, int32_t nOut, D lr, D weightDecay)
{
  int32_t i, j, k;
  D g, lg, w;
  const D decay = 1 - lr * weightDecay;
  if (dX != 0) for (j = 0; j < nIn; j++) dX[j] = 0;
  for (i = 0; i < nOut; i++) {
    g = dZ[i];
    k = i * nIn;
    if (g == 0) {
      if (decay != 1) for (j = 0; j < nIn; j++) W[k + j] = (float)((D)W[k + j] * decay);
      continue;
    }
    b[i] = (float)((D)b[i] - lr * g);
    lg = lr * g;
    /* dense.ts unrolls these loops by four; each element's arithmetic is the same either way. */
    if (dX != 0) {
      for (j = 0; j < nIn; j++, k++) {
        w = W[k];
        dX[j] = (float)((D)dX[j] + w * g);
        W[k] = (float)(w * decay - lg * x[j]);
      }
    } else {
      for (j = 0; j < nIn; j++, k++) W[k] = (float)((D)W[k] * decay - lg * x[j]);
    }
  }
}

/* ---- optimizer.ts ---- */

D tp_f32_sum_of_squares(const float *G, int32_t n)
{
  int32_t i;
  D s = 0, g;
  for (i = 0; i < n; i++) { g = G[i]; s += g * g; }
  return s;
}

void tp_f32_sgd(float *P, const float *G, int32_t n, D lr, D wd, D gScale)
{
  int32_t k;
  D w;
  for (k = 0; k < n; k++) {
    w = P[k];
    P[k] = (float)(w - lr * ((D)G[k] * gScale + wd * w));
  }
}

/* The velocity is stored rounded, but the weight update uses the unrounded double v, as in optimizer.ts. */
void tp_f32_momentum(float *P, const float *G, float *V, int32_t n, D lr, D mu, D wd, D gScale)
{
  int32_t k;
  D w, v;
  for (k = 0; k < n; k++) {
    w = P[k];
    v = mu * V[k] + (D)G[k] * gScale + wd * w;
    V[k] = (float)v;
    P[k] = (float)(w - lr * v);
  }
}

void tp_f32_adam(float *P, const float *G, float *M, float *V, int32_t n, D lr, D b1, D b2,
  D eps, D c1, D c2, D wd, D gScale)
{
  int32_t k;
  D w, grad, m, v;
  for (k = 0; k < n; k++) {
    w = P[k];
    grad = (D)G[k] * gScale + wd * w;
    m = b1 * M[k] + (1 - b1) * grad;
    M[k] = (float)m;
    v = b2 * V[k] + (1 - b2) * grad * grad;
    V[k] = (float)v;
    P[k] = (float)(w - (lr * (m / c1)) / (sqrt(v / c2) + eps));
  }
}
