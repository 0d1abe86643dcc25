// Fixed-point vs Float32 benchmark rows for bench.ts: XS compute units per training step and per predict
// (real XS engine via xsnap, meter `compute`), heap bytes allocated per step, and plan() bytes, for the
// benchmark MLPs (ReLU hidden layers, softmax cross-entropy, plain SGD, batch 1). Numbers only; bench.ts
// prints them next to the targets: fixed compute per step <= Float32's, fixed plan bytes <= 0.6x Float32's.
import { plan, planFixed, Random, type ModelSpec } from "../src/index";
import { countSteps, startInstrumented } from "../host-sim/xs/counters";
import { readXsBundle } from "../host-sim/xs/twin";

/** The board's default gesture model (30-32-5) first, then two benchmark MLPs. */
export const FIXED_BENCH_NETS = [[30, 32, 5], [16, 32, 32, 4], [64, 128, 64, 10]];

export interface FixedBenchRow {
  net: string;
  /** XS compute units per trainStep (float inputs) and per trainStepQ (int16 inputs). */
  float32Step: number;
  fixedStep: number;
  fixedStepQ: number;
  /** XS compute units per predict of one sample (float in, float out) and per predictQ. */
  float32Predict: number;
  fixedPredict: number;
  fixedPredictQ: number;
  /** Heap bytes allocated per fixed training step (32-byte slots; 0 expected). */
  fixedBytesPerStep: number;
  /**
   * Bytes allocated per training step counting chunks (strings, buffers) and slots (32 bytes each), from XS's
   * own counters (host-sim/xs/counters.ts); and floating-point operations per step (the instrumented XS).
   */
  float32AllBytesPerStep: number;
  fixedAllBytesPerStep: number;
  float32FloatOps: number;
  fixedFloatOps: number;
  fixedQFloatOps: number;
  float32PlanBytes: number;
  fixedPlanBytes: number;
}

function spec(sizes: number[], dtype: "float32" | "fixed"): ModelSpec {
  return {
    inputs: sizes[0],
    layers: sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? "softmax" : "relu" })),
    loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.01 }, batchSize: 1, seed: 1, dtype,
  };
}

/** Measure one net in a fresh XS machine. */
export async function benchFixedNet(sizes: number[]): Promise<FixedBenchRow> {
  // The instrumented worker: its compute units are the stock worker's (the meter counts bytecodes), and it
  // also has XS's chunk and floating-point counters.
  const engine = await startInstrumented();
  try {
    await engine.evaluate(readXsBundle());
    const rng = new Random(123), n = 64, inputs = sizes[0], classes = sizes[sizes.length - 1];
    const x = Array.from({ length: n * inputs }, () => 2 * rng.uniform() - 1);
    const y = Array.from({ length: n }, () => rng.below(classes));
    await engine.evaluate(`
      globalThis.X = new Float32Array(${JSON.stringify(x)});
      globalThis.Y = new Uint8Array(${JSON.stringify(y)});
      globalThis.f32 = tinyprop.buildModel(${JSON.stringify(spec(sizes, "float32"))});
      globalThis.fx = tinyprop.buildModel(${JSON.stringify(spec(sizes, "fixed"))});
      globalThis.XQ = new Int16Array(X.length);
      for (let i = 0; i < X.length; i++) XQ[i] = Math.round(X[i] * 4096);
      globalThis.xs = []; globalThis.xq = []; globalThis.ys = [];
      for (let s = 0; s < 64; s++) { xs.push(X.subarray(s * ${inputs}, (s + 1) * ${inputs})); xq.push(XQ.subarray(s * ${inputs}, (s + 1) * ${inputs})); ys.push(Y.subarray(s, s + 1)); }
      globalThis.o32 = new Float32Array(${classes}); globalThis.oq = new Int16Array(${classes});
      globalThis.steps = {
        empty: (s) => 0,
        float32Step: (s) => f32.trainStep(xs[s], ys[s]), fixedStep: (s) => fx.trainStep(xs[s], ys[s]), fixedStepQ: (s) => fx.trainStepQ(xq[s], ys[s]),
        float32Predict: (s) => f32.predict(xs[s], o32), fixedPredict: (s) => fx.predict(xs[s], o32), fixedPredictQ: (s) => fx.predictQ(xq[s], oq),
      };`);
    const measure = async (name: string, count: number) => {
      await engine.evaluate(`globalThis.N = ${count}; globalThis.F = steps.${name};`);
      return (await engine.evaluate(`gc(); for (let i = 0; i < N; i++) F(i & 63);`)).meter;
    };
    const per = async (name: string) => {
      await measure(name, 64);
      const a = await measure(name, 64), b = await measure(name, 64), c = await measure(name, 64 + 256);
      const e1 = await measure("empty", 64), e2 = await measure("empty", 64 + 256);
      return {
        compute: (c.compute - b.compute - (e2.compute - e1.compute)) / 256,
        bytes: ((c.currentHeapCount - b.currentHeapCount - (b.currentHeapCount - a.currentHeapCount)) * 32) / 256,
      };
    };
    const fixedStep = await per("fixedStep");
    const counted = async (step: string) => {
      const c = await countSteps(engine, step, 64, 4);
      return { bytes: c.chunkBytes + 32 * c.slots, floatOps: c.floatOps };
    };
    const f32Counts = await counted("f32.trainStep(xs[i & 63], ys[i & 63]);");
    const fxCounts = await counted("fx.trainStep(xs[i & 63], ys[i & 63]);");
    const fxQCounts = await counted("fx.trainStepQ(xq[i & 63], ys[i & 63]);");
    return {
      net: sizes.join("-"),
      float32Step: (await per("float32Step")).compute,
      fixedStep: fixedStep.compute,
      fixedStepQ: (await per("fixedStepQ")).compute,
      float32Predict: (await per("float32Predict")).compute,
      fixedPredict: (await per("fixedPredict")).compute,
      fixedPredictQ: (await per("fixedPredictQ")).compute,
      fixedBytesPerStep: fixedStep.bytes,
      float32AllBytesPerStep: f32Counts.bytes,
      fixedAllBytesPerStep: fxCounts.bytes,
      float32FloatOps: f32Counts.floatOps,
      fixedFloatOps: fxCounts.floatOps,
      fixedQFloatOps: fxQCounts.floatOps,
      float32PlanBytes: plan(spec(sizes, "float32")).total,
      fixedPlanBytes: planFixed(spec(sizes, "fixed")).total,
    };
  } finally {
    await engine.close();
  }
}

/** Every benchmark net, in order. */
export async function benchFixed(): Promise<FixedBenchRow[]> {
  const rows: FixedBenchRow[] = [];
  for (const sizes of FIXED_BENCH_NETS) rows.push(await benchFixedNet(sizes));
  return rows;
}

/** The rows as text lines with the targets (for bench.ts's extras). */
export function formatFixedBench(rows: FixedBenchRow[]): string[] {
  const lines = ["XS fixed point vs Float32 (compute units; plan bytes; SGD batch 1; 30-32-5 is the board's default model, trained with float inputs as the board does)"];
  for (const r of rows) {
    const step = r.fixedStep / r.float32Step, mem = r.fixedPlanBytes / r.float32PlanBytes;
    lines.push(`  ${r.net.padEnd(12)} step: fixed ${r.fixedStep.toFixed(0)} (int16 in: ${r.fixedStepQ.toFixed(0)}) vs float32 ${r.float32Step.toFixed(0)} = ${step.toFixed(2)}x (target <= 1.00x: ${step <= 1 ? "meets" : "MISSES"} target)`);
    lines.push(`  ${"".padEnd(12)} predict: fixed ${r.fixedPredict.toFixed(0)} (int16: ${r.fixedPredictQ.toFixed(0)}) vs float32 ${r.float32Predict.toFixed(0)}; bytes allocated per step ${r.fixedBytesPerStep}`);
    lines.push(`  ${"".padEnd(12)} bytes per training step counting chunks: fixed ${r.fixedAllBytesPerStep}, float32 ${r.float32AllBytesPerStep} (target 0: ${r.fixedAllBytesPerStep === 0 && r.float32AllBytesPerStep === 0 ? "meets" : "MISSES"} target)`);
    lines.push(`  ${"".padEnd(12)} float operations per step: fixed int16 in ${r.fixedQFloatOps} (target 0: ${r.fixedQFloatOps === 0 ? "meets" : "MISSES"} target), fixed float in ${r.fixedFloatOps.toFixed(0)} (quantizing the inputs), float32 ${r.float32FloatOps.toFixed(0)}`);
    lines.push(`  ${"".padEnd(12)} plan: fixed ${r.fixedPlanBytes} vs float32 ${r.float32PlanBytes} bytes = ${mem.toFixed(2)}x (target <= 0.60x: ${mem <= 0.6 ? "meets" : "MISSES"} target)`);
  }
  return lines;
}
