// The field level of the CSV reader (csv.ts): splitting one line into fields (quotes, the three
// delimiters), detecting a header's delimiter, parsing one numeric field strictly, and CsvError with the
// name suggestions its messages use. Everything here is pure and works on one line.
import { suggest } from "../args";
import { excerpt } from "../text";

export class CsvError extends Error {
  override name = "CsvError";
  constructor(
    /** File name (or other source label) the error refers to. */
    readonly source: string,
    /** 1-based line number. */
    readonly line: number,
    /** Description without the location prefix. */
    readonly detail: string,
  ) {
    super(`${source}:${line}: ${detail}`);
  }
}

/** The delimiters a file may use. */
export const DELIMITERS = [",", ";", "\t"] as const;

/** The delimiter of a header line: the one of DELIMITERS found most often outside quotes (',' if none). */
export function detectDelimiter(header: string): string {
  let best = ",", bestCount = 0;
  for (const d of DELIMITERS) {
    const n = splitFields(header, d);
    const count = typeof n === "string" ? 0 : n.length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Split one line into fields (quotes removed, "" inside quotes is a quote); an error detail if malformed. */
export function splitFields(text: string, delimiter: string): string[] | string {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    // leading blanks before an opening quote are allowed (a field is trimmed anyway)
    let j = i;
    while (j < text.length && (text[j] === " " || (text[j] === "\t" && delimiter !== "\t"))) j++;
    if (text[j] === '"') {
      j++;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return `unterminated quoted field ${fields.length + 1} (a quoted field must end on its line)`;
        field += text.slice(j, q);
        if (text[q + 1] === '"') {
          field += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      while (j < text.length && text[j] !== delimiter && text[j].trim() === "") j++;
      if (j < text.length && text[j] !== delimiter) return `unexpected text after the closing quote of field ${fields.length + 1}`;
    } else {
      const end = text.indexOf(delimiter, i);
      field = text.slice(i, end < 0 ? text.length : end);
      if (field.includes('"')) return `stray quote in field ${fields.length + 1} (quote the whole field, doubling inner quotes)`;
      j = end < 0 ? text.length : end;
    }
    fields.push(field);
    if (j >= text.length) return fields;
    i = j + 1;
  }
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE_RE = /^[+-]?(?:nan|inf|infinity)$/i;

/** Parse one numeric field; returns the value or an error detail string. */
export function parseNumber(field: string, column: string): number | string {
  const t = field.trim();
  if (t === "") return `empty value in column "${column}"`;
  if (NON_FINITE_RE.test(t)) return `non-finite value "${t}" in column "${column}"`;
  if (!NUMBER_RE.test(t)) {
    const comma = /^[+-]?\d*,\d+$/.test(t) ? ` (a decimal comma? write ${t.replace(",", ".")})` : "";
    return `non-numeric value "${excerpt(t)}" in column "${column}"${comma}`;
  }
  const v = Number(t);
  if (!Number.isFinite(v)) return `non-finite value "${excerpt(t)}" in column "${column}" (overflows)`;
  return v;
}

/**
 * " (did you mean "ay"?)" for names missing from `names`: the same letters in another case first, else a
 * near miss; "" when none is close.
 */
export function nearNames(missing: readonly string[], names: readonly string[]): string {
  let caseOnly = false;
  const found: string[] = [];
  for (const name of missing) {
    const sameCase = names.find((n) => n.toLowerCase() === name.toLowerCase());
    if (sameCase !== undefined) caseOnly = true;
    const near = sameCase ?? /did you mean (.*)\?\)$/.exec(suggest(name, names, ""))?.[1];
    if (near !== undefined && !found.includes(near)) found.push(near);
  }
  if (found.length === 0) return "";
  return ` (did you mean ${found.slice(0, 6).map((n) => `"${n}"`).join(", ")}?${caseOnly ? " names are case-sensitive" : ""})`;
}

/** Name of a delimiter for messages: "," ";" or "tab". */
export const delimiterName = (d: string): string => (d === "\t" ? "tab" : JSON.stringify(d));

export function looksNumeric(field: string): boolean {
  const t = field.trim();
  return NUMBER_RE.test(t) || NON_FINITE_RE.test(t);
}
