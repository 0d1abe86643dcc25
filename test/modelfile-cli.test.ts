// Host commands on model files: quantize reports accuracy before/after and writes a loadable fixed file;
// inspect describes both kinds.
import { describe, expect, it } from "vitest";
import { FixedModel, type Model } from "../src/index";
import { modelFromFile, saveModel } from "../src/modelfile/index";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { gestureModelSpec } from "../src/app/gesture-model";
import { train } from "../host-sim/training";
import { quantizeWithReport } from "../host-sim/commands/quantize";
import { inspectModelFile } from "../host-sim/commands/inspect";

describe("quantize and inspect", () => {
  it("a trained gesture model keeps its accuracy after quantization, through a .tpm file", () => {
    const data = loadDefaultDataset();
    const { model } = train(gestureModelSpec(data.inputWidth, data.classes.length), data, { epochs: 15, shuffleSeed: 7 });
    const floatFile = saveModel(model);
    const { fixed, lines } = quantizeWithReport(modelFromFile(floatFile) as Model, data);
    expect(lines.join("\n")).toMatch(/test accuracy \(\d+ samples\): float32 [\d.]+% -> fixed [\d.]+%/);
    const before = model.evaluate(data.test.x, data.test.y, data.test.count).accuracy;
    const q = modelFromFile(saveModel(fixed)) as FixedModel;
    expect(q).toBeInstanceOf(FixedModel);
    const after = q.evaluate(data.test.x, data.test.y, data.test.count).accuracy;
    expect(after).toBeGreaterThanOrEqual(before - 0.08);
    expect(inspectModelFile(floatFile).join("\n")).toMatch(/layer 1 \(32 -> \d+, softmax\)/);
    expect(inspectModelFile(saveModel(fixed))[0]).toMatch(/dtype fixed/);
  });
});
