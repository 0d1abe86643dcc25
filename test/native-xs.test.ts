// The native kernels inside the real XS engine (the "native" xsnap-worker variant): Node with JavaScript
// kernels, XS with JavaScript kernels and XS with native kernels train every spec of test/native-specs.ts
// to the same bits; the XS binding refuses bad calls; a training step with native kernels allocates nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { readXsBundle, runInNode } from "../host-sim/xs/twin";
import { XsEngine, XsError } from "../host-sim/xs/xsnap";
import { probeAllocation } from "../host-sim/xs/alloc-probe";
import { XS_NATIVE_SETUP, nativeVariantMissing, nativeWorkerPath } from "../host-sim/native/xs";
import { DRIVER_HELPERS } from "./xs-scripts";
import { NATIVE_DRIVER, NATIVE_SPECS } from "./native-specs";
import { loadNodeAddon } from "../host-sim/native/build";
import type { ModelSpec } from "../src/index";

const missing = nativeVariantMissing();
if (missing) console.warn(`native XS tests skipped: ${missing}`);
const withVariant = it.skipIf(missing !== undefined);

let bundle = "";
beforeAll(() => {
  bundle = readXsBundle();
});

async function runInNativeXs(scripts: string[]): Promise<string[]> {
  const engine = await XsEngine.start({ binary: nativeWorkerPath() });
  try {
    const lines: string[] = [];
    for (const script of scripts) {
      await engine.evaluate(script);
      lines.push(...engine.output());
      engine.clearOutput();
    }
    return lines;
  } finally {
    await engine.close();
  }
}

describe("XS with native kernels trains bit-identically to Node and to XS with JavaScript kernels", () => {
  for (const [name, spec] of Object.entries(NATIVE_SPECS)) {
    withVariant(name, async () => {
      const driver = (kernels: string) => `trainWith(${JSON.stringify(spec)}, "${kernels}", 100);`;
      const node = runInNode([bundle, DRIVER_HELPERS, NATIVE_DRIVER, driver("js")]);
      const xsJs = await runInNativeXs([bundle, DRIVER_HELPERS, NATIVE_DRIVER, driver("js")]);
      const xsNative = await runInNativeXs([XS_NATIVE_SETUP, bundle, DRIVER_HELPERS, NATIVE_DRIVER, driver("native")]);
      expect(node[0]).toBe("native false");
      expect(xsNative[0]).toBe("native true");
      expect(node[1]).toMatch(/^losses [0-9a-f]{1600}$/);
      expect(xsJs).toEqual(node);
      expect(xsNative.slice(1)).toEqual(node.slice(1));
    }, 120_000);
  }
});

// "native-f32" is not bit-identical to the JavaScript kernels, but it is the same C code in Node (the addon)
// and in XS: both must train to the same bits (the kernels themselves are checked against float-only.ts in
// test/native-kernels.test.ts).
describe("native-f32 trains to the same bits in Node (addon) and in XS (native worker)", () => {
  const addon = loadNodeAddon();
  const withBoth = it.skipIf(missing !== undefined || !addon.ok);
  for (const [name, spec] of Object.entries(NATIVE_SPECS).filter(([n]) => n.startsWith("f32"))) {
    withBoth(name, async () => {
      const driver = [bundle, DRIVER_HELPERS, NATIVE_DRIVER, `trainWith(${JSON.stringify(spec)}, "native-f32", 100);`];
      const node = runInNode(driver, { tinypropNative: addon.ok && addon.kernels });
      const xs = await runInNativeXs([XS_NATIVE_SETUP, ...driver]);
      const js = runInNode([bundle, DRIVER_HELPERS, NATIVE_DRIVER, `trainWith(${JSON.stringify(spec)}, "js", 100);`]);
      expect(node[0]).toBe("native true");
      expect(node[1]).toMatch(/^losses [0-9a-f]{1600}$/);
      expect(xs).toEqual(node);
      expect(node[2]).not.toBe(js[2]); // float32 arithmetic: other weights than JavaScript's double arithmetic
    }, 120_000);
  }
});

// Whole models on random shapes with the unrolling edges (1, 7, 8, 9, 16, 17 units or inputs) and odd batch
// sizes, random activations, losses and optimizers: XS with native kernels against Node with JavaScript kernels
// (and, for native-f32, against Node with the addon), bit for bit.
describe("fuzz: random shapes train to the same bits in XS (native kernels) and Node", () => {
  const addon = loadNodeAddon();
  const withBoth = it.skipIf(missing !== undefined || !addon.ok);
  const EDGES = [1, 7, 8, 9, 16, 17];
  const ACTS = ["relu", "leaky_relu", "sigmoid", "tanh", "linear"] as const;
  function randomSpec(rng: () => number, t: number): ModelSpec {
    const pick = <T>(a: readonly T[]) => a[Math.floor(rng() * a.length)];
    const depth = 1 + Math.floor(rng() * 3), dtype = t % 3 === 2 ? "fixed" : "float32";
    const loss = pick(["softmax_cross_entropy", "sigmoid_cross_entropy", "mse"] as const);
    const outputs = loss === "softmax_cross_entropy" ? pick([2, 3, 7, 9]) : pick([1, 2, 7]);
    const hidden = Array.from({ length: depth - 1 }, () => ({ units: pick(EDGES), activation: pick(dtype === "fixed" ? ACTS.slice(0, 4) : ACTS) }));
    const last = { units: outputs, activation: loss === "softmax_cross_entropy" ? "softmax" : loss === "sigmoid_cross_entropy" ? "sigmoid" : pick(["linear", "tanh"]) };
    const optimizer = dtype === "float32" && rng() < 0.3 ? { type: "adam" as const, learningRate: 0.01 }
      : { type: "sgd" as const, learningRate: 0.05, momentum: rng() < 0.3 ? 0.9 : 0, weightDecay: rng() < 0.3 ? 0.001 : 0 };
    return { inputs: pick(EDGES), layers: [...hidden, last] as ModelSpec["layers"], loss, optimizer, batchSize: pick([1, 1, 3, 5, 7]), seed: t + 1, dtype };
  }
  let state = 2024;
  const rng = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296);
  const specs = Array.from({ length: Number(process.env.TP_NATIVE_FUZZ ?? 6) }, (_, t) => randomSpec(rng, t));
  withBoth("random specs (TP_NATIVE_FUZZ sets how many)", async () => {
    for (const spec of specs) {
      const driver = (kernels: string) => [bundle, DRIVER_HELPERS, NATIVE_DRIVER, `trainWith(${JSON.stringify(spec)}, "${kernels}", 30);`];
      const js = runInNode(driver("js"));
      expect((await runInNativeXs([XS_NATIVE_SETUP, ...driver("native")])).slice(1), JSON.stringify(spec)).toEqual(js.slice(1));
      if (spec.dtype === "float32") {
        const nodeF32 = runInNode(driver("native-f32"), { tinypropNative: addon.ok && addon.kernels });
        expect(await runInNativeXs([XS_NATIVE_SETUP, ...driver("native-f32")]), JSON.stringify(spec)).toEqual(nodeF32);
      }
    }
  }, 300_000);
});

describe("the XS binding", () => {
  withVariant("refuses a tensor outside its buffer, a non-number scalar and too few arguments", async () => {
    const engine = await XsEngine.start({ binary: nativeWorkerPath() });
    try {
      await engine.evaluate(XS_NATIVE_SETUP);
      await engine.evaluate(`globalThis.N = tinypropNative; globalThis.W = new Float32Array(6); globalThis.b = new Float32Array(2);
        globalThis.x = new Float32Array(3); globalThis.Y = new Float32Array(2);`);
      await expect(engine.evaluate(`N.f32ForwardAct(W.buffer, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, 3, 2, 2, 0, 0)`)).rejects.toThrow(/outside its buffer/);
      await expect(engine.evaluate(`N.f32ForwardAct(W.buffer, 2, b.buffer, 0, x.buffer, 0, Y.buffer, 0, 3, 2, 1, 0, 0)`)).rejects.toThrow(/outside its buffer/);
      await expect(engine.evaluate(`N.f32ForwardAct(W.buffer, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, { valueOf() { return 3; } }, 2, 1, 0, 0)`)).rejects.toThrow(/must be a number/);
      await expect(engine.evaluate(`N.f32ForwardAct(W, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, 3, 2, 1, 0, 0)`)).rejects.toThrow(XsError);
      await expect(engine.evaluate(`N.qAbsMax(new Int16Array(4).buffer, 0)`)).rejects.toThrow(/arguments expected/);
      await engine.evaluate(`W.fill(0.5); b.fill(1); x.fill(2); N.f32ForwardAct(W.buffer, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, 3, 2, 1, 0, 0); print(Y[0], Y[1]);`);
      expect(engine.output()).toEqual(["4 4"]);
    } finally {
      await engine.close();
    }
  });

  withVariant("training steps with native kernels allocate nothing (Float32 and fixed)", async () => {
    for (const [name, kernels] of [["f32 relu SGD batch 1 (fused), softmax CE", "native"], ["f32 relu SGD batch 1 (fused), softmax CE", "native-f32"],
      ["f32 tanh/sigmoid Adam batch 5, clip, decay, cosine", "native-f32"], ["fixed relu SGD batch 1 (fused), softmax CE", "native"],
      ["fixed tanh/sigmoid momentum batch 5, decay", "native"]]) {
      const spec = NATIVE_SPECS[name];
      const engine = await XsEngine.start({ binary: nativeWorkerPath() });
      try {
        await engine.evaluate(XS_NATIVE_SETUP);
        await engine.evaluate(bundle);
        await engine.evaluate(`globalThis.m = tinyprop.buildModel(${JSON.stringify({ ...spec, kernels })});
          globalThis.x = new Float32Array(${spec.batchSize * spec.inputs}).fill(0.25); globalThis.y = new Uint8Array(${spec.batchSize});`);
        const probe = await probeAllocation(engine, "m.trainStep(x, y);", 500);
        expect(probe.allocationFree, `${name}: ${JSON.stringify(probe)}`).toBe(true);
      } finally {
        await engine.close();
      }
    }
  }, 120_000);
});
