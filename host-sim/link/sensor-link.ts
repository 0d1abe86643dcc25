// The host's side of the pipeline and sensor messages (src/protocol/sensor.ts, docs/protocol.md "Pipeline
// and sensor"): install or read a board's input pipeline in frame-sized chunks, choose the sensor mode, and
// turn what the board sends on its own into whole recorded windows and results.
import * as P from "../../src/protocol/index";
import { decodePipeline, encodePipeline } from "../../src/modelfile/pipeline-section";
import type { PipelineSpec } from "../../src/features/index";
import { LinkError, type DeviceInfo } from "./types";
import type { HostLink } from "./link";

export const MODES = { idle: P.MODE_IDLE, record: P.MODE_RECORD, learn: P.MODE_LEARN, infer: P.MODE_INFER } as const;
export type ModeName = keyof typeof MODES;

/** A window the board recorded: rows x columns int16 counts, row-major. */
export interface RecordedWindow { index: number; label: number; rows: number; columns: number; counts: Int16Array }
/** A learned or classified window, or the end of a counted mode (done). */
export interface SensorResultInfo {
  mode: number; classIndex: number; window: number; confidence: number; loss: number; remaining: number; dropped: number; done: boolean;
  /** Samples beyond their column's range since the mode began (stored as the range's limit); 0 from older boards. */
  clipped: number;
  /** Normalised model inputs beyond ±clip since the mode began (given to the model as ±clip); 0 from older boards. */
  clippedFeatures: number;
}

function requireFlag(info: DeviceInfo | undefined, flag: number, what: string): DeviceInfo {
  if (!info) throw new LinkError("CLOSED", "not connected");
  if (((info.flags ?? 0) & flag) === 0) throw new LinkError("INCOMPATIBLE", `the board does not support ${what} (older firmware)`);
  return info;
}

/** PIPELINE_PUT in chunks that fit the board's frame limit; the last chunk installs it (refusals throw). */
export async function putPipeline(link: HostLink, spec: PipelineSpec): Promise<void> {
  const info = requireFlag(link.info, P.CAPS_FLAG_PIPELINE, "input pipelines");
  const bytes = encodePipeline(spec);
  const chunk = info.maxFrame - P.FRAME_OVERHEAD - 8;
  for (let at = 0; at < bytes.length; at += chunk) {
    const n = Math.min(chunk, bytes.length - at);
    const payload = new Uint8Array(8 + n);
    const v = new DataView(payload.buffer);
    v.setUint32(0, bytes.length, true);
    v.setUint32(4, at, true);
    payload.set(bytes.subarray(at, at + n), 8);
    try {
      await link.call(P.MSG_PIPELINE_PUT, payload);
    } catch (e) {
      if (e instanceof LinkError && e.code === "DEVICE_ERROR" && at + n === bytes.length) {
        throw new LinkError("MODEL_MISMATCH", `the board refused the pipeline (${spec.columns.length} columns, window ${spec.window}, features for ${spec.classes.length} classes): ${e.message}; does the board's model take this pipeline's ${spec.mean.length || "?"} features?`, e.deviceCode);
      }
      throw e;
    }
  }
}

/** The board's pipeline (PIPELINE_GET, as many chunks as it takes); throws when it has none. */
export async function getPipeline(link: HostLink): Promise<PipelineSpec> {
  const bytes = await getPipelineBytes(link);
  if (bytes === null) throw new LinkError("MODEL_MISMATCH", "the board has no input pipeline yet: stream to it with --raw, or install a model that has one");
  return decodePipeline(bytes);
}

/**
 * Installs `spec` unless the board has exactly this pipeline already (it keeps it in its checkpoint across
 * resets): one PIPELINE_GET instead of a PIPELINE_PUT and a flash write per session. Returns true when sent.
 */
export async function ensurePipeline(link: HostLink, spec: PipelineSpec): Promise<boolean> {
  const want = encodePipeline(spec);
  const have = await getPipelineBytes(link);
  if (have !== null && have.length === want.length && have.every((b, i) => b === want[i])) return false;
  await putPipeline(link, spec);
  return true;
}

/** The board's PIPELINE section payload, or null when it has none. */
async function getPipelineBytes(link: HostLink): Promise<Uint8Array | null> {
  requireFlag(link.info, P.CAPS_FLAG_PIPELINE, "input pipelines");
  let total = -1, at = 0;
  let bytes = new Uint8Array(0);
  while (total < 0 || at < total) {
    const req = new Uint8Array(4);
    new DataView(req.buffer).setUint32(0, at, true);
    let answer: Uint8Array;
    try {
      answer = (await link.call(P.MSG_PIPELINE_GET, req, at)) as Uint8Array;
    } catch (e) {
      if (e instanceof LinkError && e.deviceCode === P.ERR_BAD_STATE) return null;
      throw e;
    }
    const v = new DataView(answer.buffer, answer.byteOffset, answer.byteLength);
    if (total < 0) {
      total = v.getUint32(0, true);
      bytes = new Uint8Array(total);
    }
    const n = answer.length - 8;
    if (v.getUint32(0, true) !== total || n < 1 || at + n > total) throw new LinkError("DEVICE_ERROR", "the board's pipeline answer is inconsistent");
    bytes.set(answer.subarray(8), at);
    at += n;
  }
  return bytes;
}

/** SENSOR_MODE: what the board does with its sensor's next `count` windows (0: until changed). */
export async function setSensorMode(link: HostLink, mode: ModeName, label = 0, count = 0): Promise<void> {
  requireFlag(link.info, P.CAPS_FLAG_SENSOR, "a sensor (no IMU found at boot: check the wiring and config.sensor in manifest.json)");
  const m = new P.SensorMode();
  m.mode = MODES[mode];
  m.label = label;
  m.count = count;
  const payload = new Uint8Array(P.SMODE_SIZE);
  if (P.encodeSensorMode(new DataView(payload.buffer), 0, payload.length, m) < 0) throw new RangeError(`sensor mode: label ${label} or count ${count} out of range`);
  await link.call(P.MSG_SENSOR_MODE, payload);
}

/** Reassembles SENSOR_WINDOW messages into windows and decodes SENSOR_RESULT; attach with listen(). */
export class SensorFeed {
  readonly windows: RecordedWindow[] = [];
  readonly results: SensorResultInfo[] = [];
  /** Pieces that did not fit together (a board bug); reported by the commands. */
  readonly problems: string[] = [];
  private current: RecordedWindow | undefined;
  private nextRow = 0;
  private readonly w = new P.SensorWindow();
  private readonly r = new P.SensorResult();

  constructor(private readonly onWindow?: (w: RecordedWindow) => void, private readonly onResult?: (r: SensorResultInfo) => void) {}

  listen(link: HostLink): void {
    link.onUnsolicited((type, view, off, len) => this.onMessage(type, view, off, len));
  }

  onMessage(type: number, view: DataView, off: number, len: number): void {
    if (type === P.MSG_SENSOR_WINDOW) {
      const w = this.w;
      if (P.decodeSensorWindow(view, off, len, w) !== P.ERR_OK) return;
      if (w.firstRow === 0) {
        this.current = { index: w.window, label: w.label, rows: w.windowRows, columns: w.columns, counts: new Int16Array(w.windowRows * w.columns) };
        this.nextRow = 0;
      }
      const c = this.current;
      // Sequenced delivery keeps the pieces in order; anything else is a board bug and is dropped loudly.
      if (!c || c.index !== w.window || w.firstRow !== this.nextRow || c.columns !== w.columns) {
        this.problems.push(`recorded window ${w.window} arrived out of order (rows from ${w.firstRow}); dropped`);
        this.current = undefined;
        return;
      }
      for (let i = 0; i < w.rows * w.columns; i++) c.counts[w.firstRow * w.columns + i] = view.getInt16(w.dataOffset + 2 * i, true);
      this.nextRow += w.rows;
      if (this.nextRow === c.rows) {
        this.windows.push(c);
        this.current = undefined;
        this.onWindow?.(c);
      }
    } else if (type === P.MSG_SENSOR_RESULT) {
      const r = this.r;
      if (P.decodeSensorResult(view, off, len, r) !== P.ERR_OK) return;
      const info: SensorResultInfo = {
        mode: r.mode, classIndex: r.classIndex, window: r.window, confidence: r.confidence, loss: r.loss, remaining: r.remaining, dropped: r.dropped,
        clipped: r.clipped, clippedFeatures: r.clippedFeatures, done: (r.flags & P.SRES_DONE) !== 0,
      };
      this.results.push(info);
      this.onResult?.(info);
    }
  }
}
