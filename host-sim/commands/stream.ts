// `tinyprop stream`: read sensor CSV, window + feature-extract it (host-sim/data/gestures.ts), validate all
// of it, then stream it to a board (or the simulator) over the wire protocol and watch it train. The data is
// read once, through the pipeline of the board's model unless --init puts a new one there (stream-input.ts).
// Over 400 lines: one run's steps in order (board model and data, --init, resume state, batches, the
// durable end, evaluation, report) read best as one file; each step is a small function here.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "./command";
import { UsageError } from "../args";
import { dataOptions, linkOptions, outputOptions, reportOptions, splitOptions } from "./options";
import { resolvePort } from "./ports";
import { loadSplitData, readSource } from "./data";
import { checkBoardClasses, checkResume, loadStreamInput, ownInput, runIdentity, throughOptions, type RunIdentity, type StreamInput, type StreamLoader } from "./stream-input";
import { describeReport, type GestureDataset } from "../data/gestures";
import { Output, outputFor } from "../report/output";
import { writeRunReport, type HistoryRecord } from "../report/run";
import { argmaxRows, confusionFrom, formatConfusion, type Confusion } from "../report/confusion";
import { Random } from "../../src/index";
import { CAPS_FLAG_MODEL_SPEC, DTYPE_F32 } from "../../src/protocol/index";
import { readPipeline, readSpec } from "../../src/modelfile/index";
import { Opt, resolveSpec } from "../../src/engine/spec";
import { boardSpec, canInstall } from "./weights";
import { initBoard, modelOptions } from "./init";
import { HostLink, LinkError, type DeviceInfo, type TrainConfig, type CheckpointInfo, type LinkStats, type ReportInfo, type SampleBatch, type WeightsSnapshot } from "../link/link";
import { DEFAULT_BAUD, describeDevice, openLink } from "../link/open";
import { PortError, type BytePort } from "../link/port";
import { noCheckpointWarning, saveAtEnd } from "./checkpoint";
import type { FrameSizeBreakpoint } from "../link/frame-size";
import { ensurePipeline } from "../link/sensor-link";

export interface StreamOptions {
  /** CSV file, folder of per-class CSV files, or "-" for standard input. */
  source: string;
  port: string;
  /** An already open port to the board (tests in virtual time); `port` then only names it. */
  connection?: BytePort;
  baud?: number;
  labelColumn?: string;
  epochs?: number;
  batch?: number;
  learningRate?: number;
  /** Seed of the per-epoch shuffle. */
  seed?: number;
  chartPath?: string;
  logPath?: string;
  /** Continue the run recorded in the state file. */
  resume?: boolean;
  /** Start a new run even though the board already trained batches (on top of its current weights). */
  fresh?: boolean;
  /** Where the resumable state goes (default: next to the log, <log>.state.json). */
  statePath?: string;
  /** Asked (on a terminal) when the board already holds training and neither fresh nor resume is set. */
  confirm?: (question: string) => Promise<boolean>;
  output?: Output;
  snapshotEvery?: number;
  print?: (line: string) => void;
  /**
   * Already loaded data (the demo); used when the board's model has no pipeline or the same one, else
   * `load` reads the data through the board's (an error without `load`).
   */
  data?: GestureDataset;
  /**
   * Send raw windows (int16 sensor rows) instead of features: the board computes the features with its
   * copy of the pipeline, which is installed first (PIPELINE_PUT). The data must keep its samples.
   */
  raw?: boolean;
  /** --init: put a fresh model for the data on the board first (commands/init.ts initBoard). */
  init?: (link: HostLink, data: GestureDataset) => Promise<unknown>;
  /**
   * Reads the data, once: with its own pipeline (--init, or a board without one), or through the board's
   * model's pipeline (columns' ranges, features, normalisation) as predict/evaluate do with a model file.
   * Default (no `data` given): `source` read with `labelColumn`.
   */
  load?: StreamLoader;
}

export interface StreamResult {
  testAccuracy: number;
  batches: number;
  samples: number;
  seconds: number;
  history: HistoryRecord[];
  confusion: Confusion;
  stats: LinkStats;
  /** The board's checkpoint state after the final CHECKPOINT_SAVE (undefined: firmware without it). */
  checkpoint: CheckpointInfo | undefined;
}

/** Where a run's resumable state lives: next to its JSON log. */
export function statePath(logPath: string): string {
  return logPath.replace(/\.json$/, "") + ".state.json";
}

interface RunState extends Partial<RunIdentity> {
  fingerprint: string;
  firstBatchId: number;
  totalBatches: number;
  lastCommittedBatchId: number;
  snapshot?: { batchId: number; crc: number; blob: string };
  /** Batch ids from which batches went out split into smaller frames (a noisy line), replayed by --resume. */
  frameSizes?: FrameSizeBreakpoint[];
  port: string;
  updated: string;
}

/**
 * The batch sequence of a run: per epoch a seeded shuffle of the training split, cut into batches of
 * `batch` samples; the remainder of each epoch goes out as a short last batch, so every sample is trained
 * once per epoch (the device trains a frame's samples as consecutive steps of its model).
 */
export function* trainingBatches(data: GestureDataset, epochs: number, batch: number, seed: number, raw = false): Generator<SampleBatch> {
  const n = data.train.count, w = data.inputWidth;
  const samples = data.train.raw;
  if (raw && !samples) throw new Error("raw batches need the data loaded with keepSamples");
  const rows = data.pipeline.window, columns = data.pipeline.columns.length, r = rows * columns;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const rng = new Random(seed);
  for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    for (let s = 0; s < n; s += batch) {
      const k = Math.min(batch, n - s);
      const x = new Float32Array(raw ? 0 : k * w);
      const y = new Uint8Array(k);
      const windows = new Int16Array(raw ? k * r : 0);
      for (let c = 0; c < k; c++) {
        const k = order[s + c]!;
        if (raw) windows.set(samples!.subarray(k * r, (k + 1) * r), c * r);
        else x.set(data.train.x.subarray(k * w, (k + 1) * w), c * w);
        y[c] = data.train.y[k]!;
      }
      yield raw ? { x, y, raw: { data: windows, rows, columns } } : { x, y };
    }
  }
}

/** The device's predictions of the test split (PREDICT requests) as a confusion matrix. */
export async function deviceConfusion(link: HostLink, data: GestureDataset): Promise<Confusion> {
  const k = data.classes.length;
  const scores = data.test.count > 0 ? await link.predict(data.test.x, data.test.count) : new Float32Array(0);
  return confusionFrom(data.classes, data.test.y.subarray(0, data.test.count), argmaxRows(scores, data.test.count, k));
}

/** Fraction of the test split the device classifies correctly (PREDICT requests). */
export async function deviceTestAccuracy(link: HostLink, data: GestureDataset): Promise<number> {
  return accuracyOf(await deviceConfusion(link, data));
}

function accuracyOf(c: Confusion): number {
  const k = c.classes.length;
  let right = 0, all = 0;
  for (let i = 0; i < k * k; i++) {
    all += c.matrix[i]!;
    if (i % (k + 1) === 0) right += c.matrix[i]!;
  }
  return all ? right / all : NaN;
}

/**
 * Samples per SAMPLE_BATCH frame when --batch is not given: as many as fit the board's receive limit (its
 * CAPS maxFrame), at most 8. The device trains them as consecutive steps of its model (batch size 1 for the
 * gesture model: the same steps as one sample per frame), answered by one REPORT, so fewer frames, ACK
 * round trips and reports carry the same training: 0.55 -> 0.70 of line rate at 921600 baud.
 */
export function defaultBatch(inputWidth: number, maxFrame: number, bytesPerValue = 4): number {
  let k = 8;
  while (k > 1 && 12 + ((16 + k + 3) & ~3) + k * inputWidth * bytesPerValue + 4 > maxFrame) k--; // header, labels, data, CRC
  return k;
}

export async function streamRun(o: StreamOptions): Promise<StreamResult> {
  const out = o.output ?? new Output("text", o.print);
  const print = (line: string) => out.info(line);
  const epochs = o.epochs ?? 60, seed = o.seed ?? 7, lr = o.learningRate ?? 0.02;
  const logPath = o.logPath ?? "out/stream-log.json";
  const chartPath = o.chartPath ?? "out/stream-chart.svg";
  const stateFile = o.statePath ?? statePath(logPath);

  const raw = !!o.raw;
  let state: RunState | undefined;
  if (o.resume) {
    if (!existsSync(stateFile)) throw new UsageError(`--resume: no saved run at ${stateFile}`);
    state = JSON.parse(readFileSync(stateFile, "utf8")) as RunState;
  }
  const load: StreamLoader | undefined = o.load ?? (o.data ? undefined
    : (through) => readSource(o.source, { labelColumn: o.labelColumn, keepSamples: raw, ...throughOptions(through) }));

  // 1. With --init the data makes the board's new model: it is read and validated before a byte goes out.
  // Without it the board's model decides how the data is read: connect, read the model (MODEL_GET, nothing
  // changes on the board), read the data once through its pipeline, then check that the model fits it.
  let input: StreamInput | undefined = o.init ? ownInput(o.data ?? await load!()) : undefined;
  let link: HostLink, info: DeviceInfo;
  ({ link, info } = await openLink(o.connection ?? o.port, o.baud ?? DEFAULT_BAUD));
  let boardFile: Uint8Array | undefined;
  try {
    if (!input) {
      boardFile = canInstall(link) ? (await link.getModel()).blob : undefined;
      input = await loadStreamInput(load, o.data, boardFile && readPipeline(boardFile), o.source);
      link.expectModel({ inputs: input.data.inputWidth, classes: input.data.classes.length, inputDtype: DTYPE_F32 });
      if (boardFile) checkBoardClasses(boardFile, input.data.classes);
    }
    if (raw && !input.data.train.raw) throw new UsageError("--raw: the data's windows were not kept (load it with keepSamples; --test files are not supported with --raw)");
  } catch (e) {
    link.destroy();
    if (e instanceof LinkError && e.code === "MODEL_MISMATCH") throw new LinkError("MODEL_MISMATCH", `${e.message}; put a model for this data on the board with --init (or tinyprop init / weights put)`);
    throw e;
  }
  const data = input.data;
  print(`data: ${data.train.count} training and ${data.test.count} test windows, ${data.inputWidth} features, classes ${data.classes.join(", ")}`);
  if (input.throughBoard) print(`inputs: normalised with ${input.pipelineFrom} (its column ranges and the mean/scale learned from its training data)`);
  for (const line of describeReport(data.report)) out.note(line);
  const rawValues = data.pipeline.window * data.pipeline.columns.length;
  if (raw) print(`raw windows: ${data.pipeline.window} rows x ${data.pipeline.columns.length} columns (int16) per sample; the board computes the ${data.inputWidth} features`);

  // 2. The run's shape, and --resume's check that it continues the same run.
  // Without --frame-samples, as many samples per frame as the board's receive limit (CAPS maxFrame) takes
  // (before --init changes anything on the board, so a refused --resume leaves it as it was).
  const batch = o.batch ?? (raw ? defaultBatch(rawValues, info.maxFrame, 2) : defaultBatch(data.inputWidth, info.maxFrame));
  const perEpoch = Math.ceil(data.train.count / batch); // the last one short when batch does not divide the set
  if (perEpoch < 1) {
    await link.close();
    throw new UsageError(`--frame-samples ${batch} is larger than the ${data.train.count} training windows`);
  }
  const total = perEpoch * epochs;
  const identity = runIdentity(input, { epochs, batch, seed, lr, raw });
  if (state) {
    try {
      checkResume(state, identity, stateFile);
    } catch (e) {
      await link.close();
      throw e;
    }
  }
  if (o.init) {
    await o.init(link, data);
    info = link.info!;
  }
  // The board's whole model (MODEL_GET, where the firmware installs models): its settings.
  if (o.init && canInstall(link)) boardFile = (await link.getModel()).blob;
  for (const line of describeDevice(info)) print(`device: ${line}`);
  const noCheckpoints = noCheckpointWarning(info);
  if (noCheckpoints) out.warn(noCheckpoints);
  // A board that already trained batches holds an earlier run: going on silently would train a second
  // run on top of it and overwrite that run's saved state.
  if (!state && info.lastCommittedBatchId > 0 && !o.fresh) {
    const question = `the board already trained up to batch ${info.lastCommittedBatchId} (an earlier run, or weights put --batch-id)`;
    if (!(o.confirm && await o.confirm(`${question}; start a new run on top of its weights? [y/N] `))) {
      await link.close();
      throw new UsageError(`${question}. Use --resume to continue the run saved at ${stateFile}, or --fresh to start a new run on top of the board's current weights.`);
    }
  }
  const firstBatchId = state ? state.firstBatchId : info.lastCommittedBatchId + 1;
  let snapshot: WeightsSnapshot | undefined = state?.snapshot
    ? { batchId: state.snapshot.batchId, crc: state.snapshot.crc, blob: new Uint8Array(Buffer.from(state.snapshot.blob, "base64")) }
    : undefined;
  let committed = state ? state.lastCommittedBatchId : firstBatchId - 1;
  let frameSizes = state?.frameSizes;
  const saveState = () => {
    mkdirSync(dirname(stateFile), { recursive: true });
    const s: RunState = {
      ...identity, firstBatchId, totalBatches: total, lastCommittedBatchId: committed, port: o.port, updated: new Date().toISOString(), frameSizes,
      snapshot: snapshot ? { batchId: snapshot.batchId, crc: snapshot.crc, blob: Buffer.from(snapshot.blob).toString("base64") } : undefined,
    };
    writeFileSync(stateFile, JSON.stringify(s));
  };
  saveState();
  print(`run state (for --resume): ${stateFile}`);
  if (state) print(`resuming: the device is at batch ${info.lastCommittedBatchId}; run of ${total} batches from batch ${firstBatchId}`);

  // 3. Stream, with progress from the device's REPORTs.
  const history: HistoryRecord[] = [];
  const acc = new Map<number, { loss: number; accuracy: number; n: number }>();
  const bar = out.progress("streaming", total);
  const start = performance.now();
  const onReport = (r: ReportInfo) => {
    committed = r.batchId;
    // 0-based within the run; on a noisy line a batch may go out as several frames (ids), each reported.
    const index = r.sourceBatch ?? r.batchId - firstBatchId;
    const epoch = Math.floor(index / perEpoch) + 1;
    const e = acc.get(epoch) ?? { loss: 0, accuracy: 0, n: 0 };
    if (!r.replay) {
      if (Number.isFinite(r.loss)) e.loss += r.loss;
      e.accuracy += r.accuracy;
      e.n++;
      acc.set(epoch, e);
    }
    // The bar shows the mean of the epoch so far: at the end, exactly the last epoch's figures below.
    const loss = e.n ? e.loss / e.n : NaN, accuracy = e.n ? e.accuracy / e.n : NaN;
    bar.update(r.sourceDone === false ? index : index + 1, `epoch ${epoch}/${epochs}  loss ${loss.toFixed(4)}  train ${(accuracy * 100).toFixed(1)}%`);
    out.event("progress", { batchId: r.batchId, batch: index + 1, batches: total, epoch, epochs, loss: r.loss, accuracy: r.accuracy, epochLoss: loss, epochAccuracy: accuracy });
  };
  let result, seconds, confusion: Confusion, checkpoint: CheckpointInfo | undefined;
  const ended: string[] = [];
  try {
    await link.configure({ ...(await boardSettings(link, boardFile)), learningRate: lr, batchSize: batch });
    // Frames shrink while the line loses them, at multiples of the model's own batch size (the same steps).
    const unit = boardFile ? readSpec(boardFile).batchSize ?? 1 : ((info.flags ?? 0) & CAPS_FLAG_MODEL_SPEC) !== 0 ? (await boardSpec(link)).batchSize ?? 1 : batch;
    if (raw) {
      // The board computes the features with this pipeline and keeps it in its checkpoint: it is sent only
      // when the board's differs (a board without checkpoint storage loses it at a reset: then it is re-sent).
      if (!(await ensurePipeline(link, data.pipeline))) print("pipeline: the board has this one already");
      link.onNewSession(() => ensurePipeline(link, data.pipeline).then(() => undefined));
    }
    result = await link.sendBatches(trainingBatches(data, epochs, batch, seed, raw), onReport, {
      firstBatchId, snapshot, snapshotEvery: o.snapshotEvery ?? 500,
      adaptFrames: { unit, schedule: frameSizes, onSchedule: (s) => { frameSizes = s; saveState(); } },
      onSnapshot: (s) => { snapshot = s; saveState(); },
    });
    bar.done();
    seconds = (performance.now() - start) / 1000;
    // The run is durable before anything else: CHECKPOINT_SAVE, its line printed with the summary.
    checkpoint = await saveAtEnd(link, { summary: (l) => ended.push(l), warn: (l) => out.warn(l) });
    // 4. Evaluate on the held-out split with PREDICT requests (inside the same recovery and error handling).
    confusion = await deviceConfusion(link, data);
  } catch (err) {
    saveState();
    link.destroy();
    if (err instanceof LinkError || err instanceof PortError) {
      throw new LinkError(err instanceof LinkError ? err.code : "PORT_CLOSED",
        `${err.message}\nthe run stopped after batch ${committed}; state saved to ${stateFile}; resume with the same command plus --resume`);
    }
    throw err;
  }
  saveState();
  for (const [epoch, e] of [...acc.entries()].sort((a, b) => a[0] - b[0])) {
    history.push({ epoch, trainLoss: e.n ? e.loss / e.n : NaN, trainAccuracy: e.n ? e.accuracy / e.n : NaN, testLoss: NaN, testAccuracy: NaN });
  }

  const testAccuracy = accuracyOf(confusion);
  if (history.length > 0) history[history.length - 1]!.testAccuracy = testAccuracy;
  const stats = { ...link.stats };
  const dec = link.decoderStats;
  await link.close();

  const samples = result.samples;
  const short = data.train.count % batch;
  print(`trained ${epochs} epoch(s) x ${data.train.count} windows, each once per epoch (${perEpoch} frames per epoch` +
    (short ? `, the last one of ${short} samples` : "") + ")");
  print(`streamed ${result.batches} batches (${samples} samples) in ${seconds.toFixed(1)} s: ${(samples / seconds).toFixed(0)} samples/s` +
    (result.skipped ? `, ${result.skipped} already on the device` : "") + (result.replayed ? `, ${result.replayed} replayed after a device reset` : "") +
    (result.split ? `; ${result.split} batches went out as smaller frames while the line was losing frames` : "") +
    (result.sliced ? `; ${result.sliced} raw windows went out in slices of rows (RAW_SLICE)` : ""));
  print(`link: ${stats.bytesWritten} bytes out, ${stats.bytesRead} in, ${stats.framesRetransmitted} frames retransmitted, ${stats.timeouts} timeouts, ${stats.resets} device resets, ${dec.garbageBytes} garbage bytes skipped`);
  const last = history[history.length - 1];
  if (last) out.summary(`final: epoch ${last.epoch}/${epochs}  loss ${last.trainLoss.toFixed(4)}  train ${(last.trainAccuracy * 100).toFixed(1)}%  (the board's reports)`);
  for (const line of formatConfusion(confusion)) out.summary(line);
  for (const line of ended) out.summary(line);
  const files = await writeRunReport({
    command: "stream", source: o.source, data, history, confusion, chartPath, logPath,
    options: { port: o.port, baud: o.baud ?? DEFAULT_BAUD, epochs, frameSamples: batch, learningRate: lr, seed, resume: !!o.resume, fresh: !!o.fresh },
    result: { testAccuracy, batches: result.batches, samples, seconds, firstBatchId, lastCommittedBatchId: committed, skipped: result.skipped, replayed: result.replayed },
    extra: { device: info, link: stats, decoder: dec, state: stateFile, pipeline: data.pipeline, checkpoint: checkpoint ?? null },
  });
  for (const f of files) print(f);
  out.summary(`final test accuracy: ${(testAccuracy * 100).toFixed(1)}% (${data.test.count} windows held out, predicted on the device)`);
  out.event("summary", { testAccuracy, batches: result.batches, samples, seconds, last: last ?? null, confusion, log: logPath, checkpoint: checkpoint ?? null, dataReport: data.report });
  return { testAccuracy, batches: result.batches, samples, seconds, history, confusion, stats, checkpoint };
}

/** The board's optimizer and its settings (CONFIG may change the settings, never the optimizer). */
async function boardSettings(link: HostLink, boardFile: Uint8Array | undefined): Promise<Omit<TrainConfig, "learningRate" | "frozen">> {
  if (((link.info?.flags ?? 0) & CAPS_FLAG_MODEL_SPEC) === 0) return {};
  let spec;
  try {
    spec = boardFile ? readSpec(boardFile) : await boardSpec(link);
  } catch {
    return {};
  }
  const r = resolveSpec(spec);
  const optimizer = r.optimizer === Opt.Adam ? "adam" : r.optimizer === Opt.Momentum ? "momentum" : "sgd";
  return {
    optimizer, beta1: optimizer === "momentum" ? r.momentum : optimizer === "adam" ? r.beta1 : 0,
    beta2: optimizer === "adam" ? r.beta2 : 0, epsilon: r.epsilon, weightDecay: r.weightDecay, gradClip: r.clipNorm,
  };
}

/** A yes/no question on the terminal (default no). */
async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export const streamCommand: Command = {
  name: "stream",
  summary: "stream sensor CSV to a board (or `tinyprop sim`) over serial and train on it there",
  positionals: [{ name: "data", help: "CSV file with a label column, folder of per-class CSV files, or - for standard input" }],
  options: {
    ...linkOptions,
    epochs: { type: "int", value: "N", help: "passes over the training data", default: 60, min: 1, max: 100000 },
    "learning-rate": { type: "number", value: "X", help: "the board's learning rate", default: 0.02, min: 1e-9, max: 10 },
    "frame-samples": { type: "int", value: "N", help: "samples carried by one SAMPLE_BATCH frame (default: as many as fit the board's frame, at most 8)", min: 1, max: 4096 },
    seed: { type: "int", value: "N", help: "seed of the shuffle and --test-split", default: 7, min: 0, max: 0xffffffff },
    resume: { type: "flag", help: "continue the interrupted run recorded in the state file, where the board is" },
    fresh: { type: "flag", help: "start a new run although the board already trained batches (on top of its current weights)" },
    raw: { type: "flag", help: "send raw sensor windows (int16) and let the board compute the features with the same pipeline (installed first)" },
    state: { type: "string", value: "FILE", help: "where the run's resumable state goes (default: beside --log, <log>.state.json)" },
    "snapshot-every": { type: "int", value: "N", help: "keep a host copy of the board's weights every N batches, to replay after a board reset (0: never)", default: 500, min: 0 },
    init: { type: "flag", help: "first put a fresh model for this data on the board (inputs, classes and class names from the data; architecture from --layers, --activation, --optimizer, --dtype)" },
    ...modelOptions,
    ...dataOptions,
    ...splitOptions,
    ...reportOptions("stream"),
    ...outputOptions,
  },
  examples: ["tinyprop stream data/magic-wand-imu-spells/data --port /dev/ttyUSB0 --epochs 3", "cat rows.csv | tinyprop stream - --port auto"],
  async run(args) {
    const source = args.positional(0, "a CSV file, a folder of per-class CSV files, or - for standard input");
    const port = await resolvePort(args.string("port"));
    if (args.flag("resume") && args.flag("fresh")) throw new UsageError("--resume and --fresh exclude each other");
    const raw = args.flag("raw");
    if (raw && args.optionalString("test") !== undefined) throw new UsageError("--raw and --test exclude each other (use --test-split)");
    // Read once, by streamRun: through the board's model's pipeline unless --init makes a new model.
    const load: StreamLoader = (through) => loadSplitData(args, source, { keepSamples: raw, ...throughOptions(through) });
    await streamRun({
      raw, source, port, load,
      baud: args.number("baud"),
      epochs: args.number("epochs"),
      batch: args.optionalNumber("frame-samples"),
      learningRate: args.number("learning-rate"),
      seed: args.number("seed"),
      chartPath: args.string("chart"),
      logPath: args.string("log"),
      resume: args.flag("resume"),
      fresh: args.flag("fresh"),
      statePath: args.optionalString("state"),
      output: outputFor(args),
      confirm: process.stdin.isTTY && process.stdout.isTTY ? askYesNo : undefined,
      snapshotEvery: args.number("snapshot-every"),
      init: args.flag("init") ? (link, data) => initBoard(link, args, data, (l) => console.log(l)) : undefined,
    });
    return 0;
  },
};
