// Quoting user text in messages, shared by the command-line parser (args.ts) and the CSV reader
// (data/csv-fields.ts, data/csv.ts): a message never repeats a whole line or file name of unbounded length.

/** At most `max` characters of user text for a message, with the full length when cut. */
export function excerpt(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}
