// The host link's vocabulary: its error type, the plain objects it hands to commands (device info, reports,
// snapshots, statistics, events) and its options. No behaviour beyond naming device error codes.
import * as P from "../../src/protocol/index";
import type { Clock } from "./clock";
import type { AdaptiveFrames } from "./frame-size";

export type LinkErrorCode =
  | "NO_DEVICE" | "INCOMPATIBLE" | "MODEL_MISMATCH" | "PORT_CLOSED" | "DEVICE_ERROR" | "TIMEOUT" | "CLOSED" | "RESUME";

export class LinkError extends Error {
  override name = "LinkError";
  constructor(readonly code: LinkErrorCode, message: string, readonly deviceCode?: number) {
    super(message);
  }
}

const ERROR_NAMES = [
  "OK", "UNKNOWN_TYPE", "BAD_LENGTH", "BAD_VALUE", "DTYPE_MISMATCH", "SHAPE_MISMATCH", "BAD_LABEL",
  "BATCH_DUPLICATE", "BATCH_GAP", "BAD_STATE", "BLOB_RANGE", "BLOB_CRC", "NO_MEMORY", "UNSUPPORTED_VERSION", "TOO_LARGE", "OVER_BUDGET",
];
export function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `error ${code}`;
}

const TYPE_NAMES: Record<number, string> = {
  [P.MSG_CONFIG]: "CONFIG", [P.MSG_SAMPLE_BATCH]: "SAMPLE_BATCH", [P.MSG_RAW_SLICE]: "RAW_SLICE", [P.MSG_PREDICT_REQ]: "PREDICT_REQ",
  [P.MSG_WEIGHTS_GET]: "WEIGHTS_GET", [P.MSG_WEIGHTS_PUT]: "WEIGHTS_PUT", [P.MSG_WEIGHTS_COMMIT]: "WEIGHTS_COMMIT",
  [P.MSG_MODEL_SPEC_GET]: "MODEL_SPEC_GET", [P.MSG_MODEL_PUT]: "MODEL_PUT", [P.MSG_MODEL_COMMIT]: "MODEL_COMMIT",
  [P.MSG_MODEL_GET]: "MODEL_GET", [P.MSG_CHECKPOINT_GET]: "CHECKPOINT_GET", [P.MSG_CHECKPOINT_SAVE]: "CHECKPOINT_SAVE",
  [P.MSG_PIPELINE_PUT]: "PIPELINE_PUT", [P.MSG_PIPELINE_GET]: "PIPELINE_GET", [P.MSG_SENSOR_MODE]: "SENSOR_MODE",
};
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? String(type);
}

/** What CAPS told us, as a plain object. */
export interface DeviceInfo {
  minor: number;
  bootNonce: number;
  maxFrame: number;
  rxWindow: number;
  lastCommittedBatchId: number;
  planBytes: number;
  stateBytes: number;
  inputDtype: number;
  inputRank: number;
  inputDims: number[];
  classes: number;
  layerSizes: number[];
  modelDtype: number;
  /** CAPS flags (P.CAPS_FLAG_MODEL_SPEC: MODEL_SPEC_GET and CONFIG frozen supported). */
  flags?: number;
}

/** The device's answer to MODEL_SPEC_GET. */
export interface ModelSpecInfo {
  stateBytes: number;
  planBytes: number;
  lastCommittedBatchId: number;
  /** The .tpm SPEC section payload of the device's current model (src/modelfile specFromPayload decodes it). */
  spec: Uint8Array;
  /** Bytes a model may cost on the board (CAPS_FLAG_MODEL_INSTALL devices; 0: no limit or not reported). */
  budget: number;
  /** Free memory the board reports (0: unknown or not reported). */
  freeBytes: number;
}

/** The device's answer to CHECKPOINT_GET / CHECKPOINT_SAVE (docs/protocol.md, CHECKPOINT_STATE). */
export interface CheckpointInfo {
  /** The board has checkpoint storage. */
  on: boolean;
  /** The last save attempt failed. */
  saveFailed: boolean;
  /** savedBatchId names a checkpoint (written or restored since boot). */
  saved: boolean;
  /** Batches between automatic saves (0: only on WEIGHTS_COMMIT and CHECKPOINT_SAVE). */
  every: number;
  lastCommittedBatchId: number;
  savedBatchId: number;
  partitionBytes: number;
  /** One checkpoint of the current model. */
  checkpointBytes: number;
  /** Checkpoints written since boot. */
  saves: number;
  /** The board's current training survives a power cycle: saved, not failed, at lastCommittedBatchId. */
  durable: boolean;
}

/** What the host's data needs from the device's model; checked at connect(). */
export interface ModelExpectation {
  inputs?: number;
  classes?: number;
  inputDtype?: number;
}

export interface TrainConfig {
  learningRate: number;
  batchSize?: number;
  optimizer?: "sgd" | "momentum" | "adam";
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  gradClip?: number;
  /** Freeze the first `frozen` layers (device rebuilds its model); omitted: the device keeps its setting. */
  frozen?: number;
}

export interface ReportInfo {
  step: number;
  batchId: number;
  loss: number;
  accuracy: number;
  stepMicros: number;
  freeBytes: number;
  /** True when this batch had been trained before and was trained again after a device lost it (reset). */
  replay: boolean;
  /**
   * With BatchOptions.adaptFrames: the index (0-based, in iteration order) of the source batch this frame
   * carried samples of, and whether it was that batch's last part.
   */
  sourceBatch?: number;
  sourceDone?: boolean;
}

/** One batch of samples for the device: count samples of the model's input shape, float32. */
export interface SampleBatch {
  /** Model inputs, y.length x inputs (empty for a raw batch). */
  x: Float32Array;
  y: ArrayLike<number>;
  /**
   * A raw batch instead: y.length windows of `rows` x `columns` int16 sensor counts (the pipeline's scale),
   * sent as SAMPLE_BATCH dtype int16, shape [rows, columns]; the board computes the features (docs/protocol.md).
   */
  raw?: { data: Int16Array; rows: number; columns: number };
}

export interface WeightsSnapshot {
  blob: Uint8Array;
  crc: number;
  batchId: number;
}

export interface LinkStats {
  bytesWritten: number;
  bytesRead: number;
  framesSent: number;
  framesRetransmitted: number;
  timeouts: number;
  /** Timeouts after which the device acked a copy sent before the timeout (a slow answer, not a loss). */
  spuriousTimeouts: number;
  gaps: number;
  pauses: number;
  sessions: number;
  resets: number;
  duplicatesFromDevice: number;
  creditStalls: number;
  /** Most bytes written beyond the device's reported read position. */
  maxOutstandingCredit: number;
  /** Re-handshakes because credit stayed blocked while the device kept refreshing the same read position. */
  creditResyncs: number;
}

export function newStats(): LinkStats {
  return {
    bytesWritten: 0, bytesRead: 0, framesSent: 0, framesRetransmitted: 0, timeouts: 0, spuriousTimeouts: 0, gaps: 0, pauses: 0,
    sessions: 0, resets: 0, duplicatesFromDevice: 0, creditStalls: 0, maxOutstandingCredit: 0, creditResyncs: 0,
  };
}

export type LinkEvent =
  | { kind: "session"; info: DeviceInfo; reset: boolean }
  | { kind: "restore"; batchId: number }
  | { kind: "resume"; fromBatchId: number }
  | { kind: "snapshot"; batchId: number }
  | { kind: "retransmit"; reason: "timeout" | "gap"; frames: number };

export interface LinkOptions {
  /** Largest decoded frame the host accepts (announced in HELLO). Default: the absolute maximum. */
  maxFrame?: number;
  /** Sequenced frames the host keeps outstanding at most (docs: <= 16). */
  window?: number;
  minRtoMs?: number;
  maxRtoMs?: number;
  /** Give up on a connect() after this long without a CAPS. */
  handshakeTimeoutMs?: number;
  /** Give up on a new session during a run (device reset or silent) after this long without a CAPS (a board
   * may take seconds to reboot and restore its checkpoint). */
  reconnectTimeoutMs?: number;
  /**
   * A session in which nothing valid arrives from the device for this long is over: the host handshakes
   * again, and fails the link ("stopped answering") if that gets no answer either. The device refreshes
   * its ACK every 100 ms while in a session, so only a hung, unpowered or rebooted board stays silent.
   */
  silenceMs?: number;
  /** A request (config, predict, weights) that gets no answer for this long fails. */
  requestTimeoutMs?: number;
  onLog?: (level: number, text: string) => void;
  onEvent?: (e: LinkEvent) => void;
  /** Nonce source (tests make it deterministic). */
  random32?: () => number;
  /** Time source and timers (tests and the simulator use a virtual clock). Default: the process's own. */
  clock?: Clock;
}

/** LinkOptions with every default filled in. */
export type ResolvedOptions = Required<Omit<LinkOptions, "onLog" | "onEvent">> & Pick<LinkOptions, "onLog" | "onEvent">;

export function resolveOptions(options: LinkOptions, clock: Clock): ResolvedOptions {
  return {
    maxFrame: P.MAX_FRAME, window: 16, minRtoMs: 100, maxRtoMs: 2000, handshakeTimeoutMs: 5000, reconnectTimeoutMs: 20000,
    silenceMs: 3000, requestTimeoutMs: 20000,
    ...options,
    random32: options.random32 ?? (() => (Math.random() * 0x100000000) >>> 0),
    clock,
  };
}

export interface BatchOptions {
  /** Read a weights snapshot every this many trained batches, so a reset device can be restored (default 500). */
  snapshotEvery?: number;
  /** A snapshot to restore from when the device has fallen behind it (resume after a crash). */
  snapshot?: WeightsSnapshot;
  /** Called after each snapshot (the stream command saves it for resumable runs). */
  onSnapshot?: (s: WeightsSnapshot) => void;
  /** Id of the first batch of the iterable (default 1); a new run on a device that trained before starts after its lastCommittedBatchId. */
  firstBatchId?: number;
  /**
   * Split source batches into smaller frames while the line loses frames (host-sim/link/frame-size.ts).
   * Batch ids then number frames, not source batches; reports say which source batch a frame belongs to.
   */
  adaptFrames?: AdaptiveFrames;
}

export interface BatchResult {
  /** Batches the device trained in this call (ids after the skipped ones, up to lastBatchId). */
  batches: number;
  lastBatchId: number;
  /** Batches skipped because the device had already trained them (resumed run). */
  skipped: number;
  /** Batches trained again because the device lost them (reset without checkpoint). */
  replayed: number;
  samples: number;
  /** Sample bytes (labels + data) delivered, for goodput. */
  sampleBytes: number;
  /** Batches split into smaller frames because the line was losing frames (adaptFrames). */
  split: number;
  /** Raw batches sent as several RAW_SLICE frames of rows because the line was losing frames (adaptFrames). */
  sliced: number;
}
