// npm run bench: speed and memory of tinyprop against a plain hand-written baseline, measured side by
// side in one run. Targets are printed next to the measured ratios; nothing here is a test.
import { buildModel, plan, Random, type ModelSpec } from "../src/index";
import { BaselineMlp } from "./baseline";
import { XsEngine } from "../host-sim/xs/xsnap";
import { readXsBundle } from "../host-sim/xs/twin";
import { readFileSync } from "node:fs";
import { benchFixed, formatFixedBench } from "./fixed";
import { nativeBench } from "./native";
import { protocolBench } from "./protocol";
import { recoveryBench } from "./recovery";
import { fileURLToPath } from "node:url";

const NETS = [[16, 32, 32, 4], [64, 128, 64, 10]];
const LR = 0.01;

function mlpSpec(sizes: number[], over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    inputs: sizes[0],
    layers: sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? "softmax" : "relu" })),
    loss: "softmax_cross_entropy",
    optimizer: { type: "sgd", learningRate: LR },
    batchSize: 1,
    seed: 1,
    ...over,
  };
}

function dataset(inputs: number, classes: number, n: number) {
  const rng = new Random(123);
  const x = Float32Array.from({ length: n * inputs }, () => 2 * rng.uniform() - 1);
  const y = Uint8Array.from({ length: n }, () => rng.below(classes));
  return { x, y, n };
}

const verdict = (ok: boolean) => (ok ? "meets target" : "MISSES target");
const fmt = (v: number, d = 2) => v.toFixed(d);

/** Samples per second of `step` over the dataset, best of several interleaved rounds. */
function nodeThroughput(sizes: number[]): { tinyprop: number; baseline: number } {
  const data = dataset(sizes[0], sizes[sizes.length - 1], 512);
  const m = buildModel(mlpSpec(sizes));
  const base = new BaselineMlp(sizes, LR, 1);
  const views = Array.from({ length: data.n }, (_, s) => data.x.subarray(s * sizes[0], (s + 1) * sizes[0]));
  const labels = Array.from({ length: data.n }, (_, s) => data.y.subarray(s, s + 1));
  const runs = {
    tinyprop: () => { for (let s = 0; s < data.n; s++) m.trainStep(views[s], labels[s]); },
    baseline: () => { for (let s = 0; s < data.n; s++) base.trainStep(views[s], data.y[s]); },
  };
  const best = { tinyprop: 0, baseline: 0 };
  for (let round = 0; round < 7; round++) {
    for (const name of round % 2 ? (["baseline", "tinyprop"] as const) : (["tinyprop", "baseline"] as const)) {
      const start = process.hrtime.bigint();
      let samples = 0;
      while (process.hrtime.bigint() - start < 150_000_000n) { runs[name](); samples += data.n; }
      const rate = samples / (Number(process.hrtime.bigint() - start) / 1e9);
      if (rate > best[name]) best[name] = rate;
    }
  }
  return best;
}

/** XS compute units per training step (and heap slots allocated per step) for tinyprop and the baseline. */
async function xsCompute(sizes: number[]) {
  const engine = await XsEngine.start();
  try {
    await engine.evaluate(readXsBundle());
    const baselinePath = fileURLToPath(new URL("./baseline.js", import.meta.url));
    await engine.evaluate(readFileSync(baselinePath, "utf8"));
    const d = dataset(sizes[0], sizes[sizes.length - 1], 64);
    await engine.evaluate(`
      globalThis.X = new Float32Array(${JSON.stringify(Array.from(d.x))});
      globalThis.Y = new Uint8Array(${JSON.stringify(Array.from(d.y))});
      globalThis.xs = []; globalThis.ys = [];
      for (let s = 0; s < 64; s++) { xs.push(X.subarray(s * ${sizes[0]}, (s + 1) * ${sizes[0]})); ys.push(Y.subarray(s, s + 1)); }
      globalThis.tp = tinyprop.buildModel(${JSON.stringify(mlpSpec(sizes))});
      globalThis.bl = new baseline.BaselineMlp(${JSON.stringify(sizes)}, ${LR}, 1);
      globalThis.steps = { tinyprop: (s) => tp.trainStep(xs[s], ys[s]), baseline: (s) => bl.trainStep(xs[s], Y[s]), empty: (s) => 0,
        tinypropPredict: (s) => tp.classify(xs[s], 0) };
    `);
    const measure = async (name: string, n: number) => {
      await engine.evaluate(`globalThis.N = ${n}; globalThis.F = steps.${name};`);
      const r = await engine.evaluate(`gc(); for (let i = 0; i < N; i++) F(i & 63);`);
      return r.meter;
    };
    const perStep = async (name: string) => {
      await measure(name, 64); // warm-up
      const a = await measure(name, 64), b = await measure(name, 64), c = await measure(name, 64 + 256);
      const empty1 = await measure("empty", 64), empty2 = await measure("empty", 64 + 256);
      const compute = (c.compute - b.compute - (empty2.compute - empty1.compute)) / 256;
      const slots = c.currentHeapCount - b.currentHeapCount - (b.currentHeapCount - a.currentHeapCount);
      return { compute, bytesPerStep: (slots * 32) / 256 };
    };
    return { tinyprop: await perStep("tinyprop"), baseline: await perStep("baseline"), predict: await perStep("tinypropPredict") };
  } finally {
    await engine.close();
  }
}

async function main() {
  // `node dist/bench/bench.js fixed`: only the fixed-point vs Float32 XS rows (the slow Node and native sections skipped).
  if (process.argv[2] === "fixed") {
    for (const line of formatFixedBench(await benchFixed())) console.log(line);
    return;
  }
  console.log("tinyprop benchmark (MLPs with ReLU hidden layers, softmax cross-entropy, plain SGD, batch 1)\n");

  console.log("Node: training samples/s (best of 7 interleaved rounds)");
  for (const sizes of NETS) {
    const r = nodeThroughput(sizes);
    const ratio = r.tinyprop / r.baseline;
    console.log(`  ${sizes.join("-").padEnd(12)} tinyprop ${fmt(r.tinyprop, 0).padStart(9)}   baseline ${fmt(r.baseline, 0).padStart(9)}   ratio ${fmt(ratio)}x  (target >= 1.00x: ${verdict(ratio >= 1)})`);
  }

  console.log("\nXS (real engine via xsnap): compute units per training step, bytes allocated per step");
  for (const sizes of NETS) {
    const r = await xsCompute(sizes);
    const ratio = r.tinyprop.compute / r.baseline.compute;
    console.log(`  ${sizes.join("-").padEnd(12)} tinyprop ${fmt(r.tinyprop.compute, 0).padStart(9)}   baseline ${fmt(r.baseline.compute, 0).padStart(9)}   ratio ${fmt(ratio)}x  (target <= 0.70x: ${verdict(ratio <= 0.7)})`);
    console.log(`  ${"".padEnd(12)} bytes allocated per step: tinyprop ${r.tinyprop.bytesPerStep}, baseline ${r.baseline.bytesPerStep} (target 0: ${verdict(r.tinyprop.bytesPerStep === 0)}); predict ${fmt(r.predict.compute, 0)} units, ${r.predict.bytesPerStep} bytes`);
  }

  console.log("\nMemory from plan(), 64-32-8 softmax cross-entropy, batch 1 (a well-known C MCU library: 27,680 bytes)");
  for (const [name, over, target] of [
    ["SGD", {}, 20000],
    ["Adam", { optimizer: { type: "adam", learningRate: 0.001 } }, 40000],
  ] as [string, Partial<ModelSpec>, number][]) {
    const p = plan(mlpSpec([64, 32, 8], over));
    console.log(`  ${name.padEnd(5)} ${String(p.total).padStart(6)} bytes (parameters ${p.parameters}, gradients ${p.gradients}, optimizer ${p.optimizer}, forward ${p.forward}, backward ${p.backward})  target <= ${target}: ${verdict(p.total <= target)}`);
  }

  console.log("");
  for (const line of formatFixedBench(await benchFixed())) console.log(line);

  console.log("");
  await nativeBench(console.log);

  console.log("");
  await protocolBench(console.log);

  await recoveryBench(console.log);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
