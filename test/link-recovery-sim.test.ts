// Loss recovery in proportion to the loss against the simulated board (device app unchanged) in virtual
// time: the bundled data through a seeded fault relay at 1e-3 mixed faults per byte (flips, drops and
// inserts, both directions) finishes within 3x the clean run's virtual time, bit-identical, without a
// re-handshake, because the host cuts batches into smaller frames while frames are being lost (a 1 KB
// frame is lost 63% of the time there) and goes back to whole batches on a clean line. `npm run bench`
// prints the same measurement for 20 epochs (bench/recovery.ts).
import { hostConnection } from "./link-helpers";
import { describe, expect, it } from "vitest";
import { MIXED_1E3, recoveryRun } from "../bench/recovery";
import { FrameSizer, scheduledSize, type FrameSizeBreakpoint } from "../host-sim/link/frame-size";
import { HostLink, type ReportInfo } from "../host-sim/link/link";
import { memoryPortPair } from "../host-sim/link/port";
import { FaultRelay } from "../host-sim/link/fault-relay";
import { VirtualClock } from "../host-sim/sim/clock";
import { startSimulator } from "../host-sim/sim/simulator";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { trainingBatches } from "../host-sim/commands/stream";

/** 30 features + label, as the bundled gestures. */
const SAMPLE_BYTES = 121;

describe("frame size follows the line's loss", () => {
  it("whole batches on a clean line, smaller frames at 1e-3 per byte and fewer still at 3e-3, whole batches again once clean", () => {
    const s = new FrameSizer();
    let losses = 0;
    for (let i = 0; i < 50; i++) s.delivered(8 * SAMPLE_BYTES, losses);
    expect(s.lossPerByte).toBe(0);
    expect(s.choose(1, 8, SAMPLE_BYTES)).toBe(8);
    // 1e-3 per byte: a 1008-byte frame arrives with probability 0.37, i.e. 1.7 losses per delivered frame.
    for (let i = 0; i < 100; i++) {
      losses += i % 10 < 7 ? 2 : 1;
      s.delivered(8 * SAMPLE_BYTES, losses);
    }
    expect(s.lossPerByte).toBeGreaterThan(0.7e-3);
    expect(s.lossPerByte).toBeLessThan(1.5e-3);
    expect(s.choose(1, 8, SAMPLE_BYTES)).toBe(4);
    // 3e-3 per byte: 1008 bytes arrive with probability 0.05 (19 losses per delivered frame).
    for (let i = 0; i < 100; i++) s.delivered(8 * SAMPLE_BYTES, losses += 19);
    expect(s.choose(1, 8, SAMPLE_BYTES)).toBeLessThanOrEqual(2);
    expect(s.choose(4, 8, SAMPLE_BYTES)).toBe(4); // never below the model's batch size
    for (let i = 0; i < 600; i++) s.delivered(2 * SAMPLE_BYTES, losses);
    expect(s.choose(1, 8, SAMPLE_BYTES)).toBe(8);
  });

  it("a resumed run replays the recorded sizes", () => {
    const schedule = [{ frame: 10, size: 2 }, { frame: 40, size: 8 }];
    expect(scheduledSize(schedule, 9)).toBe(Infinity);
    expect(scheduledSize(schedule, 10)).toBe(2);
    expect(scheduledSize(schedule, 39)).toBe(2);
    expect(scheduledSize(schedule, 40)).toBe(8);
  });
});

describe("slow answers are not losses", () => {
  it("a clean line to a ring-buffered board that trains 3 queued frames: timeouts, but whole batches throughout", async () => {
    const r = await recoveryRun({ epochs: 3, uart: { receive: "ring", ringSize: 4096 } });
    expect(r.stats.timeouts).toBeGreaterThan(0);
    expect(r.stats.spuriousTimeouts).toBeGreaterThan(0);
    expect(r.split).toBe(0);
  }, 60_000);
});

describe("loss recovery against the simulated board", () => {
  it("1e-3 mixed faults per byte: within 3x the clean time, bit-identical, no re-handshake", async () => {
    const epochs = 5;
    const clean = await recoveryRun({ epochs });
    const noisy = await recoveryRun({ epochs, faults: MIXED_1E3 });
    const ratio = noisy.ms / clean.ms;
    console.log(`recovery (simulated board, ${epochs} epochs): clean ${(clean.ms / 1000).toFixed(2)} s, 1e-3 mixed ${(noisy.ms / 1000).toFixed(2)} s ` +
      `(virtual) = ${ratio.toFixed(2)}x; ${noisy.split} batches split, ${noisy.stats.gaps} GAPs, ${noisy.stats.timeouts} timeouts`);
    expect(clean.split).toBe(0);
    expect(noisy.faults.toDevice.bitFlips + noisy.faults.toDevice.drops + noisy.faults.toDevice.inserts).toBeGreaterThan(100);
    expect(Buffer.from(noisy.weights).equals(Buffer.from(clean.weights))).toBe(true);
    expect(noisy.rehandshakes).toBe(0);
    expect(noisy.split).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(3);
    // The same run with whole batches only (the host before frame sizes adapted) is far slower.
    const whole = await recoveryRun({ epochs, faults: MIXED_1E3, adapt: false });
    expect(whole.ms / clean.ms).toBeGreaterThan(4);
  }, 240_000);
});

describe("a resumed run replays the frame sizes of the run it continues", () => {
  it("host killed mid-run on a noisy line, a new host resumes with the recorded sizes: bit-identical weights", async () => {
    const data = loadDefaultDataset();
    const epochs = 3;
    const clean = await recoveryRun({ epochs });
    const clock = new VirtualClock({ seed: 2 });
    await clock.run(async () => {
      const sim = await startSimulator({ engine: "node", pty: false, clock, baud: 921600, flashFile: null });
      // A host process: its own port into a relay that damages 1e-3 of the bytes both ways.
      const host = () => {
        const [hostPort, relayHost] = memoryPortPair();
        const board = hostConnection(sim);
        new FaultRelay(relayHost, board, { seed: 9, toDevice: MIXED_1E3, toHost: MIXED_1E3 });
        return new HostLink(hostPort, { clock });
      };
      let schedule: FrameSizeBreakpoint[] = [];
      const first = host();
      await first.connect({ inputs: data.inputWidth, classes: data.classes.length });
      await first.configure({ learningRate: 0.02, batchSize: 8 });
      // Killed (abandoned without a word, like a killed process) once the board is well past the first split.
      let kill: () => void = () => {};
      const killed = new Promise<void>((resolve) => { kill = resolve; });
      void first.sendBatches(trainingBatches(data, epochs, 8, 7), (r: ReportInfo) => {
        if (schedule.length > 0 && r.batchId > schedule[0]!.frame + 10) kill();
      }, { snapshotEvery: 0, adaptFrames: { unit: 1, onSchedule: (s) => { schedule = s; } } }).catch(() => {});
      await killed;
      first.destroy();
      expect(schedule.length).toBeGreaterThan(0);

      const second = host();
      const info = await second.connect({ inputs: data.inputWidth, classes: data.classes.length });
      const onBoard = info.lastCommittedBatchId; // (info follows the board during the run)
      expect(onBoard).toBeGreaterThan(schedule[0]!.frame); // some split frames are on the board
      await second.configure({ learningRate: 0.02, batchSize: 8 });
      const r = await second.sendBatches(trainingBatches(data, epochs, 8, 7), () => {}, {
        snapshotEvery: 0, firstBatchId: 1, adaptFrames: { unit: 1, schedule },
      });
      expect(r.skipped).toBe(onBoard);
      const w = await second.getWeights();
      expect(Buffer.from(w.blob).equals(Buffer.from(clean.weights))).toBe(true);
      await second.close();
      await sim.stop();
    }, { limitMs: 3_600_000 });
  }, 120_000);
});
