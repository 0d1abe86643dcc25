// What a long-running command prints, in one of three modes:
//   text  (default): lines and a progress bar (redrawn in place on a terminal);
//   quiet (--quiet): only warnings and the final summary lines;
//   json  (--json):  one JSON object per line on stdout ({"type":"progress"|"summary"|...}), nothing else,
//                    so a script can read the run; warnings still go to stderr as text. The last object
//                    of a run that succeeds is its {"type":"summary"}.
// Every long command takes --json/--quiet from commands/options.ts (outputOptions) and prints through one
// Output made by outputFor(args).
import type { Args } from "../args";
import { ProgressBar } from "./progress";

export type OutputMode = "text" | "quiet" | "json";

export class Output {
  constructor(readonly mode: OutputMode = "text", private readonly write: (line: string) => void = (l) => console.log(l)) {}

  /** Informational line (suppressed by --quiet and --json). */
  info(line: string): void {
    if (this.mode === "text") this.write(line);
  }

  /** A warning: text on stderr in every mode. */
  warn(line: string): void {
    console.error(`warning: ${line}`);
  }

  /** A line the user must see whatever the mode (a data report): with the output, or on stderr in json mode. */
  note(line: string): void {
    if (this.mode === "json") console.error(line);
    else this.write(line);
  }

  /** A summary line: printed in text and quiet modes; in json mode the summary object carries it. */
  summary(line: string): void {
    if (this.mode !== "json") this.write(line);
  }

  /** A machine-readable event (json mode only). */
  event(type: string, fields: Record<string, unknown>): void {
    if (this.mode === "json") this.write(JSON.stringify({ type, ...fields }, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
  }

  /** A progress bar in text mode; a no-op one otherwise. */
  progress(label: string, total: number): Pick<ProgressBar, "update" | "done"> {
    return this.mode === "text" ? new ProgressBar(label, total) : { update: () => undefined, done: () => undefined };
  }
}

/** The Output of a command that declares outputOptions (--json, --quiet). */
export function outputFor(args: Args): Output {
  return new Output(args.flag("json") ? "json" : args.flag("quiet") ? "quiet" : "text");
}
