// `tinyprop predict`: classify the gestures of a CSV file (or folder) on the board. With labels (a folder
// of per-class files, or a label column) it also prints the accuracy.
import type { Command } from "./command";
import { dataOptions, linkOptions } from "./options";
import { resolvePort } from "./ports";
import { requirePath } from "./files";
import { UsageError } from "../args";
import { describeReport, learnPipeline, loadWindows, normalised } from "../data/gestures";
import { readModelFile } from "../modelfile";
import { readPipeline } from "../../src/modelfile/index";
import { checkPipeline, featureWidth, type PipelineSpec } from "../../src/features/index";
import { readFileSync } from "node:fs";
import { DTYPE_F32 } from "../../src/protocol/index";
import { openLink } from "../link/open";

/** The input pipeline recorded in a .tpm file or in a `tinyprop stream` JSON log. */
function pipelineOf(path: string): PipelineSpec {
  if (path.endsWith(".json")) {
    const log = JSON.parse(readFileSync(path, "utf8")) as { pipeline?: PipelineSpec };
    if (!log.pipeline) throw new UsageError(`${path} records no input pipeline (expected the JSON log of tinyprop stream)`);
    checkPipeline(log.pipeline);
    return log.pipeline;
  }
  const pipeline = readPipeline(readModelFile(path));
  if (!pipeline) throw new UsageError(`${path} has no input pipeline (write it with tinyprop train -o)`);
  return pipeline;
}

export const predictCommand: Command = {
  name: "predict",
  summary: "classify the gestures in a CSV file or folder on the board",
  positionals: [{ name: "data", help: "CSV file or folder of per-class CSV files" }],
  options: {
    ...linkOptions,
    ...dataOptions,
    model: { type: "string", value: "FILE", help: "the .tpm the board's model came from, or the JSON log of the stream run that trained it: its input pipeline (columns, window, features, normalisation) reads the data" },
  },
  async run(args) {
    const source = requirePath(args.positional(0, "a CSV file or folder"));
    const port = await resolvePort(args.string("port"));
    // Validate and featurize everything before talking to the board.
    // The model file's pipeline (columns, window, features, normalisation) decides the inputs.
    const modelPath = args.optionalString("model");
    const pipeline = modelPath ? pipelineOf(requirePath(modelPath)) : undefined;
    const set = loadWindows(source, { labelColumn: args.string("label-column"), pipeline, pipelineSource: modelPath });
    if (!pipeline) console.log("warning: no --model: the input normalisation is learned from this data, not taken from training");
    const spec = pipeline ?? learnPipeline(set);
    const { split, clipped } = normalised(set, spec, set.windows.map((_, i) => i));
    const x = split.x;
    const clippedSamples = spec.columns.map((column, c) => ({ column, count: set.clippedSamples[c]! })).filter((c) => c.count > 0);
    for (const line of describeReport({ clippedSamples, clippedFeatures: { train: 0, test: clipped }, uncoveredRows: set.uncoveredRows })) console.log(line);
    const { link, info } = await openLink(port, args.number("baud"), { inputs: featureWidth(spec), inputDtype: DTYPE_F32 });
    try {
      const scores = await link.predict(x, split.count);
      const k = info.classes;
      let correct = 0;
      set.windows.forEach((g, s) => {
        let best = 0;
        for (let c = 1; c < k; c++) if (scores[s * k + c]! > scores[s * k + best]!) best = c;
        if (best === g.label) correct++;
        const name = set.classes[best] ?? `class ${best}`;
        console.log(`${g.source}:${g.line}  ${name}  (${(scores[s * k + best]! * 100).toFixed(1)}%)  expected ${set.classes[g.label]}`);
      });
      if (set.classes.length === k) {
        console.log(`accuracy: ${((correct / split.count) * 100).toFixed(1)}% of ${split.count} windows`);
      }
    } finally {
      await link.close();
    }
    return 0;
  },
};
