import { describe, expect, it } from "vitest";
import { buildModel, plan, type ModelSpec } from "../src/index";

const mlp = (sizes: number[], over: Partial<ModelSpec> = {}): ModelSpec => ({
  inputs: sizes[0],
  layers: sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? "softmax" : "relu" })),
  loss: "softmax_cross_entropy",
  optimizer: { type: "sgd", learningRate: 0.01 },
  batchSize: 1,
  seed: 1,
  ...over,
});

describe("plan", () => {
  it("counts every byte of a 64-32-8 net exactly (plain SGD, batch 1: fused update, no dW)", () => {
    const p = plan(mlp([64, 32, 8]));
    expect(p.parameterCount).toBe(64 * 32 + 32 + 32 * 8 + 8);
    expect(p.parameters).toBe(p.parameterCount * 4);
    expect(p.fusedUpdate).toBe(true);
    expect(p.gradients).toBe(0);
    expect(p.optimizer).toBe(0);
    expect(p.forward).toBe((32 + 8) * 4);
    expect(p.backward).toBe(2 * 32 * 4);
    expect(p.total).toBe(p.parameters + p.gradients + p.optimizer + p.forward + p.backward + p.scratch);
    expect(p.total).toBeLessThanOrEqual(20000);
  });

  it("fits 64-32-8 with Adam in 40,000 bytes, with gradients and two state arrays", () => {
    const p = plan(mlp([64, 32, 8], { optimizer: { type: "adam", learningRate: 0.001 } }));
    expect(p.fusedUpdate).toBe(false);
    expect(p.gradients).toBe(p.parameterCount * 4);
    expect(p.optimizer).toBe(2 * p.parameterCount * 4);
    expect(p.total).toBeLessThanOrEqual(40000);
  });

  it("stores gradients where momentum, batches, clipping or inspection need them", () => {
    expect(plan(mlp([8, 4, 2], { optimizer: { type: "sgd", learningRate: 0.1, momentum: 0.9 } })).fusedUpdate).toBe(false);
    expect(plan(mlp([8, 4, 2], { batchSize: 4 })).fusedUpdate).toBe(false);
    expect(plan(mlp([8, 4, 2], { optimizer: { type: "sgd", learningRate: 0.1, clipNorm: 1 } })).fusedUpdate).toBe(false);
    expect(plan(mlp([8, 4, 2], { keepGradients: true })).fusedUpdate).toBe(false);
  });

  it("gives frozen layers no gradient, optimizer or delta memory", () => {
    const spec = mlp([16, 32, 32, 4], { optimizer: { type: "adam", learningRate: 0.001 }, batchSize: 4 });
    const all = plan(spec), frozen = plan({ ...spec, frozen: 2 });
    const lastParams = 32 * 4 + 4;
    expect(frozen.trainableCount).toBe(lastParams);
    expect(frozen.gradients).toBe(lastParams * 4);
    expect(frozen.optimizer).toBe(2 * lastParams * 4);
    expect(frozen.backward).toBe(2 * 4 * 4 * 4);
    expect(frozen.layers.map((l) => l.dW === null)).toEqual([true, true, false]);
    expect(frozen.layers[2].dX).toBeNull();
    expect(frozen.total).toBeLessThan(all.total);
  });

  it("is the size of the arena the model allocates, and views never overlap wrongly", () => {
    const spec = mlp([10, 7, 5, 3], { batchSize: 3, optimizer: { type: "sgd", learningRate: 0.1, momentum: 0.5 } });
    const m = buildModel(spec);
    expect(m.arena.byteLength).toBe(m.plan.total);
    // Parameters, gradients, state and activations are disjoint; only deltas are shared (ping-pong).
    const ranges: [number, number, string][] = [];
    for (const [l, layer] of m.plan.layers.entries()) {
      for (const name of ["W", "b", "dW", "db", "Y"] as const) {
        const s = layer[name];
        if (s) ranges.push([s.offset, s.offset + s.length * 4, `${name}${l}`]);
      }
    }
    for (const s of m.plan.optimizerState) ranges.push([s.offset, s.offset + s.length * 4, "state"]);
    ranges.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0], `${ranges[i - 1][2]} overlaps ${ranges[i][2]}`).toBeGreaterThanOrEqual(ranges[i - 1][1]);
    for (const l of m.plan.layers) {
      if (l.dZ) expect(l.dZ.offset + l.dZ.length * 4).toBeLessThanOrEqual(m.plan.total);
      if (l.dX && l.dZ) expect(l.dX.offset).not.toBe(l.dZ.offset);
    }
  });

  it("rejects invalid specs with a message naming the problem", () => {
    const cases: [Partial<ModelSpec> | Record<string, unknown>, RegExp][] = [
      [{ inputs: 0 }, /inputs/],
      [{ inputs: 2.5 }, /inputs/],
      [{ layers: [] }, /layers/],
      [{ layers: [{ units: 3, activation: "swish" }] }, /activation/],
      [{ layers: [{ units: 3, activation: "softmax" }, { units: 2, activation: "softmax" }] }, /softmax/],
      [{ loss: "hinge" }, /loss/],
      [{ loss: "mse" }, /softmax/],
      [{ optimizer: { type: "sgd", learningRate: -1 } }, /learningRate/],
      [{ optimizer: { type: "sgd", learningRate: NaN } }, /learningRate/],
      [{ optimizer: { type: "rmsprop", learningRate: 0.1 } }, /optimizer.type/],
      [{ optimizer: { type: "sgd", learningRate: 0.1, momentum: 1 } }, /momentum/],
      [{ optimizer: { type: "sgd", learningRate: 0.1, schedule: { type: "step", every: 0, gamma: 0.5 } } }, /every/],
      [{ batchSize: 0 }, /batchSize/],
      [{ frozen: 2 }, /frozen/],
      [{ seed: 1.5 }, /seed/],
    ];
    for (const [over, message] of cases) expect(() => plan({ ...mlp([4, 3, 2]), ...over } as ModelSpec)).toThrow(message);
  });
});
