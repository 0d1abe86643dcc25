// The very same bundle in Node and in the real XS engine: bit-identical training, and no allocation in
// the hot paths under XS.
import { beforeAll, describe, expect, it } from "vitest";
import { readXsBundle, runInNode, runInXs } from "../host-sim/xs/twin";
import { XsEngine } from "../host-sim/xs/xsnap";
import { probeAllocation } from "../host-sim/xs/alloc-probe";
import type { ModelSpec } from "../src/index";
import { DRIVER_HELPERS } from "./xs-scripts";

let bundle = "";
beforeAll(() => {
  bundle = readXsBundle();
});

const helpers = DRIVER_HELPERS + `
function train(spec, steps, dataSeed) {
  const { m, rng, losses, out } = trainSynthetic(spec, steps, dataSeed);
  print("losses " + hex(losses));
  print("weights " + hex(m.parameters));
  print("predict " + hex(out));
}
`;

const specs: Record<string, ModelSpec> = {
  "relu SGD batch 1 (fused)": { inputs: 8, layers: [{ units: 12, activation: "relu" }, { units: 4, activation: "softmax" }], loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05 }, batchSize: 1, seed: 3 },
  "tanh/sigmoid Adam batch 4, clip, decay, cosine": { inputs: 6, layers: [{ units: 10, activation: "tanh" }, { units: 7, activation: "sigmoid" }, { units: 3, activation: "softmax" }], loss: "softmax_cross_entropy", optimizer: { type: "adam", learningRate: 0.01, clipNorm: 0.5, weightDecay: 0.001, schedule: { type: "cosine", steps: 100, minLearningRate: 0.001 } }, batchSize: 4, seed: 4 },
  "leaky momentum, step schedule, sigmoid cross-entropy": { inputs: 5, layers: [{ units: 9, activation: "leaky_relu" }, { units: 3, activation: "sigmoid" }], loss: "sigmoid_cross_entropy", optimizer: { type: "sgd", learningRate: 0.1, momentum: 0.9, schedule: { type: "step", every: 50, gamma: 0.7 } }, batchSize: 3, seed: 5 },
  "MSE linear output, frozen first layer": { inputs: 4, layers: [{ units: 8, activation: "relu" }, { units: 6, activation: "tanh" }, { units: 2, activation: "linear" }], loss: "mse", optimizer: { type: "sgd", learningRate: 0.02 }, batchSize: 2, seed: 6, frozen: 1 },
};

describe("Node and XS run the same bundle bit-identically", () => {
  for (const [name, spec] of Object.entries(specs)) {
    it(`training: ${name}`, async () => {
      const driver = `train(${JSON.stringify(spec)}, 150, 99);`;
      const node = runInNode([bundle, helpers, driver]);
      const xs = await runInXs([bundle, helpers, driver]);
      expect(node).toHaveLength(3);
      expect(node[0]).toMatch(/^losses [0-9a-f]{2400}$/);
      expect(xs.lines).toEqual(node);
    });
  }

  it("elementary functions (exp, log, tanh, sigmoid, cos) give the same bits", async () => {
    const driver = `
      const f = new Float64Array(5 * 4000), rng = new tinyprop.Random(1); const M = tinyprop.math;
      for (let i = 0; i < 4000; i++) { const v = (rng.uniform() - 0.5) * 60;
        f[5 * i] = M.exp(v); f[5 * i + 1] = M.log(Math.abs(v) + 1e-9); f[5 * i + 2] = M.tanh(v); f[5 * i + 3] = M.sigmoid(v); f[5 * i + 4] = M.cos(v); }
      print(hex(f));`;
    const node = runInNode([bundle, helpers, driver]);
    expect((await runInXs([bundle, helpers, driver])).lines).toEqual(node);
  });
});

describe("under XS, the hot paths allocate nothing", () => {
  const setup = (spec: ModelSpec) => `
    globalThis.m = tinyprop.buildModel(${JSON.stringify(spec)});
    globalThis.rng = new tinyprop.Random(7);
    globalThis.x = new Float32Array(${spec.batchSize * spec.inputs});
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform() - 0.5;
    globalThis.y = ${spec.loss === "softmax_cross_entropy" ? `new Uint8Array(${spec.batchSize})` : `new Float32Array(${spec.batchSize * spec.layers[spec.layers.length - 1].units}).fill(0.5)`};
    globalThis.out = new Float32Array(m.outputs * ${spec.batchSize});
    globalThis.evalX = new Float32Array(${3 * spec.inputs}).fill(0.25);
    globalThis.evalY = ${spec.loss === "softmax_cross_entropy" ? "new Uint8Array(3)" : `new Float32Array(${3 * spec.layers[spec.layers.length - 1].units}).fill(0.5)`};
  `;

  async function slotsAfter(engine: XsEngine, steps: number, call: string): Promise<number> {
    // Same source text for every measurement; warm up, collect, then run without any collection.
    await engine.evaluate(`globalThis.N = ${steps};`);
    const r = await engine.evaluate(`gc(); for (let i = 0; i < N; i++) { ${call} }`);
    return r.meter.currentHeapCount;
  }

  for (const [name, spec] of Object.entries(specs)) {
    it(`trainStep, predict, classify and evaluate: ${name}`, async () => {
      const engine = await XsEngine.start();
      try {
        await engine.evaluate(bundle);
        await engine.evaluate(setup(spec));
        for (const call of ["m.trainStep(x, y);", "m.predict(x, out);", "m.classify(x, 0);", "m.evaluate(evalX, evalY);"]) {
          await slotsAfter(engine, 10, call); // warm-up
          // Each evaluation itself leaves a constant few slots behind; two equal runs measure that drift.
          const a = await slotsAfter(engine, 10, call);
          const b = await slotsAfter(engine, 10, call);
          const c = await slotsAfter(engine, 1000, call);
          expect(c - b, `${call} allocated ${c - b - (b - a)} slots over 990 extra calls`).toBe(b - a);
        }
        // The stricter probe also catches collections triggered by chunk (string/buffer) allocation.
        const p = await probeAllocation(engine, "m.trainStep(x, y);", 2000);
        expect(p.heapDelta).toBe(0);
        expect(p.allocationFree).toBe(true);
      } finally {
        await engine.close();
      }
    });
  }

  it("the measurement can fail: a step that allocates is caught", async () => {
    const engine = await XsEngine.start();
    try {
      await engine.evaluate(bundle);
      await engine.evaluate(setup(specs["relu SGD batch 1 (fused)"]));
      const call = "m.trainStep(x, [y[0]]);"; // a fresh label array per call
      await slotsAfter(engine, 10, call);
      const a = await slotsAfter(engine, 10, call);
      const b = await slotsAfter(engine, 10, call);
      const c = await slotsAfter(engine, 1000, call);
      expect(c - b - (b - a)).toBeGreaterThanOrEqual(990);
    } finally {
      await engine.close();
    }
  });
});

describe("XS runner errors", () => {
  it("says clearly when the XS binary is missing", async () => {
    await expect(XsEngine.start({ binary: "/nonexistent/xsnap-worker" })).rejects.toThrow(/XS engine not found at \/nonexistent\/xsnap-worker.*npm install/);
  });
});
