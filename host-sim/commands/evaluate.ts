// `tinyprop evaluate model.tpm data`: how a model file does on a dataset: loss, accuracy, per-class
// accuracy and the confusion matrix (all of the data, or the held-out part with --test-split / --test).
import { UsageError } from "../args";
import { readModelFile } from "../modelfile";
import { modelFromFile, readPipeline } from "../../src/modelfile/index";
import { describeReport } from "../data/gestures";
import { evaluateSplit, splitConfusion } from "../training";
import { formatConfusion, perClassAccuracy } from "../report/confusion";
import { outputFor } from "../report/output";
import type { Command } from "./command";
import { dataOptions, outputOptions } from "./options";
import { readSource, loadOptions } from "./data";
import { requirePath } from "./files";
import { allSamples } from "../data/split";

export const evaluateCommand: Command = {
  name: "evaluate",
  summary: "measure a .tpm model on labelled CSV data: loss, accuracy, per-class accuracy and confusion matrix",
  positionals: [
    { name: "model.tpm", help: "the model file (Float32 or fixed point)" },
    { name: "data", help: "CSV file with a label column, folder of per-class CSV files, or - for standard input" },
  ],
  options: {
    ...dataOptions,
    ...outputOptions,
  },
  async run(args) {
    const modelPath = requirePath(args.positional(0, "a .tpm model file"));
    const source = args.positional(1, "a CSV file or folder");
    const out = outputFor(args);
    const bytes = readModelFile(modelPath);
    const model = modelFromFile(bytes);
    // The model's own pipeline (columns, ranges, window, features, normalisation) turns the data into inputs.
    const pipeline = readPipeline(bytes) ?? undefined;
    const data = await readSource(source, { ...loadOptions(args), pipeline, pipelineSource: modelPath, testPerClass: 0 });
    if (!pipeline) out.warn(`${modelPath} records no input pipeline; the data is normalised with its own statistics`);
    for (const line of describeReport(data.report)) console.error(line);
    if (data.inputWidth !== model.inputs) throw new UsageError(`the data has ${data.inputWidth} features, the model ${model.inputs} inputs`);
    if (data.classes.length !== model.outputs) {
      throw new UsageError(`the data has ${data.classes.length} classes [${data.classes.join(", ")}], the model ${model.outputs} outputs`);
    }
    const split = allSamples(data);
    const { loss, accuracy } = evaluateSplit(model, split);
    const confusion = splitConfusion(model, split, data.classes);
    const perClass = perClassAccuracy(confusion);
    out.event("summary", { model: modelPath, source, samples: split.count, loss, accuracy, classes: data.classes, perClassAccuracy: perClass, confusion: confusion.matrix, dataReport: data.report });
    out.summary(`${modelPath} on ${source}: ${split.count} samples, loss ${loss.toFixed(4)}, accuracy ${(accuracy * 100).toFixed(1)}%`);
    for (const line of formatConfusion(confusion)) out.summary(line);
    return 0;
  },
};
