// Memory planning shared by both number backends: the plan's types, the cursor that carves the arena, and
// planRegions(), which lays out the regions every plan has in the same order (parameters, gradients,
// optimizer state, forward activations, backward deltas). Each backend's plan adds its notes and, for fixed
// point, a scratch region after these.
import { OPTIMIZER_STATE_ARRAYS, type Act, type DType } from "./codes";
import type { ResolvedSpec } from "./spec";
import { failSpec } from "../util/fail";

/** A typed-array view in the arena: byte offset and element count. */
export interface Slice {
  offset: number;
  length: number;
}

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
  dtype: DType;
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
  /** True when the update is applied inside backward and no dW/db is stored. */
  fusedUpdate: boolean;
  layers: LayerPlan[];
  /** Human-readable account of the choices above. */
  notes: string[];
}

/**
 * Largest arena a plan may describe: 1 GiB. Every byte offset then stays far inside int32 (and inside what
 * any engine can allocate); plan() refuses a spec whose arena would be larger, with the size in the error.
 */
export const MAX_ARENA_BYTES = 0x40000000;

export class ArenaLayout {
  /** Bytes handed out so far (the arena size once the last region is closed). */
  cursor = 0;

  take(elements: number, bytesPerElement: number): Slice {
    const s = { offset: this.cursor, length: elements };
    this.cursor += elements * bytesPerElement;
    return s;
  }

  /** Close the region that began at `start`: align the cursor to 8 bytes and return the region's size. */
  endRegion(start: number): number {
    this.cursor = Math.ceil(this.cursor / 8) * 8;
    return this.cursor - start;
  }
}

/** The regions both plans share, carved from `arena` in order. */
export interface PlannedRegions {
  parameters: number;
  gradients: number;
  optimizer: number;
  forward: number;
  backward: number;
  parameterCount: number;
  trainableStart: number;
  trainableCount: number;
  optimizerState: Slice[];
  layers: LayerPlan[];
}

/**
 * Parameters W_0 b_0 ... W_{L-1} b_{L-1}; gradients dW/db of the trainable layers when `storeGradients`
 * (same layout); the optimizer's state arrays over the trainable run; Y of every layer; and two ping-pong
 * delta buffers. Layer l's dZ lives in delta[l % 2] and its dX (= dY of layer l-1) in the other, so a delta
 * lives only while the two layers touching it run.
 */
export function planRegions(arena: ArenaLayout, r: ResolvedSpec, bytesPerElement: number, storeGradients: boolean): PlannedRegions {
  const L = r.units.length, B = r.batchSize;
  const take = (elements: number) => arena.take(elements, bytesPerElement);

  let start = arena.cursor;
  const W: Slice[] = [], b: Slice[] = [];
  let parameterCount = 0, trainableStart = 0;
  for (let l = 0; l < L; l++) {
    const inputs = l === 0 ? r.inputs : r.units[l - 1];
    if (l === r.frozen) trainableStart = parameterCount;
    W.push(take(r.units[l] * inputs));
    b.push(take(r.units[l]));
    parameterCount += r.units[l] * (inputs + 1);
  }
  const parameters = arena.endRegion(start);
  const trainableCount = parameterCount - trainableStart;

  start = arena.cursor;
  const dW: (Slice | null)[] = [], db: (Slice | null)[] = [];
  for (let l = 0; l < L; l++) {
    const stored = l >= r.frozen && storeGradients;
    dW.push(stored ? take(W[l].length) : null);
    db.push(stored ? take(b[l].length) : null);
  }
  const gradients = arena.endRegion(start);

  start = arena.cursor;
  const optimizerState: Slice[] = [];
  for (let k = 0; k < OPTIMIZER_STATE_ARRAYS[r.optimizer]; k++) optimizerState.push(take(trainableCount));
  const optimizer = arena.endRegion(start);

  start = arena.cursor;
  const Y = r.units.map((u) => take(u * B));
  const forward = arena.endRegion(start);

  start = arena.cursor;
  let maxDelta = 0;
  for (let l = r.frozen; l < L; l++) maxDelta = Math.max(maxDelta, r.units[l] * B);
  const delta = [take(maxDelta), take(maxDelta)];
  const backward = arena.endRegion(start);

  const layers: LayerPlan[] = [];
  for (let l = 0; l < L; l++) {
    const inputs = l === 0 ? r.inputs : r.units[l - 1];
    const trainable = l >= r.frozen;
    layers.push({
      inputs, units: r.units[l], activation: r.activations[l], trainable,
      W: W[l], b: b[l], dW: dW[l], db: db[l], Y: Y[l],
      dZ: trainable ? { offset: delta[l % 2].offset, length: r.units[l] * B } : null,
      dX: trainable && l > r.frozen ? { offset: delta[(l + 1) % 2].offset, length: inputs * B } : null,
    });
  }
  return { parameters, gradients, optimizer, forward, backward, parameterCount, trainableStart, trainableCount, optimizerState, layers };
}

/** Refuse an arena larger than MAX_ARENA_BYTES (checked once every region is carved). */
export function checkArenaSize(total: number): void {
  if (!(total <= MAX_ARENA_BYTES)) {
    failSpec(`the model needs ${total} bytes of arena, more than the limit of ${MAX_ARENA_BYTES} (1 GiB); use fewer or narrower layers or a smaller batch`);
  }
}
