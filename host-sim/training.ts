// Training in Node, as a reusable module (the train command, evaluate, tests and scripts use it): the epoch
// loop over a dataset's training split with a seeded shuffle, an evaluation of both splits after every
// epoch, and the confusion matrix of a model on a split. Presentation (progress, charts, logs) is the
// caller's business: it gets one EpochRecord per epoch through onEpoch.
import { buildModel, Random, type DenseModel, type ModelSpec } from "../src/index";
import type { Dataset, Split } from "./data/gestures";
import { argmaxRows, confusionFrom, type Confusion } from "./report/confusion";

export interface TrainLoopOptions {
  epochs: number;
  /** Seed of the per-epoch shuffle. */
  shuffleSeed: number;
  /** Called after every epoch (progress bars, JSON progress). */
  onEpoch?: (record: EpochRecord, model: DenseModel) => void;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  /** NaN when the test split is empty. */
  testLoss: number;
  testAccuracy: number;
}

/** Train a new model built from `spec` on data.train for `epochs`, evaluating both splits after each. */
export function train(spec: ModelSpec, data: Dataset, options: TrainLoopOptions): { model: DenseModel; history: EpochRecord[] } {
  const model = buildModel(spec);
  const history = trainModel(model, data, options);
  return { model, history };
}

/** Train an existing model; returns one record per epoch. */
export function trainModel(model: DenseModel, data: Dataset, options: TrainLoopOptions): EpochRecord[] {
  const B = model.batchSize, n = data.train.count, w = data.inputWidth;
  if (n < B) throw new Error(`the training split has ${n} samples, fewer than one batch of ${B}`);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const rng = new Random(options.shuffleSeed);
  const x = new Float32Array(B * w), y = new Uint8Array(B);
  const history: EpochRecord[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    rng.shuffle(order);
    for (let s = 0; s + B <= n; s += B) {
      for (let c = 0; c < B; c++) {
        const k = order[s + c]!;
        x.set(data.train.x.subarray(k * w, (k + 1) * w), c * w);
        y[c] = data.train.y[k]!;
      }
      model.trainStep(x, y);
    }
    const tr = evaluateSplit(model, data.train);
    const te = evaluateSplit(model, data.test);
    const record = { epoch, trainLoss: tr.loss, trainAccuracy: tr.accuracy, testLoss: te.loss, testAccuracy: te.accuracy };
    history.push(record);
    options.onEpoch?.(record, model);
  }
  return history;
}

/** Mean loss and accuracy of a split (NaN for an empty one). */
export function evaluateSplit(model: DenseModel, split: Split): { loss: number; accuracy: number } {
  if (split.count === 0) return { loss: NaN, accuracy: NaN };
  const e = model.evaluate(split.x, split.y, split.count);
  return { loss: e.loss, accuracy: e.accuracy };
}

/** The model's confusion matrix on a split. */
export function splitConfusion(model: DenseModel, split: Split, classes: readonly string[]): Confusion {
  const k = model.outputs;
  const scores = new Float32Array(split.count * k);
  if (split.count > 0) model.predict(split.x, scores, split.count);
  return confusionFrom(classes, split.y, argmaxRows(scores, split.count, k));
}
