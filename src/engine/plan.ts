// Memory planning: every byte a model will use, computed from the spec before anything is allocated.
//
// Arena layout (one ArrayBuffer, regions in this order, each 8-byte aligned):
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
import { ArenaLayout, layerPlans, layoutParameters, type Slice } from "./layout";
import { Opt, resolveSpec, type Act, type ModelSpec, type ResolvedSpec } from "./spec";
import { planFixed } from "./fixed/plan";

export type { Slice };

export interface LayerPlan {
  inputs: number;
  units: number;
  activation: Act;
  trainable: boolean;
  W: Slice;
  b: Slice;
  /** Null where gradients are not stored (frozen layer, or update fused into backward). */
  dW: Slice | null;
  db: Slice | null;
  /** Z aliases Y: the activation is applied in place and f' is computed from Y. */
  Y: Slice;
  /** dY arrives here from the layer above (or the loss) and becomes dZ in place. Null for frozen layers. */
  dZ: Slice | null;
  /** W^T dZ, written straight into the layer below's dZ slot. Null when no layer below trains. */
  dX: Slice | null;
}

export interface MemoryPlan {
  dtype: "float32" | "fixed";
  batchSize: number;
  /** Bytes per region and in all. */
  parameters: number;
  gradients: number;
  optimizer: number;
  forward: number;
  backward: number;
  scratch: number;
  total: number;
  /** Number of parameters, and the trainable run within them (element offsets). */
  parameterCount: number;
  trainableStart: number;
  trainableCount: number;
  /** Optimizer state arrays, each trainableCount elements (velocity; or m then v). */
  optimizerState: Slice[];
  /** True when SGD is applied inside backward and no dW/db is stored. */
  fusedUpdate: boolean;
  layers: LayerPlan[];
  /** Human-readable account of the choices above. */
  notes: string[];
}

const F32 = 4;

/** Plan a model's memory. Throws on an invalid spec. */
export function plan(spec: ModelSpec | ResolvedSpec): MemoryPlan {
  const r = "units" in spec ? spec : resolveSpec(spec);
  if (r.dtype === "fixed") return planFixed(r);
  const L = r.units.length;
  const B = r.batchSize;
  const notes: string[] = [];
  const fusedUpdate = r.optimizer === Opt.Sgd && B === 1 && r.clipNorm === 0 && !r.keepGradients;

  const arena = new ArenaLayout();
  const take = (elements: number) => arena.take(elements, F32);

  const { W, b, parameterCount, trainableStart, trainableCount, bytes: parameters } = layoutParameters(arena, r, F32);

  // Gradients, trainable layers only.
  let start = arena.cursor;
  const dW: (Slice | null)[] = [], db: (Slice | null)[] = [];
  for (let l = 0; l < L; l++) {
    const stored = l >= r.frozen && !fusedUpdate;
    dW.push(stored ? take(W[l].length) : null);
    db.push(stored ? take(b[l].length) : null);
  }
  const gradients = arena.endRegion(start);

  // Optimizer state.
  start = arena.cursor;
  const stateArrays = r.optimizer === Opt.Adam ? 2 : r.optimizer === Opt.Momentum ? 1 : 0;
  const optimizerState: Slice[] = [];
  for (let i = 0; i < stateArrays; i++) optimizerState.push(take(trainableCount));
  const optimizer = arena.endRegion(start);

  // Forward activations.
  start = arena.cursor;
  const Y = r.units.map((u) => take(u * B));
  const forward = arena.endRegion(start);

  // Backward deltas: two ping-pong buffers. Layer l's dZ lives in buffer l % 2 and its dX (= dY of layer
  // l-1) in the other, so a delta lives only while the two layers that touch it are being processed.
  start = arena.cursor;
  let maxDelta = 0;
  for (let l = r.frozen; l < L; l++) maxDelta = Math.max(maxDelta, r.units[l] * B);
  const delta = [take(maxDelta), take(maxDelta)];
  const backward = arena.endRegion(start);
  const scratch = 0;

  const layers = layerPlans(r, W, b, dW, db, Y, delta);

  notes.push(fusedUpdate
    ? "plain SGD at batch 1: the update is applied inside backward, so no dW/db is stored"
    : `dW/db stored for ${L - r.frozen} trainable layer(s)` + (r.keepGradients ? " (keepGradients)" : ""));
  if (r.frozen > 0) notes.push(`layers 0..${r.frozen - 1} frozen: no gradients, optimizer state or deltas`);
  notes.push("Z shares Y: activations are applied in place and f'(Z) is computed from Y");
  notes.push("dX of layer l is written into dZ of layer l-1; dZ is computed in place over dY; two ping-pong delta buffers");
  notes.push("the input batch is read in place from the caller's array, never copied");

  return {
    dtype: "float32", batchSize: B,
    parameters, gradients, optimizer, forward, backward, scratch, total: arena.cursor,
    parameterCount, trainableStart, trainableCount, optimizerState, fusedUpdate, layers, notes,
  };
}
