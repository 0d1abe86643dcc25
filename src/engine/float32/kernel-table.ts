// The Float32 model's kernel table: the JavaScript kernels (dense.ts, optimizer.ts) or the same kernels in C
// (../native.ts), chosen once per model; or, for kernels "native-f32", the C kernels that compute in float32
// (with float-only.ts as their JavaScript twin). Native calls pass each tensor as (ArrayBuffer, byte offset); a
// first-layer input that is not a Float32Array (a plain array, a Float64Array) goes to JavaScript, which
// reads its doubles unrounded. The fused entries (forward with activation, backward with the activation
// derivative below, softmax with its loss) exist so that one native call does a layer's work: under XS each
// call costs about a hundred bytecodes of glue.
import { activate, activationBackward, denseBackwardInput, denseBackwardParams, denseBackwardSgdFused, denseForward } from "./dense";
import { adam, momentum, sgd, sumOfSquares } from "./optimizer";
import { softmaxForward } from "./loss";
import {
  activateF, activationBackwardF, adamF, denseBackwardInputF, denseBackwardParamsF, denseBackwardSgdFusedActF, denseForwardF,
  momentumF, sgdF, sumOfSquaresF,
} from "./float-only";
import { nativeKernelsFor, type NativeKernels } from "../native";
import type { KernelChoice } from "../spec";
import type { FiniteScan } from "../validate";

/** The Float32 model's kernels, with the JavaScript kernels' signatures. */
export interface Float32Kernels {
  readonly native: boolean;
  denseForward: typeof denseForward;
  activate: typeof activate;
  activationBackward: typeof activationBackward;
  denseBackwardInput: typeof denseBackwardInput;
  denseBackwardParams: typeof denseBackwardParams;
  denseBackwardSgdFused: typeof denseBackwardSgdFused;
  sumOfSquares: typeof sumOfSquares;
  sgd: typeof sgd;
  momentum: typeof momentum;
  adam: typeof adam;
  /** denseForward, then activate(Y, nOut * cols, act) (act Linear: nothing). */
  denseForwardAct(W: Float32Array, b: Float32Array, x: ArrayLike<number>, xOff: number, Y: Float32Array,
    nIn: number, nOut: number, cols: number, act: number, leakySlope: number): void;
  /** denseBackwardSgdFused, then activationBackward(dX, Yb, nIn, act) when dX and Yb are given. */
  denseBackwardSgdFusedAct(W: Float32Array, b: Float32Array, dZ: Float32Array, x: ArrayLike<number>, dX: Float32Array | null,
    nIn: number, nOut: number, lr: number, weightDecay: number, Yb: Float32Array | null, act: number, leakySlope: number): void;
  softmaxForward: typeof softmaxForward;
  /** A native scan for non-finite inputs (validate.ts), or null: the check runs in JavaScript. */
  firstNonFinite: FiniteScan | null;
}

function denseForwardAct(W: Float32Array, b: Float32Array, x: ArrayLike<number>, xOff: number, Y: Float32Array,
  nIn: number, nOut: number, cols: number, act: number, leakySlope: number): void {
  denseForward(W, b, x, xOff, Y, nIn, nOut, cols);
  if (act !== 0) activate(Y, nOut * cols, act as Parameters<typeof activate>[2], leakySlope);
}

function denseBackwardSgdFusedAct(W: Float32Array, b: Float32Array, dZ: Float32Array, x: ArrayLike<number>, dX: Float32Array | null,
  nIn: number, nOut: number, lr: number, weightDecay: number, Yb: Float32Array | null, act: number, leakySlope: number): void {
  denseBackwardSgdFused(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay);
  if (dX !== null && Yb !== null) activationBackward(dX, Yb, nIn, act as Parameters<typeof activate>[2], leakySlope);
}

export const jsFloat32Kernels: Float32Kernels = {
  native: false, denseForward, activate, activationBackward, denseBackwardInput, denseBackwardParams, denseBackwardSgdFused,
  sumOfSquares, sgd, momentum, adam, denseForwardAct, denseBackwardSgdFusedAct, softmaxForward, firstNonFinite: null,
};

/** The "native-f32" arithmetic in JavaScript (float-only.ts): the reference of the native-f32 table, not a device path. */
export const floatOnlyFloat32Kernels: Float32Kernels = {
  native: false,
  denseForward: denseForwardF,
  activate: activateF,
  activationBackward: activationBackwardF,
  denseBackwardInput: denseBackwardInputF,
  denseBackwardParams: denseBackwardParamsF,
  denseBackwardSgdFused: (W, b, dZ, x, dX, nIn, nOut, lr, wd) => denseBackwardSgdFusedActF(W, b, dZ, x, dX, nIn, nOut, lr, wd, null, 0, 0),
  sumOfSquares: sumOfSquaresF,
  sgd: sgdF,
  momentum: momentumF,
  adam: adamF,
  denseForwardAct(W, b, x, xOff, Y, nIn, nOut, cols, act, leakySlope) {
    denseForwardF(W, b, x, xOff, Y, nIn, nOut, cols);
    if (act !== 0) activateF(Y, nOut * cols, act, leakySlope);
  },
  denseBackwardSgdFusedAct: denseBackwardSgdFusedActF,
  softmaxForward,
  firstNonFinite: null,
};

/** Float32 kernels that call `n`; a first-layer input that is not a Float32Array goes to JavaScript. */
export function nativeFloat32Kernels(n: NativeKernels): Float32Kernels {
  return {
    native: true,
    denseForward(W, b, x, xOff, Y, nIn, nOut, cols) {
      if (x instanceof Float32Array) {
        n.f32Forward(W.buffer, W.byteOffset, b.buffer, b.byteOffset, x.buffer, x.byteOffset + 4 * xOff, Y.buffer, Y.byteOffset, nIn, nOut, cols);
      } else denseForward(W, b, x, xOff, Y, nIn, nOut, cols);
    },
    activate(Y, count, act, leakySlope) {
      n.f32Activate(Y.buffer, Y.byteOffset, count, act, leakySlope);
    },
    activationBackward(dZ, Y, count, act, leakySlope) {
      n.f32ActivationBackward(dZ.buffer, dZ.byteOffset, Y.buffer, Y.byteOffset, count, act, leakySlope);
    },
    denseBackwardInput(W, dZ, dX, nIn, nOut, cols) {
      n.f32BackwardInput(W.buffer, W.byteOffset, dZ.buffer, dZ.byteOffset, dX.buffer, dX.byteOffset, nIn, nOut, cols);
    },
    denseBackwardParams(dZ, x, dW, db, nIn, nOut, cols) {
      if (x instanceof Float32Array) {
        n.f32BackwardParams(dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset, dW.buffer, dW.byteOffset, db.buffer, db.byteOffset, nIn, nOut, cols);
      } else denseBackwardParams(dZ, x, dW, db, nIn, nOut, cols);
    },
    denseBackwardSgdFused(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay) {
      if (x instanceof Float32Array) {
        n.f32BackwardSgdFused(W.buffer, W.byteOffset, b.buffer, b.byteOffset, dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset,
          dX === null ? null : dX.buffer, dX === null ? 0 : dX.byteOffset, nIn, nOut, lr, weightDecay);
      } else denseBackwardSgdFused(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay);
    },
    sumOfSquares(G, count) {
      return n.f32SumOfSquares(G.buffer, G.byteOffset, count);
    },
    sgd(P, p, G, g, count, lr, wd, gScale) {
      n.f32Sgd(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, count, lr, wd, gScale);
    },
    momentum(P, p, G, g, V, count, lr, mu, wd, gScale) {
      n.f32Momentum(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, V.buffer, V.byteOffset + 4 * g, count, lr, mu, wd, gScale);
    },
    denseForwardAct(W, b, x, xOff, Y, nIn, nOut, cols, act, leakySlope) {
      if (x instanceof Float32Array) {
        n.f32ForwardAct(W.buffer, W.byteOffset, b.buffer, b.byteOffset, x.buffer, x.byteOffset + 4 * xOff, Y.buffer, Y.byteOffset, nIn, nOut, cols, act, leakySlope);
      } else jsFloat32Kernels.denseForwardAct(W, b, x, xOff, Y, nIn, nOut, cols, act, leakySlope);
    },
    denseBackwardSgdFusedAct(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay, Yb, act, leakySlope) {
      if (x instanceof Float32Array) {
        n.f32BackwardSgdFusedAct(W.buffer, W.byteOffset, b.buffer, b.byteOffset, dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset,
          dX === null ? null : dX.buffer, dX === null ? 0 : dX.byteOffset, Yb === null ? null : Yb.buffer, Yb === null ? 0 : Yb.byteOffset,
          nIn, nOut, lr, weightDecay, act, leakySlope);
      } else jsFloat32Kernels.denseBackwardSgdFusedAct(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay, Yb, act, leakySlope);
    },
    softmaxForward: nativeSoftmax(n),
    firstNonFinite: (x, from, count) => n.f32FirstNonFinite(x.buffer, x.byteOffset + 4 * from, count),
    adam(P, p, G, g, M, V, count, lr, b1, b2, eps, c1, c2, wd, gScale) {
      n.f32Adam(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, M.buffer, M.byteOffset + 4 * g, V.buffer, V.byteOffset + 4 * g,
        count, lr, b1, b2, eps, c1, c2, wd, gScale);
    },
  };
}

/** softmaxForward in C for one label (one sample) or none; several labels go to JavaScript. */
function nativeSoftmax(n: NativeKernels): typeof softmaxForward {
  return (Y, count, cols, labels, lOff) => {
    if (labels === null) return n.f32Softmax(Y.buffer, Y.byteOffset, count, cols, -1);
    if (cols === 1) return n.f32Softmax(Y.buffer, Y.byteOffset, count, 1, labels[lOff]);
    return softmaxForward(Y, count, cols, labels, lOff);
  };
}

/**
 * The "native-f32" table: C kernels computing in float32 (float-only.ts is their JavaScript twin and the fallback
 * for a first-layer input that is not a Float32Array). The losses and softmax are the same as in the other tables.
 */
export function nativeFloatOnlyKernels(n: NativeKernels): Float32Kernels {
  const js = floatOnlyFloat32Kernels;
  return {
    native: true,
    denseForward(W, b, x, xOff, Y, nIn, nOut, cols) {
      this.denseForwardAct(W, b, x, xOff, Y, nIn, nOut, cols, 0, 0);
    },
    denseForwardAct(W, b, x, xOff, Y, nIn, nOut, cols, act, leakySlope) {
      if (x instanceof Float32Array) {
        n.f32sForwardAct(W.buffer, W.byteOffset, b.buffer, b.byteOffset, x.buffer, x.byteOffset + 4 * xOff, Y.buffer, Y.byteOffset, nIn, nOut, cols, act, leakySlope);
      } else js.denseForwardAct(W, b, x, xOff, Y, nIn, nOut, cols, act, leakySlope);
    },
    activate(Y, count, act, leakySlope) {
      n.f32sActivate(Y.buffer, Y.byteOffset, count, act, leakySlope);
    },
    activationBackward(dZ, Y, count, act, leakySlope) {
      n.f32sActivationBackward(dZ.buffer, dZ.byteOffset, Y.buffer, Y.byteOffset, count, act, leakySlope);
    },
    denseBackwardInput(W, dZ, dX, nIn, nOut, cols) {
      n.f32sBackwardInput(W.buffer, W.byteOffset, dZ.buffer, dZ.byteOffset, dX.buffer, dX.byteOffset, nIn, nOut, cols);
    },
    denseBackwardParams(dZ, x, dW, db, nIn, nOut, cols) {
      if (x instanceof Float32Array) {
        n.f32sBackwardParams(dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset, dW.buffer, dW.byteOffset, db.buffer, db.byteOffset, nIn, nOut, cols);
      } else js.denseBackwardParams(dZ, x, dW, db, nIn, nOut, cols);
    },
    denseBackwardSgdFused(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay) {
      this.denseBackwardSgdFusedAct(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay, null, 0, 0);
    },
    denseBackwardSgdFusedAct(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay, Yb, act, leakySlope) {
      if (x instanceof Float32Array) {
        n.f32sBackwardSgdFusedAct(W.buffer, W.byteOffset, b.buffer, b.byteOffset, dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset,
          dX === null ? null : dX.buffer, dX === null ? 0 : dX.byteOffset, Yb === null ? null : Yb.buffer, Yb === null ? 0 : Yb.byteOffset,
          nIn, nOut, lr, weightDecay, act, leakySlope);
      } else js.denseBackwardSgdFusedAct(W, b, dZ, x, dX, nIn, nOut, lr, weightDecay, Yb, act, leakySlope);
    },
    softmaxForward: nativeSoftmax(n),
    firstNonFinite: (x, from, count) => n.f32FirstNonFinite(x.buffer, x.byteOffset + 4 * from, count),
    sumOfSquares(G, count) {
      return n.f32sSumOfSquares(G.buffer, G.byteOffset, count);
    },
    sgd(P, p, G, g, count, lr, wd, gScale) {
      n.f32sSgd(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, count, lr, wd, gScale);
    },
    momentum(P, p, G, g, V, count, lr, mu, wd, gScale) {
      n.f32sMomentum(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, V.buffer, V.byteOffset + 4 * g, count, lr, mu, wd, gScale);
    },
    adam(P, p, G, g, M, V, count, lr, b1, b2, eps, c1, c2, wd, gScale) {
      n.f32sAdam(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, M.buffer, M.byteOffset + 4 * g, V.buffer, V.byteOffset + 4 * g,
        count, lr, b1, b2, eps, c1, c2, wd, gScale);
    },
  };
}

/** The Float32 kernel table for a spec's `kernels` choice. */
export function float32KernelsFor(choice: KernelChoice): Float32Kernels {
  const k = nativeKernelsFor(choice);
  if (k === null) return jsFloat32Kernels;
  return choice === "native-f32" ? nativeFloatOnlyKernels(k) : nativeFloat32Kernels(k);
}

