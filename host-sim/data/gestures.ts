// Gesture dataset pipeline (host side, Node): IMU CSV -> fixed-length gestures -> feature vectors ->
// deterministic stratified train/test split, in the layout the engine trains on (sample-contiguous
// Float32Array x[s * inputWidth + i], Uint8Array class indices).
//
// Features (see docs/dataset.md, "Features"): for each of the 6 axes aX,aY,aZ,gX,gY,gZ of a window, after
// scaling by fixed sensor constants (accel / 2 g, gyro / 500 deg/s) and clamping each sample to [-4, 4]:
//   mean, std (population), min, max, half = (mean of first half - mean of second half) / 2
// -> 6 x 5 = 30 features, each guaranteed to lie in [-4, 4] for any input (std <= half the range <= 4).
// No dataset statistics are involved, so a device or the live CLI computes exactly the same vector from
// raw samples. This was the best of the options compared with a small TF.js MLP (per-axis statistics,
// statistics + half difference, average-pooled raw windows with 8-20 steps, pooled + statistics,
// per-segment mean/std); the numbers are in docs/dataset.md.

import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CsvError, readCsvFile } from "./csv";

/** Sensor columns, in the order of a window's rows. */
export const IMU_COLUMNS = ["aX", "aY", "aZ", "gX", "gY", "gZ"] as const;
export const IMU_AXES = IMU_COLUMNS.length;
/** Rows per gesture in the bundled dataset: 1.0 s at 119 Hz. */
export const GESTURE_ROWS = 119;
/** Accelerometer values are divided by this (g). Sensor range +-4 g -> +-2. */
export const ACCEL_SCALE_G = 2;
/** Gyroscope values are divided by this (deg/s). Sensor range +-2000 deg/s -> +-4. */
export const GYRO_SCALE_DPS = 500;
/** Every scaled sample is clamped to [-FEATURE_BOUND, FEATURE_BOUND]; every feature then lies in it too. */
export const FEATURE_BOUND = 4;
/** Statistics computed per axis, in feature order. */
export const FEATURE_STATS = ["mean", "std", "min", "max", "half"] as const;
/** Number of features per window. */
export const FEATURE_WIDTH = IMU_AXES * FEATURE_STATS.length;
/** Feature names, e.g. "aX_mean"; index i of a feature vector is FEATURE_NAMES[i]. */
export const FEATURE_NAMES: readonly string[] = IMU_COLUMNS.flatMap((axis) => FEATURE_STATS.map((s) => `${axis}_${s}`));
/** Gestures per class (the last ones in file order) held out for testing by default. */
export const DEFAULT_TEST_PER_CLASS = 5;

const AXIS_SCALE = [1 / ACCEL_SCALE_G, 1 / ACCEL_SCALE_G, 1 / ACCEL_SCALE_G, 1 / GYRO_SCALE_DPS, 1 / GYRO_SCALE_DPS, 1 / GYRO_SCALE_DPS];

/**
 * Feature vector of one window. Pure: depends only on its arguments, no Node APIs, no dataset statistics.
 *
 * @param window row-major samples, window[r * 6 + a] with axes in IMU_COLUMNS order (raw units: g, deg/s);
 *   any number of rows >= 2 (the half feature compares rows [0, floor(n/2)) with [floor(n/2), n)).
 * @param out where to write FEATURE_WIDTH values (a new Float32Array by default), starting at `offset`.
 * @returns `out`.
 */
export function extractFeatures(window: ArrayLike<number>, out: Float32Array = new Float32Array(FEATURE_WIDTH), offset = 0): Float32Array {
  const n = window.length / IMU_AXES;
  if (!Number.isInteger(n) || n < 2) {
    throw new RangeError(`extractFeatures: window length ${window.length} is not a whole number (>= 2) of ${IMU_AXES}-axis rows`);
  }
  if (offset < 0 || offset + FEATURE_WIDTH > out.length) throw new RangeError("extractFeatures: output too small");
  const h = Math.floor(n / 2);
  for (let a = 0; a < IMU_AXES; a++) {
    const k = AXIS_SCALE[a]!;
    let sum = 0;
    let firstSum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < n; r++) {
      const v = scaled(window[r * IMU_AXES + a]!, k);
      sum += v;
      if (r < h) firstSum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / n;
    let sq = 0;
    for (let r = 0; r < n; r++) {
      const d = scaled(window[r * IMU_AXES + a]!, k) - mean;
      sq += d * d;
    }
    const half = (firstSum / h - (sum - firstSum) / (n - h)) / 2;
    const o = offset + a * FEATURE_STATS.length;
    out[o] = mean;
    out[o + 1] = Math.sqrt(sq / n);
    out[o + 2] = min;
    out[o + 3] = max;
    out[o + 4] = half;
  }
  return out;
}

function scaled(raw: number, k: number): number {
  const v = raw * k;
  if (!(v === v)) throw new RangeError("extractFeatures: NaN sample"); // NaN would poison every statistic
  return v > FEATURE_BOUND ? FEATURE_BOUND : v < -FEATURE_BOUND ? -FEATURE_BOUND : v;
}

// ---------------------------------------------------------------------------------------------------------
// Loading and cutting

export interface Gesture {
  /** Class index into GestureSet.classes. */
  label: number;
  /** rows x 6 raw samples, row-major, IMU_COLUMNS order. */
  values: Float64Array;
  /** File the gesture came from. */
  source: string;
  /** 1-based line of its first row in that file. */
  line: number;
  /** 0-based position among the gestures of its class, in file order. */
  index: number;
}

export interface GestureSet {
  classes: string[];
  rowsPerGesture: number;
  gestures: Gesture[];
}

export interface LoadOptions {
  /** Rows per gesture (default GESTURE_ROWS = 119). */
  rowsPerGesture?: number;
  /** Single-file form: name of the label column (default "label"). */
  labelColumn?: string;
  /**
   * Single-file form: the allowed class names, in class-index order (any other label is an error).
   * Default: the distinct labels found, sorted by name.
   */
  classes?: readonly string[];
}

/**
 * Load gestures from either
 *  (a) a folder of per-class CSV files: label = file name without ".csv", classes sorted by name
 *      (plain code-unit order), each file's rows cut into consecutive gestures; or
 *  (b) one CSV file with a label column: rows cut into consecutive gestures; all rows of a gesture must
 *      carry the same label.
 * CSV files must have the columns aX,aY,aZ,gX,gY,gZ (other columns are ignored). A trailing partial
 * gesture, or a label change inside a gesture, is a CsvError naming the file and line.
 */
export function loadGestures(path: string, options: LoadOptions = {}): GestureSet {
  const rowsPerGesture = options.rowsPerGesture ?? GESTURE_ROWS;
  if (!Number.isInteger(rowsPerGesture) || rowsPerGesture < 2) throw new RangeError(`rowsPerGesture must be an integer >= 2, got ${rowsPerGesture}`);
  return statSync(path).isDirectory() ? loadFolder(path, rowsPerGesture) : loadLabelledFile(path, rowsPerGesture, options);
}

function loadFolder(dir: string, rowsPerGesture: number): GestureSet {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".csv") && statSync(join(dir, f)).isFile())
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) throw new Error(`${dir}: no .csv files`);
  const classes = files.map((f) => f.slice(0, -".csv".length));
  const gestures: Gesture[] = [];
  files.forEach((file, label) => {
    const table = readCsvFile(join(dir, file), { columns: IMU_COLUMNS });
    cut(table.source, table.values, table.lines, rowsPerGesture, () => label, gestures);
  });
  return { classes, rowsPerGesture, gestures };
}

function loadLabelledFile(file: string, rowsPerGesture: number, options: LoadOptions): GestureSet {
  const labelColumn = options.labelColumn ?? "label";
  const table = readCsvFile(file, { columns: IMU_COLUMNS, labelColumn, labels: options.classes });
  const labels = table.labels!;
  const classes = options.classes ? [...options.classes] : [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(classes.map((c, i) => [c, i]));
  const gestures: Gesture[] = [];
  cut(table.source, table.values, table.lines, rowsPerGesture, (first, count) => {
    const label = labels[first]!;
    for (let r = first + 1; r < first + count; r++) {
      if (labels[r] !== label) {
        throw new CsvError(table.source, table.lines[r]!, `label changes from "${label}" to "${labels[r]}" inside the gesture starting at line ${table.lines[first]} (${rowsPerGesture} rows per gesture)`);
      }
    }
    return index.get(label)!;
  }, gestures);
  return { classes, rowsPerGesture, gestures };
}

/** Cut a table's rows into gestures; `labelOf(firstRow, rowCount)` gives (and may validate) the class. */
function cut(
  source: string,
  values: Float64Array,
  lines: Int32Array,
  rowsPerGesture: number,
  labelOf: (first: number, count: number) => number,
  into: Gesture[],
): void {
  const rows = lines.length;
  const whole = Math.floor(rows / rowsPerGesture) * rowsPerGesture;
  if (whole !== rows) {
    throw new CsvError(source, lines[whole]!, `trailing partial gesture: ${rows - whole} rows from line ${lines[whole]} to the end, expected ${rowsPerGesture} per gesture (${rows} data rows in all)`);
  }
  const counts = new Map<number, number>();
  for (const g of into) counts.set(g.label, (counts.get(g.label) ?? 0) + 1);
  const width = IMU_AXES * rowsPerGesture;
  for (let first = 0; first < rows; first += rowsPerGesture) {
    const label = labelOf(first, rowsPerGesture);
    const index = counts.get(label) ?? 0;
    counts.set(label, index + 1);
    const start = (first / rowsPerGesture) * width;
    into.push({ label, values: values.slice(start, start + width), source, line: lines[first]!, index });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Dataset

export interface Split {
  /** Sample-contiguous features: x[s * inputWidth + i]. */
  x: Float32Array;
  /** Class index of each sample. */
  y: Uint8Array;
  count: number;
  /** Provenance of each sample: "<file name>:<line of first row>". */
  ids: string[];
}

export interface GestureDataset {
  classes: string[];
  featureNames: string[];
  inputWidth: number;
  train: Split;
  test: Split;
}

/** Alias used by the train command. */
export type Dataset = GestureDataset;

export interface SplitOptions {
  /** Last gestures of each class (in file order) that go to the test set (default 5). */
  testPerClass?: number;
}

/**
 * Features + split. The split is fixed and stratified: for each class, its last `testPerClass` gestures in
 * file order are the test set, the rest train (a held-out tail, not a random sample, so the test gestures
 * were recorded after all the training gestures of their class). Within each split samples are interleaved
 * by class: gesture 0 of every class (in class order), then gesture 1 of every class, and so on, so that
 * even an unshuffled pass sees all classes early. Every class needs more than `testPerClass` gestures.
 */
export function buildDataset(set: GestureSet, options: SplitOptions = {}): GestureDataset {
  const testPerClass = options.testPerClass ?? DEFAULT_TEST_PER_CLASS;
  if (!Number.isInteger(testPerClass) || testPerClass < 0) throw new RangeError(`testPerClass must be an integer >= 0, got ${testPerClass}`);
  if (set.classes.length > 256) throw new RangeError(`${set.classes.length} classes do not fit Uint8Array labels`);
  const perClass = set.classes.map(() => 0);
  for (const g of set.gestures) perClass[g.label]!++;
  perClass.forEach((n, c) => {
    if (n <= testPerClass) throw new Error(`class "${set.classes[c]}" has ${n} gestures; need more than ${testPerClass} (the test share)`);
  });
  const order = [...set.gestures].sort((a, b) => a.index - b.index || a.label - b.label);
  const isTest = (g: Gesture) => g.index >= perClass[g.label]! - testPerClass;
  return {
    classes: [...set.classes],
    featureNames: [...FEATURE_NAMES],
    inputWidth: FEATURE_WIDTH,
    train: toSplit(order.filter((g) => !isTest(g))),
    test: toSplit(order.filter(isTest)),
  };
}

function toSplit(gestures: Gesture[]): Split {
  const x = new Float32Array(gestures.length * FEATURE_WIDTH);
  const y = new Uint8Array(gestures.length);
  gestures.forEach((g, s) => {
    extractFeatures(g.values, x, s * FEATURE_WIDTH);
    y[s] = g.label;
  });
  return { x, y, count: gestures.length, ids: gestures.map((g) => `${basename(g.source)}:${g.line}`) };
}

/** loadGestures + buildDataset. */
export function loadDataset(path: string, options: LoadOptions & SplitOptions = {}): GestureDataset {
  return buildDataset(loadGestures(path, options), options);
}

/**
 * Nearest folder at or above `from` (default: this module's folder) that contains package.json. Works
 * from the sources (vitest) and from the dist/ bundles alike.
 */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; ) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json found at or above ${from}`);
    dir = up;
  }
}

/** Folder of the bundled dataset's per-class CSV files. */
export function defaultDatasetDir(): string {
  return join(packageRoot(), "data", "magic-wand-imu-spells", "data");
}

/** The bundled magic-wand dataset: 5 classes x 25 gestures, 100 train / 25 test by default. */
export function loadDefaultDataset(options: SplitOptions = {}): GestureDataset {
  return loadDataset(defaultDatasetDir(), options);
}
