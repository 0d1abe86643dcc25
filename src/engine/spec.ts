// The model spec: everything needed to plan memory and build a model, as plain data (JSON-friendly).
// Strings live here only; resolveSpec() turns them into the numeric codes of codes.ts so hot loops never
// compare strings.
import {
  Act, ACTIVATION_NAMES, codeOf, LOSS_NAMES, LossCode, Opt, Sched,
  type ActivationName, type DType, type LossName,
} from "./codes";
import { resolveFixed, type FixedSpec, type ResolvedFixed } from "./fixed/spec";
import { failSpec as fail } from "../util/fail";

export { Act, LossCode, Opt, Sched, type ActivationName, type DType, type LossName } from "./codes";

export interface LayerSpec {
  units: number;
  activation: ActivationName;
}

export type ScheduleSpec =
  | { type: "constant" }
  /** lr = learningRate * gamma^floor(step / every) */
  | { type: "step"; every: number; gamma: number }
  /** lr = min + (learningRate - min) (1 + cos(pi min(step, steps) / steps)) / 2 */
  | { type: "cosine"; steps: number; minLearningRate?: number };

export interface OptimizerSpec {
  type: "sgd" | "adam";
  learningRate: number;
  /** SGD only: v = momentum v + g; W -= lr v. 0 = plain SGD. */
  momentum?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 weight decay on weights (not biases): g += weightDecay W. */
  weightDecay?: number;
  /** Scale all gradients down so their global L2 norm is at most this (0 = off). */
  clipNorm?: number;
  schedule?: ScheduleSpec;
}

export interface ModelSpec {
  inputs: number;
  layers: LayerSpec[];
  loss: LossName;
  optimizer: OptimizerSpec;
  /** Samples per training step (columns of every activation matrix). */
  batchSize: number;
  /** Seed of the weight initialisation. */
  seed: number;
  /** The first `frozen` layers are not trained and get no gradient or optimizer memory. */
  frozen?: number;
  /** Store dW/db even where the update could be fused into backward (for inspection). */
  keepGradients?: boolean;
  /** Slope of leaky_relu for negative inputs. */
  leakySlope?: number;
  dtype?: DType;
  /** Q-format settings of dtype "fixed" (see docs/fixed-point.md); only valid with that dtype. */
  fixed?: FixedSpec;
  /**
   * Which kernels run the hot loops: "auto" (default) the platform's native C kernels when it has them,
   * else JavaScript; "js" or "native" force one ("native" throws where there are none). Results are
   * bit-identical either way (docs/native.md). "native-f32" (dtype float32 only) runs native kernels that
   * compute in float32 instead of JavaScript's double: much faster on an ESP32's single-precision FPU, but
   * not bit-identical to the JavaScript kernels (bit-identical to float32/float-only.ts instead).
   */
  kernels?: KernelChoice;
}

/** "auto": native kernels when the platform has them; "js" or "native" force one; "native-f32": float32 arithmetic (src/engine/native.ts). */
export type KernelChoice = "auto" | "js" | "native" | "native-f32";

/** Largest layer width and batch accepted: keeps every index and byte count far inside int32. */
export const MAX_UNITS = 65535;
export const MAX_BATCH = 4096;

/** A spec with every default filled in and every name resolved to a code. */
export interface ResolvedSpec {
  inputs: number;
  units: number[];
  activations: Act[];
  loss: LossCode;
  optimizer: Opt;
  learningRate: number;
  momentum: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  clipNorm: number;
  schedule: Sched;
  scheduleEvery: number;
  scheduleGamma: number;
  scheduleSteps: number;
  minLearningRate: number;
  batchSize: number;
  seed: number;
  frozen: number;
  keepGradients: boolean;
  leakySlope: number;
  dtype: DType;
  kernels: KernelChoice;
  /** Resolved Q formats, present for dtype "fixed". */
  fixed?: ResolvedFixed;
}

function positiveInt(v: unknown, what: string, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) fail(`${what} must be an integer in 1..${max}, got ${String(v)}`);
  return v;
}

function finiteIn(v: unknown, what: string, lo: number, hi: number, loOpen = false, hiOpen = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || (loOpen ? v <= lo : v < lo) || (hiOpen ? v >= hi : v > hi)) {
    fail(`${what} must be a finite number in ${loOpen ? "(" : "["}${lo}, ${hi}${hiOpen ? ")" : "]"}, got ${String(v)}`);
  }
  return v;
}

/** Validate a spec and fill in defaults. Throws an Error naming the first problem found. */
const SPEC_KEYS = ["inputs", "layers", "loss", "optimizer", "batchSize", "seed", "frozen", "keepGradients", "leakySlope", "dtype", "fixed", "kernels"];
const LAYER_KEYS = ["units", "activation"];
const OPTIMIZER_KEYS = ["type", "learningRate", "momentum", "beta1", "beta2", "epsilon", "weightDecay", "clipNorm", "schedule"];
const SCHEDULE_KEYS = ["type", "every", "gamma", "steps", "minLearningRate"];

/** A misspelt key (learning_rate, activaton) must not be ignored silently: refuse any key not listed. */
function onlyKeys(o: object, known: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (known.indexOf(k) < 0) fail(`${where} has an unknown key "${k}" (known: ${known.join(", ")})`);
}

export function resolveSpec(spec: ModelSpec): ResolvedSpec {
  if (spec === null || typeof spec !== "object") fail("spec must be an object");
  onlyKeys(spec, SPEC_KEYS, "spec");
  const inputs = positiveInt(spec.inputs, "inputs", MAX_UNITS);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) fail("layers must be a non-empty array");
  const units: number[] = [];
  const activations: Act[] = [];
  spec.layers.forEach((layer, l) => {
    if (layer !== null && typeof layer === "object") onlyKeys(layer, LAYER_KEYS, `layers[${l}]`);
    units.push(positiveInt(layer?.units, `layers[${l}].units`, MAX_UNITS));
    const a = codeOf(ACTIVATION_NAMES, layer.activation);
    if (a < 0) fail(`layers[${l}].activation must be one of ${ACTIVATION_NAMES.join(", ")}, got ${String(layer.activation)}`);
    if (a === Act.Softmax && l !== spec.layers.length - 1) fail(`softmax is only supported on the output layer (layers[${l}])`);
    activations.push(a as Act);
  });
  const loss = codeOf(LOSS_NAMES, spec.loss);
  if (loss < 0) fail(`loss must be one of ${LOSS_NAMES.join(", ")}, got ${String(spec.loss)}`);
  const last = activations[activations.length - 1];
  if ((loss === LossCode.SoftmaxCE) !== (last === Act.Softmax)) fail("softmax_cross_entropy requires a softmax output layer, and softmax requires that loss");
  if (loss === LossCode.SoftmaxCE && units[units.length - 1] < 2) fail("softmax_cross_entropy needs at least 2 output units");
  if (loss === LossCode.SigmoidCE && last !== Act.Sigmoid) fail("sigmoid_cross_entropy requires a sigmoid output layer");

  const o = spec.optimizer;
  if (o === null || typeof o !== "object") fail("optimizer must be an object");
  onlyKeys(o, OPTIMIZER_KEYS, "optimizer");
  if (o.type !== "sgd" && o.type !== "adam") fail(`optimizer.type must be "sgd" or "adam", got ${String(o.type)}`);
  const learningRate = finiteIn(o.learningRate, "optimizer.learningRate", 0, 1e3, true);
  const momentum = finiteIn(o.momentum ?? 0, "optimizer.momentum", 0, 1, false, true);
  if (o.type === "adam" && o.momentum) fail("optimizer.momentum applies to sgd only (adam uses beta1)");
  const beta1 = finiteIn(o.beta1 ?? 0.9, "optimizer.beta1", 0, 1, false, true);
  const beta2 = finiteIn(o.beta2 ?? 0.999, "optimizer.beta2", 0, 1, false, true);
  const epsilon = finiteIn(o.epsilon ?? 1e-7, "optimizer.epsilon", 0, 1, true);
  const weightDecay = finiteIn(o.weightDecay ?? 0, "optimizer.weightDecay", 0, 1);
  const clipNorm = finiteIn(o.clipNorm ?? 0, "optimizer.clipNorm", 0, 1e9);

  let schedule: Sched = Sched.Constant, scheduleEvery = 1, scheduleGamma = 1, scheduleSteps = 1, minLearningRate = 0;
  const s = o.schedule;
  if (s !== null && typeof s === "object") onlyKeys(s, SCHEDULE_KEYS, "optimizer.schedule");
  if (s !== undefined && s.type !== "constant") {
    if (s.type === "step") {
      schedule = Sched.Step;
      scheduleEvery = positiveInt(s.every, "optimizer.schedule.every", 0x7fffffff);
      scheduleGamma = finiteIn(s.gamma, "optimizer.schedule.gamma", 0, 1, true);
    } else if (s.type === "cosine") {
      schedule = Sched.Cosine;
      scheduleSteps = positiveInt(s.steps, "optimizer.schedule.steps", 0x7fffffff);
      minLearningRate = finiteIn(s.minLearningRate ?? 0, "optimizer.schedule.minLearningRate", 0, learningRate);
    } else {
      fail(`optimizer.schedule.type must be constant, step or cosine, got ${String((s as { type: unknown }).type)}`);
    }
  }

  const batchSize = positiveInt(spec.batchSize, "batchSize", MAX_BATCH);
  if (typeof spec.seed !== "number" || !Number.isInteger(spec.seed)) fail(`seed must be an integer, got ${String(spec.seed)}`);
  const frozen = spec.frozen ?? 0;
  if (!Number.isInteger(frozen) || frozen < 0 || frozen >= units.length) fail(`frozen must be an integer in 0..${units.length - 1} (at least the last layer trains), got ${String(frozen)}`);
  const leakySlope = finiteIn(spec.leakySlope ?? 0.01, "leakySlope", 0, 1, true, true);
  const dtype = spec.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "fixed") fail(`dtype must be "float32" or "fixed", got ${String(dtype)}`);

  if (spec.fixed !== undefined && dtype !== "fixed") fail('fixed (Q-format settings) requires dtype "fixed"');
  const kernels = spec.kernels ?? "auto";
  if (kernels !== "auto" && kernels !== "js" && kernels !== "native" && kernels !== "native-f32") fail(`kernels must be "auto", "js", "native" or "native-f32", got ${String(kernels)}`);
  if (kernels === "native-f32" && dtype !== "float32") fail('kernels "native-f32" (float32 arithmetic) needs dtype "float32"; fixed point uses "native"');
  const resolved: ResolvedSpec = {
    inputs, units, activations, loss: loss as LossCode,
    optimizer: o.type === "adam" ? Opt.Adam : momentum > 0 ? Opt.Momentum : Opt.Sgd,
    learningRate, momentum, beta1, beta2, epsilon, weightDecay, clipNorm,
    schedule, scheduleEvery, scheduleGamma, scheduleSteps, minLearningRate,
    batchSize, seed: spec.seed, frozen, keepGradients: spec.keepGradients === true, leakySlope, dtype, kernels,
  };
  if (dtype === "fixed") resolved.fixed = resolveFixed(spec.fixed, resolved);
  return resolved;
}
