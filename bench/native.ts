// Native vs JavaScript kernels for bench.ts: XS compute units and heap bytes per training step with each
// kernel table (JavaScript, native, and for Float32 native-f32), measured side by side in the same XS worker (the "native" variant of
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
 * - FLOAT_OP: single-precision add and multiply run on the FPU: the same table gives 237.6 M float additions
 *   and 237.7 M float multiplications per second at 240 MHz (1 cycle each, throughput). We count 2 cycles per
 *   operation (assumption: a dependent sum waits for the previous addition's result).
 * - MEM_ACCESS: a 32-bit load or store from internal SRAM (the arena), 1 cycle (assumption; the table's
 *   238 M integer additions/s shows the single-cycle pipeline).
 * - INT_MAC: the same table gives 158 M 32-bit integer multiply-adds per second at 240 MHz (1.5 cycles); with
 *   the two int16 loads and the pointer steps of an unrolled C loop we count 3 cycles (assumption).
 * - FLOAT_CONVERT: float <-> double conversions (libgcc __extendsfdf2 / __truncdfsf2), bit manipulation
 *   only; not in the table: 20 cycles assumed.
 * - EXP: one deterministic exp or log (src/engine/math.ts, or its C port): about 16 double multiplications and
 *   16 additions (the Taylor series), so 16 * (108 + 37) = 2,320 cycles; the softmax takes one exp per output and
 *   one log. Charged to every table (JavaScript's doubles are soft too), on top of the XS units.
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
  floatOp: 2,
  memAccess: 1,
  floatConvert: 20,
  intMac: 3,
  exp: 16 * (108 + 37),
};

/** The kernel tables compared: JavaScript, native (bit-identical, double arithmetic), native-f32 (float32 arithmetic). */
export type Table = "js" | "native" | "native-f32";

export interface NativeBenchRow {
  net: string;
  dtype: "float32" | "fixed";
  /** Per table measured (fixed point has no native-f32): XS compute units and heap bytes per training step (batch 1, SGD). */
  units: Partial<Record<Table, number>>;
  /** Heap bytes allocated per step (32-byte slots of the 64-bit host worker). */
  bytes: Partial<Record<Table, number>>;
  /** Estimated ESP32 cycles per step. */
  cycles: Partial<Record<Table, number>>;
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
 * Arithmetic of one batch-1 SGD step outside XS's bytecodes, per weight: forward (1 multiply-add), fused
 * backward-and-update (layers above the first: dX += w g and W = w decay - lg x; the first: only the W update);
 * plus the softmax's exponentials. JavaScript and "native" do it in soft doubles ("native" also converts
 * every float load and store), "native-f32" on the FPU, fixed point ("native") in integers.
 */
function kernelCycles(spec: ModelSpec, dtype: "float32" | "fixed", table: Table): number {
  const m = ESP32_MODEL;
  const outputs = spec.layers[spec.layers.length - 1].units;
  let cycles = dtype === "float32" ? (outputs + 1) * m.exp : 0;
  layerSizes(spec).forEach(({ nIn, nOut }, l) => {
    const w = nIn * nOut, dX = l > 0 ? 1 : 0;
    if (dtype === "fixed") {
      if (table !== "js") cycles += w * m.intMac * (2 + dX); // forward, update, (dX)
      return;
    }
    // operations per weight: forward 1 mul + 1 add; update 2 mul + 1 add; dX 1 mul + 1 add
    const muls = 1 + 2 + dX, adds = 1 + 1 + dX;
    // loads and stores per weight: forward W, x; update W, x, W (and dX load and store)
    const memory = 2 + 3 + 2 * dX;
    if (table === "native-f32") cycles += w * ((muls + adds) * m.floatOp + memory * m.memAccess);
    else cycles += w * (muls * m.softDoubleMul + adds * m.softDoubleAdd);
    if (table === "native") cycles += w * m.floatConvert * memory;
  });
  return cycles;
}

async function measure(spec: ModelSpec, tables: Table[]): Promise<Record<string, { units: number; bytes: number }>> {
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
      globalThis.steps = { empty: (s) => 0 };
      for (const kernels of ${JSON.stringify(tables)}) {
        const m = tinyprop.buildModel(Object.assign(${JSON.stringify(spec)}, { kernels }));
        steps[kernels] = (s) => m.trainStep(xs[s], ys[s]);
      }`);
    const run = async (name: string, count: number) => {
      await engine.evaluate(`globalThis.N = ${count}; globalThis.F = steps[${JSON.stringify(name)}];`);
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
    const out: Record<string, { units: number; bytes: number }> = {};
    for (const t of tables) out[t] = await per(t);
    return out;
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
      const tables: Table[] = dtype === "float32" ? ["js", "native", "native-f32"] : ["js", "native"];
      const r = await measure(spec, tables);
      const row: NativeBenchRow = { net: net.name, dtype, units: {}, bytes: {}, cycles: {} };
      for (const t of tables) {
        row.units[t] = r[t].units;
        row.bytes[t] = r[t].bytes;
        row.cycles[t] = r[t].units * ESP32_MODEL.cyclesPerXsUnit + kernelCycles(spec, dtype, t);
      }
      rows.push(row);
    }
  }
  return rows;
}

/** The rows as text, with the goals of issue 15 and the cost model's assumptions. */
export function formatNativeBench(rows: NativeBenchRow[] | string): string[] {
  const lines = ["Native C kernels vs JavaScript kernels (XS compute units per training step, SGD batch 1; ESP32 estimate)"];
  if (typeof rows === "string") return [...lines, `  skipped: ${rows}`];
  const m = ESP32_MODEL;
  const ms = (cycles: number) => (cycles / m.hz * 1e3).toFixed(3);
  for (const r of rows) {
    const tables = Object.keys(r.units) as Table[];
    const js = r.units.js as number, jsCycles = r.cycles.js as number;
    lines.push(`  ${(r.net + " " + r.dtype).padEnd(24)} XS units/step: ` + tables.map((t) => `${t} ${(r.units[t] as number).toFixed(0)}` +
      (t === "js" ? "" : ` (${(js / (r.units[t] as number)).toFixed(0)}x fewer)`)).join(", "));
    const bytes = tables.map((t) => r.bytes[t] as number);
    lines.push(`  ${"".padEnd(24)} bytes allocated/step: ${tables.map((t, i) => `${t} ${bytes[i]}`).join(", ")} (target 0: ${bytes.every((b) => b === 0) ? "meets" : "MISSES"} target)`);
    lines.push(`  ${"".padEnd(24)} ESP32 estimate ms/step: ` + tables.map((t) => `${t} ${ms(r.cycles[t] as number)}` +
      (t === "js" ? "" : ` (${(jsCycles / (r.cycles[t] as number)).toFixed(1)}x)`)).join(", ") +
      `; samples/s: ${tables.map((t) => `${t} ${(m.hz / (r.cycles[t] as number)).toFixed(0)}`).join(", ")}`);
  }
  const g = rows.find((r) => r.net.startsWith("gesture") && r.dtype === "fixed");
  if (g) {
    const sps = m.hz / (g.cycles.native as number);
    lines.push(`  goal: fixed-point gesture model, native, >= 1000 samples/s on an ESP32 at 240 MHz: ${sps.toFixed(0)}/s (${sps >= 1000 ? "meets" : "MISSES"} goal)`);
  }
  const f32 = rows.filter((r) => r.dtype === "float32");
  if (f32.length) {
    const worst = (t: Table) => Math.min(...f32.map((r) => (r.cycles.js as number) / (r.cycles[t] as number)));
    const w32 = worst("native-f32"), w64 = worst("native");
    lines.push(`  goal: native Float32 >= 20x faster per step than JavaScript under XS: native-f32 ${w32.toFixed(1)}x at worst (${w32 >= 20 ? "meets" : "MISSES"} goal); ` +
      `bit-identical "native" ${w64.toFixed(1)}x (its C code does JavaScript's soft-double arithmetic, ${m.softDoubleMul + m.softDoubleAdd} cycles per multiply-add)`);
  }
  for (const c of [20, 50]) {
    const at = (r: NativeBenchRow | undefined, t: Table) => r ? m.hz / ((r.cycles[t] as number) - (r.units[t] as number) * m.cyclesPerXsUnit + (r.units[t] as number) * c) : 0;
    const gf = rows.find((r) => r.net.startsWith("gesture") && r.dtype === "float32");
    const ratio = gf ? at(gf, "native-f32") / at(gf, "js") : 0;
    lines.push(`  sensitivity: at ${c} cycles per XS unit the fixed gesture model trains ${at(g, "native").toFixed(0)} samples/s native; ` +
      `gesture Float32 native-f32 is ${ratio.toFixed(1)}x the JavaScript kernels`);
  }
  lines.push(`  cost model (bench/native.ts): ${m.cyclesPerXsUnit} cycles per XS unit (assumed), soft double add ${m.softDoubleAdd} / multiply ${m.softDoubleMul} cycles ` +
    `(measured on an ESP32, WLED issue #4206), float add/multiply ${m.floatOp} (1 measured in the same table, doubled for dependent sums), ` +
    `load/store ${m.memAccess} (assumed), float<->double ${m.floatConvert} (assumed), exp/log ${m.exp} (16 soft multiply-adds), ` +
    `native int16 MAC ${m.intMac} cycles (from 1.5 per int32 MAC, same table)`);
  return lines;
}

/** The whole section, printed through `log` (bench.ts calls this once). */
export async function nativeBench(log: (line: string) => void): Promise<void> {
  for (const line of formatNativeBench(await benchNative())) log(line);
}
