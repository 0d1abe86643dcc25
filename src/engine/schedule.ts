// Learning-rate schedules, shared by every number backend. Uses only deterministic math.
import { Sched } from "./codes";
import type { ResolvedSpec } from "./spec";
import { cos, PI, powInt } from "./math";

/** Learning rate for the update that completes step `step` (0-based). */
export function learningRateAt(r: ResolvedSpec, step: number): number {
  if (r.schedule === Sched.Step) {
    return r.learningRate * powInt(r.scheduleGamma, Math.floor(step / r.scheduleEvery));
  }
  if (r.schedule === Sched.Cosine) {
    const t = step < r.scheduleSteps ? step : r.scheduleSteps;
    return r.minLearningRate + (r.learningRate - r.minLearningRate) * 0.5 * (1 + cos((PI * t) / r.scheduleSteps));
  }
  return r.learningRate;
}
