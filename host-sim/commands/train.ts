// Train a model in Node with the same engine the board runs, on a dataset of windowed sensor samples.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { buildModel, Random, type Model, type ModelSpec } from "../../src/index";
import { ProgressBar } from "../report/progress";
import { lossAccuracyChart } from "../report/chart";
import type { Dataset } from "../data/gestures";
import type { Command } from "./command";
import { UsageError, numberOption, stringOption } from "../args";
import { loadDataset } from "../data/gestures";
import { gestureModelSpec } from "../../src/app/gesture-model";
import { writeModelFile } from "../modelfile";

export interface TrainOptions {
  epochs: number;
  /** Seed of the per-epoch shuffle. */
  shuffleSeed: number;
  chartPath?: string;
  logPath?: string;
  print: (line: string) => void;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
}

export function describePlan(model: Model): string[] {
  const p = model.plan;
  const kb = (n: number) => `${n} B`;
  return [
    `memory plan (${p.dtype}, batch ${p.batchSize}): ${p.total} bytes in one arena`,
    `  parameters ${kb(p.parameters)}  gradients ${kb(p.gradients)}  optimizer ${kb(p.optimizer)}  forward ${kb(p.forward)}  backward ${kb(p.backward)}  scratch ${kb(p.scratch)}`,
    ...p.notes.map((n) => `  - ${n}`),
  ];
}

/** Train `spec` on data.train for `epochs`, evaluating on data.test after each epoch. */
export function train(spec: ModelSpec, data: Dataset, options: TrainOptions): { model: Model; history: EpochRecord[] } {
  const model = buildModel(spec);
  const { print } = options;
  const B = model.batchSize, n = data.train.count, w = data.inputWidth;
  print(`model: ${spec.inputs} inputs -> ${spec.layers.map((l) => `${l.units} ${l.activation}`).join(" -> ")}, ${spec.loss}, ${spec.optimizer.type} lr ${spec.optimizer.learningRate}, batch ${B}`);
  for (const line of describePlan(model)) print(line);
  print(`data: ${data.train.count} training and ${data.test.count} test samples, ${w} features, classes ${data.classes.join(", ")}`);

  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const rng = new Random(options.shuffleSeed);
  const x = new Float32Array(B * w), y = new Uint8Array(B);
  const history: EpochRecord[] = [];
  const bar = new ProgressBar("training", options.epochs);
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    rng.shuffle(order);
    for (let s = 0; s + B <= n; s += B) {
      for (let c = 0; c < B; c++) {
        const k = order[s + c];
        x.set(data.train.x.subarray(k * w, (k + 1) * w), c * w);
        y[c] = data.train.y[k];
      }
      model.trainStep(x, y);
    }
    const tr = model.evaluate(data.train.x, data.train.y, data.train.count);
    const trainLoss = tr.loss, trainAccuracy = tr.accuracy;
    const te = model.evaluate(data.test.x, data.test.y, data.test.count);
    history.push({ epoch, trainLoss, trainAccuracy, testLoss: te.loss, testAccuracy: te.accuracy });
    bar.update(epoch, `epoch ${epoch}/${options.epochs}  loss ${trainLoss.toFixed(4)}  train ${(trainAccuracy * 100).toFixed(1)}%  test ${(te.accuracy * 100).toFixed(1)}%`);
  }
  bar.done();
  if (model.rejectedSteps > 0) print(`warning: ${model.rejectedSteps} steps were rejected (non-finite loss)`);

  if (options.chartPath) {
    mkdirSync(dirname(options.chartPath), { recursive: true });
    writeFileSync(options.chartPath, lossAccuracyChart("tinyprop training", "epoch", [
      { name: "train loss", color: "#d62728", axis: "loss", values: history.map((h) => h.trainLoss) },
      { name: "test loss", color: "#ff9896", axis: "loss", values: history.map((h) => h.testLoss) },
      { name: "train accuracy", color: "#1f77b4", axis: "accuracy", values: history.map((h) => h.trainAccuracy) },
      { name: "test accuracy", color: "#2ca02c", axis: "accuracy", values: history.map((h) => h.testAccuracy) },
    ]));
    print(`chart: ${options.chartPath}`);
  }
  if (options.logPath) {
    mkdirSync(dirname(options.logPath), { recursive: true });
    writeFileSync(options.logPath, JSON.stringify({ spec, plan: { ...model.plan, layers: undefined }, history }, null, 2));
    print(`log: ${options.logPath}`);
  }
  return { model, history };
}

export const trainCommand: Command = {
  summary: "train a model in Node on a CSV file or folder of per-class CSV files",
  usage: "tinyprop train <csv file or folder> [-o model.tpm] [--label-column NAME] [--epochs N] [--batch N] [--lr X] [--hidden N] [--seed N] [--chart out.svg] [--log out.json]",
  async run(args) {
    const source = args.positionals[0];
    if (!source) throw new UsageError("train needs a CSV file or folder");
    const data = loadDataset(source, { labelColumn: stringOption(args, "label-column") });
    const spec = gestureModelSpec(data.inputWidth, data.classes.length, {
      batchSize: numberOption(args, "batch", 1, { min: 1, max: 4096, integer: true }),
      seed: numberOption(args, "seed", 1, { integer: true }),
      optimizer: { type: "sgd", learningRate: numberOption(args, "lr", 0.02, { min: 1e-9, max: 10 }) },
    });
    spec.layers[0].units = numberOption(args, "hidden", 32, { min: 1, max: 4096, integer: true });
    const output = stringOption(args, "o");
    const { model, history } = train(spec, data, {
      epochs: numberOption(args, "epochs", 60, { min: 1, max: 100000, integer: true }),
      shuffleSeed: 7,
      chartPath: stringOption(args, "chart", "out/train-chart.svg"),
      logPath: stringOption(args, "log", "out/train-log.json"),
      print: console.log,
    });
    console.log(`final test accuracy: ${(history[history.length - 1].testAccuracy * 100).toFixed(1)}%`);
    if (output) console.log(`model: ${output} (${writeModelFile(output, model)} bytes)`);
    return 0;
  },
};
