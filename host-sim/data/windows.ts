// Sensor CSV -> labelled windows -> unnormalised feature vectors, streamed: rows go through the board's own
// FeaturePipeline (src/features) as they are parsed, and only each window's feature vector (a few floats) and
// where it came from are kept, never the rows. Memory therefore grows with the number of windows, not with
// the size of the files (a 1 GB CSV trains in well under 300 MB: `npm run bench:csv`).
//
// Quantisation needs each column's full scale before the first window. When a range is not given (by
// --columns a:RANGE or a model's pipeline) it is learned from the data, which costs one extra pass that only
// tracks the largest |value| per column (and already reports any bad row or window). Splitting and
// normalisation of the windows are ./dataset.ts.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_BANDS, DEFAULT_CLIP, DEFAULT_RAW_POINTS, FEATURE_RAW, FEATURE_SPECTRUM, FEATURE_STATS, FeaturePipeline,
  describeFeatures, fftSize, pipelineIssue, type PipelineSpec,
} from "../../src/features/index";
import { UsageError, suggest } from "../args";
import { Rows, WindowReader, type InputFile, type RowPlace, type UncoveredRun, type WindowInfo } from "./window-reader";

export type { RowPlace, UncoveredRun, WindowInfo } from "./window-reader";

/** Rows per window when --window is not given: the bundled gestures (1.0 s at 119 Hz). */
export const DEFAULT_WINDOW = 119;

export interface ColumnSpec {
  name: string;
  /** Full scale (|value| stored as 32767); learned from the data when absent. */
  range?: number;
  unit?: string;
}

export interface LoadOptions {
  /** Input columns, e.g. ["ax", "ay"] or "ax:4g,ay:4g" (default: every column but the label and time columns). */
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
  /**
   * Keep every window's int16 samples (Split.raw), for raw streaming (stream --raw). These are the rows
   * themselves (window x columns int16 per window), so memory then grows with the data.
   */
  keepSamples?: boolean;
  /** A single file without a label column (data to classify): every window gets label 0 of one class "". */
  unlabeled?: boolean;
  /** The single file's name in messages and window ids when not its path (e.g. "<stdin>"). */
  displayName?: string;
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
  /** Per column, where its first clipped sample was (null: none clipped). */
  firstClipped: (RowPlace | null)[];
  /** Where the columns' ranges came from, for the clipping warning: "--columns" or e.g. "model.tpm's pipeline". */
  rangesFrom: string;
  /** Rows after the last window of a label's rows (with a stride smaller than the window). */
  uncoveredRows: number;
  /** The first few runs of such rows (file, lines, label), to show the user where they are. */
  uncovered: UncoveredRun[];
  /** The settings that cut the windows, e.g. "--window 6 --stride 4", for messages. */
  windowSetting: string;
  /** Files of a data folder that were not read (not .csv). */
  ignoredFiles: string[];
  /** Time columns (timestamp, millis, ...) left out of the default inputs. */
  timeColumns: string[];
  /** With keepSamples: each window's rows as int16 counts, windows.length x window x columns, oldest row first. */
  samples?: Int16Array;
}

/** The feature sets `--features` knows, and how each is written. */
const FEATURE_SETS = ["stats", "spectrum", "raw"];
const FEATURE_USAGE = "stats, spectrum[:bands], raw[:points]";

/** Parse "--features stats,spectrum:8,raw:16" into pipeline fields. */
export function parseFeatures(text: string, window: number): Pick<PipelineSpec, "features" | "bands" | "rawPoints"> {
  let features = 0, bands = 0, rawPoints = 0;
  const setting = `--features ${text}`;
  for (const part of text.split(",").map((s) => s.trim())) {
    const [name = "", arg, extra] = part.split(":");
    if (!FEATURE_SETS.includes(name)) {
      throw new UsageError(`${setting}: unknown feature set "${name}"${suggest(name, FEATURE_SETS, "")} (known: ${FEATURE_USAGE})`);
    }
    const n = arg === undefined ? undefined : Number(arg);
    if (extra !== undefined || (arg !== undefined && (name === "stats" || !(Number.isInteger(n) && n! >= 1)))) {
      const what = name === "stats" ? "stats takes no number" : `the number after "${name}:" must be a positive integer`;
      throw new UsageError(`${setting}: "${part}": ${what} (use ${FEATURE_USAGE})`);
    }
    if (name === "stats") features |= FEATURE_STATS;
    else if (name === "spectrum") { features |= FEATURE_SPECTRUM; bands = n ?? Math.min(DEFAULT_BANDS, fftSize(window) / 2); }
    else { features |= FEATURE_RAW; rawPoints = n ?? Math.min(DEFAULT_RAW_POINTS, window); }
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
    if (!(range > 0 && Number.isFinite(range))) throw new UsageError(`--columns ${String(columns)}: range of "${t.slice(0, colon)}" must be positive, got ${m[1]}`);
    return { name: t.slice(0, colon), range, unit: m[2] };
  });
  if (specs.length === 0 || specs.some((c) => c.name === "")) throw new UsageError(`--columns ${String(columns)}: empty column name`);
  return specs;
}

/** Smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at or above v (a range with headroom users can read). */
export function niceRange(v: number): number {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** The .csv files of a folder (one class each, named after the file), or the one labelled file. */
function inputFiles(path: string, displayName = path): { files: InputFile[]; folder: boolean; ignored: string[] } {
  if (!statSync(path).isDirectory()) return { files: [{ path, name: displayName }], folder: false, ignored: [] };
  const entries = readdirSync(path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const isCsv = (f: string) => /\.csv$/i.test(f) && statSync(join(path, f)).isFile();
  const names = entries.filter(isCsv), ignored = entries.filter((f) => !isCsv(f) && !f.startsWith("."));
  if (names.length === 0) {
    throw new UsageError(`${path}: no .csv files in this folder (a data folder holds one CSV file per class, named after the class${ignored.length > 0 ? `; found ${ignored.slice(0, 5).join(", ")}${ignored.length > 5 ? ", ..." : ""}` : ", and it is empty"})`);
  }
  return { files: names.map((f) => ({ path: join(path, f), name: join(path, f), className: f.slice(0, -".csv".length) })), folder: true, ignored };
}

/** A pipeline problem as a message naming the option (or the model) that set it. */
function pipelineError(spec: PipelineSpec, settings: { window: string; stride: string; features: string; columns: string }): UsageError | null {
  const why = pipelineIssue(spec);
  if (why === null) return null;
  const setting = why.setting === "window" ? settings.window : why.setting === "stride" ? settings.stride
    : why.setting === "features" || why.setting === "bands" || why.setting === "rawPoints" ? settings.features
    : why.setting === "columns" || why.setting === "ranges" || why.setting === "units" ? settings.columns : why.setting;
  return new UsageError(`${setting}: ${why.detail}`);
}

/**
 * Read the CSV file(s) and cut them into windows, computing unnormalised features with the board's code.
 * A window never spans two labels: each run of rows with one label (a whole file, in the folder form) is
 * windowed on its own, and must hold at least one window (and, back to back, a whole number of them).
 * Every error names the file, line and the setting (option or model) involved.
 */
export function loadWindows(path: string, options: LoadOptions = {}): WindowSet {
  const model = options.pipeline;
  const from = options.pipelineSource ?? "the model";
  const window = options.window ?? options.rowsPerGesture ?? model?.window ?? DEFAULT_WINDOW;
  const stride = options.stride ?? model?.stride ?? window;
  if (model) {
    const expects = `${from} expects`;
    if (window !== model.window) throw new UsageError(`--window ${window} does not match ${from} (window ${model.window}): ${expects} windows of ${model.window} rows (its pipeline); leave --window out`);
    if (stride !== model.stride) throw new UsageError(`--stride ${stride} does not match ${from} (stride ${model.stride}); leave --stride out`);
    const asked = options.features !== undefined ? parseFeatures(options.features, window) : undefined;
    if (asked && (asked.features !== model.features || asked.bands !== model.bands || asked.rawPoints !== model.rawPoints)) {
      throw new UsageError(`--features ${options.features} does not match ${from} (features ${describeFeatures(model)}); leave --features out`);
    }
  }
  // Where each setting came from: what a message names.
  const modelSays = (what: string) => `${what} of ${from}'s pipeline`;
  const settings = {
    window: options.window !== undefined || options.rowsPerGesture !== undefined ? `--window ${window}` : model ? modelSays(`window ${window}`) : `--window ${window} (the default)`,
    stride: options.stride !== undefined ? `--stride ${stride}` : model ? modelSays(`stride ${stride}`) : `--stride ${stride} (the window)`,
    features: options.features !== undefined ? `--features ${options.features}` : model ? modelSays(`features ${describeFeatures(model)}`) : "--features (default)",
    columns: options.columns !== undefined ? `--columns ${typeof options.columns === "string" ? options.columns : parseColumns(options.columns).map((c) => c.name).join(",")}` : "--columns",
  };
  if (!Number.isInteger(window) || window < 1) throw new UsageError(`${settings.window}: must be a positive integer`);
  if (!Number.isInteger(stride) || stride < 1) throw new UsageError(`${settings.stride}: must be a positive integer`);
  let columns = options.columns !== undefined ? parseColumns(options.columns) : undefined;
  if (model) {
    if (columns && columns.map((c) => c.name).join(",") !== model.columns.join(",")) {
      throw new UsageError(`${settings.columns} does not match ${from}: it expects columns ${model.columns.join(",")} (its pipeline); leave --columns out`);
    }
    columns = model.columns.map((name, c) => ({ name, range: model.ranges[c], unit: model.units[c] }));
  }
  const features = model ? model : options.features !== undefined ? parseFeatures(options.features, window)
    : window === 1 ? { features: FEATURE_RAW, bands: 0, rawPoints: 1 } : { features: FEATURE_STATS, bands: 0, rawPoints: 0 };
  const specOf = (cols: ColumnSpec[], ranges: number[]): PipelineSpec => model ? { ...model } : {
    columns: cols.map((c) => c.name), ranges, units: cols.map((c) => c.unit ?? ""), window, stride,
    features: features.features, bands: features.bands, rawPoints: features.rawPoints, clip: DEFAULT_CLIP, mean: [], scale: [], classes: [],
  };
  // Window, stride and features are checked before any data is read (one stand-in column if none are known yet).
  const early = pipelineError(specOf(columns ?? [{ name: "x" }], (columns ?? [{ name: "x" }]).map(() => 1)), settings);
  if (early) throw early;

  const { files, folder, ignored } = inputFiles(path, options.displayName);
  const labelColumn = options.labelColumn ?? "label";
  const unlabeled = !folder && !!options.unlabeled;
  const modelClasses = model && model.classes.length > 0 && !unlabeled ? model.classes : undefined;
  const reader = new WindowReader({
    folder, unlabeled, window, stride, delimiter: options.delimiter, labelColumn,
    classes: modelClasses ?? options.classes, classesFrom: modelClasses ? `${from}'s classes` : "the classes given",
    windowSetting: options.stride !== undefined && stride !== window ? `${settings.window} ${settings.stride}` : settings.window,
    labelSetting: options.labelColumn !== undefined ? `--label-column ${labelColumn}` : `--label-column ${labelColumn} (the default)`,
    labelHint: options.labelColumn !== undefined ? "" : "; name the class column with --label-column, or give a folder of per-class CSV files",
    columnsSetting: model ? `${from} expects columns ${model.columns.join(",")} (its pipeline)` : settings.columns,
    // Cells the user did not choose can fail to parse: say how to choose.
    valueHint: model || options.columns !== undefined ? "" : ` (the inputs default to every column ${folder ? "of the file" : `but the label column "${labelColumn}"`} and time columns; choose them with --columns)`,
  });

  // Pass 1, only when a full scale is to be learned: the largest |value| of each column.
  let ranges = columns?.map((c) => c.range);
  let expected: number | undefined;
  if (ranges === undefined || ranges.some((r) => r === undefined)) {
    const max = reader.scan(files, columns, undefined);
    columns = reader.columns!.map((name, k) => ({ name, ...columns?.[k] }));
    ranges = columns.map((c, k) => c.range ?? niceRange(max[k]! * 1.25));
    expected = reader.windowCount;
  }
  const cols = columns!;
  const spec = specOf(cols, ranges as number[]);
  const late = pipelineError(spec, settings);
  if (late) throw late;

  // Pass 2 (the only one when every range is known): features of every window.
  const raw: PipelineSpec = { ...spec, mean: [], scale: [] };
  const pipe = new FeaturePipeline(raw);
  const store = new Rows(pipe.width, (n) => new Float64Array(n), expected);
  const samples = options.keepSamples ? new Rows(window * cols.length, (n) => new Int16Array(n), expected) : undefined;
  reader.scan(files, cols, { pipe, store, samples });
  const { classes, windows } = reader.result();
  const pipeline = model ? spec : { ...raw, classes };
  const rangesFrom = model ? `${from}'s pipeline` : options.columns !== undefined ? "--columns" : "the data (1.25 x its largest value)";
  return {
    classes, pipeline, windows, features: store.take(), clippedSamples: Array.from(pipe.clippedSamples), firstClipped: reader.firstClipped, rangesFrom,
    uncoveredRows: reader.uncoveredRows, uncovered: reader.uncovered, windowSetting: reader.s.windowSetting,
    ignoredFiles: ignored.map((f) => join(path, f)),
    timeColumns: reader.timeColumns, // none when the columns were named (by --columns or the model)
    ...(samples ? { samples: samples.take() } : {}),
  };
}

