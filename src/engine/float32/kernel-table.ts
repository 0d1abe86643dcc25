// The Float32 model's kernel table: the JavaScript kernels (dense.ts, optimizer.ts) or the same kernels in C
// (../native.ts), chosen once per model; or, for kernels "native-f32", the C kernels that compute in float32
// (with float-only.ts as their JavaScript twin). Native calls pass each tensor as (ArrayBuffer, byte offset); a
// first-layer input that is not a Float32Array (a plain array, a Float64Array) goes to JavaScript, which
// reads its doubles unrounded. The fused entries (forward with activation, backward with the activation
// derivative below, softmax with its loss) exist so that one native call does a layer's work: under XS each
// call costs about a hundred bytecodes of glue.
import {
  activate, activationBackward, denseBackwardInput, denseBackwardParams, denseBackwardSgdFusedAct, denseForwardAct,
} from "./dense";
import { adam, momentum, sgd, sumOfSquares } from "./optimizer";
import { softmaxForward } from "./loss";
import {
  activateF, activationBackwardF, adamF, denseBackwardInputF, denseBackwardParamsF, denseBackwardSgdFusedActF, denseForwardActF,
  momentumF, sgdF, sumOfSquaresF,
} from "./float-only";
import type { LayerFormat } from "./layer-format";
import { nativeKernelsFor, type NativeKernels } from "../native";
import type { KernelChoice } from "../spec";
import type { FiniteScan } from "../validate";

/**
 * The Float32 model's kernels. The layer kernels take the layer's LayerFormat (a forward without activation
 * or a fused backward without the derivative below is a format with act Linear, or without belowY); the
 * elementwise and optimizer kernels take their arrays.
 */
export interface Float32Kernels {
  readonly native: boolean;
  /** L.Y = W x + b for `cols` samples of x from xOff, then L.act on L.Y. */
  denseForwardAct(L: LayerFormat, x: ArrayLike<number>, xOff: number, cols: number): void;
  activate: typeof activate;
  activationBackward: typeof activationBackward;
  /** L.dX = W^T L.dZ. */
  denseBackwardInput(L: LayerFormat, cols: number): void;
  /** L.dW, L.db from L.dZ and the input x. */
  denseBackwardParams(L: LayerFormat, x: ArrayLike<number>, cols: number): void;
  /** One sample: L.dX = W^T dZ (when there is dX), the SGD update of W and b, then f'(L.belowY) into dX (when there is belowY). */
  denseBackwardSgdFusedAct(L: LayerFormat, x: ArrayLike<number>, lr: number): void;
  sumOfSquares: typeof sumOfSquares;
  sgd: typeof sgd;
  momentum: typeof momentum;
  adam: typeof adam;
  softmaxForward: typeof softmaxForward;
  /** A native scan for non-finite inputs (validate.ts), or null: the check runs in JavaScript. */
  firstNonFinite: FiniteScan | null;
}

export const jsFloat32Kernels: Float32Kernels = {
  native: false, denseForwardAct, activate, activationBackward, denseBackwardInput, denseBackwardParams, denseBackwardSgdFusedAct,
  sumOfSquares, sgd, momentum, adam, softmaxForward, firstNonFinite: null,
};

/** The "native-f32" arithmetic in JavaScript (float-only.ts): the reference of the native-f32 table, not a device path. */
export const floatOnlyFloat32Kernels: Float32Kernels = {
  native: false,
  denseForwardAct: denseForwardActF,
  activate: activateF,
  activationBackward: activationBackwardF,
  denseBackwardInput: denseBackwardInputF,
  denseBackwardParams: denseBackwardParamsF,
  denseBackwardSgdFusedAct: denseBackwardSgdFusedActF,
  sumOfSquares: sumOfSquaresF,
  sgd: sgdF,
  momentum: momentumF,
  adam: adamF,
  softmaxForward,
  firstNonFinite: null,
};

/** The C entry points of one arithmetic: tp_f32_* (double) or tp_f32s_* (float32); same argument lists. */
interface NativeFloat32Set {
  forwardAct: NativeKernels["f32ForwardAct"];
  activate: NativeKernels["f32Activate"];
  activationBackward: NativeKernels["f32ActivationBackward"];
  backwardInput: NativeKernels["f32BackwardInput"];
  backwardParams: NativeKernels["f32BackwardParams"];
  backwardSgdFusedAct: NativeKernels["f32BackwardSgdFusedAct"];
  sumOfSquares: NativeKernels["f32SumOfSquares"];
  sgd: NativeKernels["f32Sgd"];
  momentum: NativeKernels["f32Momentum"];
  adam: NativeKernels["f32Adam"];
}

/**
 * A table that calls the C kernels of `set`, with `js` (their bit-identical JavaScript) for a first-layer input
 * that is not a Float32Array and for softmax over several labels. Losses and softmax are the same in every table.
 */
function nativeTable(n: NativeKernels, set: NativeFloat32Set, js: Float32Kernels): Float32Kernels {
  const { forwardAct, backwardInput, backwardParams, backwardSgdFusedAct } = set;
  return {
    native: true,
    denseForwardAct(L, x, xOff, cols) {
      if (x instanceof Float32Array) {
        forwardAct(L.W.buffer, L.W.byteOffset, L.b.buffer, L.b.byteOffset, x.buffer, x.byteOffset + 4 * xOff, L.Y.buffer, L.Y.byteOffset,
          L.nIn, L.nOut, cols, L.act, L.leakySlope);
      } else js.denseForwardAct(L, x, xOff, cols);
    },
    activate: (Y, count, act, leakySlope) => set.activate(Y.buffer, Y.byteOffset, count, act, leakySlope),
    activationBackward: (dZ, Y, count, act, leakySlope) =>
      set.activationBackward(dZ.buffer, dZ.byteOffset, Y.buffer, Y.byteOffset, count, act, leakySlope),
    denseBackwardInput(L, cols) {
      const dZ = L.dZ as Float32Array, dX = L.dX as Float32Array;
      backwardInput(L.W.buffer, L.W.byteOffset, dZ.buffer, dZ.byteOffset, dX.buffer, dX.byteOffset, L.nIn, L.nOut, cols);
    },
    denseBackwardParams(L, x, cols) {
      if (x instanceof Float32Array) {
        const dZ = L.dZ as Float32Array, dW = L.dW as Float32Array, db = L.db as Float32Array;
        backwardParams(dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset, dW.buffer, dW.byteOffset, db.buffer, db.byteOffset, L.nIn, L.nOut, cols);
      } else js.denseBackwardParams(L, x, cols);
    },
    denseBackwardSgdFusedAct(L, x, lr) {
      if (x instanceof Float32Array) {
        const dZ = L.dZ as Float32Array, dX = L.dX, Yb = L.belowY;
        backwardSgdFusedAct(L.W.buffer, L.W.byteOffset, L.b.buffer, L.b.byteOffset, dZ.buffer, dZ.byteOffset, x.buffer, x.byteOffset,
          dX === null ? null : dX.buffer, dX === null ? 0 : dX.byteOffset, Yb === null ? null : Yb.buffer, Yb === null ? 0 : Yb.byteOffset,
          L.nIn, L.nOut, lr, L.weightDecay, L.belowAct, L.leakySlope);
      } else js.denseBackwardSgdFusedAct(L, x, lr);
    },
    sumOfSquares: (G, count) => set.sumOfSquares(G.buffer, G.byteOffset, count),
    sgd(P, p, G, g, count, lr, wd, gScale) {
      set.sgd(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, count, lr, wd, gScale);
    },
    momentum(P, p, G, g, V, count, lr, mu, wd, gScale) {
      set.momentum(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, V.buffer, V.byteOffset + 4 * g, count, lr, mu, wd, gScale);
    },
    adam(P, p, G, g, M, V, count, lr, b1, b2, eps, c1, c2, wd, gScale) {
      set.adam(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, M.buffer, M.byteOffset + 4 * g, V.buffer, V.byteOffset + 4 * g,
        count, lr, b1, b2, eps, c1, c2, wd, gScale);
    },
    softmaxForward: nativeSoftmax(n),
    firstNonFinite: (x, from, count) => n.f32FirstNonFinite(x.buffer, x.byteOffset + 4 * from, count),
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

/** The C entry points of one arithmetic, named by prefix: "f32" (double) or "f32s" (float32, "native-f32"). */
function nativeSet(n: NativeKernels, p: "f32" | "f32s"): NativeFloat32Set {
  return {
    forwardAct: n[`${p}ForwardAct`], activate: n[`${p}Activate`], activationBackward: n[`${p}ActivationBackward`],
    backwardInput: n[`${p}BackwardInput`], backwardParams: n[`${p}BackwardParams`], backwardSgdFusedAct: n[`${p}BackwardSgdFusedAct`],
    sumOfSquares: n[`${p}SumOfSquares`], sgd: n[`${p}Sgd`], momentum: n[`${p}Momentum`], adam: n[`${p}Adam`],
  };
}

/** Float32 kernels in C computing in double, bit-identical to the JavaScript kernels (dense.ts, optimizer.ts). */
export function nativeFloat32Kernels(n: NativeKernels): Float32Kernels {
  return nativeTable(n, nativeSet(n, "f32"), jsFloat32Kernels);
}

/** The "native-f32" table: C kernels computing in float32, bit-identical to their JavaScript twin float-only.ts. */
export function nativeFloatOnlyKernels(n: NativeKernels): Float32Kernels {
  return nativeTable(n, nativeSet(n, "f32s"), floatOnlyFloat32Kernels);
}

/** The Float32 kernel table for a spec's `kernels` choice. */
export function float32KernelsFor(choice: KernelChoice): Float32Kernels {
  const k = nativeKernelsFor(choice);
  if (k === null) return jsFloat32Kernels;
  return choice === "native-f32" ? nativeFloatOnlyKernels(k) : nativeFloat32Kernels(k);
}

