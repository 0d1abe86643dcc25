// Strict CSV reader for sensor data (host side, Node): the format, the header and its column resolution,
// the line-by-line stream and the file readers. One line's fields and values are csv-fields.ts's.
//
// Format accepted:
//   - first non-blank line is a header of unique, non-empty column names (a UTF-8 BOM is ignored);
//   - fields are separated by ',', ';' or a tab: the `delimiter` option, or else whichever of the three
//     occurs most often in the header line outside quotes (',' when none does);
//   - a field may be quoted ("a ""b"", c" is the text a "b", c); a quoted field ends on its line;
//   - every other non-blank line is a data row with exactly as many fields as the header;
//   - numeric fields are plain decimal numbers (optional sign, digits, optional fraction and exponent);
//     hex, empty fields, "NaN", "Infinity" and values that overflow to ±Infinity are rejected;
//   - an optional label column (by name) holds a free-text class name; if a label set is given, any other
//     label is rejected;
//   - "\r\n", "\n" and "\r" line ends work;
//   - a line may be at most MAX_LINE_CHARS long (a file without line ends must not fill the memory).
//   - blank (whitespace-only) lines are skipped but still counted for line numbers.
//
// Every error is a CsvError whose message starts with "<source>:<line>: " (1-based line numbers, counting
// the header as line 1), so a user can jump straight to the offending line.
//
// Error messages quote at most a short excerpt of the offending text (never a whole line).
//
// API: CsvStream is the one parser, fed lines (pushLine) or arbitrary text chunks (push, end); each
// CsvRow has its 1-based line, its numeric values in `columns` order and its label. forEachCsvRow streams
// a file in 1 MiB chunks through it and hands over one row at a time (memory independent of the file's
// size: the training data path, host-sim/data/windows.ts); readCsvFile collects a file's rows into a table
// and parseCsv a string's, both only once every line has parsed, so they never yield a partial result.

import { closeSync, openSync, readSync } from "node:fs";
import { CsvError, DELIMITERS, delimiterName, detectDelimiter, looksNumeric, nearNames, parseNumber, splitFields } from "./csv-fields";
import { excerpt } from "../text";

export { CsvError, DELIMITERS, detectDelimiter, nearNames, splitFields } from "./csv-fields";

/** Longest line accepted, in characters. */
export const MAX_LINE_CHARS = 1 << 20;
const READ_CHUNK = 1 << 20;

export interface CsvOptions {
  /** Name used in error messages, normally the file path. Default "<csv>". */
  source?: string;
  /**
   * Numeric columns to extract, in the order wanted in `values`. All must be in the header (else error).
   * Header columns that are neither listed here nor the label column are ignored (not even parsed).
   * Default: every header column except the label column, in header order.
   */
  columns?: readonly string[];
  /** Name of the label column. If given, it must be in the header and every row gets a `label`. */
  labelColumn?: string;
  /** Allowed labels. If given (with labelColumn), any other label is an error. */
  labels?: readonly string[];
  /** Field separator; default: detected from the header ("," else ";" else tab). */
  delimiter?: string;
  /**
   * Where `columns` came from, for messages about them, e.g. "--columns ax,ay" or "model.tpm expects columns
   * ax,ay (its pipeline)". Default "columns".
   */
  columnsSetting?: string;
  /** Where `labelColumn` came from, e.g. "--label-column speed". Default "label column". */
  labelSetting?: string;
}

export interface CsvRow {
  /** 1-based line number of this row in the source. */
  line: number;
  /** Values of the numeric columns, in `columns` order. */
  values: Float64Array;
  /** Label text when a label column is configured. */
  label?: string;
}

export interface CsvTable {
  source: string;
  /** Full header, as in the file. */
  header: string[];
  /** Extracted numeric columns (order of `values`). */
  columns: string[];
  /** Number of data rows. */
  rowCount: number;
  /** Row-major values: values[r * columns.length + c]. */
  values: Float64Array;
  /** 1-based source line of each row. */
  lines: Int32Array;
  /** Per-row labels when a label column is configured. */
  labels?: string[];
}

/**
 * A column that holds time, not a sensor reading (timestamp, millis, t, ...): left out of the default inputs,
 * since a model would learn the recording's clock and a board's sensor has no such column.
 */
export function isTimeColumn(name: string): boolean {
  return /^(t|ts|time|timestamp|date|datetime|millis|micros|ms|us|sec|seconds|elapsed)([ _-]?(ms|us|s|sec))?$/i.test(name.trim());
}

/**
 * Incremental parser. Feed it with `pushLine` (one line, without its line end) or `push` (any chunk of
 * text, lines may be split across chunks), then call `end()` once the input is finished.
 *
 * `pushLine` throws a CsvError for a bad line but leaves the parser usable, so a live reader can report
 * and skip the line. `push` stops at the first bad line and the stream is then failed: every later call
 * rethrows the same error (a whole-file read must not continue past a bad line).
 */
export class CsvStream {
  readonly source: string;
  private readonly opts: CsvOptions;
  private lineNo = 0;
  private pending = "";
  private failed: CsvError | undefined;
  private ended = false;
  private _header: string[] | undefined;
  private _columns: string[] = [];
  private _timeColumns: string[] = [];
  private colIndex: Int32Array = new Int32Array(0);
  private labelIndex = -1;
  private labelSet: Set<string> | undefined;
  private delimiter = ",";

  constructor(options: CsvOptions = {}) {
    this.opts = options;
    this.source = options.source ?? "<csv>";
    if (options.labels && options.labelColumn !== undefined) this.labelSet = new Set(options.labels);
  }

  /** Header names once the header line has been read. */
  get header(): string[] | undefined {
    return this._header;
  }
  /** Numeric columns extracted (order of CsvRow.values); empty until the header has been read. */
  get columns(): string[] {
    return this._columns;
  }
  /** Time columns left out of the default inputs (none when the columns were named). */
  get timeColumns(): string[] {
    return this._timeColumns;
  }
  /** Number of lines consumed so far (the last line number seen). */
  get linesRead(): number {
    return this.lineNo;
  }

  /**
   * Parse one line (no line terminator; a trailing "\r" is tolerated). Returns the row, or undefined for
   * the header line and blank lines.
   */
  pushLine(text: string): CsvRow | undefined {
    if (this.failed) throw this.failed;
    if (this.ended) throw new Error(`${this.source}: CsvStream used after end()`);
    const line = ++this.lineNo;
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    if (text.trim() === "") return undefined;
    if (this._header === undefined) {
      this.readHeader(text, line);
      return undefined;
    }
    return this.readRow(text, line);
  }

  /**
   * Feed a chunk of text. Returns the rows completed by this chunk, or, given `onRow`, hands each one over
   * as soon as it has parsed and returns an empty array (nothing of the chunk outlives it).
   */
  push(chunk: string, onRow?: (row: CsvRow) => void): CsvRow[] {
    if (this.failed) throw this.failed;
    const rows: CsvRow[] = [];
    const emit = onRow ?? ((row: CsvRow) => void rows.push(row));
    const text = this.pending + chunk;
    const ends = /\r\n|\n|\r/g;
    let start = 0;
    for (let m = ends.exec(text); m; m = ends.exec(text)) {
      // A "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
      if (m[0] === "\r" && m.index === text.length - 1) break;
      this.pushAndEmit(text.slice(start, m.index), emit);
      start = m.index + m[0].length;
    }
    this.pending = text.slice(start);
    if (this.pending.length > MAX_LINE_CHARS) {
      this.failed = new CsvError(this.source, this.lineNo + 1, `line longer than ${MAX_LINE_CHARS} characters (is this a CSV file?): "${excerpt(this.pending)}"`);
      throw this.failed;
    }
    return rows;
  }

  /**
   * Finish the input: parses a last line that had no line end, and checks that a header was seen
   * (an input with no header is an "empty file" error). Returns the rows completed by this call (or hands
   * them to `onRow`, as push does).
   */
  end(onRow?: (row: CsvRow) => void): CsvRow[] {
    if (this.failed) throw this.failed;
    const rows: CsvRow[] = [];
    if (this.pending !== "") {
      const last = this.pending;
      this.pending = "";
      this.pushAndEmit(last, onRow ?? ((row) => void rows.push(row)));
    }
    if (this._header === undefined) this.fail(1, "empty file (no header row)");
    this.ended = true;
    return rows;
  }

  private pushAndEmit(text: string, emit: (row: CsvRow) => void): void {
    let row: CsvRow | undefined;
    try {
      row = this.pushLine(text);
    } catch (e) {
      if (e instanceof CsvError) this.failed = e;
      throw e;
    }
    if (row) emit(row);
  }

  private fail(line: number, detail: string): never {
    throw new CsvError(this.source, line, detail);
  }

  private readHeader(text: string, line: number): void {
    const delimiter = this.opts.delimiter ?? detectDelimiter(text);
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r") this.fail(line, `unsupported delimiter ${JSON.stringify(delimiter)} (one character other than a quote or a line end)`);
    this.delimiter = delimiter;
    const split = splitFields(text, delimiter);
    if (typeof split === "string") this.fail(line, `malformed header: ${split}`);
    const names = split.map((s) => s.trim());
    // A header of one column that another delimiter would split: said with any error about its columns.
    const looks = names.length === 1 ? detectDelimiter(text) : delimiter;
    const oneColumn = looks !== delimiter ? `; with --delimiter ${delimiterName(delimiter)} the header is the one column "${excerpt(names[0]!)}", but it looks ${delimiterName(looks)}-separated` : "";
    if (names.every(looksNumeric)) this.fail(line, `missing header row (first line looks like data: "${excerpt(text)}")`);
    const seen = new Set<string>();
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      if (n === "") this.fail(line, `malformed header: column ${i + 1} has an empty name`);
      if (seen.has(n)) this.fail(line, `malformed header: duplicate column "${excerpt(n)}"`);
      seen.add(n);
    }
    const { labelColumn } = this.opts;
    let labelIndex = -1;
    if (labelColumn !== undefined) {
      labelIndex = names.indexOf(labelColumn);
      if (labelIndex < 0) {
        const setting = this.opts.labelSetting ?? "label column";
        this.fail(line, `${setting}: missing label column "${labelColumn}" (header: ${excerpt(names.join(","), 200)})${nearNames([labelColumn], names)}${oneColumn}`);
      }
    }
    // By default every column but the label and time columns (unless time is all there is).
    const others = names.filter((_, i) => i !== labelIndex);
    const sensors = others.filter((n) => !isTimeColumn(n));
    const wanted = this.opts.columns ?? (sensors.length > 0 ? sensors : others);
    this._timeColumns = this.opts.columns || sensors.length === 0 ? [] : others.filter(isTimeColumn);
    const missing = wanted.filter((c) => !seen.has(c));
    if (missing.length > 0) {
      const setting = this.opts.columnsSetting ?? "columns";
      this.fail(line, `${setting}: missing column(s) ${missing.map((c) => `"${c}"`).join(", ")} (header: ${excerpt(names.join(","), 200)})${nearNames(missing, names)}${oneColumn}`);
    }
    if (labelColumn !== undefined && wanted.includes(labelColumn)) {
      this.fail(line, `${this.opts.columnsSetting ?? "columns"}: the label column "${labelColumn}" (${this.opts.labelSetting ?? "label column"}) is also requested as a numeric column`);
    }
    if (wanted.length === 0) this.fail(line, "no numeric columns");
    this._header = names;
    this._columns = [...wanted];
    this.colIndex = Int32Array.from(wanted, (c) => names.indexOf(c));
    this.labelIndex = labelIndex;
  }

  /** Why a row may have the wrong number of fields: another delimiter than the header's, or a trailing one. */
  private raggedHint(text: string, fields: string[]): string {
    const expected = this._header!.length, d = delimiterName(this.delimiter);
    for (const other of DELIMITERS) {
      if (other === this.delimiter) continue;
      const split = splitFields(text, other);
      if (typeof split !== "string" && split.length === expected) {
        return ` (fields are separated by ${d} as in the header, but this line looks ${delimiterName(other)}-separated: mixed delimiters?)`;
      }
    }
    if (fields.length === expected + 1 && fields[expected]!.trim() === "") return ` (a trailing ${d}?)`;
    return ` (fields separated by ${d}, as in the header)`;
  }

  private readRow(text: string, line: number): CsvRow {
    const fields = splitFields(text, this.delimiter);
    if (typeof fields === "string") this.fail(line, `malformed row: ${fields}`);
    const header = this._header!;
    if (fields.length !== header.length) this.fail(line, `wrong number of columns: expected ${header.length}, got ${fields.length}${this.raggedHint(text, fields)}`);
    const values = new Float64Array(this.colIndex.length);
    for (let c = 0; c < this.colIndex.length; c++) {
      const i = this.colIndex[c]!;
      const v = parseNumber(fields[i]!, header[i]!);
      if (typeof v === "string") this.fail(line, v);
      values[c] = v;
    }
    if (this.labelIndex < 0) return { line, values };
    const label = fields[this.labelIndex]!.trim();
    if (label === "") this.fail(line, `empty label in column "${header[this.labelIndex]}"`);
    if (this.labelSet && !this.labelSet.has(label)) {
      this.fail(line, `unknown label "${excerpt(label)}" (expected one of: ${[...this.labelSet].join(", ")})`);
    }
    return { line, values, label };
  }
}

/**
 * Parse a whole CSV text. Returns every row or throws a CsvError; an input with a header but no data rows
 * is an error too (a sensor file without samples is always a mistake).
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const stream = new CsvStream(options);
  const rows = stream.push(text);
  rows.push(...stream.end());
  return toTable(stream, rows, options);
}

/**
 * Stream a CSV file (UTF-8) through the parser in READ_CHUNK pieces, handing each row to `onRow` as it
 * completes; nothing is kept, so memory does not grow with the file. Returns the parser (header, columns,
 * lines read) and the number of data rows. A header with no data rows is an error.
 */
export function forEachCsvRow(path: string, options: CsvOptions, onRow: (row: CsvRow, stream: CsvStream) => void): { stream: CsvStream; rows: number } {
  const stream = new CsvStream({ ...options, source: options.source ?? path });
  const decoder = new TextDecoder("utf-8");
  const chunk = new Uint8Array(READ_CHUNK);
  let count = 0;
  const each = (row: CsvRow): void => {
    count++;
    onRow(row, stream);
  };
  const fd = openSync(path, "r");
  try {
    for (let n = readSync(fd, chunk, 0, READ_CHUNK, null); n > 0; n = readSync(fd, chunk, 0, READ_CHUNK, null)) {
      stream.push(decoder.decode(chunk.subarray(0, n), { stream: true }), each);
    }
    stream.push(decoder.decode(), each);
    stream.end(each);
  } finally {
    closeSync(fd);
  }
  if (count === 0) throw new CsvError(stream.source, stream.linesRead, "no data rows after the header");
  return { stream, rows: count };
}

/** Read and parse a whole CSV file (UTF-8) into a table; `source` defaults to the path. */
export function readCsvFile(path: string, options: CsvOptions = {}): CsvTable {
  const rows: CsvRow[] = [];
  const { stream } = forEachCsvRow(path, options, (r) => rows.push(r));
  return toTable(stream, rows, options);
}

function toTable(stream: CsvStream, rows: CsvRow[], options: CsvOptions): CsvTable {
  if (rows.length === 0) throw new CsvError(stream.source, stream.linesRead, "no data rows after the header");
  const width = stream.columns.length;
  const values = new Float64Array(rows.length * width);
  const lines = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    values.set(r.values, i * width);
    lines[i] = r.line;
  });
  const table: CsvTable = {
    source: stream.source,
    header: [...stream.header!],
    columns: [...stream.columns],
    rowCount: rows.length,
    values,
    lines,
  };
  if (options.labelColumn !== undefined) table.labels = rows.map((r) => r.label!);
  return table;
}
