// The fixed-point model's kernel table: the JavaScript kernels (kernels.ts) or the same kernels in C
// (../native.ts), chosen once per model. Both take a layer's LayerFormatQ and the step's UpdateQ; the native
// entries unpack them here into the C functions' argument lists, passing each tensor as (ArrayBuffer, byte
// offset). Reading the fields costs a few XS units per call, nothing per weight.
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
    denseForwardQ(f, x, xOff, Y, cols, stats = null, at = 0) {
      const W = f.W, b = f.b, sig = f.sig;
      return n.qForward(W.buffer, W.byteOffset, b.buffer, b.byteOffset, x.buffer, x.byteOffset + 2 * xOff, Y.buffer, Y.byteOffset,
        sig.buffer, sig.byteOffset, stats === null ? null : stats.buffer, stats === null ? 0 : stats.byteOffset + 4 * at,
        f.nIn, f.nOut, cols, f.SH, f.bShift, f.outShift, f.act, f.slopeQ15, f.comp);
    },
    normalizeDeltaQ(A, count, Y, act, slopeQ15, D, aFrac) {
      return n.qNormalizeDelta(A.buffer, A.byteOffset, Y.buffer, Y.byteOffset, D.buffer, D.byteOffset, count, act, slopeQ15, aFrac);
    },
    backInputQ(f, dZ, A, cols) {
      n.qBackInput(f.W.buffer, f.W.byteOffset, dZ.buffer, dZ.byteOffset, A.buffer, A.byteOffset, f.nIn, f.nOut, cols, f.SHb);
    },
    sgdFusedQ(f, dZ, x, A, u, xAbsMax, bound, at, P = null) {
      const W = f.W, b = f.b;
      return n.qSgdFused(W.buffer, W.byteOffset, b.buffer, b.byteOffset, dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset,
        A === null ? null : A.buffer, A === null ? 0 : A.byteOffset, bound.buffer, bound.byteOffset + 4 * at,
        P === null ? null : P.buffer, P === null ? 0 : P.byteOffset, f.nIn, f.nOut, u.lrM, u.S, u.Sb, f.SHd, xAbsMax);
    },
    updateQ(f, U, dZ, x, xOff, G, cols, u, rng) {
      const W = f.W, b = f.b;
      return n.qUpdate(W.buffer, W.byteOffset, b.buffer, b.byteOffset, U === null ? null : U.buffer, U === null ? 0 : U.byteOffset,
        dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset + 2 * xOff, G.buffer, G.byteOffset, rng === null ? null : rng.buffer,
        rng === null ? 0 : rng.byteOffset, f.nIn, f.nOut, cols, u.lrM, u.t, u.S, u.Sb, u.muQ15, u.dM, u.dE);
    },
    gradientsQ(f, dZ, x, xOff, dW, db, cols, lb, T, Tb) {
      return n.qGradients(dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset + 2 * xOff, dW.buffer, dW.byteOffset, db.buffer, db.byteOffset,
        f.nIn, f.nOut, cols, lb, T, Tb);
    },
    applyGradientsQ(f, dW, db, U, u) {
      // The C kernel applies one tensor: the weights (shift S, with decay), then the biases (Sb, no decay),
      // whose velocities follow the weights' in U.
      const W = f.W, b = f.b, nW = W.length;
      return n.qApplyGradients(W.buffer, W.byteOffset, dW.buffer, dW.byteOffset, U === null ? null : U.buffer, U === null ? 0 : U.byteOffset,
        nW, u.lrM, u.S, u.muQ15, u.dM, u.dE)
        + n.qApplyGradients(b.buffer, b.byteOffset, db.buffer, db.byteOffset, U === null ? null : U.buffer, U === null ? 0 : U.byteOffset + 2 * nW,
          b.length, u.lrM, u.Sb, u.muQ15, 0, 31);
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
