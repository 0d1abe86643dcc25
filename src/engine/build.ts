// The dtype dispatch, above both backends: buildModel(), plan() and the isFixedModel / isFloat32Model guards
// are the only places that choose between the Float32 engine (model.ts, plan.ts) and the fixed-point one
// (fixed/). Neither backend imports the other; a bundle that never calls these (or imports fixed/ itself)
// carries no fixed-point code.
import { Model } from "./model";
import { FixedModel } from "./fixed/model";
import { planFloat32 } from "./plan";
import { planFixed } from "./fixed/plan";
import { resolveSpec, type ModelSpec, type ResolvedSpec } from "./spec";
import type { MemoryPlan } from "./layout";
import type { DenseModel } from "./model-api";

/** Build a model from a spec (validates the spec; allocates the arena once). dtype "fixed" gives a FixedModel. */
// The second overload types a spec of unknown dtype as Model, as before the interface existed, so host code
// written against Model keeps compiling; code that may get either backend should type the result DenseModel.
export function buildModel(spec: ModelSpec & { dtype: "fixed" }): FixedModel;
export function buildModel(spec: ModelSpec): Model;
export function buildModel(spec: ModelSpec): DenseModel {
  return spec !== null && typeof spec === "object" && spec.dtype === "fixed" ? new FixedModel(spec) : new Model(spec);
}

/** True when a model of either backend is the fixed-point one (by its dtype: the one place that tells the classes apart). */
export function isFixedModel(model: DenseModel): model is FixedModel {
  return model.dtype === "fixed";
}

/** True when a model of either backend is the Float32 one. */
export function isFloat32Model(model: DenseModel): model is Model {
  return model.dtype === "float32";
}

/** Plan a model's memory (either dtype). Throws on an invalid spec or one over the arena limit. */
export function plan(spec: ModelSpec | ResolvedSpec): MemoryPlan {
  const r = "units" in spec ? spec : resolveSpec(spec);
  return r.dtype === "fixed" ? planFixed(r) : planFloat32(r);
}
