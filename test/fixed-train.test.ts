// Fixed-point training end to end: accuracy on the bundled gesture dataset against the Float32 engine
// (same spec, same seed), post-training quantization, bit-identical Node and XS runs of the same bundle,
// and no allocation under XS in trainStep / predict.
import { beforeAll, describe, expect, it } from "vitest";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { readXsBundle, runInNode, runInXs } from "../host-sim/xs/twin";
import { XsEngine } from "../host-sim/xs/xsnap";
import { probeAllocation } from "../host-sim/xs/alloc-probe";
import { gestureModelSpec } from "../src/app/gesture-model";
import type { ModelSpec } from "../src/index";
import { DRIVER_HELPERS, datasetScript } from "./xs-scripts";

let bundle = "";
beforeAll(() => {
  bundle = readXsBundle();
});

const helpers = DRIVER_HELPERS + `
function train(spec, steps, dataSeed) {
  const { m, rng, losses, out } = trainSynthetic(spec, steps, dataSeed);
  const n = m.outputs;
  const q = new Int16Array(spec.inputs * 3);
  for (let i = 0; i < q.length; i++) q[i] = (rng.nextUint32() & 0xffff) - 32768;
  const outQ = m.predictQ(q, new Int16Array(3 * n));
  print("losses " + hex(losses));
  print("weights " + hex(m.parameters));
  print("predict " + hex(out) + " " + hex(outQ));
  print("counters " + m.saturatedStores + " " + m.saturatedInputs + " " + m.clippedGradients);
}
`;

const fixed = (s: ModelSpec): ModelSpec => ({ ...s, dtype: "fixed" });
const specs: Record<string, ModelSpec> = {
  "relu SGD batch 1 (fused)": fixed({ inputs: 8, layers: [{ units: 12, activation: "relu" }, { units: 4, activation: "softmax" }], loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05 }, batchSize: 1, seed: 3 }),
  "tanh/sigmoid momentum batch 4, decay, cosine, stochastic rounding": fixed({ inputs: 6, layers: [{ units: 10, activation: "tanh" }, { units: 7, activation: "sigmoid" }, { units: 3, activation: "softmax" }], loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, schedule: { type: "cosine", steps: 100, minLearningRate: 0.001 } }, batchSize: 4, seed: 4, fixed: { stochasticRounding: true } }),
  "leaky momentum, step schedule, sigmoid cross-entropy": fixed({ inputs: 5, layers: [{ units: 9, activation: "leaky_relu" }, { units: 3, activation: "sigmoid" }], loss: "sigmoid_cross_entropy", optimizer: { type: "sgd", learningRate: 0.1, momentum: 0.9, schedule: { type: "step", every: 50, gamma: 0.7 } }, batchSize: 3, seed: 5 }),
  "MSE linear output, frozen first layer": fixed({ inputs: 4, layers: [{ units: 8, activation: "relu" }, { units: 6, activation: "tanh" }, { units: 2, activation: "linear" }], loss: "mse", optimizer: { type: "sgd", learningRate: 0.02 }, batchSize: 2, seed: 6, frozen: 1 }),
  "keepGradients batch 2 with decay": fixed({ inputs: 6, layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }], loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05, weightDecay: 0.001 }, batchSize: 2, seed: 8, keepGradients: true }),
};

describe("fixed point: Node and XS run the same bundle bit-identically", () => {
  for (const [name, spec] of Object.entries(specs)) {
    it(`training 150 steps: ${name}`, async () => {
      const driver = `train(${JSON.stringify(spec)}, 150, 99);`;
      const node = runInNode([bundle, helpers, driver]);
      const xs = await runInXs([bundle, helpers, driver]);
      expect(node).toHaveLength(4);
      expect(node[0]).toMatch(/^losses [0-9a-f]{2400}$/);
      expect(xs.lines).toEqual(node);
    });
  }
});

describe("fixed point on the bundled gesture dataset", () => {
  it("trains from scratch within 3 points of Float32 (same spec and seed); PTQ within 1 point; identical in XS", async () => {
    const data = loadDefaultDataset();
    const spec = gestureModelSpec(data.inputWidth, data.classes.length);
    const driver = `
      const spec = ${JSON.stringify(spec)};
      ${datasetScript(data)}
      const q = tinyprop.buildModel(Object.assign({}, spec, { dtype: "fixed" }));
      fit(q, trainX, trainY, 60);
      const rq = q.evaluate(testX, testY);
      print("fixed " + rq.accuracy + " " + rq.loss + " " + q.saturatedStores + " " + q.clippedGradients);
      print("weights " + hex(q.parameters));
      const f = tinyprop.buildModel(spec);
      fit(f, trainX, trainY, 60);
      const rf = f.evaluate(testX, testY);
      print("float " + rf.accuracy + " " + rf.loss);
      const p = tinyprop.quantize(f, { calibration: trainX });
      const trainAccF = f.evaluate(trainX, trainY).accuracy;
      const trainAccP = p.evaluate(trainX, trainY).accuracy;
      const rp = p.evaluate(testX, testY);
      print("ptq " + rp.accuracy + " " + rp.loss + " " + trainAccF + " " + trainAccP + " " + p.saturatedStores);`;
    const node = runInNode([bundle, helpers, driver]);
    const xs = await runInXs([bundle, helpers, driver]);
    expect(xs.lines).toEqual(node);
    const [fixedAcc] = node[0].split(" ").slice(1).map(Number);
    const [floatAcc] = node[2].split(" ").slice(1).map(Number);
    const [ptqAcc, , trainF, trainP] = node[3].split(" ").slice(1).map(Number);
    console.log(`gestures: float ${floatAcc}, fixed ${fixedAcc}, PTQ ${ptqAcc} (train float ${trainF}, PTQ ${trainP}); ${node[0]}`);
    expect(floatAcc).toBeGreaterThanOrEqual(0.8);
    expect(Math.abs(fixedAcc - floatAcc)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(ptqAcc - floatAcc)).toBeLessThanOrEqual(0.01);
    // the test split is small (1 sample = several points): also hold PTQ to 1 point on the larger train split
    expect(Math.abs(trainP - trainF)).toBeLessThanOrEqual(0.01);
  });
});

describe("fixed point under XS: the hot paths allocate nothing", () => {
  async function slotsAfter(engine: XsEngine, steps: number, call: string): Promise<number> {
    await engine.evaluate(`globalThis.N = ${steps};`);
    return (await engine.evaluate(`gc(); for (let i = 0; i < N; i++) { ${call} }`)).meter.currentHeapCount;
  }
  for (const name of ["relu SGD batch 1 (fused)", "tanh/sigmoid momentum batch 4, decay, cosine, stochastic rounding", "MSE linear output, frozen first layer"]) {
    it(name, async () => {
      const spec = specs[name];
      const n = spec.layers[spec.layers.length - 1].units, B = spec.batchSize;
      const engine = await XsEngine.start();
      try {
        await engine.evaluate(bundle);
        await engine.evaluate(`
          globalThis.m = tinyprop.buildModel(${JSON.stringify(spec)});
          globalThis.rng = new tinyprop.Random(7);
          globalThis.x = new Float32Array(${B * spec.inputs});
          for (let i = 0; i < x.length; i++) x[i] = rng.uniform() - 0.5;
          globalThis.xq = new Int16Array(${B * spec.inputs});
          for (let i = 0; i < xq.length; i++) xq[i] = (rng.nextUint32() & 0x7fff) - 16384;
          globalThis.y = ${spec.loss === "softmax_cross_entropy" ? `new Uint8Array(${B})` : `new Float32Array(${B * n}).fill(0.5)`};
          globalThis.yq = ${spec.loss === "softmax_cross_entropy" ? "y" : `new Int16Array(${B * n}).fill(1000)`};
          globalThis.out = new Float32Array(${B * n});
          globalThis.outQ = new Int16Array(${B * n});`);
        for (const call of ["m.trainStep(x, y);", "m.trainStepQ(xq, yq);", "m.predict(x, out);", "m.predictQ(xq, outQ);", "m.classifyQ(xq, 0);"]) {
          await slotsAfter(engine, 10, call);
          const a = await slotsAfter(engine, 10, call);
          const b = await slotsAfter(engine, 10, call);
          const c = await slotsAfter(engine, 1000, call);
          expect(c - b, `${call} allocated ${c - b - (b - a)} slots over 990 extra calls`).toBe(b - a);
        }
        const p = await probeAllocation(engine, "m.trainStepQ(xq, yq);", 2000);
        expect(p.allocationFree).toBe(true);
      } finally {
        await engine.close();
      }
    });
  }
});
