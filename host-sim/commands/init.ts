// `tinyprop init`: create a fresh model on the board. Its inputs, classes and class names come from the data
// (read through the shared data options, like train), its architecture, optimizer and dtype from the same
// options as `train`; the new, freshly initialised model goes to the board through the install path of
// `weights put` (MODEL_PUT/COMMIT: checked against the board's model budget, swapped in atomically, kept
// over a power cycle), with the data's PIPELINE so the board knows its class names and input description.
// `stream --init` does the same before streaming.
import type { Command } from "./command";
import type { Args } from "../args";
import { dataOptions, linkOptions, outputOptions, splitOptions } from "./options";
import { outputFor } from "../report/output";
import { resolvePort } from "./ports";
import { loadSplitData } from "./data";
import { specFromOptions, trainingOptions } from "./train";
import { describeSpec, installModel } from "./weights";
import { saveAtEnd } from "./checkpoint";
import { openLink } from "../link/open";
import type { HostLink } from "../link/link";
import { describeReport, type Dataset } from "../data/gestures";
import { buildModel, type ModelSpec } from "../../src/index";
import { saveModel, withPipeline } from "../../src/modelfile/index";

/** The architecture, optimizer and dtype options of `train`, without those a command already has. */
export const modelOptions = (() => {
  const { epochs: _e, "learning-rate": _l, seed: _s, "batch-size": _b, ...rest } = trainingOptions;
  return rest;
})();

/** A freshly initialised model for `spec` as a .tpm (with optimizer state and the data's pipeline). */
export function freshModelFile(spec: ModelSpec, data: Dataset): Uint8Array {
  const file = saveModel(buildModel(spec), { state: true });
  return withPipeline(file, data.pipeline);
}

/** Build the model the options describe for `data` and install it on the board. Returns the spec. */
export async function initBoard(link: HostLink, args: Args, data: Dataset, print: (line: string) => void): Promise<ModelSpec> {
  const spec = specFromOptions(args, data, (b) => Math.max(1, Math.floor(data.train.count / b)));
  const { cost, budget } = await installModel(link, freshModelFile(spec, data));
  print(`new model on the board: ${describeSpec(spec)}, ${cost} of ${budget > 0 ? `${budget} bytes budget` : "unlimited bytes"}, classes ${data.classes.join(", ")}`);
  return spec;
}

export const initCommand: Command = {
  name: "init",
  summary: "create a fresh model on the board: inputs, classes and class names from the data, architecture from the options",
  positionals: [{ name: "data", help: "CSV file with a label column, folder of per-class CSV files, or - for standard input" }],
  options: {
    ...linkOptions,
    ...modelOptions,
    "learning-rate": { type: "number", value: "X", help: "learning rate of the new model (stream --learning-rate sets it per run)", default: 0.02, min: 1e-9, max: 10 },
    seed: { type: "int", value: "N", help: "seed of the weight initialisation", default: 7, min: 0, max: 0xffffffff },
    epochs: { type: "int", value: "N", help: "epochs a --schedule spans", default: 60, min: 1, max: 100000 },
    ...dataOptions,
    ...splitOptions,
    ...outputOptions,
  },
  examples: ["tinyprop init data/vibration.csv --port /dev/ttyUSB0 --layers 64,32", "tinyprop init digits/ --port auto --layers 32 --optimizer adam --learning-rate 0.001 --dtype fixed"],
  async run(args) {
    const source = args.positional(0, "a CSV file or folder (the classes and inputs of the new model)");
    const data = await loadSplitData(args, source);
    const out = outputFor(args);
    for (const line of describeReport(data.report)) out.note(line);
    const { link } = await openLink(await resolvePort(args.string("port")), args.number("baud"));
    try {
      const spec = await initBoard(link, args, data, (l) => out.summary(l));
      const saved = await saveAtEnd(link, { summary: (l) => out.summary(l), warn: (l) => out.warn(l) });
      out.event("summary", { spec, classes: data.classes, checkpoint: saved ?? null, dataReport: data.report });
    } finally {
      await link.close();
    }
    return 0;
  },
};
