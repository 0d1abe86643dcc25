// CSV reader additions: chunked file reads, CR line ends, detected and given delimiters, bounded lines,
// and error messages that quote only a short excerpt.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CsvError, MAX_LINE_CHARS, CsvStream, parseCsv, readCsvFile } from "../host-sim/data/csv";

describe("CSV reader: line ends, delimiters, bounds", () => {
  it("reads CR-only line ends, also when a CRLF is split between chunks", () => {
    expect([...parseCsv("a,b\r1,2\r3,4\r").values]).toEqual([1, 2, 3, 4]);
    const s = new CsvStream();
    const rows = [...s.push("a,b\r"), ...s.push("\n1,2\r"), ...s.push("\n3,4"), ...s.end()];
    expect(rows.map((r) => r.line)).toEqual([2, 3]);
  });

  it("detects ';' and tab delimiters from the header, or takes the one given", () => {
    expect([...parseCsv("a;b\n1;2\n").values]).toEqual([1, 2]);
    expect([...parseCsv("a\tb\n1\t2\n").values]).toEqual([1, 2]);
    expect([...parseCsv("a|b\n1|2\n", { delimiter: "|" }).values]).toEqual([1, 2]);
  });

  it("quotes at most a short excerpt of a bad value or line", () => {
    const long = "x".repeat(100_000);
    let err: unknown;
    try {
      parseCsv(`a,b\n1,${long}\n`, { source: "t.csv" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CsvError);
    expect((err as Error).message.length).toBeLessThan(200);
    expect((err as Error).message).toMatch(/^t\.csv:2: non-numeric value "x{60}\.\.\. \(100000 characters\)"/);
  });

  it("refuses a line longer than MAX_LINE_CHARS without holding more of it", () => {
    const s = new CsvStream({ source: "big.csv" });
    s.push("a,b\n");
    const piece = "1".repeat(64 * 1024);
    expect(() => {
      for (let i = 0; i * piece.length <= MAX_LINE_CHARS + piece.length; i++) s.push(piece);
    }).toThrow(/big\.csv:2: line longer than 1048576 characters/);
  });

  it("readCsvFile reads a file larger than its chunk with the same rows", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-csv-"));
    const path = join(dir, "big.csv");
    const n = 200_000; // ~2.4 MB: several 1 MiB chunks, with lines split across chunk ends
    writeFileSync(path, "a,b\r\n" + Array.from({ length: n }, (_, i) => `${i},${i % 7}`).join("\r\n"));
    const t = readCsvFile(path);
    expect(t.rowCount).toBe(n);
    expect(t.values[2 * (n - 1)]).toBe(n - 1);
    expect(t.lines[n - 1]).toBe(n + 1);
  });
});
