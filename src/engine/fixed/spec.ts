// The fixed-point part of a model spec: Q-format settings, validated by resolveSpec (spec.ts) for dtype
// "fixed". It sees the rest of the spec only through ResolvedNetwork, so it does not import spec.ts.
import { Act, Opt } from "../codes";
import { failSpec as fail } from "../../util/fail";

/** Q-format settings of a fixed-point spec (all optional). */
export interface FixedSpec {
  /** Fraction bits of the inputs, 0..15 (default 12: inputs in [-8, 8)). */
  inputFrac?: number;
  /** Largest |x| the data holds. Without inputFrac it picks one; with it, it must fit (else an error). */
  inputRange?: number;
  /** Fraction bits of relu/leaky/linear activations, one for all layers or one per layer (default 11: [-16, 16)). */
  activationFrac?: number | number[];
  /** Largest |target| for MSE; must fit the output layer's format. */
  outputRange?: number;
  /** Fraction bits of the weights, one or per layer (default from the fan-in: 4x the init limit fits). */
  weightFrac?: number | number[];
  /** Fraction bits of the biases, one or per layer; -1 or absent: chosen by the plan (13, kept inside the accumulator's bounds). */
  biasFrac?: number | number[];
  /** Round weight updates stochastically (seeded from the spec seed) instead of to nearest. */
  stochasticRounding?: boolean;
}

export interface ResolvedFixed {
  inputFrac: number;
  activationFrac: number[];
  weightFrac: number[];
  biasFrac: number[];
  outputRange: number;
  stochasticRounding: boolean;
}

/** The parts of a resolved spec that the Q formats depend on (ResolvedSpec has them all). */
export interface ResolvedNetwork {
  inputs: number;
  units: number[];
  activations: Act[];
  optimizer: Opt;
  clipNorm: number;
}

function fracIn(v: unknown, what: string, lo = 0, hi = 15): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) fail(`${what} must be an integer in ${lo}..${hi}, got ${String(v)}`);
  return v;
}

/** One frac per layer from a number or an array; `lo` -1 admits -1 = "chosen by the plan" (biasFrac). */
function perLayer(v: unknown, L: number, what: string, dflt: (l: number) => number, lo = 0): number[] {
  if (v === undefined) return Array.from({ length: L }, (_, l) => dflt(l));
  if (Array.isArray(v)) {
    if (v.length !== L) fail(`${what} must have one entry per layer (${L}), got ${v.length}`);
    return v.map((f, l) => fracIn(f, `${what}[${l}]`, lo));
  }
  const f = fracIn(v, what, lo);
  return Array.from({ length: L }, () => f);
}

/** Exponent k of the smallest power of two above `range` (2^k > range), from -15 up. */
export function rangeBits(range: number): number {
  let k = -15;
  while (2 ** k <= range) k++;
  return k;
}

/** Frac of the stored Y of an activation (relu-family and linear use the configured activation frac). */
export function storedFrac(act: Act, activationFrac: number): number {
  return act === Act.Sigmoid || act === Act.Tanh || act === Act.Softmax ? 14 : activationFrac;
}

/** Validate the fixed-point part of a spec (called from resolveSpec for dtype "fixed"). */
export function resolveFixed(fixed: FixedSpec | undefined, r: ResolvedNetwork): ResolvedFixed {
  const f: FixedSpec = fixed ?? {};
  if (f === null || typeof f !== "object") fail("fixed must be an object");
  if (r.optimizer === Opt.Adam) fail('optimizer adam is not available with dtype "fixed" (Float32 only): use sgd, optionally with momentum');
  if (r.clipNorm > 0) fail('clipNorm is not available with dtype "fixed": deltas are normalised per tensor and updates too large for the weight format are scaled down and counted in clippedGradients');
  const L = r.units.length;
  if (r.activations[L - 1] === Act.Softmax && r.units[L - 1] > 16384) fail("a fixed-point softmax supports at most 16384 outputs");
  let inputFrac = 12;
  if (f.inputRange !== undefined) {
    if (typeof f.inputRange !== "number" || !(f.inputRange > 0) || !Number.isFinite(f.inputRange)) fail(`fixed.inputRange must be a positive number, got ${String(f.inputRange)}`);
    const needed = 15 - rangeBits(f.inputRange);
    if (needed < 0) fail(`fixed.inputRange ${f.inputRange} does not fit an int16 Q format (at most 32767)`);
    if (f.inputFrac !== undefined && fracIn(f.inputFrac, "fixed.inputFrac") > needed) {
      fail(`fixed.inputRange ${f.inputRange} does not fit the input format Q${15 - f.inputFrac}.${f.inputFrac} (largest value ${32767 / 2 ** f.inputFrac}); use inputFrac <= ${needed}`);
    }
    inputFrac = f.inputFrac ?? Math.min(needed, 15);
  } else if (f.inputFrac !== undefined) inputFrac = fracIn(f.inputFrac, "fixed.inputFrac");

  const activationFrac = perLayer(f.activationFrac, L, "fixed.activationFrac", () => 11);
  const weightFrac = perLayer(f.weightFrac, L, "fixed.weightFrac", (l) => {
    const fanIn = l === 0 ? r.inputs : r.units[l - 1];
    const relu = r.activations[l] === Act.Relu || r.activations[l] === Act.Leaky;
    const limit = Math.sqrt(6 / (relu ? fanIn : fanIn + r.units[l]));
    return 15 - Math.max(1, rangeBits(4 * limit));
  });
  const biasFrac = perLayer(f.biasFrac, L, "fixed.biasFrac", () => -1, -1);
  let outputRange = 0;
  if (f.outputRange !== undefined) {
    if (typeof f.outputRange !== "number" || !(f.outputRange > 0) || !Number.isFinite(f.outputRange)) fail(`fixed.outputRange must be a positive number, got ${String(f.outputRange)}`);
    outputRange = f.outputRange;
    const of = storedFrac(r.activations[L - 1], activationFrac[L - 1]);
    if (outputRange > 32767 / 2 ** of) fail(`fixed.outputRange ${outputRange} does not fit the output format Q${15 - of}.${of} (largest value ${32767 / 2 ** of}); lower activationFrac of the last layer`);
  }
  if (f.stochasticRounding !== undefined && typeof f.stochasticRounding !== "boolean") fail("fixed.stochasticRounding must be a boolean");
  return { inputFrac, activationFrac, weightFrac, biasFrac, outputRange, stochasticRounding: f.stochasticRounding === true };
}

