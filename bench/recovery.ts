// Loss recovery benchmark: the bundled gesture data streamed to the simulated board (device app unchanged)
// through a seeded fault relay, in VIRTUAL time (host-sim/sim/clock.ts), beside the same run over a clean
// line: the time ratio, re-handshakes and whether the final weights are bit-identical. Every figure is a
// deterministic function of the settings printed beside it. Called from bench/bench.ts; the test
// (test/link-recovery-sim.test.ts) asserts a bound on a smaller run of the same function.
import { HostLink, type LinkStats } from "../host-sim/link/link";
import { asBytePort, memoryPortPair } from "../host-sim/link/port";
import { FaultRelay, type FaultCounts, type FaultRates } from "../host-sim/link/fault-relay";
import { startSimulator, DEFAULT_USB_ROUND_TRIP_MS } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";
import type { UartModel } from "../host-sim/sim/uart";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { defaultBatch, trainingBatches } from "../host-sim/commands/stream";
import { putPipeline } from "../host-sim/link/sensor-link";
import { CAPS_FLAG_RAW_SLICES } from "../src/protocol/index";

export interface RecoveryCase {
  epochs: number;
  /** Faults per byte in each direction (undefined: a clean line). */
  faults?: FaultRates;
  seed?: number;
  baud?: number;
  uart?: UartModel;
  cost?: "esp32" | "zero";
  /** Samples per batch (default: as many as fit the board's frame, 8). */
  perFrame?: number;
  /** Split batches into smaller frames while the line loses frames (default true, as `stream` does). */
  adapt?: boolean;
  /**
   * Stream raw windows (one per batch) instead of features: "slices" as to a board that takes RAW_SLICE,
   * "whole" as to one that does not (whole windows only).
   */
  raw?: "slices" | "whole";
  /** Diagnostics: every link event and report, with the virtual time. */
  trace?: (ms: number, what: string) => void;
}

export interface RecoveryRun {
  /** Virtual ms from the first batch to the last REPORT. */
  ms: number;
  batches: number;
  /** Batches sent as several smaller frames. */
  split: number;
  /** Raw windows sent as RAW_SLICE frames of rows. */
  sliced: number;
  weights: Uint8Array;
  stats: LinkStats;
  /** Handshakes after the first (a board restart, a credit resync or a silence deadline). */
  rehandshakes: number;
  faults: { toDevice: FaultCounts; toHost: FaultCounts };
}

/** 1e-3 faults per byte, bit flips, drops and inserts in equal parts. */
export const MIXED_1E3: FaultRates = { bitFlip: 1e-3 / 3, drop: 1e-3 / 3, insert: 1e-3 / 3 };

/** Streams `epochs` of the bundled data (default frame size, 8 samples) through the relay to the board. */
export async function recoveryRun(c: RecoveryCase): Promise<RecoveryRun> {
  const data = loadDefaultDataset({ keepSamples: c.raw !== undefined });
  const clock = new VirtualClock({ seed: 11 });
  return clock.run(async () => {
    const sim = await startSimulator({ engine: "node", pty: false, clock, baud: c.baud ?? 921600, cost: c.cost ?? "esp32", uart: c.uart, flashFile: null });
    const [hostPort, relayHost] = memoryPortPair();
    const relay = new FaultRelay(relayHost, asBytePort(sim.port!, "sim"), { seed: c.seed ?? 5, toDevice: c.faults ?? {}, toHost: c.faults ?? {} });
    relay.enabled = false; // a clean handshake and CONFIG: the run is what is measured
    const trace = c.trace;
    const link = new HostLink(hostPort, { clock, onEvent: trace && ((e) => trace(clock.now(), JSON.stringify(e))) });
    try {
      const info = await link.connect({ inputs: data.inputWidth, classes: data.classes.length });
      const batch = c.perFrame ?? (c.raw ? 1 : defaultBatch(data.inputWidth, info.maxFrame));
      await link.configure({ learningRate: 0.02, batchSize: batch });
      if (c.raw === "whole") info.flags = (info.flags ?? 0) & ~CAPS_FLAG_RAW_SLICES; // as a board before RAW_SLICE
      if (c.raw) await putPipeline(link, data.pipeline);
      relay.enabled = c.faults !== undefined;
      const start = clock.now();
      const r = await link.sendBatches(trainingBatches(data, c.epochs, batch, 7, c.raw !== undefined), (r) => trace?.(clock.now(), `report ${r.batchId}`), {
        snapshotEvery: 0, adaptFrames: c.adapt === false ? undefined : { unit: 1 },
      });
      const ms = clock.now() - start;
      relay.enabled = false; // read the weights over a clean line (their CRC would catch damage anyway)
      const w = await link.getWeights();
      const stats = { ...link.stats };
      await link.close();
      return { ms, batches: r.lastBatchId, split: r.split, sliced: r.sliced, weights: w.blob, stats, rehandshakes: stats.sessions - 1, faults: relay.counts };
    } finally {
      link.destroy();
      await sim.stop();
    }
  }, { limitMs: 3_600_000 });
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export async function recoveryBench(print: (line: string) => void = console.log): Promise<void> {
  const epochs = 20;
  print("");
  print(`recovery: ${epochs} epochs of the bundled data (13 frames of up to 8 samples per epoch), host link -> fault relay -> simulated`);
  print(`  board, virtual time (deterministic). Assumptions: 921600 baud 8N1, USB round trip ${DEFAULT_USB_ROUND_TRIP_MS} ms, ESP32 cost model,`);
  print(`  board with the 128-byte FIFO only; faults per byte in both directions, seeded; handshake and final read over a clean line`);
  const clean = await recoveryRun({ epochs });
  print(`  clean line:                 ${(clean.ms / 1000).toFixed(2)} s for ${clean.batches} batches (frames of up to 8 samples)`);
  for (const [label, faults] of [
    ["1e-3 flips", { bitFlip: 1e-3 }], ["1e-3 drops", { drop: 1e-3 }], ["1e-3 inserts", { insert: 1e-3 }], ["1e-3 mixed (1/3 each)", MIXED_1E3],
  ] as [string, FaultRates][]) {
    const r = await recoveryRun({ epochs, faults });
    const f = r.faults.toDevice, g = r.faults.toHost;
    const hits = f.bitFlips + f.drops + f.inserts + g.bitFlips + g.drops + g.inserts;
    print(`  ${label.padEnd(27)} ${(r.ms / 1000).toFixed(2)} s = ${(r.ms / clean.ms).toFixed(2)}x clean (target < 3x); ${hits} faults, ${r.split} batches split into ` +
      `${r.batches - clean.batches + r.split} frames, ${r.stats.framesRetransmitted} frames resent, ${r.stats.gaps} GAPs acted on, ${r.stats.timeouts} timeouts, ` +
      `${r.rehandshakes} re-handshakes; weights ${same(r.weights, clean.weights) ? "bit-identical" : "DIFFER"}`);
  }
  const whole = await recoveryRun({ epochs, faults: MIXED_1E3, adapt: false });
  print(`  1e-3 mixed, whole batches only (frame size not adapted): ${(whole.ms / 1000).toFixed(2)} s = ${(whole.ms / clean.ms).toFixed(2)}x clean, ` +
    `${whole.rehandshakes} re-handshakes; weights ${same(whole.weights, clean.weights) ? "bit-identical" : "DIFFER"}`);
  // Raw windows (stream --raw): 1428 bytes of int16 rows each, one per batch; the board computes the features.
  const rawEpochs = 5;
  const rawClean = await recoveryRun({ epochs: rawEpochs, raw: "slices" });
  print(`  raw windows (119 x 6 int16, one per batch), ${rawEpochs} epochs: clean line ${(rawClean.ms / 1000).toFixed(2)} s for ${rawClean.batches} windows (whole)`);
  for (const [label, raw] of [["in RAW_SLICE frames of rows", "slices"], ["whole (board without RAW_SLICE)", "whole"]] as const) {
    const r = await recoveryRun({ epochs: rawEpochs, raw, faults: MIXED_1E3 });
    print(`  raw, 1e-3 mixed, ${label}: ${(r.ms / 1000).toFixed(2)} s = ${(r.ms / rawClean.ms).toFixed(2)}x clean; ${r.sliced} windows in slices, ` +
      `${r.stats.framesRetransmitted} frames resent, ${r.rehandshakes} re-handshakes; weights ${same(r.weights, rawClean.weights) ? "bit-identical" : "DIFFER"}`);
  }
}
