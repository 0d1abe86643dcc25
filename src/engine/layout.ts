// Carving the arena: one cursor that hands out typed-array slices region by region. Shared by the
// Float32 and fixed-point plans so both lay parameters out identically (W_0 b_0 W_1 b_1 ...).
import type { ResolvedSpec } from "./spec";
import type { LayerPlan } from "./plan";

/** A typed-array view in the arena: byte offset and element count. */
export interface Slice {
  offset: number;
  length: number;
}

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
    this.cursor = (this.cursor + 7) & ~7;
    return this.cursor - start;
  }
}

export interface ParameterLayout {
  W: Slice[];
  b: Slice[];
  parameterCount: number;
  /** Element index of the first trainable parameter (the frozen prefix comes first). */
  trainableStart: number;
  trainableCount: number;
  /** Bytes of the parameter region. */
  bytes: number;
}

/** Lay out W_l and b_l for every layer as the first region of the arena. */
export function layoutParameters(arena: ArenaLayout, r: ResolvedSpec, bytesPerElement: number): ParameterLayout {
  const start = arena.cursor;
  const W: Slice[] = [], b: Slice[] = [];
  let parameterCount = 0, trainableStart = 0;
  for (let l = 0; l < r.units.length; l++) {
    const inputs = l === 0 ? r.inputs : r.units[l - 1];
    if (l === r.frozen) trainableStart = parameterCount;
    W.push(arena.take(r.units[l] * inputs, bytesPerElement));
    b.push(arena.take(r.units[l], bytesPerElement));
    parameterCount += r.units[l] * (inputs + 1);
  }
  return { W, b, parameterCount, trainableStart, trainableCount: parameterCount - trainableStart, bytes: arena.endRegion(start) };
}

/**
 * Every layer's views. Deltas ping-pong between two buffers: layer l's dZ lives in delta[l % 2] and its
 * dX (= dY of layer l-1) in the other, so a delta lives only while the two layers touching it run.
 */
export function layerPlans(
  r: ResolvedSpec, W: Slice[], b: Slice[], dW: (Slice | null)[], db: (Slice | null)[], Y: Slice[], delta: Slice[],
): LayerPlan[] {
  const B = r.batchSize;
  const layers: LayerPlan[] = [];
  for (let l = 0; l < r.units.length; l++) {
    const inputs = l === 0 ? r.inputs : r.units[l - 1];
    const trainable = l >= r.frozen;
    layers.push({
      inputs, units: r.units[l], activation: r.activations[l], trainable,
      W: W[l], b: b[l], dW: dW[l], db: db[l], Y: Y[l],
      dZ: trainable ? { offset: delta[l % 2].offset, length: r.units[l] * B } : null,
      dX: trainable && l > r.frozen ? { offset: delta[(l + 1) % 2].offset, length: inputs * B } : null,
    });
  }
  return layers;
}
