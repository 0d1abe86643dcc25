// Power loss over the link: the simulated board checkpoints to its (simulated) flash every N batches; its
// power is cut mid-run, once in the middle of a checkpoint write (SimFlash.cutPowerAfter) and once between
// checkpoints (simulator reset() = power cycle). Each time it reboots, restores the newest valid checkpoint
// (frozen layers included), reports its last committed batch id in CAPS, and the host resumes right after
// it: no batch is trained twice into the weights, none is skipped, and the final weights are bit-identical
// to those of an uninterrupted run. In virtual time, so a loaded machine cannot add a session (a silence
// timeout) to the count the test checks.
import { describe, expect, it } from "vitest";
import { buildModel, gestureModelSpec } from "../src/index";
import { saveModel } from "../src/modelfile/index";
import { CheckpointStore } from "../src/app/checkpoint";
import { HostLink, type DeviceInfo, type ReportInfo } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { trainingBatches } from "../host-sim/commands/stream";
import { boardSpec, putModelFile } from "../host-sim/commands/weights";

const data = loadDefaultDataset();
const EVERY = 10;
const BATCHES = 90;
/** The PC model the board starts from (sent with weights put --freeze 1). */
const start = saveModel(buildModel(gestureModelSpec(data.inputWidth, data.classes.length, { seed: 21 })));

interface Run { weights: Uint8Array; reports: ReportInfo[]; sessions: DeviceInfo[]; frozen: number; firstLayer: Float32Array }

async function run(cuts: boolean): Promise<Run> {
  const clock = new VirtualClock({ seed: cuts ? 2 : 1 });
  return clock.run(async () => {
    const sim = await startSimulator({ engine: "node", pty: false, clock, checkpointEvery: EVERY });
    const link = new HostLink(asBytePort(sim.port!, "board"), {
      onEvent: (e) => {
        if (e.kind === "session") sessions.push({ ...e.info });
      },
    });
    const sessions: DeviceInfo[] = [];
    await link.connect({ inputs: data.inputWidth, classes: data.classes.length });
    const put = await putModelFile(link, start, { freeze: 1 });
    await link.configure({ learningRate: 0.02, batchSize: 1 });
    const flash = sim.flash()!;
    const reports: ReportInfo[] = [];
    const batches = [...trainingBatches(data, 1, 1, 9)].slice(0, BATCHES);
    let cutArmed = false, cutsDone = 0;
    await link.sendBatches(batches, (r) => {
      reports.push({ ...r });
      if (!cuts) return;
      if (r.batchId === 37 && !cutArmed) {
        // The save after batch 40 erases two sectors (8192 byte operations), then dies inside the payload.
        cutArmed = true;
        flash.cutPowerAfter(8192 + 1500);
      }
      if (r.batchId === 44 && cutsDone === 0) {
        cutsDone++;
        expect(flash.powered).toBe(false); // the checkpoint write was interrupted
        void sim.reset();
      }
      if (r.batchId === 67 && cutsDone === 1) {
        cutsDone++;
        void sim.reset();
      }
    }, { snapshotEvery: 0 });
    const weights = (await link.getWeights()).blob;
    const frozen = (await boardSpec(link)).frozen ?? 0;
    await link.close();
    await sim.stop();
    expect(sim.crashes()).toEqual([]);
    // What the flash holds now: a valid checkpoint at the last multiple of EVERY.
    const probe = buildModel({ ...gestureModelSpec(data.inputWidth, data.classes.length), frozen: 1 });
    expect(new CheckpointStore(flash).restore(probe)?.lastBatchId).toBe(BATCHES);
    return { weights, reports, sessions, frozen, firstLayer: put.parameters.slice(0, 32 * data.inputWidth + 32) };
  });
}

describe("power loss over the link", () => {
  it("resumes from the newest valid checkpoint with bit-identical final weights", async () => {
    const clean = await run(false);
    const cut = await run(true);

    // The board rebooted twice and said where it was: the cut save of batch 40 left checkpoint 30; the
    // second cut, after 67, found checkpoint 60.
    expect(cut.sessions.map((s) => s.lastCommittedBatchId)).toEqual([0, 30, 60]);
    expect(new Set(cut.sessions.map((s) => s.bootNonce)).size).toBe(3);

    // Each batch trained into the final weights exactly once: ids are consecutive, and after each reboot
    // training continues at checkpoint + 1 (batches lost with the power are trained again, once).
    const ids = cut.reports.map((r) => r.batchId);
    const firstAfter = (from: number, id: number) => ids.indexOf(id, ids.indexOf(from) + 1);
    expect(firstAfter(44, 31)).toBeGreaterThan(0);
    expect(firstAfter(67, 61)).toBeGreaterThan(0);
    const resumedAt: number[] = [];
    for (let i = 1; i < ids.length; i++) {
      if (ids[i] !== ids[i - 1]! + 1) resumedAt.push(ids[i]!);
    }
    expect(resumedAt).toEqual([31, 61]);
    expect(ids[ids.length - 1]).toBe(BATCHES);
    expect(clean.reports.map((r) => r.batchId)).toEqual(Array.from({ length: BATCHES }, (_, i) => i + 1));

    // Frozen layers survived the reboots (restored from the checkpoint's spec) and the weights match.
    expect(cut.frozen).toBe(1);
    expect(clean.frozen).toBe(1);
    expect(Buffer.from(cut.weights).equals(Buffer.from(clean.weights))).toBe(true);
    const params = new Float32Array(cut.weights.buffer, cut.weights.byteOffset + 8, cut.firstLayer.length);
    expect(Buffer.from(params.buffer, params.byteOffset, params.byteLength).equals(Buffer.from(cut.firstLayer.buffer))).toBe(true);
  }, 120_000);
});
