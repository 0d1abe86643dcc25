// `tinyprop predict`: classify the windows of a CSV file (or folder) on the board. The class names and the
// input pipeline come from the model: the board's own (MODEL_GET, stored with the model it installed), or
// --model FILE; never from the data's file names. Data without a label column is classified as it is;
// with labels (a folder of per-class files, or a label column) the accuracy is printed too.
import type { Command } from "./command";
import { dataOptions, linkOptions, outputOptions } from "./options";
import { outputFor } from "../report/output";
import { resolvePort } from "./ports";
import { requirePath } from "./files";
import { UsageError } from "../args";
import { describeReport, learnPipeline, loadWindows, normalised, reportOf } from "../data/gestures";
import { loadOptions } from "./data";
import { readModelFile } from "../modelfile";
import { readPipeline } from "../../src/modelfile/index";
import { featureWidth, pipelineProblem, type PipelineSpec } from "../../src/features/index";
import { readFileSync } from "node:fs";
import { openLink } from "../link/open";
import { CsvError } from "../data/csv";
import { canInstall } from "./weights";
import type { WindowSet } from "../data/gestures";

/** The input pipeline recorded in a .tpm file or in a `tinyprop stream` JSON log. */
function pipelineOf(path: string): PipelineSpec {
  if (path.endsWith(".json")) {
    const log = JSON.parse(readFileSync(path, "utf8")) as { pipeline?: PipelineSpec };
    if (!log.pipeline) throw new UsageError(`${path} records no input pipeline (expected the JSON log of tinyprop stream)`);
    const why = pipelineProblem(log.pipeline);
    if (why !== "") throw new UsageError(`${path}: its input pipeline is unusable: ${why}`);
    return log.pipeline;
  }
  const pipeline = readPipeline(readModelFile(path));
  if (!pipeline) throw new UsageError(`${path} has no input pipeline (write it with tinyprop train -o)`);
  return pipeline;
}

export const predictCommand: Command = {
  name: "predict",
  summary: "classify the windows of a CSV file or folder on the board",
  positionals: [{ name: "data", help: "CSV file or folder of per-class CSV files" }],
  options: {
    ...linkOptions,
    ...dataOptions,
    ...outputOptions,
    model: { type: "string", value: "FILE", help: "the .tpm the board's model came from, or the JSON log of the stream run that trained it: its input pipeline (columns, window, features, normalisation) reads the data" },
  },
  async run(args) {
    const out = outputFor(args);
    const source = requirePath(args.positional(0, "a CSV file or folder"));
    const port = await resolvePort(args.string("port"));
    // Validate and featurize everything before talking to the board.
    // The model file's pipeline (columns, window, features, normalisation) decides the inputs.
    const modelPath = args.optionalString("model");
    let pipeline = modelPath ? pipelineOf(requirePath(modelPath)) : undefined;
    let pipelineSource = modelPath;
    const { link, info } = await openLink(port, args.number("baud"));
    try {
      // The board's model knows its pipeline and class names when it was installed with them.
      if (!pipeline && canInstall(link)) {
        pipeline = readPipeline((await link.getModel()).blob) ?? undefined;
        pipelineSource = "the board's model";
      }
      const names = pipeline?.classes ?? [];
      const load = (unlabeled: boolean): WindowSet => loadWindows(source, { ...loadOptions(args), pipeline, pipelineSource, unlabeled });
      let set: WindowSet;
      let labelled = true;
      try {
        set = load(false);
      } catch (e) {
        // A single file without the label column: data to classify, not to score. A --label-column the user
        // named must be there, though: reading past it would silently drop the labels they meant.
        if (!(e instanceof CsvError && /missing label column/.test(e.detail)) || args.has("label-column")) throw e;
        set = load(true);
        labelled = false;
      }
      if (!pipeline) out.warn("the board's model has no stored pipeline and no --model was given: the input normalisation is learned from this data, not taken from training");
      const spec = pipeline ?? learnPipeline(set);
      const { split, clipped } = normalised(set, spec, set.windows.map((_, i) => i));
      const x = split.x;
      const dataReport = reportOf(set, { train: 0, test: clipped });
      for (const line of describeReport(dataReport)) out.note(line);
      const width = info.inputDims[0]! * (info.inputDims[1] || 1) * (info.inputDims[2] || 1);
      if (width !== featureWidth(spec)) throw new UsageError(`the board's model takes ${width} inputs, the data makes ${featureWidth(spec)} features (${pipelineSource ?? "learned from this data"})`);
      const scores = await link.predict(x, split.count);
      const k = info.classes;
      // Scored only when the data's classes are the model's (by name; a folder's file names are the data's labels).
      const scored = labelled && names.length === k && set.classes.every((c) => names.includes(c));
      let correct = 0;
      set.windows.forEach((g, s) => {
        let best = 0;
        for (let c = 1; c < k; c++) if (scores[s * k + c]! > scores[s * k + best]!) best = c;
        const name = names[best] ?? `class ${best}`;
        const expected = labelled ? set.classes[g.label]! : "";
        if (scored && names[best] === expected) correct++;
        out.info(`${g.source}:${g.line}  ${name}  (${(scores[s * k + best]! * 100).toFixed(1)}%)${labelled ? `  expected ${expected}` : ""}`);
        out.event("prediction", { source: g.source, line: g.line, predicted: name, confidence: scores[s * k + best]!, expected: labelled ? expected : null });
      });
      const accuracy = scored ? correct / split.count : null;
      if (accuracy !== null) out.summary(`accuracy: ${(accuracy * 100).toFixed(1)}% of ${split.count} windows`);
      else if (labelled && names.length === 0) out.note("no accuracy: the board's model has no class names (install it with a pipeline: tinyprop init, stream --init, or weights put of a file from train -o)");
      out.event("summary", { source, windows: split.count, correct, accuracy, dataReport });
    } finally {
      await link.close();
    }
    return 0;
  },
};
