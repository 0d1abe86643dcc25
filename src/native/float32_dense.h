/*
 * The dense-layer and optimizer kernels of float32_kernels.c, written once over the arithmetic type D:
 * float32_kernels.c includes this file twice, with D double (tp_f32_*: JavaScript's arithmetic, bit-identical
 * to dense.ts and optimizer.ts) and with D float (tp_f32s_*: every operation rounded to float, bit-identical
 * to float-only.ts). Values are stored as float in both. Expects D, TP_NAME(name) and TP_SQRT defined.
 * Exponentials (sigmoid, tanh) are computed in double in both variants.
 */

void TP_NAME(dense_forward)(const float *W, const float *b, const float *x, float *Y,
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

void TP_NAME(activate)(float *Y, int32_t n, int32_t act, D leakySlope)
{
  int32_t i;
  D v;
  double e;
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
      else { e = tp_exp(v); Y[i] = (float)(e / (1 + e)); }
    }
    break;
  case TP_ACT_TANH:
    for (i = 0; i < n; i++) Y[i] = (float)tp_tanh(Y[i]);
    break;
  }
}

void TP_NAME(activation_backward)(float *dZ, const float *Y, int32_t n, int32_t act, D leakySlope)
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

/*
 * A[j] += v[j] * g for j < n, each sum rounded to float32 at its store, like `dX[j] += W[k] * g` in dense.ts.
 * The row update of both backward kernels: dX row += W row * g, and dW row += x * g (dense.ts writes g * x:
 * IEEE multiplication commutes, so the product is the same).
 */
static void TP_NAME(add_scaled_row)(float *A, const float *v, int32_t n, D g)
{
  int32_t j = 0;
  for (; j < n - 3; j += 4) {
    A[j] = (float)((D)A[j] + (D)v[j] * g);
    A[j + 1] = (float)((D)A[j + 1] + (D)v[j + 1] * g);
    A[j + 2] = (float)((D)A[j + 2] + (D)v[j + 2] * g);
    A[j + 3] = (float)((D)A[j + 3] + (D)v[j + 3] * g);
  }
  for (; j < n; j++) A[j] = (float)((D)A[j] + (D)v[j] * g);
}

void TP_NAME(backward_input)(const float *W, const float *dZ, float *dX, int32_t nIn, int32_t nOut, int32_t cols)
{
  int32_t c, i, j, n = cols * nIn;
  D g;
  for (j = 0; j < n; j++) dX[j] = 0;
  for (c = 0; c < cols; c++) {
    for (i = 0; i < nOut; i++) {
      g = dZ[c * nOut + i];
      if (g != 0) TP_NAME(add_scaled_row)(dX + c * nIn, W + i * nIn, nIn, g);
    }
  }
}

void TP_NAME(backward_params)(const float *dZ, const float *x, float *dW, float *db,
  int32_t nIn, int32_t nOut, int32_t cols)
{
  int32_t c, i, k, n = nIn * nOut;
  D g;
  for (k = 0; k < n; k++) dW[k] = 0;
  for (i = 0; i < nOut; i++) db[i] = 0;
  for (c = 0; c < cols; c++) {
    for (i = 0; i < nOut; i++) {
      g = dZ[c * nOut + i];
      if (g == 0) continue;
      db[i] = (float)((D)db[i] + g);
      TP_NAME(add_scaled_row)(dW + i * nIn, x + c * nIn, nIn, g);
    }
  }
}

void TP_NAME(backward_sgd_fused)(float *W, float *b, const float *dZ, const float *x, float *dX,
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

/* Forward and activation of one layer in one call (act TP_ACT_LINEAR: none). */
void TP_NAME(forward_act)(const float *W, const float *b, const float *x, float *Y,
  int32_t nIn, int32_t nOut, int32_t cols, int32_t act, D leakySlope)
{
  TP_NAME(dense_forward)(W, b, x, Y, nIn, nOut, cols);
  TP_NAME(activate)(Y, nOut * cols, act, leakySlope);
}

/* The fused SGD backward, then the activation derivative of the layer below into dX (when both are given). */
void TP_NAME(backward_sgd_fused_act)(float *W, float *b, const float *dZ, const float *x, float *dX,
  int32_t nIn, int32_t nOut, D lr, D weightDecay, const float *Yb, int32_t act, D leakySlope)
{
  TP_NAME(backward_sgd_fused)(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay);
  if (dX != 0 && Yb != 0) TP_NAME(activation_backward)(dX, Yb, nIn, act, leakySlope);
}

/* ---- optimizer.ts ---- */

D TP_NAME(sum_of_squares)(const float *G, int32_t n)
{
  int32_t i;
  D s = 0, g;
  for (i = 0; i < n; i++) { g = G[i]; s += g * g; }
  return s;
}

void TP_NAME(sgd)(float *P, const float *G, int32_t n, D lr, D wd, D gScale)
{
  int32_t k;
  D w;
  for (k = 0; k < n; k++) {
    w = P[k];
    P[k] = (float)(w - lr * ((D)G[k] * gScale + wd * w));
  }
}

/* The velocity is stored rounded, but the weight update uses the unrounded double v, as in optimizer.ts. */
void TP_NAME(momentum)(float *P, const float *G, float *V, int32_t n, D lr, D mu, D wd, D gScale)
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

void TP_NAME(adam)(float *P, const float *G, float *M, float *V, int32_t n, D lr, D b1, D b2,
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
    P[k] = (float)(w - (lr * (m / c1)) / (TP_SQRT(v / c2) + eps));
  }
}
