// Raw windows longer than the board's frame, and a board reset in the middle of one (docs/protocol.md,
// "Raw batches in slices"), in virtual time against the simulated board: with a receive limit of 1024
// bytes a 1428-byte window cannot travel whole, so the host sends every window as RAW_SLICEs even on a
// clean line. The board is power-cycled after it took the first slice of a window and before the last:
// it restores its checkpoint (saved after every batch), the host opens a new session and sends that
// window again from its first row. Every batch is trained exactly once (the model's step counts them)
// and the weights equal those of the run without the reset, bit for bit.
import { describe, expect, it } from "vitest";
import { HostLink, type ReportInfo } from "../host-sim/link/link";
import { asBytePort, memoryPortPair } from "../host-sim/link/port";
import { VirtualClock } from "../host-sim/sim/clock";
import { startSimulator } from "../host-sim/sim/simulator";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { trainingBatches } from "../host-sim/commands/stream";
import { putPipeline } from "../host-sim/link/sensor-link";
import { FrameDecoder, MAX_FRAME } from "../src/protocol/frame";
import * as P from "../src/protocol/index";

const data = loadDefaultDataset({ keepSamples: true });
const WINDOWS = 30;
const RESET_IN = 17; // the batch whose window the reset cuts short

interface Run { weights: Uint8Array; reports: ReportInfo[]; slices: number; cutAt: number; sessions: number; resets: number }

async function run(reset: boolean): Promise<Run> {
  const clock = new VirtualClock({ seed: 3 });
  return clock.run(async () => {
    const sim = await startSimulator({ engine: "node", pty: false, clock, maxFrame: 1024, checkpointEvery: 1 });
    const [hostPort, simSide] = memoryPortPair();
    // The simulator's port, behind a tap that reads the host's frames on their way to the board.
    const board = asBytePort(sim.port!, "sim");
    simSide.onData((b) => board.write(b));
    board.onData((b) => simSide.write(b));
    let slices = 0, cutAt = -1;
    const slice = new P.RawSlice();
    const tap = new FrameDecoder(MAX_FRAME, (type, _seq, _ack, view, off, len) => {
      if (type !== P.MSG_RAW_SLICE || P.decodeRawSlice(view, off, len, slice) !== P.ERR_OK) return;
      slices++;
      // The board has this window's first slice; this one, still on the wire, is lost with the reset.
      if (reset && cutAt < 0 && slice.batchId === RESET_IN && slice.firstRow > 0) {
        cutAt = slice.firstRow;
        void sim.reset();
      }
    });
    const link = new HostLink({ ...hostPort, write: (b) => { tap.push(b); hostPort.write(b); }, onData: (cb) => hostPort.onData(cb),
      onClose: (cb) => hostPort.onClose(cb), close: () => hostPort.close(), name: "tapped" }, { clock });
    try {
      const info = await link.connect({ inputs: data.inputWidth, classes: data.classes.length });
      expect(info.maxFrame).toBe(1024);
      await link.configure({ learningRate: 0.02, batchSize: 1 });
      await putPipeline(link, data.pipeline);
      const reports: ReportInfo[] = [];
      const batches = [...trainingBatches(data, 1, 1, 7, true)].slice(0, WINDOWS);
      await link.sendBatches(batches, (r) => reports.push({ ...r }), { snapshotEvery: 0, adaptFrames: { unit: 1 } });
      const weights = (await link.getWeights()).blob;
      const { sessions, resets } = link.stats;
      await link.close();
      return { weights, reports, slices, cutAt, sessions, resets };
    } finally {
      link.destroy();
      await sim.stop();
    }
  }, { limitMs: 600_000 });
}

describe("raw windows longer than the board's frame, cut short by a reset", () => {
  it("every window in slices; a reset mid-window resumes from the last committed batch: once each, bit-identical", async () => {
    const plain = await run(false);
    const cut = await run(true);
    // 1428 bytes of rows need two slices under a 1024-byte frame limit.
    expect(plain.slices).toBe(2 * WINDOWS);
    expect(plain.sessions).toBe(1);
    expect(cut.cutAt).toBeGreaterThan(0);
    expect(cut.resets).toBe(1);
    expect(cut.slices).toBeGreaterThan(2 * WINDOWS); // the cut window went again from its first row
    const fresh = cut.reports.filter((r) => !r.replay).map((r) => r.batchId);
    expect(fresh).toEqual(Array.from({ length: WINDOWS }, (_, i) => i + 1));
    // One training step per window: a window cut short trained nothing, none trained twice.
    expect(cut.reports[cut.reports.length - 1]!.step).toBe(WINDOWS);
    expect(cut.reports.filter((r) => r.replay)).toEqual([]);
    expect(Buffer.from(cut.weights).equals(Buffer.from(plain.weights))).toBe(true);
  }, 120_000);
});
