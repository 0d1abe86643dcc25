// The PIPELINE section of .tpm files: round trip (names in any script), the model still loads, and damaged
// or inconsistent sections are refused with a reason.
import { describe, expect, it } from "vitest";
import { buildModel } from "../src/index";
import { gestureModelSpec } from "../src/app/gesture-model";
import { decodePipeline, encodePipeline, modelFromFile, readHeader, readPipeline, saveModel, withPipeline } from "../src/modelfile/index";
import { FEATURE_RAW, FEATURE_SPECTRUM, FEATURE_STATS, featureWidth, type PipelineSpec } from "../src/features/index";

const pipeline: PipelineSpec = {
  columns: ["aX", "Beschleunigung_ü", "角速度"], ranges: [4, 19.6133, 2000], units: ["g", "m/s²", "°/s"], window: 64, stride: 32,
  features: FEATURE_STATS | FEATURE_SPECTRUM | FEATURE_RAW, bands: 4, rawPoints: 3, clip: 8, mean: [], scale: [], classes: ["up", "down", "🙂"],
};
const F = featureWidth(pipeline);
pipeline.mean = Array.from({ length: F }, (_, i) => i * 0.1 - 1);
pipeline.scale = Array.from({ length: F }, (_, i) => 1 / (i + 1));

describe("PIPELINE section", () => {
  const model = buildModel(gestureModelSpec(F, 3));
  const plain = saveModel(model);

  it("round-trips exactly and the file still loads as the same model", () => {
    expect(decodePipeline(encodePipeline(pipeline))).toEqual(pipeline);
    const file = withPipeline(plain, pipeline);
    expect(readPipeline(file)).toEqual(pipeline);
    expect(readPipeline(plain)).toBeNull();
    expect(readHeader(file).inputs).toBe(F);
    expect(modelFromFile(file).parameters).toEqual(model.parameters);
    // replacing it keeps one section
    const again = withPipeline(file, { ...pipeline, classes: ["a", "b", "c"] });
    expect(readPipeline(again)!.classes).toEqual(["a", "b", "c"]);
    const sectionCount = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset).getUint32(12, true);
    expect(sectionCount(again)).toBe(sectionCount(file));
    expect(sectionCount(file)).toBe(sectionCount(plain) + 1);
  });

  it("must fit the model: feature count and class count", () => {
    expect(() => withPipeline(saveModel(buildModel(gestureModelSpec(F + 1, 3))), pipeline)).toThrow(`model file: pipeline: the pipeline makes ${F} features, the model takes ${F + 1} inputs`);
    expect(() => withPipeline(saveModel(buildModel(gestureModelSpec(F, 4))), pipeline)).toThrow("3 class names for 4 outputs");
  });

  it("damaged sections are refused: version, truncation, bad UTF-8, inconsistent values; a flipped byte fails the CRC", () => {
    const payload = encodePipeline(pipeline);
    const bad = (edit: (b: Uint8Array) => Uint8Array | void) => {
      const b = payload.slice();
      return () => decodePipeline(edit(b) ?? b);
    };
    expect(bad((b) => { b[0] = 9; })).toThrow("model file: pipeline: version 9 is not supported");
    expect(bad((b) => b.subarray(0, b.length - 1))).toThrow(/too short for its names|unexpected bytes|malformed/);
    expect(bad((b) => b.subarray(0, 40))).toThrow("section too short for its values");
    expect(bad((b) => { b[b.length - 1] = 0xff; })).toThrow("malformed UTF-8 in a name");
    expect(bad((b) => { b[24] ^= 1; })).toThrow(/feature count \d+ does not match the feature set/);
    expect(bad((b) => { new DataView(b.buffer).setUint32(4, 1, true); })).toThrow(/tabular data \(window 1\)/);
    const file = withPipeline(plain, pipeline);
    file[file.length - 20] ^= 1;
    expect(() => readPipeline(file)).toThrow("CRC mismatch");
  });
});
