// The native kernels a platform may provide, and how a model finds them. The kernel tables the models call
// through are per backend (float32/kernel-table.ts, fixed/kernel-table.ts): the JavaScript kernels (the
// reference) or native C kernels (src/native/*.c) with bit-identical results. A platform offers native
// kernels by defining globalThis.tinypropNative: a Moddable build that includes src/native/manifest.json
// preloads src/native/kernels.js, which does so; on the PC the "native" XS worker or the Node addon does
// (docs/native.md).
import type { KernelChoice } from "./spec";

/** Must equal TP_NATIVE_VERSION in src/native/tinyprop_kernels.h: a stale native build is not used. */
export const NATIVE_VERSION = 2;

type Buf = ArrayBufferLike;
type BufOrNull = ArrayBufferLike | null;

/**
 * What the platform provides (src/native/tinyprop_bindings.h lists the same functions). Every tensor is an
 * (ArrayBuffer, byte offset) pair; counts come from the sizes. Returns: saturated stores (q*), frac (qNormalizeDelta).
 */
export interface NativeKernels {
  version(): number;
  f32Activate(Y: Buf, Yo: number, n: number, act: number, leakySlope: number): void;
  f32ActivationBackward(dZ: Buf, dZo: number, Y: Buf, Yo: number, n: number, act: number, leakySlope: number): void;
  f32BackwardInput(W: Buf, Wo: number, dZ: Buf, dZo: number, dX: Buf, dXo: number, nIn: number, nOut: number, cols: number): void;
  f32BackwardParams(dZ: Buf, dZo: number, x: Buf, xo: number, dW: Buf, dWo: number, db: Buf, dbo: number, nIn: number, nOut: number, cols: number): void;
  f32SumOfSquares(G: Buf, Go: number, n: number): number;
  f32Sgd(P: Buf, Po: number, G: Buf, Go: number, n: number, lr: number, wd: number, gScale: number): void;
  f32Momentum(P: Buf, Po: number, G: Buf, Go: number, V: Buf, Vo: number, n: number, lr: number, mu: number, wd: number, gScale: number): void;
  f32Adam(P: Buf, Po: number, G: Buf, Go: number, M: Buf, Mo: number, V: Buf, Vo: number, n: number, lr: number, b1: number, b2: number,
    eps: number, c1: number, c2: number, wd: number, gScale: number): void;
  /** Forward and activation of one layer (act 0: none). */
  f32ForwardAct(W: Buf, Wo: number, b: Buf, bo: number, x: Buf, xo: number, Y: Buf, Yo: number, nIn: number, nOut: number, cols: number,
    act: number, leakySlope: number): void;
  /** The fused SGD backward, then the activation derivative of the layer below (output Yb) into dX. */
  f32BackwardSgdFusedAct(W: Buf, Wo: number, b: Buf, bo: number, dZ: Buf, dZo: number, x: Buf, xo: number, dX: BufOrNull, dXo: number,
    Yb: BufOrNull, Ybo: number, nIn: number, nOut: number, lr: number, weightDecay: number, act: number, leakySlope: number): void;
  /** Softmax in place; the loss of `label` (cols 1) or 0 (label -1). */
  f32Softmax(Y: Buf, Yo: number, n: number, cols: number, label: number): number;
  /** Index of the first NaN or ±Infinity among n floats, or -1. */
  f32FirstNonFinite(x: Buf, xo: number, n: number): number;
  // "native-f32": the same argument lists, every operation in float32 (src/engine/float32/float-only.ts).
  f32sForwardAct: NativeKernels["f32ForwardAct"];
  f32sActivate: NativeKernels["f32Activate"];
  f32sActivationBackward: NativeKernels["f32ActivationBackward"];
  f32sBackwardInput: NativeKernels["f32BackwardInput"];
  f32sBackwardParams: NativeKernels["f32BackwardParams"];
  f32sBackwardSgdFusedAct: NativeKernels["f32BackwardSgdFusedAct"];
  f32sSumOfSquares: NativeKernels["f32SumOfSquares"];
  f32sSgd: NativeKernels["f32Sgd"];
  f32sMomentum: NativeKernels["f32Momentum"];
  f32sAdam: NativeKernels["f32Adam"];
  qForward(W: Buf, Wo: number, b: Buf, bo: number, x: Buf, xo: number, Y: Buf, Yo: number, sig: Buf, sigo: number, stats: BufOrNull, statso: number,
    nIn: number, nOut: number, cols: number, SH: number, bShift: number, outShift: number, act: number, slopeQ15: number, comp: number): number;
  qNormalizeDelta(A: Buf, Ao: number, Y: Buf, Yo: number, D: Buf, Do: number, n: number, act: number, slopeQ15: number, aFrac: number): number;
  qBackInput(W: Buf, Wo: number, dZ: Buf, dZo: number, A: Buf, Ao: number, nIn: number, nOut: number, cols: number, SH: number): void;
  qSgdFused(W: Buf, Wo: number, b: Buf, bo: number, dZ: Buf, dZo: number, x: Buf, xo: number, A: BufOrNull, Ao: number, bound: Buf, boundo: number,
    P: BufOrNull, Po: number, nIn: number, nOut: number, lrM: number, S: number, Sb: number, SHd: number, xAbsMax: number): number;
  qUpdate(W: Buf, Wo: number, b: Buf, bo: number, U: BufOrNull, Uo: number, dZ: Buf, dZo: number, x: Buf, xo: number, G: Buf, Go: number,
    rng: BufOrNull, rngo: number, nIn: number, nOut: number, cols: number, lrM: number, t: number, S: number, Sb: number, muQ15: number,
    dM: number, dE: number): number;
  qGradients(dZ: Buf, dZo: number, x: Buf, xo: number, dW: Buf, dWo: number, db: Buf, dbo: number, nIn: number, nOut: number, cols: number,
    lb: number, T: number, Tb: number): number;
  qApplyGradients(P: Buf, Po: number, Gr: Buf, Gro: number, U: BufOrNull, Uo: number, n: number, lrM: number, S: number, muQ15: number,
    dM: number, dE: number): number;
  qAbsMax(x: Buf, xo: number, n: number): number;
}

/** The native kernels this platform provides (globalThis.tinypropNative, of the right version), or null. */
export function platformNativeKernels(): NativeKernels | null {
  const k = (globalThis as { tinypropNative?: NativeKernels }).tinypropNative;
  if (k === undefined || k === null || typeof k.version !== "function") return null;
  return k.version() === NATIVE_VERSION ? k : null;
}

/**
 * The native kernels a model with `kernels: choice` uses: null for "js" or when the platform has none
 * ("auto"); throws for "native" and "native-f32" when the platform has none.
 */
export function nativeKernelsFor(choice: KernelChoice): NativeKernels | null {
  if (choice === "js") return null;
  const k = platformNativeKernels();
  if (k === null && choice !== "auto") {
    throw new Error(`kernels "${choice}": this platform has no tinyprop native kernels of version ${NATIVE_VERSION} (see docs/native.md), use "auto" or "js"`);
  }
  return k;
}
