// What a step costs the device, counted by the instrumented XS (build/xs/instrumented: XS's own counters, built
// without mxMinusZero like a Moddable device build; docs/xs-meter.md): floating-point operations, chunk bytes
// (strings, ArrayBuffer data) and heap slots, per call after a warm-up.
// - issue 10.2: the fixed-point path on int16 data (trainStepQ, predictQ, classifyQ) does no floating-point
//   operation at all, on the gesture model 30-32-5 and on 16-32-32-4, and the PRNG stays on XS's integer path;
// - issue 8: no training or inference call of either backend allocates, not even a string chunk.
// Each count has a control that proves it can fail (one float operation or one string per step is seen).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countSteps, startInstrumented } from "../host-sim/xs/counters";
import { readXsBundle } from "../host-sim/xs/twin";
import type { XsEngine } from "../host-sim/xs/xsnap";
import { Random } from "../src/engine/random";

const STEPS = 40;
const spec = (sizes: number[], dtype: string, over: Record<string, unknown> = {}) => ({
  inputs: sizes[0],
  layers: sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? "softmax" : "relu" })),
  loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.02 }, batchSize: 1, seed: 1, dtype, ...over,
});

let xs: XsEngine;
beforeAll(async () => {
  xs = await startInstrumented();
  await xs.evaluate(readXsBundle());
}, 600_000);
afterAll(async () => {
  await xs?.close();
});

/** Define fx (fixed), f32 (Float32) and their data in XS: inputs in [-1, 1) so ReLU zeros meet negative weights. */
async function setUp(sizes: number[], over: Record<string, unknown> = {}): Promise<void> {
  const inputs = sizes[0], outputs = sizes[sizes.length - 1];
  await xs.evaluate(`
    globalThis.rng = new tinyprop.Random(5);
    globalThis.fx = tinyprop.buildModel(${JSON.stringify(spec(sizes, "fixed", over))});
    globalThis.f32 = tinyprop.buildModel(${JSON.stringify(spec(sizes, "float32", over))});
    globalThis.B = fx.batchSize;
    globalThis.x = new Float32Array(${inputs} * B); for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
    globalThis.xq = new Int16Array(x.length); for (let i = 0; i < xq.length; i++) xq[i] = Math.round(x[i] * (1 << fx.inputFrac));
    globalThis.y = new Uint8Array(B); for (let i = 0; i < B; i++) y[i] = rng.below(${outputs});
    globalThis.out = new Float32Array(${outputs} * B); globalThis.outQ = new Int16Array(${outputs} * B);`);
}

const NONE = { iterations: STEPS, floatOps: 0, chunkBytes: 0, slots: 0 };

for (const sizes of [[30, 32, 5], [16, 32, 32, 4]]) {
  const net = sizes.join("-");
  describe(`${net}, plain SGD at batch 1 (the board's default), under the instrumented XS`, () => {
    beforeAll(() => setUp(sizes));

    it.each(["fx.trainStepQ(xq, y);", "fx.predictQ(xq, outQ, 1);", "fx.classifyQ(xq, 0);"])(
      "%s: 0 floating-point operations, 0 chunk bytes, 0 slots",
      async (step) => {
        expect(await countSteps(xs, step, STEPS, 3)).toEqual(NONE);
      },
    );

    it("trainStepQ trains (the loss is read after the step, where floating point is allowed)", async () => {
      const [before] = await xs.run(`print(fx.step)`);
      await xs.evaluate(`for (let i = 0; i < 20; i++) fx.trainStepQ(xq, y);`);
      const [after, loss] = await xs.run(`print(fx.step); print(fx.lastLoss)`);
      expect(Number(after) - Number(before)).toBe(20);
      expect(Number(loss)).toBeGreaterThan(0);
      expect(Number(loss)).toBeLessThan(10);
    });

    it.each(["f32.trainStep(x, y);", "f32.predict(x, out, 1);", "f32.classify(x, 0);", "f32.evaluate(x, y, 1);",
      "fx.trainStep(x, y);", "fx.predict(x, out, 1);", "fx.classify(x, 0);", "fx.evaluate(x, y, 1);"])(
      "%s allocates nothing: 0 chunk bytes (no string), 0 slots",
      async (step) => {
        const c = await countSteps(xs, step, STEPS, 3);
        expect(c.chunkBytes).toBe(0);
        expect(c.slots).toBe(0);
      },
    );

    it("the float API of a fixed model does floating point only at the boundary (quantize in, dequantize out)", async () => {
      const c = await countSteps(xs, "fx.trainStep(x, y);", STEPS, 3);
      expect(c.floatOps).toBeLessThanOrEqual(4 * (sizes[0] + sizes[sizes.length - 1]) + 8);
    });

    it("controls: one floating-point operation or one string per step is seen", async () => {
      const float = await countSteps(xs, "fx.trainStepQ(xq, y); const f = i * 0.5;", STEPS, 3);
      expect(float.floatOps).toBe(1);
      const literal = await countSteps(xs, `fx.trainStepQ(xq, y); const s = "trainStep";`, STEPS, 3);
      expect(literal.chunkBytes).toBeGreaterThan(0);
      expect(literal.floatOps).toBe(0);
      const f32literal = await countSteps(xs, `f32.trainStep(x, y); const s = "trainStep";`, STEPS, 3);
      expect(f32literal.chunkBytes).toBeGreaterThan(0);
    });
  });
}

describe("other fixed-point training settings stay float-free with a constant learning rate", () => {
  it.each([
    ["momentum 0.9, batch 1", { optimizer: { type: "sgd", learningRate: 0.02, momentum: 0.9 } }],
    ["plain SGD, batch 4", { batchSize: 4 }],
    ["momentum 0.9, batch 8", { batchSize: 8, optimizer: { type: "sgd", learningRate: 0.02, momentum: 0.9 } }],
  ])("16-32-32-4, %s: trainStepQ and predictQ", async (_name, over) => {
    await setUp([16, 32, 32, 4], over);
    expect(await countSteps(xs, "fx.trainStepQ(xq, y);", STEPS, 3)).toEqual(NONE);
    expect(await countSteps(xs, "fx.predictQ(xq, outQ, 1);", STEPS, 3)).toEqual(NONE);
    expect(await countSteps(xs, "fx.predictQ(xq, outQ, B);", STEPS, 3)).toEqual(NONE);
  });
});

describe("the PRNG stays on XS's integer path", () => {
  it("nextInt32, below() and shuffle(): 0 floating-point operations", async () => {
    await xs.evaluate(`globalThis.r = new tinyprop.Random(0x7e3779b9); globalThis.order = new Uint32Array(64);`);
    expect((await countSteps(xs, "r.nextInt32();", 2000)).floatOps).toBe(0);
    expect((await countSteps(xs, "r.below(100);", 500)).floatOps).toBe(0);
    expect((await countSteps(xs, "r.shuffle(order);", 20)).floatOps).toBe(0);
    // control: uniform() scales to [0, 1), one multiplication by 2^-24
    expect((await countSteps(xs, "r.uniform();", 200)).floatOps).toBe(1);
  });

  it("building a model costs the same floating-point operations for every seed (no int32 add overflows to a double)", async () => {
    const counts = [];
    for (const seed of [1, 2, 3, 12345, 0x7fffffff]) {
      const step = `tinyprop.buildModel(${JSON.stringify({ ...spec([16, 32, 32, 4], "fixed"), seed })});`;
      counts.push((await countSteps(xs, step, 1, 1)).floatOps);
    }
    expect(new Set(counts).size).toBe(1);
  });

  it("is still mulberry32, bit for bit (seeds above 2^31 and negative ones included)", () => {
    const reference = (seed: number) => {
      let a = seed >>> 0;
      return () => {
        let t = (a = (a + 0x6d2b79f5) >>> 0);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return (t ^ (t >>> 14)) >>> 0;
      };
    };
    for (const seed of [0, 1, 42, 0x7fffffff, 0x80000000, 0x9e3779b9, 0xffffffff, -5]) {
      const r = new Random(seed), ref = reference(seed);
      for (let i = 0; i < 2000; i++) expect(r.nextUint32()).toBe(ref());
      const b = new Random(seed), fb = reference(seed);
      for (const n of [1, 2, 7, 100, 1000, 262143, 262144, 1e6]) expect(b.below(n)).toBe(Math.floor(((fb() >>> 8) / 16777216) * n));
      expect(new Random(seed).getState()).toBe(seed >>> 0);
    }
  });
});
