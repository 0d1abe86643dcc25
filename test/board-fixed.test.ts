// Fixed point on the board (issue 8): quantize -> weights put -> stream trains the fixed-point model on a
// simulated board (node and xs engines), and the model fetched back (MODEL_GET: weights, momentum velocity
// and step from the board's checkpointable state) is bit-identical to the same training run in Node.
import { afterAll, describe, expect, it } from "vitest";
import { connectedBoard } from "./link-helpers";
import type { Engine } from "../host-sim/sim/simulator";
import { getModelFile, putModelFile } from "../host-sim/commands/weights";
import { trainingBatches } from "../host-sim/commands/stream";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { buildModel, quantize, type Model } from "../src/index";
import { modelFromFile, readHeader, saveModel } from "../src/modelfile/index";
import * as P from "../src/protocol/index";

const data = loadDefaultDataset();
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** A Float32 model quantized on the PC (calibrated on the training split), with momentum: its velocity is state. */
function quantizedFile(): Uint8Array {
  const float = buildModel({
    inputs: data.inputWidth, layers: [{ units: 32, activation: "relu" }, { units: data.classes.length, activation: "softmax" }],
    loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.02, momentum: 0.9 }, batchSize: 1, seed: 3,
  }) as Model;
  return saveModel(quantize(float, { calibration: data.train.x }), { state: true });
}

const bytes = (a: ArrayBufferView) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

describe.each<[Engine, number]>([["node", 2], ["xs", 1]])("a fixed-point model on the %s board", (engine, epochs) => {
  it("trains in fixed point by stream, bit-identically to the same run in Node", async () => {
    const file = quantizedFile();
    expect(readHeader(file).dtype).toBe("fixed");
    const { sim, link } = await connectedBoard(engine, cleanup);
    await putModelFile(link, file);
    // CAPS says the board now trains in fixed point
    expect(link.info!.modelDtype).toBe(P.DTYPE_I16);
    await link.sendBatches(trainingBatches(data, epochs, 1, 7));
    const got = await getModelFile(link);
    expect(got.spec.dtype).toBe("fixed");

    // The same run in Node: the file's model, the same batches, trainStep per sample as the board does.
    const reference = modelFromFile(file);
    for (const b of trainingBatches(data, epochs, 1, 7)) reference.trainStep(b.x, b.y);
    const board = modelFromFile(got.bytes, undefined, { state: "require" });
    expect(board.dtype).toBe("fixed");
    expect(board.step).toBe(epochs * data.train.count);
    expect(board.step).toBe(reference.step);
    expect(bytes(board.parameters)).toEqual(bytes(reference.parameters));
    expect(bytes(board.optimizerState[0])).toEqual(bytes(reference.optimizerState[0]));
    expect(board.optimizerState[0].some((v) => v !== 0)).toBe(true);
    // and it did learn (the training moved the weights away from the quantized start)
    expect(bytes(board.parameters)).not.toEqual(bytes(modelFromFile(file).parameters));
    expect(sim.crashes()).toEqual([]);
  }, 180_000);
});
