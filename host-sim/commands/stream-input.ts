// What `tinyprop stream` sends, settled before anything is sent: the data read once, through the pipeline
// the board's model reads its inputs with (its columns, ranges, window, features and the mean/scale learned
// from its training data) unless --init replaces that model, and the fingerprints --resume compares with
// the run it would continue, taken from exactly those vectors.
import { createHash } from "node:crypto";
import { UsageError } from "../args";
import type { GestureDataset } from "../data/gestures";
import { encodePipeline, readPipeline } from "../../src/modelfile/index";
import { describeFeatures, type PipelineSpec } from "../../src/features/index";

/** A model's pipeline to read the data through, and the name messages give it. */
export interface ThroughPipeline {
  pipeline: PipelineSpec;
  source: string;
}

/** Reads the run's data: with its own pipeline, or through `through` (the board's model's) when given. */
export type StreamLoader = (through?: ThroughPipeline) => Promise<GestureDataset>;

/** The load options (data/windows.ts LoadOptions) that read data through `through`. */
export function throughOptions(through: ThroughPipeline | undefined): { pipeline?: PipelineSpec; pipelineSource?: string } {
  return through ? { pipeline: through.pipeline, pipelineSource: through.source } : {};
}

const BOARD_MODEL = "the board's model";
const OWN = "the data's own pipeline";

export interface StreamInput {
  data: GestureDataset;
  /** Read through the board's model's pipeline (not the data's own statistics). */
  throughBoard: boolean;
  /** Where the pipeline the data was read with came from, for the state file and messages. */
  pipelineFrom: string;
}

/** The data read with its own pipeline (for --init's new model). */
export function ownInput(data: GestureDataset): StreamInput {
  return { data, throughBoard: false, pipelineFrom: OWN };
}

/**
 * The data exactly as it will be streamed: through the pipeline of the board's model when it has one (as
 * predict and evaluate read data with a model file), else with the data's own statistics. Read once.
 * `preloaded` (the demo's bundled set) is used as it is when the board has no pipeline or the same one.
 */
export async function loadStreamInput(load: StreamLoader | undefined, preloaded: GestureDataset | undefined, boardPipeline: PipelineSpec | null | undefined, source: string): Promise<StreamInput> {
  const board = { throughBoard: true, pipelineFrom: `${BOARD_MODEL}'s pipeline` };
  if (preloaded && !boardPipeline) return ownInput(preloaded);
  if (preloaded && sameBytes(encodePipeline(preloaded.pipeline), encodePipeline(boardPipeline!))) return { data: preloaded, ...board };
  if (!load) throw new UsageError(`${BOARD_MODEL} normalises its inputs with its own pipeline, and ${source} cannot be read through it here (use --init for a new model)`);
  if (!boardPipeline) return ownInput(await load());
  return { data: await load({ pipeline: boardPipeline, source: BOARD_MODEL }), ...board };
}

/**
 * The board's model names its classes (PIPELINE, installed with it): data with other classes, or the same
 * in another order, would train the wrong outputs. Both lists go into the error.
 */
export function checkBoardClasses(boardFile: Uint8Array, classes: string[]): void {
  const names = readPipeline(boardFile)?.classes ?? [];
  if (names.length === 0) return;
  if (names.length !== classes.length || names.some((n, i) => n !== classes[i])) {
    throw new UsageError(`the data's classes do not match the board's model: data ${classes.join(", ")}; model ${names.join(", ")} (use --init for a new model, or data with the model's classes)`);
  }
}

/** The options that decide a run's batch sequence (stream.ts trainingBatches). */
export interface RunOptions {
  epochs: number;
  batch: number;
  seed: number;
  lr: number;
  raw: boolean;
}

/** What a run's state file records to recognise its data: see checkResume. */
export interface RunIdentity {
  /** The training vectors as sent (raw windows with --raw, else feature vectors), labels and options. */
  fingerprint: string;
  /** The pipeline the data was read with (with --raw, the one the board computes the features with). */
  pipeline: string;
  pipelineShape: string;
  pipelineFrom: string;
}

export function runIdentity(input: StreamInput, o: RunOptions): RunIdentity {
  const { data } = input;
  const sent = o.raw ? data.train.raw : data.train.x;
  if (!sent) throw new Error("raw runs need the data loaded with keepSamples");
  // Feature runs hash what they did before the pipeline was recorded, so their older state files resume.
  const fingerprint = createHash("sha256").update(sent).update(data.train.y)
    .update(JSON.stringify({ epochs: o.epochs, batch: o.batch, seed: o.seed, lr: o.lr, ...(o.raw ? { raw: true } : {}) })).digest("hex").slice(0, 16);
  const pipeline = createHash("sha256").update(encodePipeline(data.pipeline)).digest("hex").slice(0, 16);
  return { fingerprint, pipeline, pipelineShape: pipelineShape(data.pipeline), pipelineFrom: input.pipelineFrom };
}

/** A pipeline's columns, window, stride and features in one line (the same line: the same shape of input). */
export function pipelineShape(p: PipelineSpec): string {
  return `columns ${p.columns.join(",")}, window ${p.window}, stride ${p.stride}, features ${describeFeatures(p)}`;
}

/**
 * --resume continues a run only with the vectors that run was sending. A changed pipeline (another model put
 * on the board since, or --init) is named as such; older state files record only the fingerprint.
 */
export function checkResume(saved: Partial<RunIdentity> & { fingerprint: string }, now: RunIdentity, stateFile: string): void {
  if (saved.pipeline !== undefined && saved.pipeline !== now.pipeline) {
    const how = saved.pipelineShape === now.pipelineShape
      ? `the same ${now.pipelineShape}, but other column ranges or normalisation (mean/scale)`
      : `then ${saved.pipelineShape}; now ${now.pipelineShape}`;
    throw new UsageError(`--resume: the run saved at ${stateFile} read its data through ${saved.pipelineFrom}, but it is now read through ${now.pipelineFrom}, ` +
      `which differs (${how}): the board's model has changed since that run. Put that run's model back on the board (tinyprop weights put), or start a new run with --fresh instead of --resume`);
  }
  if (saved.fingerprint !== now.fingerprint) {
    throw new UsageError(`--resume: ${stateFile} belongs to a run with other data or options (epochs, batch, seed, lr${saved.pipeline === undefined ? ", or the pipeline the data is read with" : ""})`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
