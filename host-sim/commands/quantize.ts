// `tinyprop quantize model.tpm -o model-q.tpm`: post-training quantization to the fixed-point dtype
// (src/engine/quantize.ts), with accuracy before and after on a dataset.
import { Model, quantize, type FixedModel } from "../../src/index";
import { UsageError, stringOption } from "../args";
import { loadDataset, loadDefaultDataset, type Dataset } from "../data/gestures";
import { loadModelFile, writeModelFile } from "../modelfile";
import type { Command } from "./command";

export interface QuantizeReport {
  fixed: FixedModel;
  lines: string[];
}

/** Quantize a Float32 model, calibrating on the training split, and compare accuracy on both splits. */
export function quantizeWithReport(model: Model, data: Dataset | null): QuantizeReport {
  const fixed = quantize(model, data ? { calibration: data.train.x.subarray(0, data.train.count * model.inputs) } : {});
  const lines: string[] = [];
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
    }
  }
  return { fixed, lines };
}

export const quantizeCommand: Command = {
  summary: "quantize a Float32 .tpm model to fixed point (int16 Q formats), reporting accuracy before and after",
  usage: "tinyprop quantize model.tpm -o model-q.tpm [--data <csv file or folder> | --default-data] [--label-column NAME]",
  flags: ["default-data"],
  async run(args) {
    const source = args.positionals[0];
    if (!source) throw new UsageError("quantize needs a .tpm file");
    const out = stringOption(args, "o") ?? stringOption(args, "output");
    if (!out) throw new UsageError("quantize needs -o model-q.tpm");
    const model = loadModelFile(source);
    if (!(model instanceof Model)) throw new UsageError(`${source} is already a fixed-point model`);
    const dataPath = stringOption(args, "data");
    const data = dataPath ? loadDataset(dataPath, { labelColumn: stringOption(args, "label-column") })
      : args.options.get("default-data") === true ? loadDefaultDataset() : null;
    if (data && data.inputWidth !== model.inputs) throw new UsageError(`the data has ${data.inputWidth} features, the model ${model.inputs} inputs`);
    const { fixed, lines } = quantizeWithReport(model, data);
    for (const line of lines) console.log(line);
    if (!data) console.log("no --data given: default activation formats, no accuracy report");
    console.log(`wrote ${out} (${writeModelFile(out, fixed)} bytes)`);
    return 0;
  },
};
