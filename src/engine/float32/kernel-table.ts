// The Float32 model's kernel table: the JavaScript kernels (dense.ts, optimizer.ts) or the same kernels in C
// (../native.ts), chosen once per model. Native calls pass each tensor as (ArrayBuffer, byte offset); a
// first-layer input that is not a Float32Array (a plain array, a Float64Array) goes to JavaScript, which
// reads its doubles unrounded.
import { activate, activationBackward, denseBackwardInput, denseBackwardParams, denseBackwardSgdFused, denseForward } from "./dense";
import { adam, momentum, sgd, sumOfSquares } from "./optimizer";
import { nativeKernelsFor, type NativeKernels } from "../native";
import type { KernelChoice } from "../spec";

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
}

export const jsFloat32Kernels: Float32Kernels = {
  native: false, denseForward, activate, activationBackward, denseBackwardInput, denseBackwardParams, denseBackwardSgdFused,
  sumOfSquares, sgd, momentum, adam,
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
    adam(P, p, G, g, M, V, count, lr, b1, b2, eps, c1, c2, wd, gScale) {
      n.f32Adam(P.buffer, P.byteOffset + 4 * p, G.buffer, G.byteOffset + 4 * g, M.buffer, M.byteOffset + 4 * g, V.buffer, V.byteOffset + 4 * g,
        count, lr, b1, b2, eps, c1, c2, wd, gScale);
    },
  };
}

/** The Float32 kernel table for a spec's `kernels` choice. */
export function float32KernelsFor(choice: KernelChoice): Float32Kernels {
  const k = nativeKernelsFor(choice);
  return k === null ? jsFloat32Kernels : nativeFloat32Kernels(k);
}

