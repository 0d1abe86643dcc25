// The single pass over the rows of a data set's files that ./windows.ts runs once or twice: each run of
// rows with one label is cut into windows by the board's FeaturePipeline, and checked (no short or partial
// window); what cannot be used is located (file and line) for the error or the report. Also the growable
// buffers the windows' features (and samples) go into.
import { FeaturePipeline } from "../../src/features/index";
import { suggest } from "../args";
import { CsvError, forEachCsvRow, type CsvRow } from "./csv";

export interface WindowInfo {
  label: number;
  /** File and 1-based line of the window's first row. */
  source: string;
  line: number;
  /** 0-based position among the windows of its class, in file order. */
  index: number;
}

/** A file and a 1-based line in it. */
export interface RowPlace {
  source: string;
  line: number;
}

/** Rows at the end of a labelled run that no window covers. */
export interface UncoveredRun {
  source: string;
  label: string;
  firstLine: number;
  lastLine: number;
  rows: number;
}

/** "line 7" or "lines 7-9". */
export const lineSpan = (first: number, last: number): string => (first === last ? `line ${first}` : `lines ${first}-${last}`);

/** Runs of uncovered rows kept for the report (the count covers all of them). */
const UNCOVERED_SHOWN = 3;

/**
 * Vectors (a window's features, or its samples) appended one at a time, in one buffer: of exactly the size
 * needed when the number of windows is known (counted by the first pass), else doubled as it fills (O(1)
 * per window on average).
 */
export class Rows<T extends Float64Array | Int16Array> {
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
export type FeatureRows = Rows<Float64Array>;

/** One input file and, in the folder form, the class all of its rows belong to. */
export interface InputFile {
  path: string;
  /** How messages name it. */
  name: string;
  className?: string;
}

/** The pipeline's buffered window, oldest row first, into dst[offset ..). */
function windowInOrder(pipe: FeaturePipeline, dst: Int16Array, offset: number): void {
  const C = pipe.columns, N = pipe.windowRows;
  for (let i = 0, r = pipe.oldestRow(); i < N; i++, r = r + 1 === N ? 0 : r + 1) dst.set(pipe.ring.subarray(r * C, (r + 1) * C), offset + i * C);
}

export interface ReaderSettings {
  folder: boolean;
  /** Rows without labels: one class "". */
  unlabeled: boolean;
  window: number;
  stride: number;
  /** Allowed class names in index order (else the labels found, sorted). */
  classes?: readonly string[];
  /** Whose class names `classes` are, e.g. "model.tpm's classes". */
  classesFrom: string;
  delimiter?: string;
  labelColumn: string;
  /** How messages name the settings involved (see CsvOptions), e.g. "--window 119 (the default)". */
  windowSetting: string;
  labelSetting: string;
  columnsSetting: string;
  /** Appended to errors about a cell's value, and to a missing label column. */
  valueHint: string;
  labelHint: string;
}

/**
 * Walks the rows of the input files once per scan, cutting each run of one label into windows: checks
 * every run (no short or partial window), and either tracks each column's largest |value| (no pipeline)
 * or computes each window's features into the store. Holds one window of line numbers, never rows.
 */
export class WindowReader {
  /** The numeric columns, once the first header has been read. */
  columns: string[] | undefined;
  /** Time columns the first file's header had, left out of the default inputs. */
  timeColumns: string[] = [];
  uncoveredRows = 0;
  uncovered: UncoveredRun[] = [];
  /** Per column, where the first sample beyond its range was (pass 2). */
  firstClipped: (RowPlace | null)[] = [];
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
  /** First line after the run's last complete window (0: none yet). */
  private tailLine = 0;
  private lines: Int32Array;

  constructor(readonly s: ReaderSettings) {
    this.lines = new Int32Array(s.window);
  }

  /**
   * One pass over every file. Without `out`, returns the largest |value| of each column; with it, appends
   * every window's features to out.store (and its WindowInfo to the result).
   */
  scan(files: InputFile[], columns: readonly { name: string }[] | undefined, out: { pipe: FeaturePipeline; store: FeatureRows; samples?: Rows<Int16Array> } | undefined): number[] {
    const { folder, window, stride } = this.s;
    this.names = [];
    this.ids.clear();
    this.windows = [];
    this.perClass = [];
    this.uncoveredRows = 0;
    this.uncovered = [];
    this.windowCount = 0;
    let wanted = columns?.map((c) => c.name);
    let wantedFrom = "";
    const max: number[] = [];
    const clips = out ? new Uint32Array(out.pipe.columns) : undefined;
    if (out) this.firstClipped = Array.from(clips!, () => null);
    for (const file of files) {
      let checked = false;
      const onRow = (row: CsvRow, stream: { source: string; columns: string[]; timeColumns: string[] }): void => {
        if (!checked) {
          checked = true;
          if (wanted === undefined) {
            wanted = [...stream.columns];
            wantedFrom = stream.source;
            this.timeColumns = [...stream.timeColumns];
          }
          if (stream.columns.join(",") !== wanted.join(",")) {
            throw new CsvError(stream.source, 1, `columns ${stream.columns.join(",")} differ from ${wantedFrom || "the other files"}'s ${wanted.join(",")} (every file of a folder needs the same inputs: choose them with --columns)`);
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
        if (this.runRows >= window && (this.runRows - window) % stride === 0) this.tailLine = 0;
        else if (this.tailLine === 0) this.tailLine = row.line;
        if (!out) {
          for (let k = 0; k < row.values.length; k++) max[k] = Math.max(max[k] ?? 0, Math.abs(row.values[k]!));
          return;
        }
        const complete = out.pipe.pushRow(row.values, 0);
        const clipped = out.pipe.clippedSamples;
        for (let c = 0; c < clips!.length; c++) {
          if (clipped[c] === clips![c]) continue;
          clips![c] = clipped[c]!;
          this.firstClipped[c] ??= { source: stream.source, line: row.line };
        }
        if (complete) {
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
      const labelled = !folder && !this.s.unlabeled;
      try {
        forEachCsvRow(file.path, {
          source: file.name, columns: wanted, labelColumn: labelled ? this.s.labelColumn : undefined, delimiter: this.s.delimiter,
          columnsSetting: this.s.columnsSetting, labelSetting: this.s.labelSetting,
        }, onRow);
      } catch (e) {
        if (e instanceof CsvError && this.s.valueHint && /non-numeric|non-finite|empty value|no numeric/.test(e.detail)) {
          throw new CsvError(e.source, e.line, e.detail + this.s.valueHint);
        }
        if (e instanceof CsvError && this.s.labelHint && /missing label column/.test(e.detail)) throw new CsvError(e.source, e.line, e.detail + this.s.labelHint);
        throw e;
      }
      if (this.runRows > 0) this.endRun(file.name, undefined, 0);
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
      const allowed = this.s.classes;
      if (allowed && !allowed.includes(label)) {
        const what = this.s.folder ? `class "${label}" (the file's name)` : `label "${label}"`;
        const near = suggest(label, allowed, "");
        throw new CsvError(source, line, this.s.classesFrom === "the classes given"
          ? `unknown ${what} (expected one of: ${allowed.join(", ")})`
          : `unknown ${what}: not one of ${this.s.classesFrom} (${allowed.join(", ")})${near}`);
      }
      this.ids.set(label, this.names.length);
      this.names.push(label);
      this.perClass.push(0);
    }
    this.runLabel = label;
    this.runRows = 0;
    this.runFirstLine = line;
    this.tailLine = 0;
  }

  /** Checks the finished run: at least one window, and back to back a whole number of them. */
  private endRun(source: string, nextLabel: string | undefined, nextLine: number): void {
    const { window, stride } = this.s, rows = this.runRows;
    const what = this.s.folder ? `class "${this.runLabel}"` : this.s.unlabeled ? "the data" : `label "${this.runLabel}"`;
    const next = nextLabel !== undefined ? `; the label changes to "${nextLabel}" at line ${nextLine}` : "";
    if (rows < window) {
      throw new CsvError(source, this.runFirstLine, `short window: ${rows} rows of ${what} (${lineSpan(this.runFirstLine, this.runLastLine)}) are fewer than ${this.s.windowSetting}${next}`);
    }
    const tail = (rows - window) % stride;
    if (tail !== 0 && stride === window) {
      throw new CsvError(source, this.tailLine, `partial window: ${what} ends with ${tail} rows (${lineSpan(this.tailLine, this.runLastLine)}) that do not fill a window of ${window} rows (${this.s.windowSetting})${next || "; the file ends there"}`);
    }
    if (tail !== 0) {
      this.uncoveredRows += tail;
      if (this.uncovered.length < UNCOVERED_SHOWN) this.uncovered.push({ source, label: this.runLabel, firstLine: this.tailLine, lastLine: this.runLastLine, rows: tail });
    }
    this.windowCount += 1 + Math.floor((rows - window) / stride);
    this.runRows = 0;
  }
}
