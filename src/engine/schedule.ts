// Learning-rate schedules, shared by every number backend. Uses only deterministic math.
import { Sched, type ResolvedSpec } from "./spec";
import { cos, PI } from "./math";

/** Learning rate for the update that completes step `step` (0-based). */
export function learningRateAt(r: ResolvedSpec, step: number): number {
  if (r.schedule === Sched.Step) {
    // gamma^k by binary powering rather than Math.pow, whose last bit differs between engines.
    let k = Math.floor(step / r.scheduleEvery), base = r.scheduleGamma, power = 1;
    while (k > 0) {
      if (k & 1) power *= base;
      base *= base;
      k = Math.floor(k / 2);
    }
    return r.learningRate * power;
  }
  if (r.schedule === Sched.Cosine) {
    const t = step < r.scheduleSteps ? step : r.scheduleSteps;
    return r.minLearningRate + (r.learningRate - r.minLearningRate) * 0.5 * (1 + cos((PI * t) / r.scheduleSteps));
  }
  return r.learningRate;
}
