// `tinyprop train`: train a model in Node, with the same engine the board runs, on sensor CSV; the
// architecture, optimizer, schedule, batch size, dtype, seed and held-out split come from the options
// (or a JSON model spec). The loop itself is host-sim/training.ts; this file turns options into a spec and
// presents the run (progress, summary, confusion matrix, chart, log, model file).
import { readFileSync } from "node:fs";
import { buildModel, resolveSpec, type ActivationName, type ModelSpec, type OptimizerSpec, type ScheduleSpec } from "../../src/index";
import { UsageError, type Args } from "../args";
import { describeReport, type Dataset } from "../data/gestures";
import { trainModel, splitConfusion, type EpochRecord } from "../training";
import { describePlan } from "../report/describe";
import { formatConfusion } from "../report/confusion";
import { outputFor } from "../report/output";
import { writeRunReport } from "../report/run";
import { writeModelFile } from "../modelfile";
import type { Command } from "./command";
import { dataOptions, outputFile, outputOptions, reportOptions, splitOptions } from "./options";
import { loadSplitData } from "./data";
import { requirePath } from "./files";

const HIDDEN_ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"] as const;

/** The training options of `train` (also read by any command that builds a model from options). */
export const trainingOptions = {
  epochs: { type: "int", value: "N", help: "passes over the training data", default: 60, min: 1, max: 100000 },
  layers: { type: "string", value: "N,N,...", help: "hidden layer widths, any depth (e.g. 64,32); the output layer has one unit per class", default: "32" },
  activation: { type: "string", value: "NAME", help: "activation of the hidden layers", choices: HIDDEN_ACTIVATIONS, default: "relu" },
  optimizer: { type: "string", value: "NAME", help: "optimizer", choices: ["sgd", "momentum", "adam"], default: "sgd" },
  momentum: { type: "number", value: "X", help: "momentum of --optimizer momentum", default: 0.9, min: 0, max: 0.999 },
  "learning-rate": { type: "number", value: "X", help: "learning rate (adam: try 0.001)", default: 0.02, min: 1e-9, max: 10 },
  schedule: { type: "string", value: "NAME", help: "learning-rate schedule: step multiplies by --decay every --decay-every epochs, cosine falls to 0 over the run", choices: ["constant", "step", "cosine"], default: "constant" },
  "decay-every": { type: "int", value: "EPOCHS", help: "--schedule step: epochs between decays", default: 10, min: 1, max: 100000 },
  decay: { type: "number", value: "X", help: "--schedule step: factor applied at each decay", default: 0.5, min: 1e-6, max: 1 },
  "batch-size": { type: "int", value: "N", help: "samples per optimizer step (minibatch)", default: 1, min: 1, max: 4096 },
  dtype: { type: "string", value: "NAME", help: "train in Float32 or in fixed point (int16 Q formats)", choices: ["float32", "fixed"], default: "float32" },
  seed: { type: "int", value: "N", help: "seed of the weight initialisation, the shuffle and --test-split", default: 7, min: 0, max: 0xffffffff },
  spec: { type: "string", value: "FILE", help: "JSON model spec (docs: README, 'Model spec'); replaces the architecture and optimizer options" },
} as const;

/** The model spec the options describe, for `data` (its feature count and classes). */
export function specFromOptions(args: Args, data: Dataset, stepsPerEpoch: (batch: number) => number): ModelSpec {
  const classes = data.classes.length;
  const specPath = args.optionalString("spec");
  if (specPath !== undefined) {
    let spec: ModelSpec;
    try {
      spec = JSON.parse(readFileSync(requirePath(specPath), "utf8")) as ModelSpec;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--spec ${specPath}: not JSON (${(e as Error).message})`);
    }
    try {
      resolveSpec(spec);
    } catch (e) {
      throw new UsageError(`--spec ${specPath}: ${(e as Error).message}`);
    }
    if (spec.inputs !== data.inputWidth) throw new UsageError(`--spec ${specPath}: ${spec.inputs} inputs, the data has ${data.inputWidth} features`);
    const out = spec.layers[spec.layers.length - 1]!.units;
    if (out !== classes) throw new UsageError(`--spec ${specPath}: ${out} outputs, the data has ${classes} classes`);
    return spec;
  }
  const hidden = args.intList("layers", 1, 4096)!;
  const activation = args.string("activation") as ActivationName;
  // A board model trains one sample per step unless the command offers --batch-size (stream does not: its
  // frames' sample count is --frame-samples, a multiple of the model's batch size).
  const batchSize = args.declares("batch-size") ? args.number("batch-size") : 1;
  const epochs = args.number("epochs");
  const learningRate = args.number("learning-rate");
  const kind = args.string("optimizer");
  let schedule: ScheduleSpec = { type: "constant" };
  const steps = stepsPerEpoch(batchSize);
  if (args.string("schedule") === "cosine") schedule = { type: "cosine", steps: Math.max(1, steps * epochs) };
  if (args.string("schedule") === "step") schedule = { type: "step", every: Math.max(1, steps * args.number("decay-every")), gamma: args.number("decay") };
  const optimizer: OptimizerSpec = kind === "adam" ? { type: "adam", learningRate, schedule }
    : { type: "sgd", learningRate, schedule, ...(kind === "momentum" ? { momentum: args.number("momentum") } : {}) };
  const spec: ModelSpec = {
    inputs: data.inputWidth,
    layers: [...hidden.map((units) => ({ units, activation })), { units: classes, activation: "softmax" as const }],
    loss: "softmax_cross_entropy",
    optimizer,
    batchSize,
    seed: args.number("seed"),
  };
  if (args.string("dtype") === "fixed") spec.dtype = "fixed";
  try {
    resolveSpec(spec);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return spec;
}

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : "-");
const epochStatus = (r: EpochRecord, epochs: number) =>
  `epoch ${r.epoch}/${epochs}  loss ${r.trainLoss.toFixed(4)}  train ${pct(r.trainAccuracy)}  test ${pct(r.testAccuracy)}`;

export const trainCommand: Command = {
  name: "train",
  summary: "train a model in Node on a CSV file or folder of per-class CSV files",
  positionals: [{ name: "data", help: "CSV file with a label column, folder of per-class CSV files, or - for standard input" }],
  options: {
    ...outputFile("the trained .tpm model file", false),
    ...trainingOptions,
    ...dataOptions,
    ...splitOptions,
    ...reportOptions("train"),
    ...outputOptions,
  },
  examples: [
    "tinyprop train data/magic-wand-imu-spells/data -o model.tpm",
    "tinyprop train recordings.csv --layers 64,32 --optimizer adam --learning-rate 0.001 --test-split 0.2 -o model.tpm",
  ],
  async run(args) {
    const source = args.positional(0, "a CSV file or folder");
    const out = outputFor(args);
    const data = await loadSplitData(args, source);
    const spec = specFromOptions(args, data, (b) => Math.floor(data.train.count / b));
    const epochs = args.number("epochs");
    const output = args.optionalString("output");

    out.info(`model: ${spec.inputs} inputs -> ${spec.layers.map((l) => `${l.units} ${l.activation}`).join(" -> ")}, ${spec.loss}, ` +
      `${spec.optimizer.type}${spec.optimizer.momentum ? ` momentum ${spec.optimizer.momentum}` : ""} lr ${spec.optimizer.learningRate}` +
      `${spec.optimizer.schedule && spec.optimizer.schedule.type !== "constant" ? ` (${spec.optimizer.schedule.type} schedule)` : ""}, batch ${spec.batchSize}, ${spec.dtype ?? "float32"}`);
    out.info(`data: ${data.train.count} training and ${data.test.count} test samples, ${data.inputWidth} features, classes ${data.classes.join(", ")}`);
    for (const line of describeReport(data.report)) out.note(line);
    const model = buildModel(spec);
    for (const line of describePlan(model)) out.info(line);
    const bar = out.progress("training", epochs);
    const history = trainModel(model, data, {
      epochs,
      shuffleSeed: spec.seed,
      onEpoch: (r) => {
        bar.update(r.epoch, epochStatus(r, epochs));
        out.event("progress", { ...r, epochs });
      },
    });
    bar.done();
    if (model.rejectedSteps > 0) out.warn(`${model.rejectedSteps} steps were rejected (non-finite loss)`);

    const last = history[history.length - 1]!;
    const confusion = data.test.count > 0 ? splitConfusion(model, data.test, data.classes) : splitConfusion(model, data.train, data.classes);
    out.summary(`final: ${epochStatus(last, epochs)}`);
    for (const line of formatConfusion(confusion)) out.summary(`${data.test.count > 0 ? "" : "(training data) "}${line}`);
    const files = await writeRunReport({
      command: "train", source, data, spec, options: { epochs, seed: spec.seed, output },
      history, confusion, chartPath: args.string("chart"), logPath: args.string("log"),
      result: { trainAccuracy: last.trainAccuracy, testAccuracy: last.testAccuracy, trainLoss: last.trainLoss, testLoss: last.testLoss },
    });
    for (const f of files) out.info(f);
    if (output) out.summary(`model: ${output} (${writeModelFile(output, model, undefined, data.pipeline)} bytes)`);
    out.summary(`final test accuracy: ${pct(last.testAccuracy)}`);
    out.event("summary", { ...last, confusion, model: output ?? null, log: args.string("log"), dataReport: data.report });
    return 0;
  },
};
