// Argument checks shared by every number backend. They run before any state is touched and throw an
// Error naming the call, the index and the value. On typed arrays they compare no type-name strings
// (XS may allocate for those), so they cost only a subtraction and a branch per value (or one native call).
import { LossCode } from "./codes";

/**
 * The calls' names for error messages. Callers pass these instead of writing each name as a literal at the
 * check: XS allocates a new chunk every time a string literal in runtime-compiled code is evaluated
 * (docs/xs-meter.md), and the checks run on every step. Reading a property allocates nothing.
 */
export const Call = {
  forward: "forward", forwardQ: "forwardQ", backward: "backward", trainStep: "trainStep", trainStepQ: "trainStepQ",
  predict: "predict", predictQ: "predictQ", classify: "classify", classifyQ: "classifyQ", evaluate: "evaluate",
} as const;

/** A typed array or plain array. */
export function isArrayLike(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) || Array.isArray(v);
}

export function checkCount(where: string, count: number, max: number): void {
  if (!Number.isInteger(count) || count < 1 || count > max) throw new Error(`${where}: sample count must be 1..${max}, got ${count}`);
}

/**
 * Index of the first value of x[from .. from + n) that is not finite, or -1: a native scan a kernel table may
 * offer (one call instead of a bytecode loop under XS).
 */
export type FiniteScan = (x: Float32Array, from: number, n: number) => number;

/** x must hold exactly count × inputs finite numbers. */
export function checkInputs(where: string, x: ArrayLike<number>, count: number, inputs: number, scan: FiniteScan | null = null): void {
  if (!Number.isInteger(count) || count < 0) throw new Error(`${where}: invalid sample count ${count}`);
  const need = count * inputs;
  if (!isArrayLike(x)) throw new Error(`${where}: x must be an array or typed array of numbers, got ${typeof x}`);
  if (x.length !== need) {
    throw new Error(`${where}: x has ${x?.length} values, expected ${need} (${count} samples × ${inputs} inputs)`);
  }
  checkFinite(where, x, 0, need, scan);
}

export function checkFinite(where: string, x: ArrayLike<number>, from: number, n: number, scan: FiniteScan | null = null): void {
  let i = 0, v = 0;
  const end = from + n;
  if (scan !== null && x instanceof Float32Array) {
    i = scan(x, from, n);
    if (i >= 0) notFinite(where, from + i, x[from + i]);
  } else if (ArrayBuffer.isView(x)) {
    // Typed arrays hold numbers by construction; variables declared once: cheaper loop under XS.
    for (i = from; i < end; i++) { v = x[i]; if (v - v !== 0) notFinite(where, i, v); }
  } else {
    for (i = from; i < end; i++) { v = x[i]; if (v - v !== 0 || typeof v !== "number") notFinite(where, i, v); }
  }
}

function notFinite(where: string, i: number, v: unknown): never {
  throw new Error(`${where}: x[${i}] is ${String(v)}, not a finite number`);
}

/** Class indices in 0..outputs-1 (softmax cross-entropy) or count × outputs finite targets. */
export function checkTargets(where: string, y: ArrayLike<number>, count: number, outputs: number, loss: LossCode): void {
  const n = outputs;
  const typed = ArrayBuffer.isView(y);
  if (!isArrayLike(y)) throw new Error(`${where}: y must be an array or typed array of numbers, got ${typeof y}`);
  if (loss === LossCode.SoftmaxCE) {
    if (y.length !== count) throw new Error(`${where}: y has ${y?.length} labels, expected ${count} class indices`);
    for (let i = 0; i < count; i++) {
      const v = y[i];
      if (!(v >= 0 && v < n) || v % 1 !== 0 || (!typed && typeof v !== "number")) throw new Error(`${where}: label y[${i}] = ${v} is not a class index in 0..${n - 1}`);
    }
    return;
  }
  if (y.length !== count * n) throw new Error(`${where}: y has ${y?.length} targets, expected ${count * n} (${count} samples × ${n} outputs)`);
  for (let i = 0; i < count * n; i++) {
    const v = y[i];
    if (v - v !== 0 || (!typed && typeof v !== "number")) throw new Error(`${where}: target y[${i}] is ${v}, not a finite number`);
    if (loss === LossCode.SigmoidCE && (v < 0 || v > 1)) throw new Error(`${where}: target y[${i}] = ${v} is outside [0, 1] for sigmoid cross-entropy`);
  }
}

/** Index of the largest of n values from offset (the first on ties). */
export function argmax(a: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[offset + i] > a[offset + best]) best = i;
  return best;
}
