// The board's model comes from the user (issue 8): a simulated board installs a whole .tpm of another shape
// (MODEL_PUT/COMMIT), refuses one over its model budget and keeps its old model, gives the model back with
// its class names (MODEL_GET), and boots an installed model from its checkpoint after a power cycle.
import { afterAll, describe, expect, it } from "vitest";
import { HostLink } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator, type Engine } from "../host-sim/sim/simulator";
import { getModelFile, installModel, putModelFile } from "../host-sim/commands/weights";
import { buildModel, type ModelSpec } from "../src/index";
import { readPipeline, readSpec, saveModel, withPipeline } from "../src/modelfile/index";
import type { PipelineSpec } from "../src/features/index";
import * as P from "../src/protocol/index";

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function spec(inputs: number, hidden: number[], classes: number, over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    inputs, layers: [...hidden.map((units) => ({ units, activation: "relu" as const })), { units: classes, activation: "softmax" as const }],
    loss: "softmax_cross_entropy", optimizer: { type: "adam", learningRate: 0.01 }, batchSize: 1, seed: 3, ...over,
  };
}

/** A tabular pipeline naming `inputs` columns and the classes. */
function tabular(inputs: number, classes: string[]): PipelineSpec {
  const columns = Array.from({ length: inputs }, (_, i) => `f${i}`);
  return {
    columns, ranges: columns.map(() => 1), units: columns.map(() => ""), window: 1, stride: 1, features: 4, bands: 0,
    rawPoints: 1, clip: 8, mean: [], scale: [], classes,
  };
}

function fileOf(s: ModelSpec, classes: string[]): Uint8Array {
  return withPipeline(saveModel(buildModel(s), { state: true }), tabular(s.inputs, classes));
}

async function board(engine: Engine, options: { freeMemory?: number; modelBudget?: number } = {}) {
  const sim = await startSimulator({ engine, pty: false, cost: "zero", ...options });
  cleanup.push(() => sim.stop());
  const connect = async () => {
    const link = new HostLink(asBytePort(sim.port!, "board"));
    cleanup.push(() => link.destroy());
    await link.connect();
    return link;
  };
  return { sim, connect };
}

describe("installing a whole model on the board", () => {
  it("installs a fixed-point model as it is: the board trains it in fixed point and gives back a fixed-point file", async () => {
    const { sim, connect } = await board("node");
    const link = await connect();
    const s = spec(6, [10], 3, { dtype: "fixed", optimizer: { type: "sgd", learningRate: 0.05, momentum: 0.9 } });
    await putModelFile(link, fileOf(s, ["a", "b", "c"]));
    expect(link.info!.modelDtype).toBe(P.DTYPE_I16);
    const batches = Array.from({ length: 12 }, (_, i) => ({ x: Float32Array.from({ length: 6 }, (_, k) => ((i * 7 + k * 3) % 11) / 11 - 0.5), y: [i % 3] }));
    const r = await link.sendBatches(batches, () => {}, { snapshotEvery: 0 });
    expect(r.lastBatchId).toBe(12);
    const got = await getModelFile(link);
    expect(readSpec(got.bytes).dtype).toBe("fixed");
    expect(readPipeline(got.bytes)?.classes).toEqual(["a", "b", "c"]);
    expect((await link.saveCheckpoint())?.durable).toBe(true); // as stream ends a run
    await sim.reset();
    const back = await getModelFile(link);
    expect(readSpec(back.bytes).dtype).toBe("fixed");
    expect(back.bytes).toEqual(got.bytes);
    expect(sim.crashes()).toEqual([]);
  });

  it("installs a 3-class model of another shape, gives it back with its class names, and keeps it over a power cycle", async () => {
    const { sim, connect } = await board("node");
    const link = await connect();
    expect(link.info!.flags! & P.CAPS_FLAG_MODEL_INSTALL).toBe(P.CAPS_FLAG_MODEL_INSTALL);
    const s = spec(6, [12, 8], 3);
    const file = fileOf(s, ["idle", "shake", "tap"]);
    await putModelFile(link, file);
    expect(link.info!.layerSizes).toEqual([6, 12, 8, 3]);
    const got = await getModelFile(link);
    expect(readSpec(got.bytes).layers.map((l) => l.units)).toEqual([12, 8, 3]);
    expect(readPipeline(got.bytes)?.classes).toEqual(["idle", "shake", "tap"]);

    // Power cycle: the board boots the installed model from its checkpoint (the link opens a new session).
    const nonce = link.info!.bootNonce;
    await sim.reset();
    const back = await getModelFile(link);
    expect(link.info!.bootNonce).not.toBe(nonce);
    expect(link.info!.layerSizes).toEqual([6, 12, 8, 3]);
    expect(back.bytes).toEqual(got.bytes);
    expect(sim.crashes()).toEqual([]);
  });

  it("refuses a model over the budget with both numbers and keeps the old one", async () => {
    const { sim, connect } = await board("node", { modelBudget: 20000 });
    const link = await connect();
    const before = link.info!.layerSizes.slice();
    await expect(installModel(link, fileOf(spec(30, [64, 64], 5), []))).rejects.toThrow(/needs \d+ bytes on the board, its model budget is 20000 bytes/);
    expect((await link.getModelSpec()).budget).toBe(20000);
    // Past the host's check, the board refuses it itself: OVER_BUDGET with the bytes the model needs.
    const big = fileOf(spec(30, [64, 64], 5), []);
    await expect(link.putModel(big)).rejects.toMatchObject({ deviceCode: P.ERR_OVER_BUDGET, message: expect.stringMatching(/OVER_BUDGET \(detail \d+\)/) });
    expect(link.info!.layerSizes).toEqual(before);
    expect(sim.crashes()).toEqual([]);
  });
});
