/*
 * tinyprop native kernels: C versions of the dense-layer kernels of src/engine/float32/ (dense.ts, optimizer.ts) and
 * src/engine/fixed/kernels.ts, bit-identical to them (docs/native.md says how that is kept).
 * Pure C99 over plain pointers: no allocation, no XS, no libc beyond sqrt. The bindings (xs_kernels.c for
 * XS/Moddable, host-sim/native/napi_kernels.c for Node) turn JavaScript arguments into these calls.
 *
 * Every pointer is already offset to the first element the JS kernel would read (x + xOff etc.).
 */
#ifndef TINYPROP_KERNELS_H
#define TINYPROP_KERNELS_H

#include <stdint.h>

/* Activation codes: the same numbers as Act in src/engine/spec.ts (test/native-kernels.test.ts checks). */
#define TP_ACT_LINEAR 0
#define TP_ACT_RELU 1
#define TP_ACT_LEAKY 2
#define TP_ACT_SIGMOID 3
#define TP_ACT_TANH 4
#define TP_ACT_SOFTMAX 5

/* Bumped whenever a kernel's arguments change, so a stale native build is refused by the engine. */
#define TP_NATIVE_VERSION 2

/* ---- Float32 (values stored as float, every operation done in double as JavaScript does) ---- */

double tp_exp(double x);
double tp_expm1(double x);
double tp_tanh(double x);


/* ln x as math.ts's log; softmax in place as loss.ts's softmaxForward, returning the loss of `label` (cols 1)
   or 0 for label -1. Both in double, shared by the two variants below. */
double tp_log(double x);
double tp_f32_softmax(float *Y, int32_t n, int32_t cols, int32_t label);
/* Index of the first NaN or ±Infinity among n floats, or -1 (the input check of validate.ts). */
int32_t tp_f32_first_non_finite(const float *x, int32_t n);

/* The dense and optimizer kernels over arithmetic type T: tp_f32_* with T double (the default, JavaScript's
   arithmetic), tp_f32s_* with T float ("native-f32": every operation rounded to float). dX and Yb may be NULL. */
#define TP_F32_KERNELS(PRE, T) \
  void PRE##dense_forward(const float *W, const float *b, const float *x, float *Y, int32_t nIn, int32_t nOut, int32_t cols); \
  void PRE##activate(float *Y, int32_t n, int32_t act, T leakySlope); \
  void PRE##activation_backward(float *dZ, const float *Y, int32_t n, int32_t act, T leakySlope); \
  void PRE##backward_input(const float *W, const float *dZ, float *dX, int32_t nIn, int32_t nOut, int32_t cols); \
  void PRE##backward_params(const float *dZ, const float *x, float *dW, float *db, int32_t nIn, int32_t nOut, int32_t cols); \
  void PRE##backward_sgd_fused(float *W, float *b, const float *dZ, const float *x, float *dX, \
    int32_t nIn, int32_t nOut, T lr, T weightDecay); \
  void PRE##forward_act(const float *W, const float *b, const float *x, float *Y, \
    int32_t nIn, int32_t nOut, int32_t cols, int32_t act, T leakySlope); \
  void PRE##backward_sgd_fused_act(float *W, float *b, const float *dZ, const float *x, float *dX, \
    int32_t nIn, int32_t nOut, T lr, T weightDecay, const float *Yb, int32_t act, T leakySlope); \
  T PRE##sum_of_squares(const float *G, int32_t n); \
  void PRE##sgd(float *P, const float *G, int32_t n, T lr, T wd, T gScale); \
  void PRE##momentum(float *P, const float *G, float *V, int32_t n, T lr, T mu, T wd, T gScale); \
  void PRE##adam(float *P, const float *G, float *M, float *V, int32_t n, T lr, T b1, T b2, \
    T eps, T c1, T c2, T wd, T gScale);

TP_F32_KERNELS(tp_f32_, double)
TP_F32_KERNELS(tp_f32s_, float)

/* ---- Fixed point (int16 tensors, int32 accumulators; JavaScript's int32 wrap-around where it applies) ---- */

/* stats may be NULL; sig is the 257-entry sigmoid table. Returns the number of saturated stores. */
int32_t tp_q_dense_forward(const int16_t *W, const int16_t *b, const int16_t *x, int16_t *Y,
  int32_t nIn, int32_t nOut, int32_t cols, int32_t SH, int32_t bShift, int32_t outShift,
  int32_t act, int32_t slopeQ15, const uint16_t *sig, int32_t comp, int32_t *stats);
int32_t tp_q_normalize_delta(int32_t *A, int32_t n, const int16_t *Y, int32_t act, int32_t slopeQ15,
  int16_t *D, int32_t aFrac);
void tp_q_back_input(const int16_t *W, const int16_t *dZ, int32_t *A, int32_t nIn, int32_t nOut, int32_t cols,
  int32_t SH);
/* A and P may be NULL (P only with A); bound points at the layer's two Int32 entries. */
int32_t tp_q_sgd_fused(int16_t *W, int16_t *b, const int16_t *dZ, const int16_t *x, int32_t *A,
  int32_t nIn, int32_t nOut, int32_t lrM, int32_t S, int32_t Sb, int32_t SHd, int32_t xAbsMax,
  int32_t *bound, int16_t *P);
/* U (velocity, nOut * nIn + nOut values) and rng (one xorshift32 state) may be NULL. G: cols int32 of scratch. */
int32_t tp_q_update(int16_t *W, int16_t *b, int16_t *U, const int16_t *dZ, const int16_t *x, int32_t *G,
  int32_t nIn, int32_t nOut, int32_t cols, int32_t lrM, int32_t t, int32_t S, int32_t Sb, int32_t muQ15,
  int32_t dM, int32_t dE, int32_t *rng);
int32_t tp_q_gradients(const int16_t *dZ, const int16_t *x, int16_t *dW, int16_t *db,
  int32_t nIn, int32_t nOut, int32_t cols, int32_t lb, int32_t T, int32_t Tb);
/* U may be NULL. */
int32_t tp_q_apply_gradients(int16_t *P, const int16_t *Gr, int16_t *U, int32_t n,
  int32_t lrM, int32_t S, int32_t muQ15, int32_t dM, int32_t dE);
int32_t tp_q_abs_max(const int16_t *x, int32_t n);

#endif
