// CONFIG on the device (docs/protocol.md section 3): what the host's training settings do to the model.
// The settings are part of the model's spec, which is read-only once built. New settings (or a new frozen
// prefix: a plan with frozen layers needs less memory) build a new model from the changed spec and carry
// over parameters, step and the optimizer state of the layers that keep training. A CONFIG that repeats the
// current settings (every session sends one) changes nothing. The service (model-service.ts) swaps it in.
import { buildModel } from "../engine/build";
import type { DenseModel } from "../engine/model-api";
import { resolveSpec, type ModelSpec, type OptimizerSpec, type ResolvedSpec } from "../engine/spec";
import * as M from "../protocol/messages";

/** What a CONFIG does: `code` (ERR_*), and on ERR_OK the rebuilt model, or null when nothing changes. */
export interface ConfigOutcome {
  code: number;
  next: DenseModel | null;
  /** The frozen count changed: the weights layout differs from the old model's. */
  layoutChanged: boolean;
}

/**
 * Apply the decoded CONFIG `c` to `model`. `weightsBusy`: a WEIGHTS_PUT is under way (the frozen count may
 * not change then). The optimizer's kind decides the memory plan, so only its settings may change.
 */
export function configure(model: DenseModel, c: M.Config, weightsBusy: boolean, log: ((text: string) => void) | undefined): ConfigOutcome {
  const r = model.config;
  if (c.batchSize % model.batchSize !== 0) return refused(M.ERR_BAD_VALUE);
  if (c.optimizer !== r.optimizer) return refused(M.ERR_BAD_VALUE);
  if (model.gradients === null && c.gradClip > 0) return refused(M.ERR_BAD_VALUE);
  let frozen = r.frozen;
  if ((c.flags & M.CONFIG_FLAG_FROZEN) !== 0 && c.frozen !== r.frozen) {
    if (c.frozen >= r.units.length) return refused(M.ERR_BAD_VALUE); // at least the last layer trains
    if (weightsBusy) return refused(M.ERR_BAD_STATE);
    frozen = c.frozen;
  }
  if (frozen === r.frozen && sameSettings(r, c)) return refused(M.ERR_OK);
  const spec = specWithSettings(model.spec, c, frozen);
  try {
    // Settings the spec would refuse (weight decay above 1, a momentum of 0 that would drop the
    // velocity buffer, ...) are refused here, before anything is built.
    if (resolveSpec(spec).optimizer !== r.optimizer) return refused(M.ERR_BAD_VALUE);
  } catch {
    return refused(M.ERR_BAD_VALUE);
  }
  const next = rebuild(model, spec);
  if (next === null) {
    if (log !== undefined) log("rebuild failed");
    return refused(M.ERR_NO_MEMORY);
  }
  return { code: M.ERR_OK, next, layoutChanged: frozen !== r.frozen };
}

function refused(code: number): ConfigOutcome {
  return { code, next: null, layoutChanged: false };
}

/**
 * A model built from `spec` (the same layers, other settings or frozen count), or null when there is no
 * memory for it (the old model stays). Parameters, step and rejected steps carry over; optimizer state
 * carries over for the parameters that train in both models (zero for layers that start training). Both
 * arenas exist for a moment (the gesture model: a few KB).
 */
function rebuild(old: DenseModel, spec: ModelSpec): DenseModel | null {
  let next: DenseModel;
  try {
    next = buildModel(spec) as DenseModel;
  } catch (e) {
    return null;
  }
  copy(old.parameters, next.parameters, 0);
  const from = old.optimizerState, to = next.optimizerState;
  const s0 = old.plan.trainableStart, s1 = next.plan.trainableStart;
  for (let k = 0; k < to.length && k < from.length; k++) {
    const dst = to[k], src = from[k];
    for (let i = 0; i < dst.length; i++) {
      const j = s1 + i - s0;
      dst[i] = j >= 0 && j < src.length ? src[j] : 0;
    }
  }
  next.step = old.step;
  next.rejectedSteps = old.rejectedSteps;
  next.weightsChanged();
  return next;
}

/** dst[i] = src[i] for every i of src (same backend: the values are copied as they are). */
function copy(src: ArrayLike<number>, dst: { [i: number]: number }, from: number): void {
  for (let i = from; i < src.length; i++) dst[i] = src[i];
}

/** CONFIG repeats the model's current settings. */
function sameSettings(r: ResolvedSpec, c: M.Config): boolean {
  if (r.learningRate !== c.learningRate || r.weightDecay !== c.weightDecay || r.clipNorm !== c.gradClip) return false;
  if (c.optimizer === M.OPT_MOMENTUM && r.momentum !== c.beta1) return false;
  if (c.optimizer === M.OPT_ADAM && (r.beta1 !== c.beta1 || r.beta2 !== c.beta2 || r.epsilon !== c.epsilon)) return false;
  return true;
}

/** The spec with CONFIG's settings and `frozen` layers (schedule, seed and shapes unchanged). */
function specWithSettings(spec: ModelSpec, c: M.Config, frozen: number): ModelSpec {
  const optimizer: OptimizerSpec = { ...spec.optimizer, learningRate: c.learningRate, weightDecay: c.weightDecay, clipNorm: c.gradClip };
  if (c.optimizer === M.OPT_MOMENTUM) optimizer.momentum = c.beta1;
  if (c.optimizer === M.OPT_ADAM) {
    optimizer.beta1 = c.beta1;
    optimizer.beta2 = c.beta2;
    optimizer.epsilon = c.epsilon;
  }
  return { ...spec, optimizer, frozen };
}
