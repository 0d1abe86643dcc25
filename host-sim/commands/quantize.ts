// `tinyprop quantize model.tpm -o model-q.tpm`: post-training quantization to the fixed-point dtype
// (src/engine/quantize.ts), with accuracy before and after on a dataset.
import { isFloat32Model, quantize, type FixedModel, type Model } from "../../src/index";
import { UsageError } from "../args";
import { dataOptions, outputFile, outputOptions } from "./options";
import { outputFor } from "../report/output";
import { requirePath } from "./files";
import { loadOptions } from "./data";
import { defaultDatasetDir, describeReport, loadDataset, type Dataset } from "../data/gestures";
import { readModelFile, writeModelFile } from "../modelfile";
import { modelFromFile, readPipeline } from "../../src/modelfile/index";
import type { Command } from "./command";

export interface QuantizeReport {
  fixed: FixedModel;
  lines: string[];
  /** Accuracy of each non-empty split before (float32) and after (fixed) quantization. */
  accuracy: { split: "train" | "test"; samples: number; float32: number; fixed: number }[];
}

/** Quantize a Float32 model, calibrating on the training split, and compare accuracy on both splits. */
export function quantizeWithReport(model: Model, data: Dataset | null): QuantizeReport {
  const fixed = quantize(model, data ? { calibration: data.train.x.subarray(0, data.train.count * model.inputs) } : {});
  const lines: string[] = [];
  const accuracy: QuantizeReport["accuracy"] = [];
  const f = fixed.config.fixed;
  if (f) lines.push(`Q formats: inputs frac ${f.inputFrac}; weights frac [${f.weightFrac.join(", ")}]; biases frac [${f.biasFrac.join(", ")}]; activations frac [${f.activationFrac.join(", ")}]`);
  if (fixed.saturatedStores > 0) lines.push(`warning: ${fixed.saturatedStores} weights saturated while quantizing`);
  if (data) {
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    for (const [name, split] of [["train", data.train], ["test", data.test]] as const) {
      if (split.count === 0) continue;
      const before = model.evaluate(split.x, split.y, split.count).accuracy;
      const after = fixed.evaluate(split.x, split.y, split.count).accuracy;
      lines.push(`${name} accuracy (${split.count} samples): float32 ${pct(before)} -> fixed ${pct(after)}`);
      accuracy.push({ split: name, samples: split.count, float32: before, fixed: after });
    }
  }
  return { fixed, lines, accuracy };
}

export const quantizeCommand: Command = {
  name: "quantize",
  summary: "quantize a Float32 .tpm model to fixed point (int16 Q formats), reporting accuracy before and after",
  positionals: [{ name: "model.tpm", help: "a Float32 model file" }],
  options: {
    ...outputFile("the fixed-point model file to write"),
    data: { type: "string", value: "PATH", help: "CSV file or folder to calibrate the activation formats on and to measure accuracy with" },
    "default-data": { type: "flag", help: "use the bundled gesture dataset as --data" },
    ...dataOptions,
    ...outputOptions,
  },
  async run(args) {
    const out = outputFor(args);
    const source = requirePath(args.positional(0, "a .tpm model file"));
    const output = args.string("output");
    const bytes = readModelFile(source);
    const model = modelFromFile(bytes);
    if (!isFloat32Model(model)) throw new UsageError(`${source} is already a fixed-point model`);
    // The model's own input pipeline (columns, window, features, normalisation) reads the calibration data.
    const pipeline = readPipeline(bytes) ?? undefined;
    const dataPath = args.optionalString("data");
    const options = { ...loadOptions(args), pipeline, pipelineSource: source };
    const data = dataPath ? loadDataset(requirePath(dataPath), options) : args.flag("default-data") ? loadDataset(defaultDatasetDir(), options) : null;
    if (data && !pipeline) out.warn(`${source} records no input pipeline; the data is normalised with its own statistics`);
    if (data) for (const line of describeReport(data.report)) out.note(line);
    if (data && data.inputWidth !== model.inputs) throw new UsageError(`the data has ${data.inputWidth} features, the model ${model.inputs} inputs`);
    if (data && data.classes.length !== model.outputs) {
      throw new UsageError(`the data's classes [${data.classes.join(", ")}] do not match the model's ${model.outputs} outputs (class names are not stored in this model file); calibrating on them would report a meaningless accuracy`);
    }
    const { fixed, lines, accuracy } = quantizeWithReport(model, data);
    for (const line of lines) (line.startsWith("warning: ") ? out.note(line) : line.includes(" accuracy (") ? out.summary(line) : out.info(line));
    if (!data) out.info("no --data given: default activation formats, no accuracy report");
    const size = writeModelFile(output, fixed, undefined, pipeline ?? data?.pipeline);
    out.summary(`wrote ${output} (${size} bytes)`);
    out.event("summary", { model: source, output, bytes: size, formats: fixed.config.fixed ?? null, saturatedWeights: fixed.saturatedStores, accuracy, data: dataPath ?? (data ? "bundled" : null), dataReport: data?.report ?? null });
    return 0;
  },
};
