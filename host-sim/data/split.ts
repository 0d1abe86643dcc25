// Held-out splits chosen on the command line (train/evaluate/stream): a random stratified fraction of
// each class (--test-split F, seeded), or a separate test set (--test PATH). The loader's default split
// (the last gestures of each class in file order) stays what data/gestures.ts builds.
import { Random } from "../../src/index";
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

function pick(all: Split, indices: number[], width: number): Split {
  const x = new Float32Array(indices.length * width);
  const y = new Uint8Array(indices.length);
  indices.forEach((k, s) => {
    x.set(all.x.subarray(k * width, (k + 1) * width), s * width);
    y[s] = all.y[k]!;
  });
  return { x, y, count: indices.length, ids: indices.map((k) => all.ids[k]!) };
}

/** Every sample of the dataset (both splits) as one split. */
export function allSamples(data: Dataset): Split {
  return concat(data.train, data.test, data.inputWidth);
}

/**
 * Re-split all samples: from each class, round(fraction * its count) samples chosen at random (seeded)
 * go to the test split, at least one when fraction > 0 and the class has two or more.
 */
export function randomSplit(data: Dataset, fraction: number, seed: number): Dataset {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`test fraction must be in [0, 1), got ${fraction}`);
  const all = allSamples(data);
  const rng = new Random(seed);
  const train: number[] = [], test: number[] = [];
  data.classes.forEach((_, c) => {
    const members: number[] = [];
    for (let s = 0; s < all.count; s++) if (all.y[s] === c) members.push(s);
    const order = Uint32Array.from(members);
    rng.shuffle(order);
    let held = Math.round(fraction * members.length);
    if (fraction > 0 && held === 0 && members.length > 1) held = 1;
    order.forEach((s, i) => (i < held ? test : train).push(s));
  });
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { ...data, train: pick(all, train, data.inputWidth), test: pick(all, test, data.inputWidth) };
}

/** All of `data` trains; all of `testData` tests. Their class lists must be the same. */
export function separateTestSet(data: Dataset, testData: Dataset, testSource: string): Dataset {
  const same = data.classes.length === testData.classes.length && data.classes.every((c, i) => c === testData.classes[i]);
  if (!same) throw new Error(`the test set ${testSource} has classes [${testData.classes.join(", ")}], the training data [${data.classes.join(", ")}]`);
  if (testData.inputWidth !== data.inputWidth) throw new Error(`the test set has ${testData.inputWidth} features, the training data ${data.inputWidth}`);
  return { ...data, train: allSamples(data), test: allSamples(testData) };
}
