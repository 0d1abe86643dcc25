// Memory plan of a Float32 model: every byte, computed from the spec before anything is allocated.
//
// Arena layout (one ArrayBuffer, regions in this order, each 8-byte aligned; see layout.ts):
//   parameters  W_0 b_0 W_1 b_1 ... W_{L-1} b_{L-1}       W_l is [units_l x inputs_l] row-major, b_l [units_l]
//   gradients   dW_f db_f ... dW_{L-1} db_{L-1}           trainable layers only (f = frozen); same layout as
//                                                         their parameters; absent when the update is fused
//   optimizer   momentum: velocity like gradients; adam: m then v like gradients
//   forward     Y_0 ... Y_{L-1}                           [batch x units_l]; Z_l shares Y_l (activation in place)
//   backward    delta A, delta B                          each [batch x max trainable units]; ping-pong
//   scratch     (float32 needs none)
// Matrices of samples are "columns are samples" stored sample after sample: Y[s * units + i].
// The trainable layers are a suffix, so their parameters, gradients and optimizer state are each one
// contiguous run and the optimizer walks them as flat arrays (index k in each run is the same parameter).
// plan() in build.ts picks this or the fixed-point plan by dtype.
import { ArenaLayout, checkArenaSize, planRegions, type MemoryPlan } from "./layout";
import { Opt } from "./codes";
import { resolveSpec, type ModelSpec, type ResolvedSpec } from "./spec";

export type { Slice, LayerPlan, MemoryPlan } from "./layout";

const F32 = 4;

/** Plan a Float32 model's memory. Throws on an invalid spec, a fixed-point one, or one over the arena limit. */
export function planFloat32(spec: ModelSpec | ResolvedSpec): MemoryPlan {
  const r = "units" in spec ? spec : resolveSpec(spec);
  if (r.dtype !== "float32") throw new Error('invalid model spec: planFloat32 plans dtype "float32" only (plan() picks by dtype)');
  const L = r.units.length;
  const fusedUpdate = r.optimizer === Opt.Sgd && r.batchSize === 1 && r.clipNorm === 0 && !r.keepGradients;
  const arena = new ArenaLayout();
  const regions = planRegions(arena, r, F32, !fusedUpdate);
  checkArenaSize(arena.cursor);

  const notes: string[] = [];
  notes.push(fusedUpdate
    ? "plain SGD at batch 1: the update is applied inside backward, so no dW/db is stored"
    : `dW/db stored for ${L - r.frozen} trainable layer(s)` + (r.keepGradients ? " (keepGradients)" : ""));
  if (r.frozen > 0) notes.push(`layers 0..${r.frozen - 1} frozen: no gradients, optimizer state or deltas`);
  notes.push("Z shares Y: activations are applied in place and f'(Z) is computed from Y");
  notes.push("dX of layer l is written into dZ of layer l-1; dZ is computed in place over dY; two ping-pong delta buffers");
  notes.push("the input batch is read in place from the caller's array, never copied");

  const g = regions;
  return {
    dtype: "float32", batchSize: r.batchSize,
    parameters: g.parameters, gradients: g.gradients, optimizer: g.optimizer, forward: g.forward, backward: g.backward,
    scratch: 0, total: arena.cursor,
    parameterCount: g.parameterCount, trainableStart: g.trainableStart, trainableCount: g.trainableCount,
    optimizerState: g.optimizerState, fusedUpdate, layers: g.layers, notes,
  };
}
