// Text for messages: quoting user text, shared by the command-line parser (args.ts) and the CSV reader
// (data/csv-fields.ts, data/csv.ts), so a message never repeats a whole line or file name of unbounded
// length; and numbers a board holds as float32, printed as they were set.

/** At most `max` characters of user text for a message, with the full length when cut. */
export function excerpt(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/** A number held as float32 (a board's learning rate), printed as the value it was set to: 0.02, not 0.019999999552965164. */
export function float32Text(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(7))) : String(x);
}
