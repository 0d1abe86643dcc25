// Sensor data of any shape -> labelled windows -> model inputs, on the PC with the board's own pipeline code
// (src/features): CSV rows are quantised, windowed and turned into features by FeaturePipeline exactly as a
// board does, then split (the last windows of each class are held out) and normalised with statistics of
// the training windows. Every setting (columns and their ranges, window, stride, feature set, normalisation,
// class names) ends up in one PipelineSpec that is stored with the model. Docs: docs/dataset.md.
import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import {
  DEFAULT_BANDS, DEFAULT_CLIP, DEFAULT_RAW_POINTS, FEATURE_RAW, FEATURE_SPECTRUM, FEATURE_STATS, FeaturePipeline,
  describeFeatures, featureNames, featureWidth, fftSize, learnNormalisation, pipelineProblem, type PipelineSpec,
} from "../../src/features/index";
import { Random } from "../../src/index";
import { UsageError } from "../args";
import { CsvError, readCsvFile, type CsvTable } from "./csv";

/** Rows per window when --window is not given: the bundled gestures (1.0 s at 119 Hz). */
export const DEFAULT_WINDOW = 119;
/** Windows per class (the last ones in file order) held out for testing by default. */
export const DEFAULT_TEST_PER_CLASS = 5;

export interface ColumnSpec {
  name: string;
  /** Full scale (|value| stored as 32767); learned from the data when absent. */
  range?: number;
  unit?: string;
}

export interface LoadOptions {
  /** Input columns, e.g. ["ax", "ay"] or "ax:4g,ay:4g" (default: every column but the label column). */
  columns?: string | readonly (string | ColumnSpec)[];
  /** Single-file form: the column holding class names (default "label"). */
  labelColumn?: string;
  /** Allowed class names in class-index order (default: the labels found, sorted). */
  classes?: readonly string[];
  /** Rows per window (default 119); 1 = tabular rows. `rowsPerGesture` is the old name. */
  window?: number;
  rowsPerGesture?: number;
  /** Rows between window starts (default: the window, i.e. back-to-back windows). */
  stride?: number;
  /** Feature sets, e.g. "stats,spectrum:8,raw:16" (default "stats"; "raw:1" for tabular rows). */
  features?: string;
  /** CSV delimiter (default: detected). */
  delimiter?: string;
  /** A model's pipeline: columns, ranges, window, features and normalisation all come from it. */
  pipeline?: PipelineSpec;
  /** Where `pipeline` came from, for error messages (e.g. the .tpm path). */
  pipelineSource?: string;
  /** Keep every window's int16 samples (Split.raw), for raw streaming (stream --raw). */
  keepSamples?: boolean;
  /** A single file without a label column (data to classify): every window gets label 0 of one class "". */
  unlabeled?: boolean;
}

export interface SplitOptions {
  /** Last windows of each class (in file order) that go to the test set (default 5). */
  testPerClass?: number;
  /** Instead: this fraction of each class, chosen at random with `seed` (at least one if the class has two). */
  testFraction?: number;
  seed?: number;
}

export interface WindowInfo {
  label: number;
  /** File and 1-based line of the window's first row. */
  source: string;
  line: number;
  /** 0-based position among the windows of its class, in file order. */
  index: number;
}

export interface WindowSet {
  classes: string[];
  /** The pipeline without normalisation (or the model's, with it). */
  pipeline: PipelineSpec;
  windows: WindowInfo[];
  /** Unnormalised features, windows.length x width. */
  features: Float64Array;
  /** Samples beyond a column's range (stored clipped), per column. */
  clippedSamples: number[];
  /** Rows after the last window of a label's rows (with a stride smaller than the window). */
  uncoveredRows: number;
  /** With keepSamples: each window's rows as int16 counts, windows.length x window x columns, oldest row first. */
  samples?: Int16Array;
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
  clippedSamples: { column: string; count: number }[];
  /** Normalised features clipped to ±clip in the train and test splits. */
  clippedFeatures: { train: number; test: number };
  uncoveredRows: number;
}

/** Parse "--features stats,spectrum:8,raw:16" into pipeline fields. */
export function parseFeatures(text: string, window: number): Pick<PipelineSpec, "features" | "bands" | "rawPoints"> {
  let features = 0, bands = 0, rawPoints = 0;
  for (const part of text.split(",").map((s) => s.trim())) {
    const [name, arg, extra] = part.split(":");
    const n = arg === undefined ? undefined : Number(arg);
    if (extra !== undefined || (arg !== undefined && !(Number.isInteger(n) && n! >= 1))) {
      throw new UsageError(`--features: "${part}" is not a feature set (use stats, spectrum[:bands], raw[:points])`);
    }
    if (name === "stats" && arg === undefined) features |= FEATURE_STATS;
    else if (name === "spectrum") { features |= FEATURE_SPECTRUM; bands = n ?? Math.min(DEFAULT_BANDS, fftSize(window) / 2); }
    else if (name === "raw") { features |= FEATURE_RAW; rawPoints = n ?? Math.min(DEFAULT_RAW_POINTS, window); }
    else throw new UsageError(`--features: unknown feature set "${part}" (choose from stats, spectrum[:bands], raw[:points])`);
  }
  return { features, bands, rawPoints };
}

/** Parse "--columns ax:4g,ay,gz:2000dps" (name, optional :range and unit). */
export function parseColumns(columns: string | readonly (string | ColumnSpec)[]): ColumnSpec[] {
  const items = typeof columns === "string" ? columns.split(",") : columns;
  const specs = items.map((item): ColumnSpec => {
    if (typeof item !== "string") return item;
    const t = item.trim(), colon = t.lastIndexOf(":");
    const m = colon > 0 ? /^(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*(\S*)$/.exec(t.slice(colon + 1)) : null;
    if (!m) return { name: t };
    const range = Number(m[1]);
    if (!(range > 0 && Number.isFinite(range))) throw new UsageError(`--columns: range of "${t.slice(0, colon)}" must be positive, got ${m[1]}`);
    return { name: t.slice(0, colon), range, unit: m[2] };
  });
  if (specs.length === 0 || specs.some((c) => c.name === "")) throw new UsageError(`--columns: empty column name in "${String(columns)}"`);
  return specs;
}

/** Smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at or above v (a range with headroom users can read). */
export function niceRange(v: number): number {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v * (1 - 1e-12)) return m * p;
  return 10 * p;
}

interface Segment { table: CsvTable; label: number; from: number; to: number }

/** Read the CSV file(s) and cut them into windows, computing unnormalised features with the board's code. */
export function loadWindows(path: string, options: LoadOptions = {}): WindowSet {
  const model = options.pipeline;
  const from = options.pipelineSource ?? "the model";
  const window = options.window ?? options.rowsPerGesture ?? model?.window ?? DEFAULT_WINDOW;
  const stride = options.stride ?? model?.stride ?? window;
  if (model) {
    if (window !== model.window) throw new UsageError(`--window ${window} does not match ${from} (window ${model.window})`);
    if (stride !== model.stride) throw new UsageError(`--stride ${stride} does not match ${from} (stride ${model.stride})`);
    const asked = options.features !== undefined ? parseFeatures(options.features, window) : undefined;
    if (asked && (asked.features !== model.features || asked.bands !== model.bands || asked.rawPoints !== model.rawPoints)) {
      throw new UsageError(`--features ${options.features} does not match ${from} (features ${describeFeatures(model)})`);
    }
  }
  if (!Number.isInteger(window) || window < 1) throw new UsageError(`--window must be a positive integer, got ${window}`);
  if (!Number.isInteger(stride) || stride < 1) throw new UsageError(`--stride must be a positive integer, got ${stride}`);
  let columns = options.columns !== undefined ? parseColumns(options.columns) : undefined;
  if (model) {
    if (columns && columns.map((c) => c.name).join(",") !== model.columns.join(",")) {
      throw new UsageError(`--columns ${columns.map((c) => c.name).join(",")} does not match ${from} (columns ${model.columns.join(",")})`);
    }
    columns = model.columns.map((name, c) => ({ name, range: model.ranges[c], unit: model.units[c] }));
  }
  const hint = model ? ` (${from} was trained on columns ${model.columns.join(",")})` : options.columns !== undefined ? " (set by --columns)" : "";
  const read = (file: string, labelColumn?: string): CsvTable => {
    try {
      return readCsvFile(file, { columns: columns?.map((c) => c.name), labelColumn, delimiter: options.delimiter });
    } catch (e) {
      if (e instanceof CsvError && /missing column|non-numeric|no numeric/.test(e.detail)) {
        throw new CsvError(e.source, e.line, e.detail + (hint || " (the inputs default to every column but the label; choose them with --columns)"));
      }
      throw e;
    }
  };

  // Segments: runs of rows with one label (a whole file, in the folder form).
  let classes: string[];
  const segments: Segment[] = [];
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => f.endsWith(".csv") && statSync(join(path, f)).isFile()).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (files.length === 0) throw new Error(`${path}: no .csv files`);
    classes = files.map((f) => f.slice(0, -".csv".length));
    files.forEach((f, label) => {
      const table = read(join(path, f));
      if (columns === undefined) columns = table.columns.map((name) => ({ name }));
      if (table.columns.join(",") !== columns.map((c) => c.name).join(",")) {
        throw new CsvError(table.source, 1, `columns ${table.columns.join(",")} differ from the other files' ${columns.map((c) => c.name).join(",")} (choose them with --columns)`);
      }
      segments.push({ table, label, from: 0, to: table.rowCount });
    });
  } else if (options.unlabeled) {
    const table = read(path);
    columns ??= table.columns.map((name) => ({ name }));
    classes = [""];
    segments.push({ table, label: 0, from: 0, to: table.rowCount });
  } else {
    const table = read(path, options.labelColumn ?? "label");
    columns ??= table.columns.map((name) => ({ name }));
    const labels = table.labels!;
    classes = options.classes ? [...options.classes] : [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const index = new Map(classes.map((c, i) => [c, i]));
    for (let r = 0; r < table.rowCount; ) {
      let end = r + 1;
      while (end < table.rowCount && labels[end] === labels[r]) end++;
      const label = index.get(labels[r]!);
      if (label === undefined) throw new CsvError(table.source, table.lines[r]!, `unknown label "${labels[r]}" (expected one of: ${classes.join(", ")})`);
      segments.push({ table, label, from: r, to: end });
      r = end;
    }
  }
  if (model && model.classes.length > 0 && !options.unlabeled) classes = mapClasses(classes, model.classes, segments, from);
  const cols = columns!;

  // Ranges: given, or the largest |value| in the data with headroom, rounded up to a readable number.
  const ranges = cols.map((c, k) => {
    if (c.range !== undefined) return c.range;
    let max = 0;
    for (const s of segments) for (let r = s.from; r < s.to; r++) max = Math.max(max, Math.abs(s.table.values[r * cols.length + k]!));
    return niceRange(max * 1.25);
  });
  const spec: PipelineSpec = model ? { ...model } : {
    columns: cols.map((c) => c.name), ranges, units: cols.map((c) => c.unit ?? ""), window, stride,
    ...(options.features !== undefined ? parseFeatures(options.features, window) : window === 1 ? { features: FEATURE_RAW, bands: 0, rawPoints: 1 } : { features: FEATURE_STATS, bands: 0, rawPoints: 0 }),
    clip: DEFAULT_CLIP, mean: [], scale: [], classes,
  };
  const why = pipelineProblem(spec);
  if (why !== "") throw new UsageError(`${/feature|bands|raw|stats|spectrum|tabular/.test(why) ? "--features" : "--window/--stride"}: ${why}`);
  const raw: PipelineSpec = { ...spec, mean: [], scale: [] };
  const pipe = new FeaturePipeline(raw);
  const F = pipe.width, C = cols.length;

  const windows: WindowInfo[] = [];
  const chunks: Float64Array[] = [];
  const sampleChunks: Int16Array[] = [];
  const perClass = classes.map(() => 0);
  let uncoveredRows = 0;
  for (const s of segments) {
    const { table } = s, rows = s.to - s.from;
    const what = s.table.labels ? `label "${classes[s.label]}"` : `class "${classes[s.label]}"`;
    if (rows < window) {
      throw new CsvError(table.source, table.lines[s.from]!, `short window: ${rows} rows of ${what} from line ${table.lines[s.from]} to ${table.lines[s.to - 1]}, but --window is ${window}`);
    }
    const tail = (rows - window) % stride;
    if (tail !== 0 && stride === window) {
      const at = s.to - tail;
      const next = s.to < table.rowCount ? `; the label changes to "${table.labels![s.to]}" at line ${table.lines[s.to]}` : "";
      throw new CsvError(table.source, table.lines[at]!, `partial window: ${tail} rows of ${what} from line ${table.lines[at]} do not fill a window of ${window} rows${next} (--window)`);
    }
    uncoveredRows += tail;
    pipe.reset();
    for (let r = s.from; r < s.to; r++) {
      if (!pipe.pushRow(table.values, r * C)) continue;
      const f = new Float64Array(F);
      pipe.rawFeatures(pipe.ring, 0, pipe.oldestRow(), f, 0);
      chunks.push(f);
      if (options.keepSamples) sampleChunks.push(windowInOrder(pipe));
      windows.push({ label: s.label, source: table.source, line: table.lines[r - window + 1]!, index: perClass[s.label]!++ });
    }
  }
  const features = new Float64Array(windows.length * F);
  chunks.forEach((f, i) => features.set(f, i * F));
  let samples: Int16Array | undefined;
  if (options.keepSamples) {
    samples = new Int16Array(windows.length * window * C);
    sampleChunks.forEach((w, i) => samples!.set(w, i * window * C));
  }
  return { classes, pipeline: model ? spec : raw, windows, features, clippedSamples: Array.from(pipe.clippedSamples), uncoveredRows, samples };
}

/** The pipeline's buffered window, oldest row first. */
function windowInOrder(pipe: FeaturePipeline): Int16Array {
  const C = pipe.columns, N = pipe.windowRows, out = new Int16Array(N * C);
  for (let i = 0, r = pipe.oldestRow(); i < N; i++, r = r + 1 === N ? 0 : r + 1) out.set(pipe.ring.subarray(r * C, (r + 1) * C), i * C);
  return out;
}

/** A model's class names decide the class indices; every label in the data must be one of them. */
function mapClasses(found: string[], modelClasses: string[], segments: Segment[], from: string): string[] {
  const index = found.map((name) => modelClasses.indexOf(name));
  const bad = found.filter((_, i) => index[i]! < 0);
  if (bad.length > 0) throw new UsageError(`classes ${bad.map((b) => `"${b}"`).join(", ")} are not among ${from}'s classes (${modelClasses.join(", ")})`);
  for (const s of segments) s.label = index[s.label]!;
  return [...modelClasses];
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
  if (pipeline.mean.length === 0) {
    const f = new Float64Array(trainIdx.length * F);
    trainIdx.forEach((i, s) => f.set(set.features.subarray(i * F, (i + 1) * F), s * F));
    pipeline = { ...pipeline, ...learnNormalisation(f, trainIdx.length, F) };
  }
  const train = normalised(set, pipeline, trainIdx), test = normalised(set, pipeline, testIdx);
  return {
    classes: [...set.classes], featureNames: featureNames(pipeline), inputWidth: F, pipeline, train: train.split, test: test.split,
    report: {
      clippedSamples: pipeline.columns.map((column, c) => ({ column, count: set.clippedSamples[c]! })).filter((c) => c.count > 0),
      clippedFeatures: { train: train.clipped, test: test.clipped }, uncoveredRows: set.uncoveredRows,
    },
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
    if (n <= testPerClass) throw new Error(`class "${set.classes[c]}" has ${n} windows; need more than ${testPerClass} (the test share)`);
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
  for (const c of r.clippedSamples) lines.push(`warning: ${c.count} samples of column "${c.column}" were beyond its range and clipped (set the range with --columns ${c.column}:RANGE)`);
  const f = r.clippedFeatures.train + r.clippedFeatures.test;
  if (f > 0) lines.push(`warning: ${f} normalised features were clipped (train ${r.clippedFeatures.train}, test ${r.clippedFeatures.test})`);
  if (r.uncoveredRows > 0) lines.push(`note: ${r.uncoveredRows} rows at the ends of labelled runs fall after the last window (window and stride do not tile them)`);
  return lines;
}
