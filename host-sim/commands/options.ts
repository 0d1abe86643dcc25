// Option groups shared by several commands, declared once so that a name means the same thing everywhere
// (one vocabulary: -o/--output, --port/--baud, --seed, --batch-size for the optimizer's minibatch,
// --frame-samples for what one SAMPLE_BATCH frame carries). Commands spread these into their tables.
import type { OptionTable } from "../args";
import { DEFAULT_BAUD } from "../link/open";

/** The serial link to a board or to `tinyprop sim`. */
export const linkOptions = {
  port: { type: "string", short: "p", value: "PATH", help: "serial device, the path `tinyprop sim` prints, or auto (the only likely ESP32 port; see tinyprop ports)" },
  baud: { type: "int", value: "N", help: "line rate", default: DEFAULT_BAUD, min: 300, max: 20_000_000 },
} satisfies OptionTable;

/** How sensor CSV is read (host-sim/data): shared by train, evaluate, stream, predict and quantize. */
export const dataOptions = {
  "label-column": { type: "string", value: "NAME", help: "column holding the class name, for a single CSV file (a folder of per-class files needs none)", default: "label" },
  columns: { type: "string", value: "A,B:RANGE,...", help: "input columns by name (case as in the file), each optionally with its full scale and unit, e.g. ax:4g,gz:2000dps (default: every column but the label column and time columns such as timestamp or millis, full scale learned from the data; a model's own columns when it has them)" },
  window: { type: "int", value: "ROWS", help: "rows per window (default 119, or the model's); 1 = one labelled row per sample (tabular data)", min: 1, max: 2048 },
  stride: { type: "int", value: "ROWS", help: "rows from one window start to the next (default: the window, i.e. back to back)", min: 1, max: 1 << 20 },
  features: { type: "string", value: "SETS", help: "features per window, comma-separated: stats, spectrum[:bands], raw[:points] (default stats; raw for --window 1)" },
  delimiter: { type: "string", value: "CHAR", help: "CSV field separator (default: detected from the header)", choices: [",", ";", "tab"] },
} satisfies OptionTable;

/** Which part of the data is held out to measure accuracy. */
export const splitOptions = {
  "test-split": { type: "number", value: "F", help: "fraction of each class held out for testing, chosen at random with --seed (default: the last 5 windows of each class in file order)", min: 0, max: 0.9 },
  test: { type: "string", value: "PATH", help: "CSV file or folder used as the test set instead of a split (all of the data then trains)" },
} satisfies OptionTable;

/** Output of long-running commands. */
export const outputOptions = {
  json: { type: "flag", help: "print progress and the summary as JSON lines on stdout (one object per line)" },
  quiet: { type: "flag", short: "q", help: "print only errors and the final summary" },
} satisfies OptionTable;

/** Where a run's chart and log go. */
export function reportOptions(name: string): OptionTable {
  return {
    chart: { type: "string", value: "FILE", help: "SVG chart of loss and accuracy (a PNG is written beside it)", default: `out/${name}-chart.svg` },
    log: { type: "string", value: "FILE", help: "JSON log of the run", default: `out/${name}-log.json` },
  };
}

/** -o/--output. */
export function outputFile(what: string, required = true): OptionTable {
  return { output: { type: "string", short: "o", value: "FILE", help: `${what}${required ? "" : " (optional)"}` } };
}

