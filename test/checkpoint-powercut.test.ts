// Checkpoints survive a power cut at every byte of a save: after "reboot" the store restores either the
// previous or the new checkpoint, bit for bit, never garbage and never nothing.
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildModel, Random, type Model, type ModelSpec } from "../src/index";
import { CheckpointStore, SLOT_HEADER } from "../src/app/checkpoint";
import { SimFlash, PowerCut } from "../host-sim/sim/flash";

const spec: ModelSpec = {
  inputs: 6, layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }],
  loss: "softmax_cross_entropy", optimizer: { type: "adam", learningRate: 0.01 }, batchSize: 2, seed: 9,
};
const FLASH = { byteLength: 16384, blockSize: 4096 };

function trainSteps(m: Model, steps: number, seed: number): void {
  const rng = new Random(seed);
  const x = new Float32Array(2 * 6), y = new Uint8Array(2);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
    y[0] = x[0] > 0 ? 1 : 0; y[1] = x[6] > 0 ? 2 : 0;
    m.trainStep(x, y);
  }
}

/** Bytes of everything a checkpoint restores. */
function fingerprint(m: Model): string {
  return [m.parameters, ...m.optimizerState].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex")).join("|") +
    `|${m.step}|${m.beta1Power}|${m.beta2Power}`;
}

/** A flash with the same contents, as after a reboot. */
function reboot(flash: SimFlash): SimFlash {
  const fresh = new SimFlash(null, FLASH);
  fresh.bytes.set(flash.bytes);
  return fresh;
}

describe("CheckpointStore", () => {
  it("restores nothing from an erased flash and leaves the model untouched", () => {
    const m = buildModel(spec);
    const before = fingerprint(m);
    expect(new CheckpointStore(new SimFlash(null, FLASH)).restore(m)).toBeNull();
    expect(fingerprint(m)).toBe(before);
  });

  it("alternates slots, increments sequence numbers and restores the newest", () => {
    const flash = new SimFlash(null, FLASH);
    const store = new CheckpointStore(flash);
    const m = buildModel(spec);
    const saves = [];
    for (let k = 1; k <= 4; k++) {
      trainSteps(m, 3, k);
      saves.push(store.save(m, k * 10));
    }
    expect(saves.map((s) => [s.slot, s.sequence])).toEqual([[0, 1], [1, 2], [0, 3], [1, 4]]);
    const back = buildModel(spec);
    expect(new CheckpointStore(reboot(flash)).restore(back)).toEqual({ lastBatchId: 40, step: 12, slot: 1, sequence: 4 });
    expect(fingerprint(back)).toBe(fingerprint(m));
  });

  for (const previousSaves of [0, 1, 2]) {
    it(`a power cut at every byte of save #${previousSaves + 1} leaves the previous or the new checkpoint`, () => {
      // Build the flash image before the interrupted save.
      const base = new SimFlash(null, FLASH);
      const m = buildModel(spec);
      const fingerprints: string[] = [];
      for (let k = 1; k <= previousSaves; k++) {
        trainSteps(m, 4, k);
        new CheckpointStore(base).save(m, k * 100);
        fingerprints.push(fingerprint(m));
      }
      trainSteps(m, 4, 99);
      const next = fingerprint(m);
      const nextId = (previousSaves + 1) * 100;
      const previous = previousSaves > 0 ? fingerprints[previousSaves - 1] : null;
      const previousId = previousSaves * 100;

      // How many byte operations an uninterrupted save takes.
      const probe = reboot(base);
      probe.cutPowerAfter(1e9);
      const size = new CheckpointStore(probe).save(m, nextId).bytes;
      const sectors = Math.ceil((SLOT_HEADER + size) / FLASH.blockSize);
      const total = sectors * FLASH.blockSize + size + SLOT_HEADER;

      let sawOld = 0, sawNew = 0;
      for (let k = 0; k <= total; k++) {
        const flash = reboot(base);
        flash.cutPowerAfter(k);
        let cut = false;
        try {
          new CheckpointStore(flash).save(m, nextId);
        } catch (e) {
          expect(e).toBeInstanceOf(PowerCut);
          cut = true;
        }
        expect(cut, `cut at ${k}`).toBe(k < total);
        // Reboot and restore into a fresh model.
        const after = reboot(flash);
        const target = buildModel(spec);
        const fresh = fingerprint(target);
        const r = new CheckpointStore(after).restore(target);
        if (r !== null && r.lastBatchId === nextId) {
          expect(fingerprint(target), `cut at ${k}: new checkpoint`).toBe(next);
          sawNew++;
        } else if (previous !== null) {
          expect(r?.lastBatchId, `cut at ${k}: previous checkpoint`).toBe(previousId);
          expect(fingerprint(target)).toBe(previous);
          sawOld++;
        } else {
          expect(r, `cut at ${k}: no checkpoint yet`).toBeNull();
          expect(fingerprint(target)).toBe(fresh);
          sawOld++;
        }
        // The device carries on: the next save after the reboot completes and is restored.
        if (k % 97 === 0) {
          const again = new CheckpointStore(after);
          again.restore(buildModel(spec));
          again.save(m, nextId + 1);
          const t2 = buildModel(spec);
          expect(new CheckpointStore(reboot(after)).restore(t2)?.lastBatchId).toBe(nextId + 1);
          expect(fingerprint(t2)).toBe(next);
        }
      }
      expect(sawNew).toBeGreaterThan(0);
      expect(sawOld).toBeGreaterThan(total - SLOT_HEADER - 1);
    });
  }

  it("falls back to the older slot when the newest one is damaged", () => {
    const flash = new SimFlash(null, FLASH);
    const store = new CheckpointStore(flash);
    const m = buildModel(spec);
    trainSteps(m, 3, 1);
    store.save(m, 1);
    const older = fingerprint(m);
    trainSteps(m, 3, 2);
    const s = store.save(m, 2);
    flash.bytes[s.slot * store.slotBytes + SLOT_HEADER + 100] ^= 0x10; // bit rot in the newest payload
    const t = buildModel(spec);
    expect(new CheckpointStore(reboot(flash)).restore(t)?.lastBatchId).toBe(1);
    expect(fingerprint(t)).toBe(older);
    // The next save overwrites the damaged slot, not the good one.
    const again = new CheckpointStore(reboot(flash));
    expect(again.restore(buildModel(spec))?.slot).toBe(1 - s.slot);
  });

  it("ignores a checkpoint of another model and leaves the target untouched", () => {
    const flash = new SimFlash(null, FLASH);
    new CheckpointStore(flash).save(buildModel(spec), 5);
    const other = buildModel({ ...spec, layers: [{ units: 9, activation: "relu" }, { units: 3, activation: "softmax" }] });
    const before = fingerprint(other);
    expect(new CheckpointStore(flash).restore(other)).toBeNull();
    expect(fingerprint(other)).toBe(before);
  });

  it("refuses a model too large for a slot, clearly", () => {
    const big = buildModel({ ...spec, layers: [{ units: 400, activation: "relu" }, { units: 3, activation: "softmax" }] });
    expect(() => new CheckpointStore(new SimFlash(null, FLASH)).save(big, 1)).toThrow(/checkpoint: the model needs \d+ bytes, a slot holds 8172/);
  });

  it("the file-backed flash keeps checkpoints across simulator restarts", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-flash-"));
    try {
      const path = join(dir, "flash.bin");
      const m = buildModel(spec);
      trainSteps(m, 5, 3);
      new CheckpointStore(new SimFlash(path, FLASH)).save(m, 123);
      const t = buildModel(spec);
      expect(new CheckpointStore(new SimFlash(path, FLASH)).restore(t)?.lastBatchId).toBe(123);
      expect(fingerprint(t)).toBe(fingerprint(m));
      // An interrupted save is persisted as interrupted.
      const f = new SimFlash(path, FLASH);
      f.cutPowerAfter(5000);
      expect(() => new CheckpointStore(f).save(m, 124)).toThrow(PowerCut);
      expect(new CheckpointStore(new SimFlash(path, FLASH)).restore(buildModel(spec))?.lastBatchId).toBe(123);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
