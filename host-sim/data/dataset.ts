// Sensor data of any shape -> labelled windows -> model inputs, on the PC with the board's own pipeline code
// (src/features): ./windows.ts streams the CSV rows through FeaturePipeline exactly as a board does and keeps
// one feature vector per window; this file splits the windows (the last windows of each class are held out)
// and normalises them with statistics of the training windows. Every setting (columns and their ranges,
// window, stride, feature set, normalisation, class names) ends up in one PipelineSpec that is stored with
// the model. Docs: docs/dataset.md.
import { basename } from "node:path";
import { UsageError } from "../args";
import { FeaturePipeline, featureNames, featureWidth, learnNormalisation, type PipelineSpec } from "../../src/features/index";
import { Random } from "../../src/index";
import { lineSpan } from "./window-reader";
import { loadWindows, type LoadOptions, type RowPlace, type UncoveredRun, type WindowSet } from "./windows";

export * from "./windows";

/** Windows per class (the last ones in file order) held out for testing by default. */
export const DEFAULT_TEST_PER_CLASS = 5;

export interface SplitOptions {
  /** Last windows of each class (in file order) that go to the test set (default 5). */
  testPerClass?: number;
  /** Instead: this fraction of each class, chosen at random with `seed` (at least one if the class has two). */
  testFraction?: number;
  seed?: number;
}

export interface Split {
  /** Sample-contiguous model inputs: x[s * inputWidth + i]. */
  x: Float32Array;
  y: Uint8Array;
  count: number;
  /** "<file name>:<line of the window's first row>". */
  ids: string[];
  /** With keepSamples: the windows' int16 samples, count x window x columns (what a raw batch carries). */
  raw?: Int16Array;
}

export interface Dataset {
  classes: string[];
  featureNames: string[];
  inputWidth: number;
  /** Everything a board needs to compute the same inputs, normalisation included. */
  pipeline: PipelineSpec;
  train: Split;
  test: Split;
  /** Clipping and coverage, for the user (nothing is clipped or dropped silently). */
  report: DataReport;
}
export type GestureDataset = Dataset;

export interface DataReport {
  /** Columns with samples beyond their range (stored clipped to it): how many, and the first one's file and line. */
  clippedSamples: { column: string; count: number; range: number; first: RowPlace | null }[];
  /** Where the ranges came from: "--columns", "learned from the data" or the model's pipeline. */
  rangesFrom: string;
  /** Normalised features clipped to ±clip in the train and test splits. */
  clippedFeatures: { train: number; test: number };
  /** Rows after the last window of a labelled run (stride smaller than the window), and the first few such runs. */
  uncoveredRows: number;
  uncovered: UncoveredRun[];
  /** The window settings, for the note about uncovered rows. */
  windowSetting: string;
  /** Files of a data folder that were not read. */
  ignoredFiles: string[];
  /** Time columns left out of the default inputs. */
  timeColumns: string[];
}

/** What was clipped or left out of a window set, with the normalised features clipped in each split. */
export function reportOf(set: WindowSet, clippedFeatures: { train: number; test: number }): DataReport {
  return {
    clippedSamples: set.pipeline.columns.map((column, c) => ({ column, count: set.clippedSamples[c]!, range: set.pipeline.ranges[c]!, first: set.firstClipped[c] ?? null }))
      .filter((c) => c.count > 0),
    rangesFrom: set.rangesFrom, clippedFeatures, uncoveredRows: set.uncoveredRows, uncovered: set.uncovered, windowSetting: set.windowSetting, ignoredFiles: set.ignoredFiles,
    timeColumns: set.timeColumns,
  };
}

/**
 * Split and normalise: for each class its last `testPerClass` windows in file order are the test set (a
 * held-out tail: recorded after every training window of its class), the rest train. Samples are
 * interleaved by class (window 0 of every class, then window 1, ...). Normalisation is learned from the
 * training windows unless the pipeline already has one (a model's).
 */
export function buildDataset(set: WindowSet, options: SplitOptions = {}): Dataset {
  if (set.classes.length > 255) throw new RangeError(`${set.classes.length} classes (at most 255)`);
  const order = set.windows.map((w, i) => i).sort((a, b) => set.windows[a]!.index - set.windows[b]!.index || set.windows[a]!.label - set.windows[b]!.label);
  const isTest = options.testFraction !== undefined ? randomTest(set, options.testFraction, options.seed ?? 7) : lastTest(set, options.testPerClass ?? DEFAULT_TEST_PER_CLASS);
  const trainIdx = order.filter((i) => !isTest[i]), testIdx = order.filter((i) => isTest[i]);
  const F = featureWidth(set.pipeline);
  let pipeline = set.pipeline;
  // Statistics of the training windows, read in place (no copy of the features).
  if (pipeline.mean.length === 0) pipeline = { ...pipeline, ...learnNormalisation(set.features, trainIdx.length, F, Uint32Array.from(trainIdx)) };
  const train = normalised(set, pipeline, trainIdx), test = normalised(set, pipeline, testIdx);
  return {
    classes: [...set.classes], featureNames: featureNames(pipeline), inputWidth: F, pipeline, train: train.split, test: test.split,
    report: reportOf(set, { train: train.clipped, test: test.clipped }),
  };
}

/** The set's pipeline with normalisation learned from all of its windows. */
export function learnPipeline(set: WindowSet): PipelineSpec {
  return { ...set.pipeline, ...learnNormalisation(set.features, set.windows.length, featureWidth(set.pipeline)) };
}

/** Test membership: the last `testPerClass` windows of each class in file order. */
function lastTest(set: WindowSet, testPerClass: number): boolean[] {
  if (!Number.isInteger(testPerClass) || testPerClass < 0) throw new RangeError(`testPerClass must be an integer >= 0, got ${testPerClass}`);
  const perClass = set.classes.map(() => 0);
  for (const w of set.windows) perClass[w.label]!++;
  perClass.forEach((n, c) => {
    if (testPerClass > 0 && n <= testPerClass) {
      throw new UsageError(`class "${set.classes[c]}" has ${n} windows (${set.windowSetting}); the test set holds out the last ${testPerClass} of each class, so it needs more: record more, or use --test-split F or --test PATH`);
    }
  });
  return set.windows.map((w) => w.index >= perClass[w.label]! - testPerClass);
}

/** Test membership: round(fraction x count) windows of each class chosen at random (seeded), at least one of two or more. */
function randomTest(set: WindowSet, fraction: number, seed: number): boolean[] {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`test fraction must be in [0, 1), got ${fraction}`);
  const rng = new Random(seed);
  const isTest = set.windows.map(() => false);
  set.classes.forEach((_, c) => {
    const members = Uint32Array.from(set.windows.flatMap((w, i) => (w.label === c ? [i] : [])));
    rng.shuffle(members);
    let held = Math.round(fraction * members.length);
    if (fraction > 0 && held === 0 && members.length > 1) held = 1;
    for (let k = 0; k < held; k++) isTest[members[k]!] = true;
  });
  return isTest;
}

/** Model inputs of the given windows, normalised (and clipped, counted) by the board's code. */
export function normalised(set: WindowSet, pipeline: PipelineSpec, indices: number[]): { split: Split; clipped: number } {
  const pipe = new FeaturePipeline(pipeline);
  const F = pipe.width;
  const x = new Float32Array(indices.length * F), y = new Uint8Array(indices.length);
  indices.forEach((i, s) => {
    pipe.normaliseInto(set.features, i * F, x, s * F);
    y[s] = set.windows[i]!.label;
  });
  const ids = indices.map((i) => `${basename(set.windows[i]!.source)}:${set.windows[i]!.line}`);
  let raw: Int16Array | undefined;
  const S = set.samples;
  if (S) {
    const n = S.length / set.windows.length;
    raw = new Int16Array(indices.length * n);
    indices.forEach((i, s) => raw!.set(S.subarray(i * n, (i + 1) * n), s * n));
  }
  return { split: { x, y, count: indices.length, ids, raw }, clipped: pipe.clippedFeatures };
}

/** loadWindows + buildDataset. */
export function loadDataset(path: string, options: LoadOptions & SplitOptions = {}): Dataset {
  return buildDataset(loadWindows(path, options), options);
}

/** Lines describing what was clipped or left out (empty when nothing was). */
export function describeReport(r: DataReport): string[] {
  const lines: string[] = [];
  for (const c of r.clippedSamples) {
    const where = c.first ? `, the first at ${c.first.source} line ${c.first.line}` : "";
    const fix = r.rangesFrom === "--columns" ? `widen it with --columns ${c.column}:RANGE` : `the range comes from ${r.rangesFrom}`;
    const one = c.count === 1;
    lines.push(`warning: ${c.count} sample${one ? "" : "s"} of column "${c.column}" beyond its range ±${c.range} ${one ? "was" : "were"} clipped to it${where} (${fix})`);
  }
  const f = r.clippedFeatures.train + r.clippedFeatures.test;
  if (f > 0) lines.push(`warning: ${f} normalised features were clipped (train ${r.clippedFeatures.train}, test ${r.clippedFeatures.test})`);
  if (r.uncoveredRows > 0) {
    const where = r.uncovered.map((u) => `${u.source} ${lineSpan(u.firstLine, u.lastLine)} (${u.rows} row${u.rows === 1 ? "" : "s"} of "${u.label}")`).join(", ");
    const more = r.uncovered.reduce((n, u) => n + u.rows, 0) < r.uncoveredRows ? ", ..." : "";
    lines.push(`note: ${r.uncoveredRows} rows at the ends of labelled runs fall after the last window and are not used (${r.windowSetting} do not tile them): ${where}${more}`);
  }
  if (r.timeColumns.length > 0) {
    const names = r.timeColumns.map((c) => `"${c}"`).join(", ");
    const [s, a, it] = r.timeColumns.length === 1 ? ["", "a time column", "it"] : ["s", "time columns", "them"];
    lines.push(`note: column${s} ${names} not used as input${s} (${a}: the model would learn the recording's clock, and a board's sensor has none; name ${it} in --columns to use ${it})`);
  }
  if (r.ignoredFiles.length > 0) lines.push(`note: not read (not .csv): ${r.ignoredFiles.slice(0, 5).join(", ")}${r.ignoredFiles.length > 5 ? ", ..." : ""}`);
  return lines;
}
