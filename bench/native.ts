// Native vs JavaScript kernels for bench.ts: XS compute units and heap bytes per training step with each
// kernel table, measured side by side in the same XS worker (the "native" variant of
// host-sim/xs/build-worker.mjs), and an ESP32 time per step from the cost model below. Numbers only.
import { gestureModelSpec, Random, type ModelSpec } from "../src/index";
import { XsEngine } from "../host-sim/xs/xsnap";
import { readXsBundle } from "../host-sim/xs/twin";
import { XS_NATIVE_SETUP, nativeVariantMissing, nativeWorkerPath } from "../host-sim/native/xs";

/**
 * ESP32 (Xtensa LX6, 240 MHz) cost model. Each figure and where it comes from:
 * - SOFT_DOUBLE_ADD / _MUL: the LX6 FPU is single precision, so doubles run in libgcc's software
 *   floating point. Measured on an ESP32 at 240 MHz: 6.50 M double additions and 2.23 M double
 *   multiplications per second (table in github.com/wled/WLED issue #4206, generated with the benchmark of
 *   esp32.com viewtopic.php?p=82090): 240/6.50 = 37 and 240/2.23 = 108 cycles.
 * - INT_MAC: the same table gives 158 M 32-bit integer multiply-adds per second at 240 MHz (1.5 cycles); with
 *   the two int16 loads and the pointer steps of an unrolled C loop we count 3 cycles (assumption).
 * - FLOAT_CONVERT: float <-> double conversions (libgcc __extendsfdf2 / __truncdfsf2), bit manipulation
 *   only; not in the table: 20 cycles assumed.
 * - CYCLES_PER_XS_UNIT: XS's meter counts one unit per bytecode (docs/xs-meter.md). A bytecode dispatch
 *   with its operand-stack traffic is a few dozen simple instructions, and the LX6 retires about one simple
 *   integer instruction per cycle (the table above: 238 M integer additions/s at 240 MHz): 30 cycles assumed
 *   (the sensitivity line shows 20 and 50). Double arithmetic in XS costs its soft-double call on top.
 */
export const ESP32_MODEL = {
  hz: 240e6,
  cyclesPerXsUnit: 30,
  softDoubleAdd: 37,
  softDoubleMul: 108,
  floatConvert: 20,
  intMac: 3,
};

export interface NativeBenchRow {
  net: string;
  dtype: "float32" | "fixed";
  /** XS compute units per training step (batch 1, SGD), JavaScript kernels and native kernels. */
  jsUnits: number;
  nativeUnits: number;
  /** Heap bytes allocated per step (32-byte slots of the 64-bit host worker). */
  jsBytes: number;
  nativeBytes: number;
  /** Estimated ESP32 cycles per step. */
  jsCycles: number;
  nativeCycles: number;
}

const NETS: { name: string; spec: ModelSpec }[] = [
  { name: "16-32-32-4", spec: mlp([16, 32, 32, 4]) },
  { name: "64-128-64-10", spec: mlp([64, 128, 64, 10]) },
  { name: "gesture 30-32-5", spec: gestureModelSpec(30) },
];

function mlp(sizes: number[]): ModelSpec {
  return {
    inputs: sizes[0],
    layers: sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? "softmax" : "relu" })),
    loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.01 }, batchSize: 1, seed: 1,
  };
}

/** Weights of each layer of a spec. */
function layerSizes(spec: ModelSpec): { nIn: number; nOut: number }[] {
  let nIn = spec.inputs;
  return spec.layers.map((l) => { const s = { nIn, nOut: l.units }; nIn = l.units; return s; });
}

/**
 * Arithmetic of one batch-1 SGD step, per weight: forward (1 multiply-add), fused backward-and-update
 * (layers above the first: dX += w g and W = w decay - lg x; the first: only the W update).
 */
function kernelCycles(spec: ModelSpec, dtype: "float32" | "fixed", native: boolean): number {
  const m = ESP32_MODEL;
  let cycles = 0;
  layerSizes(spec).forEach(({ nIn, nOut }, l) => {
    const w = nIn * nOut;
    if (dtype === "fixed") {
      if (native) cycles += w * m.intMac * (l > 0 ? 3 : 2); // forward, update, (dX)
      return;
    }
    // double operations per weight: forward 1 mul + 1 add; update 2 mul + 1 add; dX 1 mul + 1 add
    const muls = 1 + 2 + (l > 0 ? 1 : 0), adds = 1 + 1 + (l > 0 ? 1 : 0);
    cycles += w * (muls * m.softDoubleMul + adds * m.softDoubleAdd);
    // native: float -> double loads (W, x; W, x, dX in the update) and double -> float stores (W, dX)
    if (native) cycles += w * m.floatConvert * (2 + (l > 0 ? 5 : 3));
  });
  return cycles;
}

async function measure(spec: ModelSpec): Promise<{ js: { units: number; bytes: number }; native: { units: number; bytes: number } }> {
  const engine = await XsEngine.start({ binary: nativeWorkerPath() });
  try {
    await engine.evaluate(XS_NATIVE_SETUP);
    await engine.evaluate(readXsBundle());
    const rng = new Random(123), n = 64, classes = spec.layers[spec.layers.length - 1].units;
    const x = Array.from({ length: n * spec.inputs }, () => 2 * rng.uniform() - 1);
    const y = Array.from({ length: n }, () => rng.below(classes));
    await engine.evaluate(`
      globalThis.X = new Float32Array(${JSON.stringify(x)}); globalThis.Y = new Uint8Array(${JSON.stringify(y)});
      globalThis.xs = []; globalThis.ys = [];
      for (let s = 0; s < ${n}; s++) { xs.push(X.subarray(s * ${spec.inputs}, (s + 1) * ${spec.inputs})); ys.push(Y.subarray(s, s + 1)); }
      globalThis.js = tinyprop.buildModel(${JSON.stringify({ ...spec, kernels: "js" })});
      globalThis.nat = tinyprop.buildModel(${JSON.stringify({ ...spec, kernels: "native" })});
      globalThis.steps = { empty: (s) => 0, js: (s) => js.trainStep(xs[s], ys[s]), native: (s) => nat.trainStep(xs[s], ys[s]) };`);
    const run = async (name: string, count: number) => {
      await engine.evaluate(`globalThis.N = ${count}; globalThis.F = steps.${name};`);
      return (await engine.evaluate(`gc(); for (let i = 0; i < N; i++) F(i & 63);`)).meter;
    };
    const per = async (name: string) => {
      await run(name, 64);
      const a = await run(name, 64), b = await run(name, 64), c = await run(name, 64 + 256);
      const e1 = await run("empty", 64), e2 = await run("empty", 64 + 256);
      return {
        units: (c.compute - b.compute - (e2.compute - e1.compute)) / 256,
        bytes: ((c.currentHeapCount - b.currentHeapCount - (b.currentHeapCount - a.currentHeapCount)) * 32) / 256,
      };
    };
    return { js: await per("js"), native: await per("native") };
  } finally {
    await engine.close();
  }
}

/** Every net in both dtypes, or the reason when the native XS worker is not built. */
export async function benchNative(): Promise<NativeBenchRow[] | string> {
  const missing = nativeVariantMissing();
  if (missing) return missing;
  const rows: NativeBenchRow[] = [];
  for (const net of NETS) {
    for (const dtype of ["float32", "fixed"] as const) {
      const spec = { ...net.spec, dtype };
      const r = await measure(spec);
      const m = ESP32_MODEL;
      rows.push({
        net: net.name, dtype, jsUnits: r.js.units, nativeUnits: r.native.units, jsBytes: r.js.bytes, nativeBytes: r.native.bytes,
        jsCycles: r.js.units * m.cyclesPerXsUnit + kernelCycles(spec, dtype, false),
        nativeCycles: r.native.units * m.cyclesPerXsUnit + kernelCycles(spec, dtype, true),
      });
    }
  }
  return rows;
}

/** The rows as text, with the goals of issue 15 and the cost model's assumptions. */
export function formatNativeBench(rows: NativeBenchRow[] | string): string[] {
  const lines = ["Native C kernels vs JavaScript kernels (XS compute units per training step, SGD batch 1; ESP32 estimate)"];
  if (typeof rows === "string") return [...lines, `  skipped: ${rows}`];
  const m = ESP32_MODEL;
  const perSecond = (cycles: number) => m.hz / cycles;
  for (const r of rows) {
    const ratio = r.jsUnits / r.nativeUnits, speedup = r.jsCycles / r.nativeCycles;
    lines.push(`  ${(r.net + " " + r.dtype).padEnd(24)} XS units: js ${r.jsUnits.toFixed(0).padStart(7)}  native ${r.nativeUnits.toFixed(0).padStart(5)} (${ratio.toFixed(0)}x fewer); ` +
      `bytes/step js ${r.jsBytes} native ${r.nativeBytes} (target 0: ${r.nativeBytes === 0 ? "meets" : "MISSES"} target)`);
    lines.push(`  ${"".padEnd(24)} ESP32 estimate: js ${(r.jsCycles / m.hz * 1e3).toFixed(2)} ms/step (${perSecond(r.jsCycles).toFixed(0)}/s), ` +
      `native ${(r.nativeCycles / m.hz * 1e3).toFixed(3)} ms/step (${perSecond(r.nativeCycles).toFixed(0)}/s) = ${speedup.toFixed(1)}x`);
  }
  const g = rows.find((r) => r.net.startsWith("gesture") && r.dtype === "fixed");
  if (g) {
    const sps = perSecond(g.nativeCycles);
    lines.push(`  goal: fixed-point gesture model, native, >= 1000 samples/s on an ESP32 at 240 MHz: ${sps.toFixed(0)}/s (${sps >= 1000 ? "meets" : "MISSES"} goal)`);
  }
  const f32 = rows.filter((r) => r.dtype === "float32").map((r) => r.jsCycles / r.nativeCycles);
  if (f32.length) {
    const worst = Math.min(...f32);
    lines.push(`  goal: native Float32 >= 20x faster per step than JavaScript under XS: ${worst.toFixed(1)}x at worst (${worst >= 20 ? "meets" : "MISSES"} goal;` +
      ` bit-identity makes the C code do JavaScript's soft-double arithmetic, ${m.softDoubleMul + m.softDoubleAdd} cycles per multiply-add)`);
  }
  for (const c of [20, 50]) {
    const g2 = g ? m.hz / (g.nativeCycles - g.nativeUnits * m.cyclesPerXsUnit + g.nativeUnits * c) : 0;
    lines.push(`  sensitivity: at ${c} cycles per XS unit the fixed gesture model trains ${g2.toFixed(0)} samples/s native`);
  }
  lines.push(`  cost model (bench/native.ts): ${m.cyclesPerXsUnit} cycles per XS unit (assumed), soft double add ${m.softDoubleAdd} / multiply ${m.softDoubleMul} cycles ` +
    `(measured on an ESP32, WLED issue #4206), float<->double ${m.floatConvert} (assumed), native int16 MAC ${m.intMac} cycles (from 1.5 per int32 MAC, same table)`);
  return lines;
}

/** The whole section, printed through `log` (bench.ts calls this once). */
export async function nativeBench(log: (line: string) => void): Promise<void> {
  for (const line of formatNativeBench(await benchNative())) log(line);
}
