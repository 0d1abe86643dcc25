/*
 * The JavaScript-facing argument lists of the native kernels, written once for every binding. A binding
 * (xs_kernels.c for XS/Moddable, host-sim/native/napi_kernels.c for Node) defines TpCtx and the tp_* accessors
 * below, then includes this file and wraps each TP_BODY in its own calling convention (TP_BINDINGS lists them).
 *
 * Convention: every tensor is passed as two arguments, its ArrayBuffer and the byte offset of the first
 * element the kernel reads (typedArray.buffer, typedArray.byteOffset + elementSize * offset), so that only
 * ArrayBuffer access is needed from the engine's C API. tp_buffer() checks alignment and that `count`
 * elements lie inside the buffer, so a wrong call throws instead of touching memory it does not own.
 * Sizes are checked non-negative and small enough that every index product fits in int32.
 *
 * Required from the includer:
 *   int32_t tp_int(TpCtx *c, int i);  double tp_num(TpCtx *c, int i);
 *   void *tp_buffer(TpCtx *c, int i, int elementSize, int64_t count, int nullable);  (NULL when failed)
 *   void tp_fail(TpCtx *c, const char *message);  int tp_failed(TpCtx *c);
 *   void tp_return_int(TpCtx *c, int32_t v);  void tp_return_num(TpCtx *c, double v);
 */
#include "tinyprop_kernels.h"

#define TP_F32(i, count) ((float *)tp_buffer(c, (i), 4, (count), 0))
#define TP_F32_OR_NULL(i, count) ((float *)tp_buffer(c, (i), 4, (count), 1))
#define TP_I16(i, count) ((int16_t *)tp_buffer(c, (i), 2, (count), 0))
#define TP_I16_OR_NULL(i, count) ((int16_t *)tp_buffer(c, (i), 2, (count), 1))
#define TP_I32(i, count) ((int32_t *)tp_buffer(c, (i), 4, (count), 0))
#define TP_I32_OR_NULL(i, count) ((int32_t *)tp_buffer(c, (i), 4, (count), 1))

/* Largest element count of one tensor: keeps every index expression of the kernels inside int32. */
#define TP_MAX_ELEMENTS 0x10000000

static int tp_dims(TpCtx *c, int32_t a, int32_t b, int32_t n)
{
  if (a < 0 || b < 0 || n < 0 || (int64_t)a * b > TP_MAX_ELEMENTS || (int64_t)a * n > TP_MAX_ELEMENTS ||
    (int64_t)b * n > TP_MAX_ELEMENTS || (int64_t)a * b + b > TP_MAX_ELEMENTS) {
    tp_fail(c, "tinyprop native kernel: sizes out of range");
    return 0;
  }
  return 1;
}

#define TP_BODY(name) static void tp_body_##name(TpCtx *c)

/* Float32 bodies shared by the two variants: f32only selects tp_f32s_* (float arithmetic) over tp_f32_*. */
#define V(name, args) (f32only ? tp_f32s_##name args : tp_f32_##name args)
#define TP_BOTH_VARIANTS(name) \
  TP_BODY(f32_##name) { tp_f32_##name##_body(c, 0); } \
  TP_BODY(f32s_##name) { tp_f32_##name##_body(c, 1); }

TP_BODY(version) { tp_return_int(c, TP_NATIVE_VERSION); }

/* (Y, n, act, leakySlope) */
static void tp_f32_activate_body(TpCtx *c, int f32only)
{
  int32_t n = tp_int(c, 2), act = tp_int(c, 3);
  float *Y;
  if (!tp_dims(c, n, 1, 1)) return;
  Y = TP_F32(0, n);
  if (tp_failed(c)) return;
  V(activate, (Y, n, act, tp_num(c, 4)));
}

/* (dZ, Y, n, act, leakySlope) */
static void tp_f32_activation_backward_body(TpCtx *c, int f32only)
{
  int32_t n = tp_int(c, 4), act = tp_int(c, 5);
  float *dZ, *Y;
  if (!tp_dims(c, n, 1, 1)) return;
  dZ = TP_F32(0, n); Y = TP_F32(2, n);
  if (tp_failed(c)) return;
  V(activation_backward, (dZ, Y, n, act, tp_num(c, 6)));
}

/* (W, dZ, dX, nIn, nOut, cols) */
static void tp_f32_backward_input_body(TpCtx *c, int f32only)
{
  int32_t nIn = tp_int(c, 6), nOut = tp_int(c, 7), cols = tp_int(c, 8);
  float *W, *dZ, *dX;
  if (!tp_dims(c, nIn, nOut, cols)) return;
  W = TP_F32(0, (int64_t)nIn * nOut); dZ = TP_F32(2, (int64_t)cols * nOut); dX = TP_F32(4, (int64_t)cols * nIn);
  if (tp_failed(c)) return;
  V(backward_input, (W, dZ, dX, nIn, nOut, cols));
}

/* (dZ, x, dW, db, nIn, nOut, cols) */
static void tp_f32_backward_params_body(TpCtx *c, int f32only)
{
  int32_t nIn = tp_int(c, 8), nOut = tp_int(c, 9), cols = tp_int(c, 10);
  float *dZ, *x, *dW, *db;
  if (!tp_dims(c, nIn, nOut, cols)) return;
  dZ = TP_F32(0, (int64_t)cols * nOut); x = TP_F32(2, (int64_t)cols * nIn); dW = TP_F32(4, (int64_t)nIn * nOut); db = TP_F32(6, nOut);
  if (tp_failed(c)) return;
  V(backward_params, (dZ, x, dW, db, nIn, nOut, cols));
}

/* (G, n) -> sum of squares */
static void tp_f32_sum_of_squares_body(TpCtx *c, int f32only)
{
  int32_t n = tp_int(c, 2);
  float *G;
  if (!tp_dims(c, n, 1, 1)) return;
  G = TP_F32(0, n);
  if (tp_failed(c)) return;
  tp_return_num(c, V(sum_of_squares, (G, n)));
}

/* (P, G, n, lr, wd, gScale) */
static void tp_f32_sgd_body(TpCtx *c, int f32only)
{
  int32_t n = tp_int(c, 4);
  float *P, *G;
  if (!tp_dims(c, n, 1, 1)) return;
  P = TP_F32(0, n); G = TP_F32(2, n);
  if (tp_failed(c)) return;
  V(sgd, (P, G, n, tp_num(c, 5), tp_num(c, 6), tp_num(c, 7)));
}

/* (P, G, V, n, lr, mu, wd, gScale) */
static void tp_f32_momentum_body(TpCtx *c, int f32only)
{
  int32_t n = tp_int(c, 6);
  float *P, *G, *Vv;
  if (!tp_dims(c, n, 1, 1)) return;
  P = TP_F32(0, n); G = TP_F32(2, n); Vv = TP_F32(4, n);
  if (tp_failed(c)) return;
  V(momentum, (P, G, Vv, n, tp_num(c, 7), tp_num(c, 8), tp_num(c, 9), tp_num(c, 10)));
}

/* (P, G, M, V, n, lr, b1, b2, eps, c1, c2, wd, gScale) */
static void tp_f32_adam_body(TpCtx *c, int f32only)
{
  int32_t n = tp_int(c, 8);
  float *P, *G, *M, *Vv;
  if (!tp_dims(c, n, 1, 1)) return;
  P = TP_F32(0, n); G = TP_F32(2, n); M = TP_F32(4, n); Vv = TP_F32(6, n);
  if (tp_failed(c)) return;
  V(adam, (P, G, M, Vv, n, tp_num(c, 9), tp_num(c, 10), tp_num(c, 11), tp_num(c, 12), tp_num(c, 13), tp_num(c, 14),
    tp_num(c, 15), tp_num(c, 16)));
}

/* (W, b, x, Y, nIn, nOut, cols, act, leakySlope): forward and activation of one layer */
static void tp_f32_forward_act_body(TpCtx *c, int f32only)
{
  int32_t nIn = tp_int(c, 8), nOut = tp_int(c, 9), cols = tp_int(c, 10), act = tp_int(c, 11);
  float *W, *b, *x, *Y;
  if (!tp_dims(c, nIn, nOut, cols)) return;
  W = TP_F32(0, (int64_t)nIn * nOut); b = TP_F32(2, nOut); x = TP_F32(4, (int64_t)cols * nIn); Y = TP_F32(6, (int64_t)cols * nOut);
  if (tp_failed(c)) return;
  V(forward_act, (W, b, x, Y, nIn, nOut, cols, act, tp_num(c, 12)));
}

/* (W, b, dZ, x, dX | null, Yb | null, nIn, nOut, lr, weightDecay, act, leakySlope): the fused SGD backward,
   then the activation derivative of the layer below (output Yb) into dX */
static void tp_f32_backward_sgd_fused_act_body(TpCtx *c, int f32only)
{
  int32_t nIn = tp_int(c, 12), nOut = tp_int(c, 13), act = tp_int(c, 16);
  float *W, *b, *dZ, *x, *dX, *Yb;
  if (!tp_dims(c, nIn, nOut, 1)) return;
  W = TP_F32(0, (int64_t)nIn * nOut); b = TP_F32(2, nOut); dZ = TP_F32(4, nOut); x = TP_F32(6, nIn);
  dX = TP_F32_OR_NULL(8, nIn); Yb = TP_F32_OR_NULL(10, nIn);
  if (tp_failed(c)) return;
  V(backward_sgd_fused_act, (W, b, dZ, x, dX, nIn, nOut, tp_num(c, 14), tp_num(c, 15), Yb, act, tp_num(c, 17)));
}

/* (Y, n, cols, label) -> loss: softmax in place; label -1 (no loss) or, for cols 1, the class index */
TP_BODY(f32_softmax)
{
  int32_t n = tp_int(c, 2), cols = tp_int(c, 3), label = tp_int(c, 4);
  float *Y;
  if (!tp_dims(c, n, cols, 1)) return;
  if (label < -1 || label >= n || (label >= 0 && cols != 1)) { tp_fail(c, "tinyprop native kernel: softmax label out of range"); return; }
  Y = TP_F32(0, (int64_t)n * cols);
  if (tp_failed(c)) return;
  tp_return_num(c, tp_f32_softmax(Y, n, cols, label));
}

/* (x, n) -> index of the first non-finite value, or -1 */
TP_BODY(f32_first_non_finite)
{
  int32_t n = tp_int(c, 2);
  float *x;
  if (!tp_dims(c, n, 1, 1)) return;
  x = TP_F32(0, n);
  if (tp_failed(c)) return;
  tp_return_int(c, tp_f32_first_non_finite(x, n));
}

TP_BOTH_VARIANTS(activate)
TP_BOTH_VARIANTS(activation_backward)
TP_BOTH_VARIANTS(backward_input)
TP_BOTH_VARIANTS(backward_params)
TP_BOTH_VARIANTS(sum_of_squares)
TP_BOTH_VARIANTS(sgd)
TP_BOTH_VARIANTS(momentum)
TP_BOTH_VARIANTS(adam)
TP_BOTH_VARIANTS(forward_act)
TP_BOTH_VARIANTS(backward_sgd_fused_act)

/* (W, b, x, Y, sig, stats | null, nIn, nOut, cols, SH, bShift, outShift, act, slopeQ15, comp) -> saturated */
TP_BODY(q_forward)
{
  int32_t nIn = tp_int(c, 12), nOut = tp_int(c, 13), cols = tp_int(c, 14);
  int16_t *W, *b, *x, *Y;
  uint16_t *sig;
  int32_t *stats;
  if (!tp_dims(c, nIn, nOut, cols)) return;
  W = TP_I16(0, (int64_t)nIn * nOut); b = TP_I16(2, nOut); x = TP_I16(4, (int64_t)cols * nIn); Y = TP_I16(6, (int64_t)cols * nOut);
  sig = (uint16_t *)TP_I16(8, 257); stats = TP_I32_OR_NULL(10, 1);
  if (tp_failed(c)) return;
  tp_return_int(c, tp_q_dense_forward(W, b, x, Y, nIn, nOut, cols, tp_int(c, 15), tp_int(c, 16), tp_int(c, 17),
    tp_int(c, 18), tp_int(c, 19), sig, tp_int(c, 20), stats));
}

/* (A, Y, D, n, act, slopeQ15, aFrac) -> frac of D */
TP_BODY(q_normalize_delta)
{
  int32_t n = tp_int(c, 6);
  int32_t *A;
  int16_t *Y, *D;
  if (!tp_dims(c, n, 1, 1)) return;
  A = TP_I32(0, n); Y = TP_I16(2, n); D = TP_I16(4, n);
  if (tp_failed(c)) return;
  tp_return_int(c, tp_q_normalize_delta(A, n, Y, tp_int(c, 7), tp_int(c, 8), D, tp_int(c, 9)));
}

/* (W, dZ, A, nIn, nOut, cols, SH) */
TP_BODY(q_back_input)
{
  int32_t nIn = tp_int(c, 6), nOut = tp_int(c, 7), cols = tp_int(c, 8);
  int16_t *W, *dZ;
  int32_t *A;
  if (!tp_dims(c, nIn, nOut, cols)) return;
  W = TP_I16(0, (int64_t)nIn * nOut); dZ = TP_I16(2, (int64_t)cols * nOut); A = TP_I32(4, (int64_t)cols * nIn);
  if (tp_failed(c)) return;
  tp_q_back_input(W, dZ, A, nIn, nOut, cols, tp_int(c, 9));
}

/* (W, b, dZ, x, A | null, bound, P | null, nIn, nOut, lrM, S, Sb, SHd, xAbsMax) -> saturated */
TP_BODY(q_sgd_fused)
{
  int32_t nIn = tp_int(c, 14), nOut = tp_int(c, 15);
  int16_t *W, *b, *dZ, *x, *P;
  int32_t *A, *bound;
  if (!tp_dims(c, nIn, nOut, 1)) return;
  W = TP_I16(0, (int64_t)nIn * nOut); b = TP_I16(2, nOut); dZ = TP_I16(4, nOut); x = TP_I16(6, nIn);
  A = TP_I32_OR_NULL(8, nIn); bound = TP_I32(10, 2); P = TP_I16_OR_NULL(12, nIn);
  if (tp_failed(c)) return;
  /* P holds input indices as int16: kernels.ts would wrap them above 32767. */
  if (P && nIn > 32767) { tp_fail(c, "tinyprop native kernel: active-input list needs nIn <= 32767"); return; }
  tp_return_int(c, tp_q_sgd_fused(W, b, dZ, x, A, nIn, nOut, tp_int(c, 16), tp_int(c, 17), tp_int(c, 18), tp_int(c, 19),
    tp_int(c, 20), bound, P));
}

/* (W, b, U | null, dZ, x, G, rng | null, nIn, nOut, cols, lrM, t, S, Sb, muQ15, dM, dE) -> saturated */
TP_BODY(q_update)
{
  int32_t nIn = tp_int(c, 14), nOut = tp_int(c, 15), cols = tp_int(c, 16);
  int16_t *W, *b, *Uv, *dZ, *x;
  int32_t *G, *rng;
  if (!tp_dims(c, nIn, nOut, cols)) return;
  W = TP_I16(0, (int64_t)nIn * nOut); b = TP_I16(2, nOut); Uv = TP_I16_OR_NULL(4, (int64_t)nIn * nOut + nOut);
  dZ = TP_I16(6, (int64_t)cols * nOut); x = TP_I16(8, (int64_t)cols * nIn); G = TP_I32(10, cols); rng = TP_I32_OR_NULL(12, 1);
  if (tp_failed(c)) return;
  tp_return_int(c, tp_q_update(W, b, Uv, dZ, x, G, nIn, nOut, cols, tp_int(c, 17), tp_int(c, 18), tp_int(c, 19),
    tp_int(c, 20), tp_int(c, 21), tp_int(c, 22), tp_int(c, 23), rng));
}

/* (dZ, x, dW, db, nIn, nOut, cols, lb, T, Tb) -> saturated */
TP_BODY(q_gradients)
{
  int32_t nIn = tp_int(c, 8), nOut = tp_int(c, 9), cols = tp_int(c, 10);
  int16_t *dZ, *x, *dW, *db;
  if (!tp_dims(c, nIn, nOut, cols)) return;
  dZ = TP_I16(0, (int64_t)cols * nOut); x = TP_I16(2, (int64_t)cols * nIn); dW = TP_I16(4, (int64_t)nIn * nOut); db = TP_I16(6, nOut);
  if (tp_failed(c)) return;
  tp_return_int(c, tp_q_gradients(dZ, x, dW, db, nIn, nOut, cols, tp_int(c, 11), tp_int(c, 12), tp_int(c, 13)));
}

/* (P, Gr, U | null, n, lrM, S, muQ15, dM, dE) -> saturated */
TP_BODY(q_apply_gradients)
{
  int32_t n = tp_int(c, 6);
  int16_t *P, *Gr, *Uv;
  if (!tp_dims(c, n, 1, 1)) return;
  P = TP_I16(0, n); Gr = TP_I16(2, n); Uv = TP_I16_OR_NULL(4, n);
  if (tp_failed(c)) return;
  tp_return_int(c, tp_q_apply_gradients(P, Gr, Uv, n, tp_int(c, 7), tp_int(c, 8), tp_int(c, 9), tp_int(c, 10), tp_int(c, 11)));
}

/* (x, n) -> max |x| */
TP_BODY(q_abs_max)
{
  int32_t n = tp_int(c, 2);
  int16_t *x;
  if (!tp_dims(c, n, 1, 1)) return;
  x = TP_I16(0, n);
  if (tp_failed(c)) return;
  tp_return_int(c, tp_q_abs_max(x, n));
}

/* X(C name, JavaScript name, argument count): the JavaScript names are NativeKernels' in src/engine/native.ts. */
#define TP_BINDINGS(X) \
  X(version, version, 0) \
  X(f32_activate, f32Activate, 5) \
  X(f32_activation_backward, f32ActivationBackward, 7) \
  X(f32_backward_input, f32BackwardInput, 9) \
  X(f32_backward_params, f32BackwardParams, 11) \
  X(f32_sum_of_squares, f32SumOfSquares, 3) \
  X(f32_sgd, f32Sgd, 8) \
  X(f32_momentum, f32Momentum, 11) \
  X(f32_adam, f32Adam, 17) \
  X(f32_forward_act, f32ForwardAct, 13) \
  X(f32_backward_sgd_fused_act, f32BackwardSgdFusedAct, 18) \
  X(f32_softmax, f32Softmax, 5) \
  X(f32_first_non_finite, f32FirstNonFinite, 3) \
  X(f32s_forward_act, f32sForwardAct, 13) \
  X(f32s_activate, f32sActivate, 5) \
  X(f32s_activation_backward, f32sActivationBackward, 7) \
  X(f32s_backward_input, f32sBackwardInput, 9) \
  X(f32s_backward_params, f32sBackwardParams, 11) \
  X(f32s_backward_sgd_fused_act, f32sBackwardSgdFusedAct, 18) \
  X(f32s_sum_of_squares, f32sSumOfSquares, 3) \
  X(f32s_sgd, f32sSgd, 8) \
  X(f32s_momentum, f32sMomentum, 11) \
  X(f32s_adam, f32sAdam, 17) \
  X(q_forward, qForward, 21) \
  X(q_normalize_delta, qNormalizeDelta, 10) \
  X(q_back_input, qBackInput, 10) \
  X(q_sgd_fused, qSgdFused, 21) \
  X(q_update, qUpdate, 24) \
  X(q_gradients, qGradients, 14) \
  X(q_apply_gradients, qApplyGradients, 12) \
  X(q_abs_max, qAbsMax, 3)
