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
  describeFeatures, featureWidth, fftSize, pipelineProblem, type PipelineSpec,
} from "../../src/features/index";
import { UsageError } from "../args";
import { CsvError, forEachCsvRow, type CsvRow } from "./csv";

/** Rows per window when --window is not given: the bundled gestures (1.0 s at 119 Hz). */
export const DEFAULT_WINDOW = 119;

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
  /**
   * Keep every window's int16 samples (Split.raw), for raw streaming (stream --raw). These are the rows
   * themselves (window x columns int16 per window), so memory then grows with the data.
   */
  keepSamples?: boolean;
  /** A single file without a label column (data to classify): every window gets label 0 of one class "". */
  unlabeled?: boolean;
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

/**
 * Vectors (a window's features, or its samples) appended one at a time, in one buffer: of exactly the size
 * needed when the number of windows is known (counted by the first pass), else doubled as it fills (O(1)
 * per window on average).
 */
class Rows<T extends Float64Array | Int16Array> {
  private data: T;
  count = 0;
  constructor(readonly width: number, private readonly make: (n: number) => T, expected?: number) {
    this.data = make(width * (expected ?? 1024));
  }
  /** Room for one more vector; returns its offset. */
  next(): { data: T; offset: number } {
    const offset = this.count * this.width;
    if (offset + this.width > this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.count++;
    return { data: this.data, offset };
  }
  /** The vectors (a view: no copy of a buffer that may be most of the process's memory). */
  take(): T {
    return this.data.subarray(0, this.count * this.width) as T;
  }
}
type FeatureRows = Rows<Float64Array>;

/** One input file and, in the folder form, the class all of its rows belong to. */
interface InputFile {
  path: string;
  className?: string;
}

/** The .csv files of a folder (one class each, named after the file), or the one labelled file. */
function inputFiles(path: string): { files: InputFile[]; folder: boolean } {
  if (!statSync(path).isDirectory()) return { files: [{ path }], folder: false };
  const names = readdirSync(path).filter((f) => f.endsWith(".csv") && statSync(join(path, f)).isFile()).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) throw new Error(`${path}: no .csv files`);
  return { files: names.map((f) => ({ path: join(path, f), className: f.slice(0, -".csv".length) })), folder: true };
}

/**
 * Read the CSV file(s) and cut them into windows, computing unnormalised features with the board's code.
 * A window never spans two labels: each run of rows with one label (a whole file, in the folder form) is
 * windowed on its own, and must hold at least one window (and, back to back, a whole number of them).
 */
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
  const { files, folder } = inputFiles(path);
  const reader = new WindowReader({ folder, unlabeled: !folder && !!options.unlabeled, window, stride, classes: options.classes, delimiter: options.delimiter, labelColumn: options.labelColumn ?? "label" });
  reader.hint = model ? ` (${from} was trained on columns ${model.columns.join(",")})` : options.columns !== undefined ? " (set by --columns)" : "";

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
  const spec: PipelineSpec = model ? { ...model } : {
    columns: cols.map((c) => c.name), ranges: ranges as number[], units: cols.map((c) => c.unit ?? ""), window, stride,
    ...(options.features !== undefined ? parseFeatures(options.features, window) : window === 1 ? { features: FEATURE_RAW, bands: 0, rawPoints: 1 } : { features: FEATURE_STATS, bands: 0, rawPoints: 0 }),
    clip: DEFAULT_CLIP, mean: [], scale: [], classes: [],
  };
  const why = pipelineProblem(spec);
  if (why !== "") throw new UsageError(`${/feature|bands|raw|stats|spectrum|tabular/.test(why) ? "--features" : "--window/--stride"}: ${why}`);

  // Pass 2 (the only one when every range is known): features of every window.
  const raw: PipelineSpec = { ...spec, mean: [], scale: [] };
  const pipe = new FeaturePipeline(raw);
  const store = new Rows(pipe.width, (n) => new Float64Array(n), expected);
  const samples = options.keepSamples ? new Rows(window * cols.length, (n) => new Int16Array(n), expected) : undefined;
  reader.scan(files, cols, { pipe, store, samples });
  let { classes, windows } = reader.result();
  if (model && model.classes.length > 0 && !options.unlabeled) classes = mapClasses(classes, model.classes, windows, from);
  const pipeline = model ? spec : { ...raw, classes };
  return {
    classes, pipeline, windows, features: store.take(), clippedSamples: Array.from(pipe.clippedSamples), uncoveredRows: reader.uncoveredRows,
    ...(samples ? { samples: samples.take() } : {}),
  };
}

/** The pipeline's buffered window, oldest row first, into dst[offset ..). */
function windowInOrder(pipe: FeaturePipeline, dst: Int16Array, offset: number): void {
  const C = pipe.columns, N = pipe.windowRows;
  for (let i = 0, r = pipe.oldestRow(); i < N; i++, r = r + 1 === N ? 0 : r + 1) dst.set(pipe.ring.subarray(r * C, (r + 1) * C), offset + i * C);
}

/** A model's class names decide the class indices; every label in the data must be one of them. */
function mapClasses(found: string[], modelClasses: string[], windows: WindowInfo[], from: string): string[] {
  const index = found.map((name) => modelClasses.indexOf(name));
  const bad = found.filter((_, i) => index[i]! < 0);
  if (bad.length > 0) throw new UsageError(`classes ${bad.map((b) => `"${b}"`).join(", ")} are not among ${from}'s classes (${modelClasses.join(", ")})`);
  for (const w of windows) w.label = index[w.label]!;
  return [...modelClasses];
}

interface ReaderSettings {
  folder: boolean;
  /** Rows without labels: one class "". */
  unlabeled: boolean;
  window: number;
  stride: number;
  /** Allowed class names in index order (else the labels found, sorted). */
  classes?: readonly string[];
  delimiter?: string;
  labelColumn: string;
}

/**
 * Walks the rows of the input files once per scan, cutting each run of one label into windows: checks
 * every run (no short or partial window), and either tracks each column's largest |value| (no pipeline)
 * or computes each window's features into the store. Holds one window of line numbers, never rows.
 */
class WindowReader {
  /** Appended to "missing column" / "non-numeric" errors: where the columns came from. */
  hint = "";
  /** The numeric columns, once the first header has been read. */
  columns: string[] | undefined;
  uncoveredRows = 0;
  /** Windows of the last scan. */
  windowCount = 0;
  /** Class names in order of first appearance (label ids below), and the windows labelled with those ids. */
  private names: string[] = [];
  private ids = new Map<string, number>();
  private windows: WindowInfo[] = [];
  private perClass: number[] = [];
  // The current run of rows with one label.
  private runLabel = "";
  private runRows = 0;
  private runFirstLine = 0;
  private runLastLine = 0;
  private lines: Int32Array;

  constructor(private readonly s: ReaderSettings) {
    this.lines = new Int32Array(s.window);
  }

  /**
   * One pass over every file. Without `out`, returns the largest |value| of each column; with it, appends
   * every window's features to out.store (and its WindowInfo to the result).
   */
  scan(files: InputFile[], columns: readonly { name: string }[] | undefined, out: { pipe: FeaturePipeline; store: FeatureRows; samples?: Rows<Int16Array> } | undefined): number[] {
    const { folder, window } = this.s;
    this.names = [];
    this.ids.clear();
    this.windows = [];
    this.perClass = [];
    this.uncoveredRows = 0;
    this.windowCount = 0;
    let wanted = columns?.map((c) => c.name);
    const max: number[] = [];
    for (const file of files) {
      let checked = false;
      const onRow = (row: CsvRow, stream: { source: string; columns: string[] }): void => {
        if (!checked) {
          checked = true;
          if (wanted === undefined) wanted = [...stream.columns];
          if (stream.columns.join(",") !== wanted.join(",")) {
            throw new CsvError(stream.source, 1, `columns ${stream.columns.join(",")} differ from the other files' ${wanted.join(",")} (choose them with --columns)`);
          }
          this.columns = wanted;
        }
        const label = folder ? file.className! : this.s.unlabeled ? "" : row.label!;
        if (this.runRows === 0 || label !== this.runLabel) {
          if (this.runRows > 0) this.endRun(stream.source, label, row.line);
          this.startRun(stream.source, label, row.line);
          out?.pipe.reset();
        }
        this.lines[this.runRows % window] = row.line;
        this.runRows++;
        this.runLastLine = row.line;
        if (!out) {
          for (let k = 0; k < row.values.length; k++) max[k] = Math.max(max[k] ?? 0, Math.abs(row.values[k]!));
        } else if (out.pipe.pushRow(row.values, 0)) {
          const { data, offset } = out.store.next();
          out.pipe.rawFeatures(out.pipe.ring, 0, out.pipe.oldestRow(), data, offset);
          if (out.samples) {
            const at = out.samples.next();
            windowInOrder(out.pipe, at.data, at.offset);
          }
          const id = this.ids.get(this.runLabel)!;
          this.windows.push({ label: id, source: stream.source, line: this.lines[(this.runRows - window) % window]!, index: this.perClass[id]!++ });
        }
      };
      try {
        forEachCsvRow(file.path, { columns: wanted, labelColumn: folder || this.s.unlabeled ? undefined : this.s.labelColumn, delimiter: this.s.delimiter }, onRow);
      } catch (e) {
        if (e instanceof CsvError && /missing column|non-numeric|no numeric/.test(e.detail)) {
          throw new CsvError(e.source, e.line, e.detail + (this.hint || " (the inputs default to every column but the label; choose them with --columns)"));
        }
        throw e;
      }
      if (this.runRows > 0) this.endRun(file.path, undefined, 0);
    }
    return max;
  }

  /** Class names (given, or the labels found, sorted) and the windows labelled with their indices. */
  result(): { classes: string[]; windows: WindowInfo[] } {
    const classes = this.s.classes ? [...this.s.classes] : [...this.names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const index = this.names.map((n) => classes.indexOf(n));
    for (const w of this.windows) w.label = index[w.label]!;
    return { classes, windows: this.windows };
  }

  private startRun(source: string, label: string, line: number): void {
    if (!this.ids.has(label)) {
      if (this.s.classes && !this.s.classes.includes(label)) {
        throw new CsvError(source, line, `unknown label "${label}" (expected one of: ${this.s.classes.join(", ")})`);
      }
      this.ids.set(label, this.names.length);
      this.names.push(label);
      this.perClass.push(0);
    }
    this.runLabel = label;
    this.runRows = 0;
    this.runFirstLine = line;
  }

  /** Checks the finished run: at least one window, and back to back a whole number of them. */
  private endRun(source: string, nextLabel: string | undefined, nextLine: number): void {
    const { window, stride } = this.s, rows = this.runRows;
    const what = this.s.folder ? `class "${this.runLabel}"` : `label "${this.runLabel}"`;
    if (rows < window) {
      throw new CsvError(source, this.runFirstLine, `short window: ${rows} rows of ${what} from line ${this.runFirstLine} to ${this.runLastLine}, but --window is ${window}`);
    }
    const tail = (rows - window) % stride;
    if (tail !== 0 && stride === window) {
      const at = this.lines[(rows - tail) % window]!;
      const next = nextLabel !== undefined ? `; the label changes to "${nextLabel}" at line ${nextLine}` : "";
      throw new CsvError(source, at, `partial window: ${tail} rows of ${what} from line ${at} do not fill a window of ${window} rows${next} (--window)`);
    }
    this.uncoveredRows += tail;
    this.windowCount += 1 + Math.floor((rows - window) / stride);
    this.runRows = 0;
  }
}
