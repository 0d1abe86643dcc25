// The fixed-point model's kernel table: the JavaScript kernels (kernels.ts) or the same kernels in C
// (../native.ts), chosen once per model. Native calls pass each tensor as (ArrayBuffer, byte offset).
import { absMaxQ, applyGradientsQ, backInputQ, denseForwardQ, gradientsQ, normalizeDeltaQ, sgdFusedQ, updateQ } from "./kernels";
import { nativeKernelsFor, type NativeKernels } from "../native";
import type { KernelChoice } from "../spec";

/** The fixed-point model's kernels, with the JavaScript kernels' signatures. */
export interface FixedKernels {
  readonly native: boolean;
  denseForwardQ: typeof denseForwardQ;
  normalizeDeltaQ: typeof normalizeDeltaQ;
  backInputQ: typeof backInputQ;
  sgdFusedQ: typeof sgdFusedQ;
  updateQ: typeof updateQ;
  gradientsQ: typeof gradientsQ;
  applyGradientsQ: typeof applyGradientsQ;
  absMaxQ: typeof absMaxQ;
}

export const jsFixedKernels: FixedKernels = {
  native: false, denseForwardQ, normalizeDeltaQ, backInputQ, sgdFusedQ, updateQ, gradientsQ, applyGradientsQ, absMaxQ,
};

/** Fixed-point kernels that call `n`. */
export function nativeFixedKernels(n: NativeKernels): FixedKernels {
  return {
    native: true,
    denseForwardQ(W, b, x, xOff, Y, nIn, nOut, cols, SH, bShift, outShift, act, slopeQ15, sig, comp, stats = null, at = 0) {
      return n.qForward(W.buffer, W.byteOffset, b.buffer, b.byteOffset, x.buffer, x.byteOffset + 2 * xOff, Y.buffer, Y.byteOffset,
        sig.buffer, sig.byteOffset, stats === null ? null : stats.buffer, stats === null ? 0 : stats.byteOffset + 4 * at,
        nIn, nOut, cols, SH, bShift, outShift, act, slopeQ15, comp);
    },
    normalizeDeltaQ(A, count, Y, act, slopeQ15, D, aFrac) {
      return n.qNormalizeDelta(A.buffer, A.byteOffset, Y.buffer, Y.byteOffset, D.buffer, D.byteOffset, count, act, slopeQ15, aFrac);
    },
    backInputQ(W, dZ, A, nIn, nOut, cols, SH) {
      n.qBackInput(W.buffer, W.byteOffset, dZ.buffer, dZ.byteOffset, A.buffer, A.byteOffset, nIn, nOut, cols, SH);
    },
    sgdFusedQ(W, b, dZ, x, A, nIn, nOut, lrM, S, Sb, SHd, xAbsMax, bound, at, P = null) {
      return n.qSgdFused(W.buffer, W.byteOffset, b.buffer, b.byteOffset, dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset,
        A === null ? null : A.buffer, A === null ? 0 : A.byteOffset, bound.buffer, bound.byteOffset + 4 * at,
        P === null ? null : P.buffer, P === null ? 0 : P.byteOffset, nIn, nOut, lrM, S, Sb, SHd, xAbsMax);
    },
    updateQ(W, b, U, uOff, dZ, x, xOff, G, nIn, nOut, cols, lrM, t, S, Sb, muQ15, dM, dE, rng) {
      return n.qUpdate(W.buffer, W.byteOffset, b.buffer, b.byteOffset, U === null ? null : U.buffer, U === null ? 0 : U.byteOffset + 2 * uOff,
        dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset + 2 * xOff, G.buffer, G.byteOffset, rng === null ? null : rng.buffer,
        rng === null ? 0 : rng.byteOffset, nIn, nOut, cols, lrM, t, S, Sb, muQ15, dM, dE);
    },
    gradientsQ(dZ, x, xOff, dW, db, nIn, nOut, cols, lb, T, Tb) {
      return n.qGradients(dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset + 2 * xOff, dW.buffer, dW.byteOffset, db.buffer, db.byteOffset,
        nIn, nOut, cols, lb, T, Tb);
    },
    applyGradientsQ(P, p, Gr, g, U, count, lrM, S, muQ15, dM, dE) {
      return n.qApplyGradients(P.buffer, P.byteOffset + 2 * p, Gr.buffer, Gr.byteOffset + 2 * g, U === null ? null : U.buffer,
        U === null ? 0 : U.byteOffset + 2 * g, count, lrM, S, muQ15, dM, dE);
    },
    absMaxQ(x, off, count) {
      return n.qAbsMax(x.buffer, x.byteOffset + 2 * off, count);
    },
  };
}

/** The fixed-point kernel table for a spec's `kernels` choice. */
export function fixedKernelsFor(choice: KernelChoice): FixedKernels {
  const k = nativeKernelsFor(choice);
  return k === null ? jsFixedKernels : nativeFixedKernels(k);
}
