// `tinyprop record | learn | watch`: the board's own sensor (docs/sensor.md). record writes the windows the
// board samples as CSV in the layout `train` reads (a folder of per-class files); learn has the board train
// on its own windows of one class; watch prints the board's live classification. The board needs an input
// pipeline first (stream --raw installs one, or a model that has one).
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "./command";
import { UsageError } from "../args";
import { linkOptions, outputOptions } from "./options";
import { outputFor } from "../report/output";
import { resolvePort } from "./ports";
import { openLink } from "../link/open";
import type { HostLink } from "../link/link";
import { getPipeline, MODES, setSensorMode, SensorFeed, type RecordedWindow, type SensorResultInfo } from "../link/sensor-link";
import { INT16_FULL, type PipelineSpec } from "../../src/features/index";

/**
 * Waits until `done()` or the board reports the end of its mode; checks the link every 50 ms. Gives up when
 * the board sends no window and no result for `timeoutMs` (a long count on a slow sensor is not a timeout).
 */
async function until(feed: SensorFeed, done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  let heard = feed.windows.length + feed.results.length;
  let since = Date.now();
  while (!done()) {
    if (feed.problems.length > 0) throw new Error(feed.problems.join("; "));
    const now = feed.windows.length + feed.results.length;
    if (now !== heard) {
      heard = now;
      since = Date.now();
    }
    if (Date.now() - since > timeoutMs) throw new Error(`${what}: the board sent nothing new for ${timeoutMs / 1000} s (is its sensor sampling?)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A recorded window as CSV lines in the pipeline's units (value = counts x range / 32767, 7 digits). */
export function windowRows(w: RecordedWindow, p: PipelineSpec): string[] {
  const lines: string[] = [];
  for (let r = 0; r < w.rows; r++) {
    const cells: string[] = [];
    // 7 significant digits: a count is 1/32767 of the range, so reading the CSV back gives the same counts.
    for (let c = 0; c < w.columns; c++) cells.push(String(Number(((w.counts[r * w.columns + c]! * p.ranges[c]!) / INT16_FULL).toPrecision(7))));
    lines.push(cells.join(","));
  }
  return lines;
}

/** The clipped-sample count of a mode's results (each result carries the count since the mode began). */
export function clippedOf(results: readonly SensorResultInfo[]): number {
  return results.reduce((n, r) => Math.max(n, r.clipped), 0);
}

/** The warning for `n` clipped samples ("" when none): issue 12, nothing is clamped silently. */
export function clippedWarning(n: number, what: string, p?: PipelineSpec): string {
  if (n === 0) return "";
  const ranges = p ? ` (ranges ${p.columns.map((c, i) => `${c} ±${p.ranges[i]}`).join(", ")})` : "";
  return `${n} sensor sample(s) were beyond their column's range${ranges} and clipped to it${what}`;
}

/** The clipped-model-input count of a mode's results (each result carries the count since the mode began). */
export function clippedFeaturesOf(results: readonly SensorResultInfo[]): number {
  return results.reduce((n, r) => Math.max(n, r.clippedFeatures), 0);
}

/** The warning for `n` normalised features clipped to the pipeline's ±clip on the board ("" when none). */
export function clippedFeaturesWarning(n: number, what: string): string {
  if (n === 0) return "";
  return `${n} model input(s) (normalised features) were beyond the pipeline's clip and given to the model as ±clip${what}: the sensor reads outside what the training data covered`;
}

export interface RecordOptions { label: string; count: number; dir: string; timeoutMs?: number; print?: (line: string) => void }

/** Record `count` windows of the board's sensor into <dir>/<label>.csv (appended; header written once). */
export async function recordRun(link: HostLink, o: RecordOptions): Promise<{ file: string; windows: RecordedWindow[]; clipped: number; warning: string }> {
  if (!/^[\w.-]+$/.test(o.label)) throw new UsageError(`--label "${o.label}": use letters, digits, '.', '_' or '-' (it names the CSV file)`);
  const pipeline = await getPipeline(link);
  const feed = new SensorFeed((w) => o.print?.(`window ${w.index + 1}/${o.count}: ${w.rows} rows`));
  feed.listen(link);
  try {
    await setSensorMode(link, "record", 0, o.count);
    await until(feed, () => feed.results.some((r) => r.done), o.timeoutMs ?? 30000, "record");
  } finally {
    link.onUnsolicited(undefined);
  }
  mkdirSync(o.dir, { recursive: true });
  const file = join(o.dir, `${o.label}.csv`);
  if (!existsSync(file)) writeFileSync(file, pipeline.columns.join(",") + "\n");
  for (const w of feed.windows) appendFileSync(file, windowRows(w, pipeline).join("\n") + "\n");
  const clipped = clippedOf(feed.results);
  return { file, windows: feed.windows, clipped, warning: clippedWarning(clipped, `: ${file} has them as the range's limit`, pipeline) };
}

export interface LearnOptions { label: string; count: number; timeoutMs?: number; print?: (line: string) => void; onResult?: (r: SensorResultInfo) => void }

/** The board captures `count` windows of class `label` and trains on each; returns its results. */
export async function learnRun(link: HostLink, o: LearnOptions): Promise<SensorResultInfo[]> {
  const pipeline = await getPipeline(link);
  const label = pipeline.classes.indexOf(o.label);
  if (label < 0) throw new UsageError(`--label "${o.label}" is not one of the board's classes (${pipeline.classes.join(", ")})`);
  const feed = new SensorFeed(undefined, (r) => {
    o.print?.(`window ${r.window + 1}/${o.count}: loss ${r.loss.toFixed(4)}`);
    o.onResult?.(r);
  });
  feed.listen(link);
  try {
    await setSensorMode(link, "learn", label, o.count);
    await until(feed, () => feed.results.some((r) => r.done), o.timeoutMs ?? 30000, "learn");
  } finally {
    link.onUnsolicited(undefined);
  }
  await link.saveCheckpoint(); // the learned weights survive a power cycle where the board has storage
  return feed.results;
}

export interface WatchOptions {
  count: number; timeoutMs?: number; print?: (line: string) => void; onResult?: (r: SensorResultInfo, className: string) => void;
  /**
   * Only listen: send no SENSOR_MODE and leave the board's own mode (config.sensor.mode, the learn button)
   * running when done, instead of starting infer and setting the sensor idle at Ctrl-C.
   */
  listen?: boolean;
}

/**
 * The board classifies its windows; prints class and confidence of each (count 0: until interrupted). With
 * `listen`, prints whatever the board's own mode reports (a learn result as its loss) and changes nothing.
 */
export async function watchRun(link: HostLink, o: WatchOptions): Promise<SensorResultInfo[]> {
  const pipeline = await getPipeline(link);
  const name = (i: number) => pipeline.classes[i] ?? `class ${i}`;
  let clipped = 0, clippedFeatures = 0;
  const feed = new SensorFeed(undefined, (r) => {
    let more = r.clipped > clipped ? `  (${r.clipped - clipped} samples clipped to the range)` : "";
    if (r.clippedFeatures > clippedFeatures) more += `  (${r.clippedFeatures - clippedFeatures} model inputs clipped)`;
    clipped = Math.max(clipped, r.clipped);
    clippedFeatures = Math.max(clippedFeatures, r.clippedFeatures);
    const what = r.mode === MODES.learn ? `learned ${name(r.classIndex)}  loss ${r.loss.toFixed(4)}` : `${name(r.classIndex)}  ${(r.confidence * 100).toFixed(1)}%`;
    o.print?.(`${what}${r.dropped ? `  (${r.dropped} results dropped: link busy)` : ""}${more}`);
    o.onResult?.(r, name(r.classIndex));
  });
  feed.listen(link);
  let stop = false;
  const onSignal = () => { stop = true; };
  process.once("SIGINT", onSignal);
  try {
    if (!o.listen) await setSensorMode(link, "infer", 0, o.count);
    await until(feed, () => stop || (o.count > 0 && feed.results.length >= o.count), o.timeoutMs ?? (o.count > 0 ? 30000 : Infinity), "watch");
    if (!o.listen && (stop || o.count === 0)) await setSensorMode(link, "idle");
  } finally {
    process.off("SIGINT", onSignal);
    link.onUnsolicited(undefined);
  }
  return feed.results;
}

const countOption = (what: string, dflt: number) => ({ type: "int", value: "N", help: what, default: dflt, min: 0, max: 65535 }) as const;

async function withLink<T>(port: string, baud: number, f: (link: HostLink) => Promise<T>): Promise<T> {
  const { link } = await openLink(await resolvePort(port), baud);
  try {
    return await f(link);
  } finally {
    await link.close();
  }
}

export const recordCommand: Command = {
  name: "record",
  summary: "record windows of the board's own sensor as CSV that train reads (a folder of per-class files)",
  options: {
    ...linkOptions,
    label: { type: "string", value: "NAME", help: "class being performed: the windows go to <output>/<NAME>.csv" },
    count: countOption("windows to record", 20),
    output: { type: "string", short: "o", value: "DIR", help: "folder of per-class CSV files", default: "data/recorded" },
    ...outputOptions,
  },
  examples: ["tinyprop record --port /dev/ttyUSB0 --label wave --count 20 -o data/mine"],
  async run(args) {
    const label = args.optionalString("label");
    if (label === undefined) throw new UsageError("record needs --label NAME (the class being performed)");
    const out = outputFor(args);
    const r = await withLink(args.string("port"), args.number("baud"), (link) =>
      recordRun(link, { label, count: args.number("count"), dir: args.string("output"), print: (l) => out.info(l) }));
    out.summary(`${r.windows.length} windows appended to ${r.file}`);
    if (r.warning) out.warn(r.warning);
    out.event("summary", { label, windows: r.windows.length, file: r.file, clippedSamples: r.clipped });
    return 0;
  },
};

export const learnCommand: Command = {
  name: "learn",
  summary: "have the board train on its own sensor's windows while you perform one class",
  options: { ...linkOptions, label: { type: "string", value: "NAME", help: "class being performed (one of the board's classes)" }, count: countOption("windows to learn", 10), ...outputOptions },
  examples: ["tinyprop learn --port /dev/ttyUSB0 --label wave --count 10"],
  async run(args) {
    const label = args.optionalString("label");
    if (label === undefined) throw new UsageError("learn needs --label NAME (the class being performed)");
    const out = outputFor(args);
    const results = await withLink(args.string("port"), args.number("baud"), (link) =>
      learnRun(link, { label, count: args.number("count"), print: (l) => out.info(l), onResult: (r) => out.event("window", { window: r.window, loss: r.loss, clippedSamples: r.clipped, clippedFeatures: r.clippedFeatures }) }));
    out.summary(`learned ${results.length} windows of ${label}`);
    const clipped = clippedOf(results), clippedFeatures = clippedFeaturesOf(results);
    if (clipped > 0) out.warn(clippedWarning(clipped, " before the board learned from them"));
    if (clippedFeatures > 0) out.warn(clippedFeaturesWarning(clippedFeatures, " while the board learned"));
    out.event("summary", { label, windows: results.length, clippedSamples: clipped, clippedFeatures });
    return 0;
  },
};

export const watchCommand: Command = {
  name: "watch",
  summary: "print the board's live classification of its own sensor (class and confidence per window)",
  options: {
    ...linkOptions, count: countOption("windows to classify (0: until Ctrl-C)", 0),
    listen: { type: "flag", help: "only listen to the board's own mode (config.sensor.mode, the learn button): start nothing, and leave it running" },
    ...outputOptions,
  },
  examples: ["tinyprop watch --port /dev/ttyUSB0", "tinyprop watch --port /dev/ttyUSB0 --listen --count 10"],
  async run(args) {
    // watch's output is its results: printed in text and quiet modes, one "prediction" object each in json.
    const out = outputFor(args);
    const results = await withLink(args.string("port"), args.number("baud"), (link) => watchRun(link, {
      count: args.number("count"), listen: args.flag("listen"), print: (l) => out.summary(l),
      onResult: (r, className) => out.event("prediction", { window: r.window, mode: r.mode === MODES.learn ? "learn" : "infer", class: className, classIndex: r.classIndex, confidence: r.confidence, loss: r.loss, dropped: r.dropped, clippedSamples: r.clipped, clippedFeatures: r.clippedFeatures }),
    }));
    const clipped = clippedOf(results), clippedFeatures = clippedFeaturesOf(results);
    if (clipped > 0) out.warn(clippedWarning(clipped, " before the board classified them"));
    if (clippedFeatures > 0) out.warn(clippedFeaturesWarning(clippedFeatures, " while the board classified"));
    out.event("summary", { windows: results.length, clippedSamples: clipped, clippedFeatures });
    return 0;
  },
};
