// Protocol benchmark: goodput of sample batches over the simulated board's UART (baud-rate throttled, the
// 128-byte receive FIFO modelled, device app unchanged), as a fraction of the line rate, and samples/s.
// Printed, not asserted. Called from bench/bench.ts.
import { HostLink } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator } from "../host-sim/sim/simulator";
import { Random } from "../src/index";

const INPUTS = 30;
const CLASSES = 5;

interface Row { baud: number; batch: number; samples: number; seconds: number; goodput: number; lineFraction: number; samplesPerSecond: number; overflow: number }

async function measure(baud: number, batch: number, seconds: number, rxWindow?: number): Promise<Row> {
  const sim = await startSimulator({ engine: "node", pty: false, baud, rxWindow });
  try {
    const link = new HostLink(asBytePort(sim.port!, "sim"));
    const info = await link.connect({ inputs: INPUTS, classes: CLASSES });
    await link.configure({ learningRate: 0.01, batchSize: batch });
    const rng = new Random(3);
    // Enough batches for `seconds` at line rate; sample payload = labels + float32 data.
    const perBatchBytes = batch * (1 + 4 * INPUTS);
    const n = Math.max(20, Math.ceil((seconds * baud) / 10 / perBatchBytes));
    const batches = Array.from({ length: n }, () => ({
      x: Float32Array.from({ length: batch * INPUTS }, () => rng.uniform() * 2 - 1),
      y: Uint8Array.from({ length: batch }, () => rng.below(CLASSES)),
    }));
    void info;
    const start = performance.now();
    const r = await link.sendBatches(batches, () => {}, { snapshotEvery: 0 });
    const secs = (performance.now() - start) / 1000;
    await link.close();
    const line = baud / 10; // bytes/s, 8N1
    return {
      baud, batch, samples: r.samples, seconds: secs,
      goodput: r.sampleBytes / secs,
      lineFraction: r.sampleBytes / secs / line,
      samplesPerSecond: r.samples / secs,
      overflow: sim.stats().rxOverflow,
    };
  } finally {
    await sim.stop();
  }
}

export async function protocolBench(print: (line: string) => void = console.log): Promise<void> {
  print("");
  print("protocol: sample-batch goodput over the simulated UART (128-byte FIFO, baud-throttled, device app training)");
  for (const [baud, batch] of [[115200, 1], [115200, 8], [921600, 1], [921600, 8]] as const) {
    const r = await measure(baud, batch, 1.5);
    const target = baud === 921600 ? `  target >= 0.85: ${r.lineFraction >= 0.85 ? "meets target" : "MISSES target"}` : "";
    print(`  ${String(baud).padStart(6)} baud, ${batch} sample(s)/batch: goodput ${(r.goodput / 1024).toFixed(1)} KiB/s = ${r.lineFraction.toFixed(3)} of line rate, ${r.samplesPerSecond.toFixed(0)} samples/s (${r.samples} samples, ${r.overflow} FIFO bytes lost)${target}`);
  }
  // Opt-in (manifest config.serial.rxWindow): sound only while the app reads faster than the line.
  const large = await measure(921600, 8, 1.5, 2048);
  print(`  921600 baud, 8 sample(s)/batch, rxWindow 2048 (opt-in): ${large.lineFraction.toFixed(3)} of line rate, ${large.samplesPerSecond.toFixed(0)} samples/s (${large.overflow} FIFO bytes lost)`);
}
