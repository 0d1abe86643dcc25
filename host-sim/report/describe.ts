// Plain-text descriptions shared by commands (train, inspect, evaluate): a model's memory plan.
import type { DenseModel } from "../../src/index";

export function describePlan(model: DenseModel): string[] {
  const p = model.plan;
  return [
    `memory plan (${p.dtype}, batch ${p.batchSize}): ${p.total} bytes in one arena`,
    `  parameters ${p.parameters} B  gradients ${p.gradients} B  optimizer ${p.optimizer} B  forward ${p.forward} B  backward ${p.backward} B  scratch ${p.scratch} B`,
    ...p.notes.map((n) => `  - ${n}`),
  ];
}
