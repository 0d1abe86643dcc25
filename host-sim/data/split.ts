// Held-out data chosen on the command line (train/evaluate/stream): a separate test set (--test PATH), and
// all samples as one split. The split of one source (the last windows of each class in file order, or a
// random fraction with --test-split) is made by data/dataset.ts, before normalisation is learned.
import type { Dataset, Split } from "./gestures";

function concat(a: Split, b: Split, width: number): Split {
  const x = new Float32Array((a.count + b.count) * width);
  x.set(a.x.subarray(0, a.count * width));
  x.set(b.x.subarray(0, b.count * width), a.count * width);
  const y = new Uint8Array(a.count + b.count);
  y.set(a.y.subarray(0, a.count));
  y.set(b.y.subarray(0, b.count), a.count);
  return { x, y, count: a.count + b.count, ids: [...a.ids, ...b.ids] };
}

/** Every sample of the dataset (both splits) as one split. */
export function allSamples(data: Dataset): Split {
  return concat(data.train, data.test, data.inputWidth);
}

/** All of `data` trains; all of `testData` tests. Their class lists must be the same. */
export function separateTestSet(data: Dataset, testData: Dataset, testSource: string): Dataset {
  const same = data.classes.length === testData.classes.length && data.classes.every((c, i) => c === testData.classes[i]);
  if (!same) throw new Error(`the test set ${testSource} has classes [${testData.classes.join(", ")}], the training data [${data.classes.join(", ")}]`);
  if (testData.inputWidth !== data.inputWidth) throw new Error(`the test set has ${testData.inputWidth} features, the training data ${data.inputWidth}`);
  return { ...data, train: allSamples(data), test: allSamples(testData) };
}
