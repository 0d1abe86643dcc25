import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CsvError, CsvStream, parseCsv, readCsvFile, type CsvOptions } from "../host-sim/data/csv";

/** Expect parseCsv to throw a CsvError at `line` whose message names the source and line and matches `re`. */
function expectError(text: string, line: number, re: RegExp, options: CsvOptions = {}): CsvError {
  const source = options.source ?? "t.csv";
  let err: unknown;
  try {
    parseCsv(text, { ...options, source });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CsvError);
  const e = err as CsvError;
  expect(e.source).toBe(source);
  expect(e.line).toBe(line);
  expect(e.message.startsWith(`${source}:${line}: `)).toBe(true);
  expect(e.message).toMatch(re);
  return e;
}

describe("parseCsv", () => {
  it("parses header and numeric rows, CRLF and LF, no trailing newline", () => {
    for (const nl of ["\n", "\r\n"]) {
      const t = parseCsv(["a,b,c", "1,2.5,-3", "+4,.5,1e3"].join(nl), { source: "x.csv" });
      expect(t.source).toBe("x.csv");
      expect(t.header).toEqual(["a", "b", "c"]);
      expect(t.columns).toEqual(["a", "b", "c"]);
      expect(t.rowCount).toBe(2);
      expect([...t.values]).toEqual([1, 2.5, -3, 4, 0.5, 1000]);
      expect([...t.lines]).toEqual([2, 3]);
      expect(t.labels).toBeUndefined();
    }
  });

  it("skips blank lines but keeps counting them, ignores a BOM, trims spaces around fields", () => {
    const t = parseCsv("\uFEFFa, b\n\n 1 , 2\n   \n3,4\n\n");
    expect(t.header).toEqual(["a", "b"]);
    expect([...t.values]).toEqual([1, 2, 3, 4]);
    expect([...t.lines]).toEqual([3, 5]);
  });

  it("selects and reorders columns, and reads a label column", () => {
    const t = parseCsv("x,name,y,z\n1,foo,2,3\n4,bar,5,6\n", { columns: ["z", "x"], labelColumn: "name", labels: ["foo", "bar"] });
    expect(t.columns).toEqual(["z", "x"]);
    expect([...t.values]).toEqual([3, 1, 6, 4]);
    expect(t.labels).toEqual(["foo", "bar"]);
    // default numeric columns: every column except the label
    expect(parseCsv("x,name\n1,foo\n", { labelColumn: "name" }).columns).toEqual(["x"]);
  });

  it("ignores unrequested columns entirely", () => {
    const t = parseCsv("a,note,b\n1,hello,2\n", { columns: ["a", "b"] });
    expect([...t.values]).toEqual([1, 2]);
  });

  it("empty file", () => {
    expectError("", 1, /empty file/);
    expectError("\n  \r\n\n", 1, /empty file/);
  });

  it("missing header (first line is data)", () => {
    expectError("1,2,3\n4,5,6\n", 1, /missing header/);
  });

  it("malformed header: empty or duplicate names, bad quotes", () => {
    expectError("a,,b\n1,2,3\n", 1, /empty name/);
    expectError("a,b,a\n1,2,3\n", 1, /duplicate column "a"/);
    expectError('"a,b\n1,2\n', 1, /malformed header: unterminated quoted field 1/);
    expectError('a"x",b\n1,2\n', 1, /malformed header: stray quote in field 1/);
  });

  it("quoted fields: delimiters and doubled quotes inside, quoted numbers and labels", () => {
    const t = parseCsv('"time, s","say ""hi""",label\n"1.5", 2 ,"up, left"\n3,"4","down"\n', { labelColumn: "label" });
    expect(t.header).toEqual(["time, s", 'say "hi"', "label"]);
    expect([...t.values]).toEqual([1.5, 2, 3, 4]);
    expect(t.labels).toEqual(["up, left", "down"]);
  });

  it("';' and tab delimiters are detected from the header, or set", () => {
    const semi = parseCsv("a;b;label\n1.5;2;x\n", { labelColumn: "label" });
    expect(semi.header).toEqual(["a", "b", "label"]);
    expect([...semi.values]).toEqual([1.5, 2]);
    expect([...parseCsv("a\tb\n1\t2\n").values]).toEqual([1, 2]);
    expect(parseCsv('"x,1";"y,2"\n1;2\n').header).toEqual(["x,1", "y,2"]);
    // set explicitly: a one-column file whose name contains ';'
    expect(parseCsv("a;b\n1\n", { delimiter: "," }).header).toEqual(["a;b"]);
    expectError("a,b\n1,2\n", 1, /unsupported delimiter "\\""/, { delimiter: '"' });
  });

  it("missing requested columns and missing label column", () => {
    expectError("aX,aY\n1,2\n", 1, /missing column\(s\) "aZ", "gX"/, { columns: ["aX", "aY", "aZ", "gX"] });
    expectError("a,b\n1,2\n", 1, /missing label column "label"/, { labelColumn: "label" });
  });

  it("header only is an error for a whole file", () => {
    expectError("a,b\n", 1, /no data rows/);
  });

  it("wrong number of columns (too few, too many, trailing comma)", () => {
    expectError("a,b,c\n1,2,3\n1,2\n", 3, /wrong number of columns: expected 3, got 2/);
    expectError("a,b,c\n1,2,3,4\n", 2, /expected 3, got 4/);
    expectError("a,b\n\n\n1,2,\n", 4, /expected 2, got 3/);
  });

  it("malformed row: bad quotes, empty value", () => {
    expectError('a,b\n1,2\n"1,2\n', 3, /malformed row: unterminated quoted field 1/);
    expectError('a,b\n1,2\n"1"x,2\n', 3, /malformed row: unexpected text after the closing quote of field 1/);
    expectError('a,b\n1,2\n1,2"\n', 3, /malformed row: stray quote in field 2/);
    expectError("a,b\n1,\n", 2, /empty value in column "b"/);
  });

  it("non-numeric values", () => {
    for (const bad of ["abc", "0x10", "1,5".replace(",", ";"), "1.2.3", "--1", "1e", "e5", "12abc"]) {
      expectError(`a,b\n1,2\n3,${bad}\n`, 3, new RegExp(`non-numeric value "${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}" in column "b"`));
    }
  });

  it("NaN and infinities, including overflow", () => {
    for (const bad of ["NaN", "nan", "Infinity", "-Infinity", "inf", "+INF"]) {
      expectError(`a,b\n${bad},2\n`, 2, /non-finite value/);
    }
    expectError("a,b\n1,2\n1e999,2\n", 3, /non-finite value "1e999".*overflows/);
  });

  it("labels: unknown, empty", () => {
    const opts = { labelColumn: "label", labels: ["up", "down"] };
    const e = expectError("v,label\n1,up\n2,sideways\n", 3, /unknown label "sideways" \(expected one of: up, down\)/, opts);
    expect(e.detail).toMatch(/^unknown label/);
    expectError("v,label\n1,\n", 2, /empty label/, opts);
    // without a label set any label is accepted
    expect(parseCsv("v,label\n1,sideways\n", { labelColumn: "label" }).labels).toEqual(["sideways"]);
  });

  it("never returns a partial result: an error on the last line throws for the whole file", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `${i},${i}`);
    expect(() => parseCsv(`a,b\n${rows.join("\n")}\n5,x\n`)).toThrow(CsvError);
  });

  it("readCsvFile names the file path in errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-csv-"));
    const path = join(dir, "bad.csv");
    writeFileSync(path, "a,b\n1,2\n3,oops\n");
    expect(() => readCsvFile(path)).toThrow(`${path}:3: non-numeric value "oops" in column "b"`);
    writeFileSync(path, "a,b\n1,2\n");
    expect([...readCsvFile(path).values]).toEqual([1, 2]);
  });
});

describe("CsvStream", () => {
  const text = "aX,label,aY\r\n1,up,2\r\n\r\n3,down,4\r\n5,up,6";

  it("gives the same rows as parseCsv however the input is chunked", () => {
    const whole = parseCsv(text, { labelColumn: "label" });
    for (const size of [1, 2, 3, 7, 1000]) {
      const s = new CsvStream({ labelColumn: "label" });
      const rows = [];
      for (let i = 0; i < text.length; i += size) rows.push(...s.push(text.slice(i, i + size)));
      rows.push(...s.end());
      expect(rows.map((r) => r.line)).toEqual([...whole.lines]);
      expect(rows.flatMap((r) => [...r.values])).toEqual([...whole.values]);
      expect(rows.map((r) => r.label)).toEqual(whole.labels);
      expect(s.header).toEqual(["aX", "label", "aY"]);
      expect(s.columns).toEqual(["aX", "aY"]);
    }
  });

  it("returns rows as soon as their line is complete", () => {
    const s = new CsvStream();
    expect(s.push("a,b\n1,")).toEqual([]);
    const rows = s.push("2\n3,4");
    expect(rows).toHaveLength(1);
    expect([...rows[0]!.values]).toEqual([1, 2]);
    expect(rows[0]!.line).toBe(2);
    const last = s.end();
    expect(last.map((r) => [...r.values])).toEqual([[3, 4]]);
  });

  it("push fails for good after a bad line", () => {
    const s = new CsvStream({ source: "stdin" });
    expect(s.push("a,b\n1,2\n")).toHaveLength(1);
    expect(() => s.push("x,2\n3,4\n")).toThrow("stdin:3: non-numeric");
    expect(() => s.push("5,6\n")).toThrow("stdin:3: non-numeric");
    expect(() => s.end()).toThrow("stdin:3: non-numeric");
  });

  it("pushLine reports a bad line and lets the caller skip it", () => {
    const s = new CsvStream({ source: "stdin" });
    expect(s.pushLine("a,b")).toBeUndefined();
    expect(() => s.pushLine("1")).toThrow("stdin:2: wrong number of columns");
    const row = s.pushLine("3,4\r");
    expect(row?.line).toBe(3);
    expect([...row!.values]).toEqual([3, 4]);
    expect(s.pushLine("")).toBeUndefined();
    expect(s.end()).toEqual([]);
  });

  it("end() without a header is an empty-file error; header-only stream is fine", () => {
    expect(() => new CsvStream({ source: "stdin" }).end()).toThrow("stdin:1: empty file");
    const s = new CsvStream();
    s.push("a,b\n");
    expect(s.end()).toEqual([]);
  });
});
