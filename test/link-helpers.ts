// Shared pieces of the host-link tests: a deterministic batch source, a reference (local) training run, and a
// simulated board with a connected link.
import { buildModel, Random } from "../src/index";
import { gestureModelSpec } from "../src/app/gesture-model";
import { HostLink, type SampleBatch } from "../host-sim/link/link";
import { asBytePort, type BytePort } from "../host-sim/link/port";
import { startSimulator, type Engine, type Simulator } from "../host-sim/sim/simulator";

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

/**
 * A simulated board on `engine` (in-process port, computing in no time) and a HostLink connected to it (the
 * handshake done); `cleanup` gets what stops both.
 */
export async function connectedBoard(engine: Engine, cleanup: (() => Promise<void> | void)[]): Promise<{ sim: Simulator; link: HostLink }> {
  const sim = await startSimulator({ engine, pty: false, cost: "zero" });
  cleanup.push(() => sim.stop());
  const link = new HostLink(asBytePort(sim.port!, "board"));
  cleanup.push(() => link.destroy());
  await link.connect();
  return { sim, link };
}

/** A host process's own connection to the in-process board (closing it does not unplug the board). */
export function hostConnection(sim: Simulator, name = "sim"): BytePort {
  const p = sim.port!;
  return asBytePort({ write: (b: Uint8Array) => p.write(b), onData: (cb: (b: Uint8Array) => void) => p.on("data", cb) }, name);
}
