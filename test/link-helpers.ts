// Shared pieces of the host-link tests: a deterministic batch source and a reference (local) training run.
import { buildModel, Random } from "../src/index";
import { gestureModelSpec } from "../src/app/gesture-model";
import type { SampleBatch } from "../host-sim/link/link";

export const TINY_SPEC = gestureModelSpec(8, 3, { layers: [{ units: 6, activation: "relu" }, { units: 3, activation: "softmax" }] });

/** n batches of `count` samples of 8 features, labels 0..2, from a seed. */
export function makeBatches(n: number, count = 1, seed = 5): SampleBatch[] {
  const rng = new Random(seed);
  const out: SampleBatch[] = [];
  for (let b = 0; b < n; b++) {
    const y = new Uint8Array(count);
    const x = new Float32Array(count * 8);
    for (let s = 0; s < count; s++) {
      y[s] = rng.below(3);
      for (let i = 0; i < 8; i++) x[s * 8 + i] = (i % 3 === y[s] ? 1 : 0) + 0.5 * (rng.uniform() - 0.5);
    }
    out.push({ x, y });
  }
  return out;
}

/** The weights a device must end with: the same batches trained locally, in order, once each. */
export function referenceWeights(batches: SampleBatch[]): Uint8Array {
  const model = buildModel(TINY_SPEC);
  for (const b of batches) {
    for (let s = 0; s < b.y.length; s++) model.trainStep(b.x.subarray(s * 8, (s + 1) * 8), [b.y[s]!]);
  }
  const p = model.parameters;
  return new Uint8Array(p.buffer, p.byteOffset, p.byteLength).slice();
}
