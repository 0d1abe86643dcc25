// Fixed-point specs and memory plans. Formats are Q formats with a power-of-two scale: a tensor with `frac`
// fraction bits stores value * 2^frac as an int16 (saturated to +-32767). The plan chooses one format per
// tensor (see docs/fixed-point.md for why and for the 32-bit bounds); deltas carry a per-step exponent.
//
// Arena layout (regions in this order, each 8-byte aligned; Slice offsets are bytes, lengths elements):
//   parameters  Int16  W_0 b_0 ... W_{L-1} b_{L-1}
//   gradients   Int16  dW/db of trainable layers (keepGradients only: otherwise the update is fused)
//   optimizer   Int16  momentum velocity of the trainable parameters (weight units, 4 extra fraction bits)
//   forward     Int16  Y_0 ... Y_{L-1}
//   backward    Int16  two ping-pong delta buffers
//   scratch     Int32  acc (dX / output delta before normalisation), row (per-sample rates, batch > 1);
//               Int16  xq (quantized input batch), tq (quantized targets, MSE and sigmoid CE)
import { Act, LossCode, Opt } from "../codes";
import { resolveSpec, type ModelSpec, type ResolvedSpec } from "../spec";
import { ArenaLayout, checkArenaSize, planRegions, type MemoryPlan, type Slice } from "../layout";
import { failSpec as fail } from "../../util/fail";
import { resolveFixed, storedFrac, type FixedSpec, type ResolvedFixed } from "./spec";
export type { FixedSpec, ResolvedFixed } from "./spec";

/** Per-layer formats and shifts (see kernels.ts for how each is used). */
export interface FixedLayerFormat {
  inFrac: number;
  weightFrac: number;
  biasFrac: number;
  /** Frac of the stored Y (14 for sigmoid, tanh and softmax probabilities). */
  outFrac: number;
  /** Frac the accumulator is rounded to before the activation (softmax: Z at 10; sigmoid 11; tanh 12). */
  zFrac: number;
  /** Accumulator frac: weightFrac + inFrac - SH. */
  accFrac: number;
  /** Forward: right shift of each product pair; bias shift; output shift; floor-bias compensation. */
  SH: number;
  bShift: number;
  outShift: number;
  comp: number;
  /** Backward: pair shift of W^T dZ (batched), per-term shift of the fused batch-1 kernel. */
  SHb: number;
  SHd: number;
}

export interface FixedLayout {
  inputFrac: number;
  formats: FixedLayerFormat[];
  /** Int32 scratch: pre-normalisation deltas; per-sample rates (null when unused). */
  acc: Slice;
  row: Slice | null;
  /** Int16 scratch: the quantized input batch and targets (null when the loss needs none). */
  xq: Slice;
  tq: Slice | null;
  /** Plain SGD at batch 1 without decay or stochastic rounding: sgdFusedQ. */
  fusedBatch1: boolean;
}

/** A resolved spec with its fixed-point settings. */
export type ResolvedFixedSpec = ResolvedSpec & { fixed: ResolvedFixed };
export type FixedModelSpec = ModelSpec & { fixed?: FixedSpec };

/** resolveSpec plus the fixed-point settings (validated here; resolveSpec calls resolveFixed for dtype fixed). */
export function resolveFixedSpec(spec: FixedModelSpec | ResolvedSpec): ResolvedFixedSpec {
  const r = "units" in spec ? spec : resolveSpec(spec);
  if (r.dtype !== "fixed") throw new Error('invalid model spec: a fixed-point model needs dtype "fixed"');
  const withFixed = r as ResolvedSpec & { fixed?: ResolvedFixed };
  if (withFixed.fixed) return withFixed as ResolvedFixedSpec;
  if ("units" in spec) throw new Error("invalid model spec: resolved fixed spec without fixed settings");
  return { ...r, fixed: resolveFixed(spec.fixed, r) };
}

export interface FixedPlan extends MemoryPlan {
  fixed: FixedLayout;
}

/** Smallest s >= 0 with n * floor(term / 2^s) <= 2^31 - 1 - reserve. */
function shiftFor(n: number, term: number, reserve = 0): number {
  let s = 0;
  while (n * Math.floor(term / 2 ** s) > 2147483647 - reserve) s++;
  return s;
}

/** Formats and shifts of every layer; throws when a format cannot work with the accumulator. */
export function layerFormats(r: ResolvedFixedSpec): FixedLayerFormat[] {
  const fx = r.fixed;
  const out: FixedLayerFormat[] = [];
  let inFrac = fx.inputFrac;
  for (let l = 0; l < r.units.length; l++) {
    const nIn = l === 0 ? r.inputs : r.units[l - 1];
    const nOut = r.units[l];
    const act = r.activations[l];
    const fw = fx.weightFrac[l];
    const P = Math.ceil(nIn / 2);
    let SH = 0;
    while (2 ** SH < P + 2) SH++;
    const accFrac = fw + inFrac - SH;
    const outFrac = storedFrac(act, fx.activationFrac[l]);
    const zFrac = act === Act.Softmax ? 10 : act === Act.Sigmoid ? 11 : act === Act.Tanh ? 12 : outFrac;
    const lo = fw + inFrac - 16, hi = accFrac;
    let fb = fx.biasFrac[l];
    if (fb < 0) fb = Math.max(lo, Math.min(13, hi, 15));
    if (fb < lo || fb > hi) fail(`layer ${l}: biasFrac ${fb} must be in ${lo}..${hi} for weightFrac ${fw} and input frac ${inFrac}`);
    if (zFrac > accFrac) fail(`layer ${l}: output frac ${zFrac} is finer than the accumulator (frac ${accFrac}): raise weightFrac or the input frac`);
    // Every field | 0: Math.min/max/ceil results are doubles in XS even when integral, and a shift by a double
    // is a floating-point operation in every row of every step (test/xs-device-costs.test.ts counts them).
    out.push({
      inFrac: inFrac | 0, weightFrac: fw | 0, biasFrac: fb | 0, outFrac: outFrac | 0, zFrac: zFrac | 0, accFrac: accFrac | 0, SH: SH | 0,
      bShift: (accFrac - fb) | 0, outShift: (accFrac - zFrac) | 0, comp: SH > 0 ? (P + 1) >> 1 : 0,
      SHb: shiftFor(Math.ceil(nOut / 2), 2 * 32767 * 16384) | 0,
      SHd: shiftFor(nOut, 32767 * 16384) | 0,
    });
    inFrac = outFrac;
  }
  return out;
}


/** The memory plan of a fixed-point model: every byte, before anything is allocated. */
export function planFixed(spec: FixedModelSpec | ResolvedSpec): FixedPlan {
  const r = resolveFixedSpec(spec);
  const formats = layerFormats(r);
  const L = r.units.length;
  const B = r.batchSize;
  const fusedBatch1 = r.optimizer === Opt.Sgd && B === 1 && r.weightDecay === 0 && !r.fixed.stochasticRounding && !r.keepGradients;
  const arena = new ArenaLayout();
  const g = planRegions(arena, r, 2, r.keepGradients);

  const start = arena.cursor;
  let accLen = r.units[L - 1] * B;
  for (let l = r.frozen + 1; l < L; l++) accLen = Math.max(accLen, r.units[l - 1] * B);
  const acc = arena.take(accLen, 4);
  const row = !fusedBatch1 && !r.keepGradients ? arena.take(B, 4) : null;
  const xq = arena.take(r.inputs * B, 2);
  const tq = r.loss === LossCode.SoftmaxCE ? null : arena.take(r.units[L - 1] * B, 2);
  const scratch = arena.endRegion(start);
  checkArenaSize(arena.cursor);

  const q = (f: number) => `Q${15 - f}.${f}`;
  const notes = [
    "fixed point: int16 storage with a power-of-two Q format per tensor, int32 accumulators",
    `input ${q(r.fixed.inputFrac)}; ` + formats.map((f, l) => `layer ${l}: W ${q(f.weightFrac)} b ${q(f.biasFrac)} Y ${q(f.outFrac)} (accumulator frac ${f.accFrac}, pair shift ${f.SH})`).join("; "),
    "deltas: int16 with a per-step exponent (largest magnitude normalised to 2^14)",
    fusedBatch1 ? "plain SGD at batch 1: the update is fused into backward, no dW/db stored"
      : r.keepGradients ? "dW/db stored (keepGradients) as int16 with per-step exponents" : "the update is fused into backward (per-weight gradient summed over the batch), no dW/db stored",
  ];
  if (r.optimizer === Opt.Momentum) notes.push("momentum velocity stored in weight units with 4 extra fraction bits");
  if (r.frozen > 0) notes.push(`layers 0..${r.frozen - 1} frozen: no gradients, optimizer state or deltas`);

  return {
    dtype: "fixed", batchSize: B,
    parameters: g.parameters, gradients: g.gradients, optimizer: g.optimizer, forward: g.forward, backward: g.backward,
    scratch, total: arena.cursor,
    parameterCount: g.parameterCount, trainableStart: g.trainableStart, trainableCount: g.trainableCount,
    optimizerState: g.optimizerState, fusedUpdate: !r.keepGradients, layers: g.layers, notes,
    fixed: { inputFrac: r.fixed.inputFrac | 0, formats, acc, row, xq, tq, fusedBatch1 },
  };
}
