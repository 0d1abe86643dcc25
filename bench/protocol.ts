// Protocol benchmark: goodput of sample batches from the host link to the simulated board (device app
// unchanged), as a fraction of the line rate, in VIRTUAL time (host-sim/sim/clock.ts): every figure is a
// deterministic function of the settings printed beside it, whatever the machine's load. Printed, not
// asserted. Called from bench/bench.ts.
import { HostLink } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator, DEFAULT_USB_ROUND_TRIP_MS, type Simulator } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";
import { ESP32_COST } from "../host-sim/sim/cost";
import type { UartModel } from "../host-sim/sim/uart";
import { Random } from "../src/index";

const INPUTS = 30;
const CLASSES = 5;
const RING = 4096;

interface Case { baud: number; batch: number; uart: UartModel; cost: "esp32" | "zero"; rxWindow?: number }
interface Row { samples: number; seconds: number; lineFraction: number; samplesPerSecond: number; overflow: number; window: number; failed?: string }

/** Virtual time a case may take before it counts as not finishing. */
const LIMIT_MS = 300_000;

async function measure(c: Case, lineSeconds: number): Promise<Row> {
  const clock = new VirtualClock({ seed: 7 });
  let sim: Simulator | undefined;
  return clock.run(async () => {
    sim = await startSimulator({ engine: "node", pty: false, clock, baud: c.baud, cost: c.cost, uart: c.uart, rxWindow: c.rxWindow });
    try {
      const link = new HostLink(asBytePort(sim.port!, "sim"), { clock });
      const s = sim;
      const info = await link.connect({ inputs: INPUTS, classes: CLASSES });
      await link.configure({ learningRate: 0.01, batchSize: c.batch });
      const rng = new Random(3);
      // Enough batches for `lineSeconds` at line rate; sample payload = label + float32 data.
      const perBatchBytes = c.batch * (1 + 4 * INPUTS);
      const n = Math.max(20, Math.ceil((lineSeconds * c.baud) / 10 / perBatchBytes));
      const batches = Array.from({ length: n }, () => ({
        x: Float32Array.from({ length: c.batch * INPUTS }, () => rng.uniform() * 2 - 1),
        y: Uint8Array.from({ length: c.batch }, () => rng.below(CLASSES)),
      }));
      const start = performance.now(); // virtual ms
      // Frame sizes follow the line's loss as in `stream` (a clean line here: whole batches).
      const r = await link.sendBatches(batches, () => {}, { snapshotEvery: 0, adaptFrames: { unit: 1 } });
      const seconds = (performance.now() - start) / 1000;
      await link.close();
      return {
        samples: r.samples, seconds,
        lineFraction: r.sampleBytes / seconds / (c.baud / 10),
        samplesPerSecond: r.samples / seconds,
        overflow: s.stats().rxOverflow,
        window: info.rxWindow,
      };
    } finally {
      await sim.stop();
    }
  }, { limitMs: LIMIT_MS }).catch(async (err: unknown) => {
    const overflow = sim?.stats().rxOverflow ?? 0;
    await sim?.stop();
    return { samples: 0, seconds: NaN, lineFraction: 0, samplesPerSecond: 0, overflow, window: 0, failed: err instanceof Error ? err.message : String(err) };
  });
}

const fifo: UartModel = { receive: "fifo" };
const ring: UartModel = { receive: "ring", ringSize: RING };

export async function protocolBench(print: (line: string) => void = console.log): Promise<void> {
  print("");
  print(`protocol: sample-batch goodput, host link -> simulated board, virtual time (deterministic; docs/simulator.md)`);
  print(`  assumptions: USB round trip ${DEFAULT_USB_ROUND_TRIP_MS} ms (half each way), bridge buffer 1024 B, 8N1; board "FIFO" = the 128-byte`);
  print(`  RX FIFO only (Moddable's ECMA-419 serial), "ring" = plus a ${RING}-byte interrupt-filled receive ring (src/native/uart-ring.c)`);
  const row = (label: string, r: Row, target?: number) => {
    if (r.failed !== undefined) {
      print(`  ${label.padEnd(44)} did not finish within ${LIMIT_MS / 1000} s (${r.overflow} bytes lost to FIFO overflow)`);
      return;
    }
    const verdict = target === undefined ? "" : `  target >= ${target}: ${r.lineFraction >= target ? "meets target" : "MISSES target"}`;
    print(`  ${label.padEnd(44)} ${r.lineFraction.toFixed(3)} of line rate, ${r.samplesPerSecond.toFixed(0).padStart(5)} samples/s, window ${String(r.window).padStart(4)} B, ${r.overflow} bytes lost${verdict}`);
  };

  print(`  a) link-bound: the board computes in no time (cost model "zero")`);
  for (const baud of [921600, 115200]) {
    for (const batch of [8, 1]) {
      row(`${baud} baud, ${batch}/batch, FIFO`, await measure({ baud, batch, uart: fifo, cost: "zero" }, 1.5));
      row(`${baud} baud, ${batch}/batch, ring`, await measure({ baud, batch, uart: ring, cost: "zero" }, 1.5), baud === 921600 && batch === 8 ? 0.85 : undefined);
    }
  }
  // The best a FIFO-only board can do: the opt-in large window, sound only while the app keeps reading.
  row(`921600 baud, 8/batch, FIFO, rxWindow 2048 opt-in`, await measure({ baud: 921600, batch: 8, uart: fifo, cost: "zero", rxWindow: 2048 }, 1.5));

  print(`  b) an ESP32 running the app under XS (cost model "esp32": ${ESP32_COST.stepUnits} XS units per step, ${ESP32_COST.rxByteUnits} per byte read,`);
  print(`     at an assumed ${ESP32_COST.unitsPerUs} units/us): the board's compute, not the link, sets the pace`);
  for (const baud of [921600, 115200]) {
    row(`${baud} baud, 8/batch, FIFO`, await measure({ baud, batch: 8, uart: fifo, cost: "esp32" }, 0.5));
    row(`${baud} baud, 8/batch, ring`, await measure({ baud, batch: 8, uart: ring, cost: "esp32" }, 0.5));
  }
  row(`921600 baud, 8/batch, FIFO, rxWindow 2048 opt-in`, await measure({ baud: 921600, batch: 8, uart: fifo, cost: "esp32", rxWindow: 2048 }, 0.5));
}
