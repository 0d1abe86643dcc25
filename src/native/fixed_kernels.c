/*
 * Fixed-point dense-layer kernels in C, bit-identical to src/engine/fixed/kernels.ts (docs/fixed-point.md
 * has the 32-bit bounds; docs/native.md how the two stay identical).
 *
 * JavaScript semantics reproduced exactly:
 *  - `>>`, `<<`, `>>>` and stores into Int32Array take their operand modulo 2^32 (ToInt32/ToUint32) and
 *    mask shift counts with 31. A sum or product that JavaScript forms exactly (as a double below 2^53) and
 *    only then passes through one of those is therefore computed here in uint32_t, whose wrap-around is
 *    exactly that modulo. sar()/shl() do the shifts.
 *  - Values that JavaScript compares without such a conversion (saturation checks, bounds) are formed in
 *    int64_t, so they compare as the exact double does even when they leave the int32 range.
 *  - Int16Array stores keep the low 16 bits: a cast to int16_t (GCC and Clang define it as modulo 2^16).
 * Signed right shifts of negative values are arithmetic (GCC/Clang behaviour, as on Xtensa).
 */
#include "tinyprop_kernels.h"

typedef uint32_t U;

#define QMAX 32767
#define BOUND_UNKNOWN QMAX
#define RESCAN_ABOVE 16384
#define RESCAN_EVERY 32

/* ToInt32(v) >> s */
static inline int32_t sar(U v, int32_t s) { return (int32_t)v >> (s & 31); }
/* ToInt32(v) << s */
static inline int32_t shl(int32_t v, int32_t s) { return (int32_t)((U)v << (s & 31)); }
/* (a * b) >> s for int16 operands: the product fits int32 (|.| <= 2^30). */
#define MULSH(a, b, s) sar((U)((int32_t)(a) * (int32_t)(b)), (s))
/* (a*b + c*d) >> s: the pair can reach 2^31, so it is summed modulo 2^32 as JavaScript's ToInt32 does. */
#define PAIRSH(a, b, c, d, s) sar((U)((int32_t)(a) * (int32_t)(b)) + (U)((int32_t)(c) * (int32_t)(d)), (s))

/* 32 - clz32(m): significant bits of m taken as uint32. */
static int32_t bits32(U m)
{
  int32_t n = 0;
  while (m) { n++; m >>= 1; }
  return n;
}

int32_t tp_q_abs_max(const int16_t *x, int32_t n)
{
  int32_t i, v, hi = 0, lo = 0;
  for (i = 0; i < n; i++) { v = x[i]; if (v > hi) hi = v; else if (v < lo) lo = v; }
  return hi > -lo ? hi : -lo;
}

int32_t tp_q_dense_forward(const int16_t *W, const int16_t *b, const int16_t *x, int16_t *Y,
  int32_t nIn, int32_t nOut, int32_t cols, int32_t SH, int32_t bShift, int32_t outShift,
  int32_t act, int32_t slopeQ15, const uint16_t *sig, int32_t comp, int32_t *stats)
{
  int32_t c, i, j, k, y = 0, j0, end, end4, sat = 0, a, v, hi = 0, lo = 0;
  int64_t lv;
  U s;
  const int32_t H = outShift > 0 ? shl(1, outShift - 1) : 0;
  for (c = 0; c < cols; c++) {
    k = 0;
    j0 = c * nIn;
    end = j0 + nIn;
    end4 = end - 3;
    for (i = 0; i < nOut; i++) {
      s = (U)shl(b[i], bShift) + (U)comp;
      j = j0;
      /* kernels.ts sums four rows at a time over groups of 8, 2 and 1 inputs; the pairs are the same (every
         group starts at an even offset) and integer sums do not depend on their order. */
      while (j < end4) {
        s += (U)PAIRSH(W[k], x[j], W[k + 1], x[j + 1], SH) + (U)PAIRSH(W[k + 2], x[j + 2], W[k + 3], x[j + 3], SH);
        k += 4;
        j += 4;
      }
      if (j < end - 1) {
        s += (U)PAIRSH(W[k], x[j], W[k + 1], x[j + 1], SH);
        k += 2;
        j += 2;
      }
      if (j < end) {
        s += (U)MULSH(W[k], x[j], SH);
        k++;
      }
      v = sar(s + (U)H, outShift);
      if (act == TP_ACT_RELU) {
        if (v < 0) v = 0;
        else if (v > QMAX) { v = QMAX; sat++; }
        if (v > hi) hi = v;
      } else if (act == TP_ACT_SIGMOID || act == TP_ACT_TANH) {
        if (v > QMAX) v = QMAX;
        else if (v < -QMAX) v = -QMAX;
        a = v < 0 ? -v : v;
        a = sig[a >> 7] + (((sig[(a >> 7) + 1] - sig[a >> 7]) * (a & 127) + 64) >> 7);
        if (v < 0) a = 32768 - a;
        if (act == TP_ACT_TANH) a = a + a - 32768;
        v = (a + 1) >> 1;
        if (v > hi) hi = v; else if (v < lo) lo = v;
      } else {
        lv = v;
        if (act == TP_ACT_LEAKY && v < 0)
          lv = (int64_t)(v >> 15) * slopeQ15 + sar((U)(v & 32767) * (U)slopeQ15 + 16384u, 15);
        if (lv > QMAX) { lv = QMAX; sat++; }
        else if (lv < -QMAX) { lv = -QMAX; sat++; }
        v = (int32_t)lv;
        if (v > hi) hi = v; else if (v < lo) lo = v;
      }
      Y[y] = (int16_t)v;
      y++;
    }
  }
  if (stats) stats[0] = hi > -lo ? hi : -lo;
  return sat;
}

/* max(hi, -lo) as JavaScript forms it (lo = -2^31 gives 2^31). */
static U range32(int32_t hi, int32_t lo)
{
  int64_t m = -(int64_t)lo;
  return (U)(hi > m ? hi : m);
}

int32_t tp_q_normalize_delta(int32_t *A, int32_t n, const int16_t *Y, int32_t act, int32_t slopeQ15,
  int16_t *D, int32_t aFrac)
{
  int32_t i, v, s, y, hi = 0, lo = 0, frac = aFrac;
  U H;
  if (act == TP_ACT_RELU) {
    for (i = 0; i < n; i++) {
      if (Y[i] > 0) { v = A[i]; if (v > hi) hi = v; else if (v < lo) lo = v; } else A[i] = 0;
    }
  } else {
    if (act != TP_ACT_LINEAR && act != TP_ACT_SOFTMAX) {
      for (i = 0; i < n; i++) { v = A[i]; if (v > hi) hi = v; else if (v < lo) lo = v; }
      s = bits32(range32(hi, lo)) - 15;
      if (s > 0) {
        H = (U)shl(1, s - 1);
        for (i = 0; i < n; i++) A[i] = sar((U)A[i] + H, s);
        frac -= s;
      }
      if (act == TP_ACT_LEAKY) {
        for (i = 0; i < n; i++) A[i] = (int32_t)((U)A[i] * (Y[i] <= 0 ? (U)slopeQ15 : 32768u));
        frac += 15;
      } else if (act == TP_ACT_SIGMOID) {
        for (i = 0; i < n; i++) { y = Y[i]; A[i] = (int32_t)((U)A[i] * (U)((y * (16384 - y) + 8192) >> 14)); }
        frac += 14;
      } else {
        for (i = 0; i < n; i++) { y = Y[i]; A[i] = (int32_t)((U)A[i] * (U)(16384 - ((y * y + 8192) >> 14))); }
        frac += 14;
      }
      hi = 0;
      lo = 0;
    }
    for (i = 0; i < n; i++) { v = A[i]; if (v > hi) hi = v; else if (v < lo) lo = v; }
  }
  s = bits32(range32(hi, lo)) - 14;
  if (s > 0) {
    H = (U)shl(1, s - 1);
    for (i = 0; i < n; i++) D[i] = (int16_t)sar((U)A[i] + H, s);
    return frac - s;
  }
  for (i = 0; i < n; i++) D[i] = (int16_t)A[i];
  return frac;
}

void tp_q_back_input(const int16_t *W, const int16_t *dZ, int32_t *A, int32_t nIn, int32_t nOut, int32_t cols,
  int32_t SH)
{
  int32_t c, i, j, k, g, end4;
  const int32_t n2 = nIn + nIn, n3 = n2 + nIn, n4 = n3 + nIn;
  U s;
  for (c = 0; c < cols; c++) {
    g = c * nOut;
    end4 = g + nOut - 3;
    for (j = 0; j < nIn; j++) {
      s = 0;
      k = j;
      i = g;
      while (i < end4) {
        s += (U)PAIRSH(W[k], dZ[i], W[k + nIn], dZ[i + 1], SH) + (U)PAIRSH(W[k + n2], dZ[i + 2], W[k + n3], dZ[i + 3], SH);
        k += n4;
        i += 4;
      }
      while (i < g + nOut) {
        s += (U)MULSH(W[k], dZ[i], SH);
        k += nIn;
        i++;
      }
      A[c * nIn + j] = (int32_t)s;
    }
  }
}

/* A[j] += (W * g) >> SHd, stored modulo 2^32 like an Int32Array store. */
#define ACC_A(j, w) (A[j] = (int32_t)((U)A[j] + (U)MULSH((w), g, SHd)))
/* w + ((lg x + H) >> S), stored modulo 2^16 like an Int16Array store. */
#define STEP_W(w, xv) ((int16_t)((U)(w) + (U)sar((U)lg * (U)(int32_t)(xv) + (U)H, S)))

/* Row by row: kernels.ts updates its unchecked rows four per pass over the inputs, but every row's values are
   the same in any order (A's sums are modulo 2^32 either way). */
int32_t tp_q_sgd_fused(int16_t *W, int16_t *b, const int16_t *dZ, const int16_t *x, int32_t *A,
  int32_t nIn, int32_t nOut, int32_t lrM, int32_t S, int32_t Sb, int32_t SHd, int32_t xAbsMax,
  int32_t *bound, int16_t *P)
{
  int32_t i, j, k, g, lg, w, sat = 0, Dv, Dmax = 0, checked = 0, na = 0, t;
  int32_t B = bound[0], cd = bound[1];
  int64_t a, v;
  const int32_t H = S > 30 ? 0 : shl(1, S - 1);
  const int32_t Hb = shl(1, Sb - 1);
  const int64_t skipBelow = S > 30 ? 0x7fffffff : H;
  if (B > RESCAN_ABOVE) {
    if (cd <= 0) {
      B = tp_q_abs_max(W, nIn * nOut);
      cd = B > RESCAN_ABOVE ? RESCAN_EVERY : 0;
    } else cd--;
  }
  if (A) for (j = 0; j < nIn; j++) A[j] = 0;
  /* Active inputs (x != 0) into P when few enough for the indexed loops to pay off (see kernels.ts). */
  if (P && A) {
    for (j = 0; j < nIn; j++) if (x[j] != 0) { P[na] = (int16_t)j; na++; }
    if (na + na + na > nIn + nIn) na = -1;
  } else na = -1;
  for (i = 0; i < nOut; i++) {
    g = dZ[i];
    if (g == 0) continue;
    lg = sar((U)lrM * (U)g + 8192u, 14);
    k = i * nIn;
    v = (int64_t)b[i] - sar((U)lg + (U)Hb, Sb);
    if (v > QMAX) { v = QMAX; sat++; } else if (v < -QMAX) { v = -QMAX; sat++; }
    b[i] = (int16_t)v;
    a = (lg < 0 ? -(int64_t)lg : (int64_t)lg) * xAbsMax;
    if (a < skipBelow) {
      if (na >= 0) {
        for (t = 0; t < na; t++) { j = P[t]; ACC_A(j, W[k + j]); }
      } else if (A) {
        for (j = 0; j < nIn; j++, k++) ACC_A(j, W[k]);
      }
      continue;
    }
    Dv = sar((U)a + (U)H, S);
    lg = -lg;
    if ((int64_t)B + Dv <= QMAX) {
      if (Dv > Dmax) Dmax = Dv;
      if (na >= 0) {
        for (t = 0; t < na; t++) { j = P[t]; w = W[k + j]; ACC_A(j, w); W[k + j] = STEP_W(w, x[j]); }
      } else if (A) {
        for (j = 0; j < nIn; j++, k++) { w = W[k]; ACC_A(j, w); W[k] = STEP_W(w, x[j]); }
      } else {
        for (j = 0; j < nIn; j++, k++) W[k] = STEP_W(W[k], x[j]);
      }
      continue;
    }
    checked = 1;
    for (j = 0; j < nIn; j++, k++) {
      if (A) ACC_A(j, W[k]);
      v = (int64_t)W[k] + sar((U)lg * (U)(int32_t)x[j] + (U)H, S);
      if (v > QMAX) { v = QMAX; sat++; } else if (v < -QMAX) { v = -QMAX; sat++; }
      W[k] = (int16_t)v;
    }
  }
  bound[0] = checked ? BOUND_UNKNOWN : (int32_t)((U)B + (U)Dmax);
  bound[1] = cd;
  return sat;
}

/* Saturating int16 store of an exact value, counted: the check `(v + QMAX) >>> 0 > 65534` of kernels.ts. */
#define SATURATE(v) do { if ((U)(v) + (U)QMAX > 65534u) { (v) = (v) > 0 ? QMAX : -QMAX; sat++; } } while (0)

/*
 * The body of tp_q_update and tp_q_apply_gradients, as updateRowsQ in kernels.ts. dZ given: row i's products
 * are sum_c G[c] X[c nIn + j] with G[c] = round(lrM dZ[c, i] / 2^t), and b[i] moves by the summed rates.
 * dZ NULL: X holds stored gradients (row i at X[i nIn]), each row's one rate is lrM, and b may be NULL (the
 * native binding applies one tensor per call). The mode is settled once per row.
 */
static int32_t q_update_rows(int16_t *W, int16_t *b, int16_t *Uv, const int16_t *dZ, const int16_t *X, int32_t *G,
  int32_t nIn, int32_t nOut, int32_t cols, int32_t lrM, int32_t t, int32_t S, int32_t Sb, int32_t muQ15,
  int32_t dM, int32_t dE, int32_t *rng)
{
  int32_t i, j, c, k, o, w, sat = 0, g0;
  int64_t d, u, v;
  U gs, dd, r = 0;
  const int one = cols == 1;
  const int32_t tH = dZ ? shl(1, t - 1) : 0;
  const int mom = Uv != 0;
  const int32_t Su = mom ? S - 4 : S;
  const int wOn = Su <= 30;
  const int32_t H = wOn ? shl(1, Su - 1) : 0;
  const int32_t dEu = mom ? dE - 4 : dE;
  const int decay = dM != 0 && dEu <= 30;
  const int32_t dH = decay ? shl(1, dEu - 1) : 0;
  const int32_t Sbu = mom ? Sb - 4 : Sb;
  const int bOn = Sbu <= 30;
  const int32_t Hb = bOn ? shl(1, Sbu - 1) : 0;
  const int32_t nW = nIn * nOut;
  if (rng) r = (U)rng[0];
  for (i = 0; i < nOut; i++) {
    k = i * nIn;
    if (dZ) {
      gs = 0;
      for (c = 0; c < cols; c++) { G[c] = sar((U)lrM * (U)(int32_t)dZ[c * nOut + i] + (U)tH, t); gs += (U)G[c]; }
      g0 = G[0];
      o = 0;
    } else {
      g0 = lrM;
      gs = 0;
      o = k;
    }
    for (j = 0; j < nIn; j++) {
      if (one) dd = (U)g0 * (U)(int32_t)X[o + j];
      else {
        dd = 0;
        for (c = 0; c < cols; c++) dd += (U)G[c] * (U)(int32_t)X[c * nIn + j];
      }
      w = W[k];
      if (!wOn) d = 0;
      else if (rng) {
        r ^= r << 13; r ^= r >> 17; r ^= r << 5;
        d = sar(dd + (r >> ((32 - Su) & 31)), Su);
      } else d = sar(dd + (U)H, Su);
      if (decay) d += sar((U)dM * (U)w + (U)dH, dEu);
      if (mom) {
        u = (int64_t)sar((U)muQ15 * (U)(int32_t)Uv[k] + 16384u, 15) + d;
        SATURATE(u);
        Uv[k] = (int16_t)u;
        d = sar((U)u + 8u, 4);
      }
      v = (int64_t)w - d;
      SATURATE(v);
      W[k] = (int16_t)v;
      k++;
    }
    if (!b) continue;
    d = bOn ? sar(gs + (U)Hb, Sbu) : 0;
    if (mom) {
      u = (int64_t)sar((U)muQ15 * (U)(int32_t)Uv[nW + i] + 16384u, 15) + d;
      SATURATE(u);
      Uv[nW + i] = (int16_t)u;
      d = sar((U)u + 8u, 4);
    }
    v = (int64_t)b[i] - d;
    SATURATE(v);
    b[i] = (int16_t)v;
  }
  if (rng) rng[0] = (int32_t)r;
  return sat;
}

int32_t tp_q_update(int16_t *W, int16_t *b, int16_t *Uv, const int16_t *dZ, const int16_t *x, int32_t *G,
  int32_t nIn, int32_t nOut, int32_t cols, int32_t lrM, int32_t t, int32_t S, int32_t Sb, int32_t muQ15,
  int32_t dM, int32_t dE, int32_t *rng)
{
  return q_update_rows(W, b, Uv, dZ, x, G, nIn, nOut, cols, lrM, t, S, Sb, muQ15, dM, dE, rng);
}

int32_t tp_q_gradients(const int16_t *dZ, const int16_t *x, int16_t *dW, int16_t *db,
  int32_t nIn, int32_t nOut, int32_t cols, int32_t lb, int32_t T, int32_t Tb)
{
  int32_t i, j, c, k = 0, s, sat = 0;
  U acc;
  const int32_t H = T > 0 ? shl(1, T - 1) : 0;
  const int32_t Hb = Tb > 0 ? shl(1, Tb - 1) : 0;
  for (i = 0; i < nOut; i++) {
    acc = 0;
    for (c = 0; c < cols; c++) acc += (U)(int32_t)dZ[c * nOut + i];
    s = sar(acc + (U)Hb, Tb);
    if (s > QMAX) { s = QMAX; sat++; } else if (s < -QMAX) { s = -QMAX; sat++; }
    db[i] = (int16_t)s;
    for (j = 0; j < nIn; j++) {
      acc = 0;
      for (c = 0; c < cols; c++) acc += (U)MULSH(dZ[c * nOut + i], x[c * nIn + j], lb);
      s = sar(acc + (U)H, T);
      if (s > QMAX) { s = QMAX; sat++; } else if (s < -QMAX) { s = -QMAX; sat++; }
      dW[k] = (int16_t)s;
      k++;
    }
  }
  return sat;
}

int32_t tp_q_apply_gradients(int16_t *P, const int16_t *Gr, int16_t *Uv, int32_t n,
  int32_t lrM, int32_t S, int32_t muQ15, int32_t dM, int32_t dE)
{
  /* one row of n parameters without a bias; Sb = 31 is never read */
  return q_update_rows(P, 0, Uv, 0, Gr, 0, n, 1, 1, lrM, 1, S, 31, muQ15, dM, dE, 0);
}
