// Import golden test: small TF.js Sequential models are built and saved with TF.js's own save handler
// (model.json + weights.bin as its file handlers write them), converted without TF.js, and compared
// prediction by prediction with TF.js.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { Random, type Model } from "../src/index";
import { modelFromFile, saveModel } from "../src/modelfile/index";
import { convertTfjsFiles, modelFromConverted, ConvertError } from "../host-sim/commands/convert";

let dir = "";
beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = mkdtempSync(join(tmpdir(), "tinyprop-tfjs-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Save with TF.js's save handler and write what its file handlers write: model.json + weights.bin. */
async function saveTfjs(model: tfl.LayersModel, name: string): Promise<string> {
  const folder = join(dir, name);
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = artifacts.weightData;
    const bytes = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer);
    const { mkdirSync } = await import("node:fs");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "weights.bin"), new Uint8Array(bytes));
    writeFileSync(join(folder, "model.json"), JSON.stringify({
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ["./weights.bin"], weights: artifacts.weightSpecs }],
    }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  return join(folder, "model.json");
}

function inputs(n: number, width: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n * width }, () => 4 * rng.uniform() - 2);
}

async function compare(model: tfl.Sequential, name: string, width: number) {
  const path = await saveTfjs(model, name);
  const converted = convertTfjsFiles(path);
  // Through a .tpm file and back, as the CLI does.
  const ours = modelFromFile(saveModel(modelFromConverted(converted))) as Model;
  const N = 64;
  const x = inputs(N, width, 3);
  const expected = (model.predict(tf.tensor2d(x, [N, width])) as tf.Tensor).dataSync() as Float32Array;
  const got = ours.predict(x, new Float32Array(N * ours.outputs));
  expect(got.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst, `${name}: max relative error`).toBeLessThan(1e-5);
  // Same decisions, sample by sample.
  for (let s = 0; s < N; s++) {
    const row = (a: Float32Array) => Array.from(a.subarray(s * ours.outputs, (s + 1) * ours.outputs));
    const am = (r: number[]) => r.indexOf(Math.max(...r));
    if (ours.outputs > 1) expect(am(row(got)), `${name}: sample ${s}`).toBe(am(row(expected)));
  }
  return converted;
}

describe("tinyprop convert (TensorFlow.js layers models)", () => {
  it("relu -> tanh -> softmax classifier", async () => {
    const m = tfl.sequential({ layers: [
      tfl.layers.dense({ units: 12, inputShape: [7], activation: "relu" }),
      tfl.layers.dense({ units: 9, activation: "tanh" }),
      tfl.layers.dense({ units: 4, activation: "softmax" }),
    ] });
    const c = await compare(m, "mlp", 7);
    expect(c.spec.loss).toBe("softmax_cross_entropy");
    expect(c.spec.layers).toEqual([{ units: 12, activation: "relu" }, { units: 9, activation: "tanh" }, { units: 4, activation: "softmax" }]);
  });

  it("separate Activation and LeakyReLU layers, Dropout, no bias, sigmoid output", async () => {
    const m = tfl.sequential({ layers: [
      tfl.layers.inputLayer({ inputShape: [5] }),
      tfl.layers.dense({ units: 8 }),
      tfl.layers.leakyReLU({ alpha: 0.1 }),
      tfl.layers.dropout({ rate: 0.3 }),
      tfl.layers.dense({ units: 6, useBias: false }),
      tfl.layers.activation({ activation: "sigmoid" }),
      tfl.layers.dense({ units: 3, activation: "sigmoid" }),
    ] });
    const c = await compare(m, "mixed", 5);
    expect(c.spec.leakySlope).toBeCloseTo(0.1, 7);
    expect(c.spec.loss).toBe("sigmoid_cross_entropy");
    expect(c.notes.join(" ")).toMatch(/Dropout layer .* removed/);
  });

  it("linear regression head (MSE)", async () => {
    const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [3], activation: "sigmoid" }), tfl.layers.dense({ units: 2 })] });
    expect((await compare(m, "regression", 3)).spec.loss).toBe("mse");
  });

  it("names unsupported layers and activations", async () => {
    const conv = tfl.sequential({ layers: [tfl.layers.conv1d({ filters: 2, kernelSize: 2, inputShape: [6, 1] }), tfl.layers.flatten(), tfl.layers.dense({ units: 2, activation: "softmax" })] });
    const p1 = await saveTfjs(conv, "conv");
    expect(() => convertTfjsFiles(p1)).toThrow(ConvertError);
    expect(() => convertTfjsFiles(p1)).toThrow(/unsupported layer "conv1d.*" of type Conv1D; supported: Dense, InputLayer/);
    const elu = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4], activation: "elu" }), tfl.layers.dense({ units: 2, activation: "softmax" })] });
    const p2 = await saveTfjs(elu, "elu");
    expect(() => convertTfjsFiles(p2)).toThrow(/Dense layer "dense_.*" uses activation "elu", which tinyprop does not support/);
    const bn = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4] }), tfl.layers.batchNormalization(), tfl.layers.dense({ units: 2, activation: "softmax" })] });
    const p3 = await saveTfjs(bn, "bn");
    expect(() => convertTfjsFiles(p3)).toThrow(/unsupported layer "batch_normalization.*" of type BatchNormalization; supported: Dense/);
  });

  it("reads Keras-converter layouts (model_config wrapper, prefixed weight names) and reports short weight files", async () => {
    const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2], activation: "relu", name: "d1" }), tfl.layers.dense({ units: 2, activation: "softmax", name: "d2" })] });
    const path = await saveTfjs(m, "keras");
    const json = JSON.parse(readFileSync(path, "utf8"));
    json.modelTopology = { model_config: json.modelTopology, keras_version: "2.15.0" };
    for (const w of json.weightsManifest[0].weights) w.name = `sequential/${w.name}`;
    writeFileSync(path, JSON.stringify(json));
    const c = convertTfjsFiles(path);
    expect(c.spec.layers.map((l) => l.units)).toEqual([3, 2]);
    writeFileSync(join(dir, "keras", "weights.bin"), new Uint8Array(10));
    expect(() => convertTfjsFiles(path)).toThrow(/weight files are too short/);
  });
});
