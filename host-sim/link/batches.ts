// The batch pipeline: exactly-once delivery of a stream of sample batches. Batches are numbered in
// iteration order; every batch newer than the latest weights snapshot is kept, so a device that lost its
// training (reset) can be brought back (WEIGHTS_PUT of the snapshot) and fed again from its
// lastCommittedBatchId + 1. Also encodes SAMPLE_BATCH payloads, and RAW_SLICE payloads for a raw batch
// cut into frames of rows while the line loses long frames.
import * as P from "../../src/protocol/index";
import {
  LinkError, errorName, type BatchOptions, type BatchResult, type DeviceInfo, type LinkEvent, type ReportInfo,
  type SampleBatch, type WeightsSnapshot,
} from "./types";
import type { BatchListener } from "./requests";
import { FrameSizer, lossBeforeDelivery, scheduledSize, sliceCount, type AdaptiveFrames, type FrameSizeBreakpoint } from "./frame-size";

/** What the pipeline needs from the link (given by HostLink.sendBatches; not part of the public API). */
export interface PipelineLink {
  readonly info: DeviceInfo;
  /**
   * Transmit a batch's frames: one SAMPLE_BATCH payload, or the RAW_SLICE payloads of a raw batch in
   * slices, in order; settles on its REPORT or refusal.
   */
  send(batchId: number, frames: readonly Uint8Array[]): Promise<unknown>;
  /** Free places in the send window (0 while no session is open). */
  windowRoom(): number;
  /** A session is open and no restart is under way. */
  ready(): boolean;
  /** Resolves when no session restart is under way; throws the link's fatal error. */
  settled(): Promise<void>;
  /** Ask for a fresh session (the device refused a batch as out of order). */
  resync(why: string): void;
  /** Resolves at the next state change or after `ms`. */
  waitChange(ms: number): Promise<void>;
  /** Wake waitChange (the pipeline itself failed). */
  wake(): void;
  throwIfFatal(): void;
  emit(e: LinkEvent): void;
  /** Cumulative loss events (GAPs acted on, timeouts): the line's loss, for adaptFrames. */
  lineCounters(): { losses: number };
  getWeights(): Promise<WeightsSnapshot>;
  putWeights(blob: Uint8Array, batchId: number): Promise<void>;
}

/** Frames made ahead of the device's progress while adaptFrames sizes them. */
const ADAPTIVE_LOOKAHEAD = 6;
/**
 * Raw batches the board may take in slices, made ahead: the one on the wire and the next. A raw window is
 * over a kilobyte and the board reads one frame at a time, so more ahead adds nothing but batches cut
 * before the line's loss was known.
 */
const RAW_LOOKAHEAD = 2;

export class BatchPipeline implements BatchListener {
  private readonly iter: Iterator<SampleBatch> | AsyncIterator<SampleBatch>;
  private exhausted = false;
  private lastId = 0; // highest batch id generated
  private readonly kept = new Map<number, Uint8Array[]>(); // id -> its frames' payloads (one SAMPLE_BATCH, or RAW_SLICEs)
  private nextSend = 1;
  private committed = 0; // device's lastCommittedBatchId as far as we know
  private needsRestore = false;
  private error: Error | undefined;
  private readonly result: BatchResult = { batches: 0, lastBatchId: 0, skipped: 0, replayed: 0, samples: 0, sampleBytes: 0, split: 0, sliced: 0 };
  private readonly info: DeviceInfo;

  constructor(private readonly link: PipelineLink, batches: Iterable<SampleBatch> | AsyncIterable<SampleBatch>,
    private readonly onReportCb: (r: ReportInfo) => void, private readonly options: BatchOptions) {
    this.iter = Symbol.asyncIterator in batches ? (batches as AsyncIterable<SampleBatch>)[Symbol.asyncIterator]() : (batches as Iterable<SampleBatch>)[Symbol.iterator]();
    this.snapshotEvery = options.snapshotEvery ?? 500;
    this.snapshot = options.snapshot;
    this.info = link.info;
    this.committed = this.info.lastCommittedBatchId;
    this.lastId = (options.firstBatchId ?? 1) - 1;
    this.nextSnapshotAt = this.committed + this.snapshotEvery;
    this.adapt = options.adaptFrames;
    this.schedule = [...(options.adaptFrames?.schedule ?? [])];
  }

  async run(): Promise<BatchResult> {
    await this.alignWithDevice(this.info);
    for (;;) {
      await this.link.settled();
      if (this.error) throw this.error;
      if (this.needsRestore) {
        this.needsRestore = false;
        await this.restore();
        continue;
      }
      // Fill the window.
      while (this.link.ready() && !this.snapshotting && this.link.windowRoom() > 0 && this.lookaheadRoom()) {
        const frames = await this.payloadFor(this.nextSend);
        if (!frames) break;
        const id = this.nextSend++;
        this.link.send(id, frames).catch(() => {});
      }
      if (this.exhausted && this.committed >= this.lastId && this.nextSend > this.lastId) break;
      // Snapshot: stop sending, let the device finish what it has, then read the weights (a blob read
      // while the weights change would not match its CRC).
      if (this.snapshotEvery > 0 && this.committed >= this.nextSnapshotAt) this.snapshotting = true;
      if (this.snapshotting && this.nextSend - 1 === this.committed && this.link.ready()) {
        await this.takeSnapshot();
        continue;
      }
      await this.link.waitChange(200);
      this.link.throwIfFatal();
    }
    this.result.lastBatchId = this.lastId;
    return this.result;
  }

  /**
   * With adaptFrames, frames are sized when made: make only a few beyond what the device has trained, so a
   * change in the line's loss applies within a few frames (more queued adds nothing: the device reads one
   * frame at a time, and the credit limits what is on the wire).
   */
  private lookaheadRoom(): boolean {
    const ahead = this.rawSlices ? RAW_LOOKAHEAD : ADAPTIVE_LOOKAHEAD;
    return !this.adapt || this.nextSend - 1 - this.committed < ahead || this.nextSend <= this.lastId;
  }

  /** Make sure batch `id` exists (pulling from the source as needed); undefined when the source is done. */
  private async payloadFor(id: number): Promise<Uint8Array[] | undefined> {
    while (this.lastId < id) {
      const part = await this.nextFrame(this.lastId + 1);
      if (!part) {
        this.exhausted = true;
        break;
      }
      const batchId = ++this.lastId;
      const count = part.batch.y.length;
      if (batchId <= this.committed) {
        this.result.skipped++;
        continue; // resumed run: the device already trained it; never kept
      }
      const slices = this.slicesFor(part.batch);
      const payload = slices > 1 ? encodeRawSlices(part.batch, batchId, slices, this.info) : [encodeBatch(part.batch, batchId, this.info)];
      if (slices > 1) this.result.sliced++;
      this.result.samples += count;
      this.result.sampleBytes += count + (part.batch.raw ? 2 * part.batch.raw.data.length : 4 * part.batch.x.length);
      this.kept.set(batchId, payload);
      if (this.adapt) this.sources.set(batchId, { index: part.index, done: part.done });
      this.result.batches++;
    }
    if (id > this.lastId) return undefined;
    const p = this.kept.get(id);
    if (!p) throw new LinkError("RESUME", `batch ${id} is needed again (the device fell back to ${this.committed}) but was not kept; restore a snapshot first`);
    return p;
  }

  // ---- Frames from source batches (whole, or split while the line loses frames)

  private readonly adapt: AdaptiveFrames | undefined;
  private readonly sizer = new FrameSizer();
  private schedule: FrameSizeBreakpoint[];
  /** The source batch being cut into frames, its index, and how many of its samples went out. */
  private source: { batch: SampleBatch; index: number; off: number } | undefined;
  private sourceIndex = -1;
  /** Frame id -> its source batch (adaptFrames), for reports. */
  private readonly sources = new Map<number, { index: number; done: boolean }>();

  private async nextFrame(id: number): Promise<{ batch: SampleBatch; index: number; done: boolean } | undefined> {
    if (!this.source || this.source.off >= this.source.batch.y.length) {
      if (this.exhausted) return undefined;
      const r = await this.iter.next();
      if (r.done) return undefined;
      this.source = { batch: r.value, index: ++this.sourceIndex, off: 0 };
    }
    const s = this.source;
    const count = s.batch.y.length;
    const size = this.adapt ? this.frameSize(id, count, s.batch) : count;
    if (s.off === 0 && size >= count) {
      s.off = count;
      return { batch: s.batch, index: s.index, done: true };
    }
    if (s.off === 0) this.result.split++;
    const n = Math.min(size, count - s.off), w = s.batch.x.length / count;
    const batch: SampleBatch = { x: s.batch.x.subarray(s.off * w, (s.off + n) * w), y: Array.from({ length: n }, (_, i) => s.batch.y[s.off + i]!) };
    const raw = s.batch.raw;
    if (raw) {
      const r = raw.rows * raw.columns; // a raw batch is cut into frames of whole windows
      batch.raw = { ...raw, data: raw.data.subarray(s.off * r, (s.off + n) * r) };
    }
    s.off += n;
    return { batch, index: s.index, done: s.off === count };
  }

  /** Samples for frame `id`: replayed from the schedule for frames the device has, else from the line's loss. */
  private frameSize(id: number, count: number, batch: SampleBatch): number {
    const a = this.adapt!;
    const recorded = scheduledSize(this.schedule, id);
    if (id <= this.committed) return recorded;
    const max = Math.max(count, this.largest = Math.max(this.largest, count));
    // A sample's bytes on the wire: its label and its values (a raw window of int16 rows, or float32 inputs).
    const raw = batch.raw;
    const bytesPerSample = raw ? 1 + 2 * raw.rows * raw.columns : 1 + 4 * (this.info.inputDims[0]! * (this.info.inputDims[1] || 1) * (this.info.inputDims[2] || 1));
    let size = this.sizer.choose(a.unit, max, bytesPerSample);
    // Raw windows the board takes in slices: if even one step's windows are better cut, send one step.
    if (size > a.unit && this.sliceable(batch, a.unit) && this.slicesFor(batch, a.unit) > 1) size = a.unit;
    if (size !== (recorded === Infinity ? max : recorded)) {
      this.schedule = this.schedule.filter((b) => b.frame < id);
      this.schedule.push({ frame: id, size });
      a.onSchedule?.(this.schedule.slice());
    }
    return size;
  }

  private largest = 0;

  /** The stream has raw batches of one step that the board takes in slices (RAW_SLICE). */
  private rawSlices = false;
  /** The link's loss events when the run started (losses before the first delivery, lossBeforeDelivery). */
  private lossBase = -1;

  /** Whether a raw `batch` can go in slices: adaptFrames, a board that takes RAW_SLICE, one step of windows. */
  private sliceable(batch: SampleBatch, count = batch.y.length): boolean {
    const a = this.adapt;
    return !!batch.raw && !!a && count === a.unit && ((this.info.flags ?? 0) & P.CAPS_FLAG_RAW_SLICES) !== 0;
  }

  /** The line's loss per byte for cutting frames of `frameBytes`, also before anything was delivered. */
  private lineLoss(frameBytes: number): number {
    if (this.sizer.delivering) return this.sizer.lossPerByte;
    const losses = this.link.lineCounters().losses;
    if (this.lossBase < 0) this.lossBase = losses;
    return lossBeforeDelivery(losses - this.lossBase, frameBytes);
  }

  /**
   * Frames of rows to cut a raw batch of `count` windows into (1: one SAMPLE_BATCH): a batch of one step on
   * a board that takes RAW_SLICE, when the line's loss makes its whole frame too costly, or when it does not
   * fit the board's frame limit. Not in the schedule: the windows of each batch id stay the same however it
   * is cut, and a batch cut short is sent again from its first row.
   */
  private slicesFor(batch: SampleBatch, count = batch.y.length): number {
    const raw = batch.raw;
    if (!raw || !this.sliceable(batch, count)) return 1;
    this.rawSlices = true;
    const rows = count * raw.rows, rowBytes = 2 * raw.columns, header = P.rawSliceLength(count, 0, raw.columns);
    // A window longer than the board's frame limit goes in slices whatever the line.
    const whole = P.FRAME_OVERHEAD + header + rows * rowBytes;
    const fit = Math.floor((this.info.maxFrame - P.FRAME_OVERHEAD - header) / rowBytes);
    const min = whole <= this.info.maxFrame || fit < 1 ? 1 : Math.ceil(rows / fit);
    return sliceCount(this.lineLoss(whole), rows, rowBytes, header, min);
  }

  // ---- What the device says about batches

  private highestReported = 0;

  onReport(r: ReportInfo): void {
    const src = this.sources.get(r.batchId);
    if (src) {
      r.sourceBatch = src.index;
      r.sourceDone = src.done;
    }
    if (r.batchId <= this.highestReported) {
      r.replay = true;
      this.result.replayed++;
    } else {
      this.highestReported = r.batchId;
      const frames = this.kept.get(r.batchId);
      if (this.adapt && frames) for (const p of frames) this.sizer.delivered(p.length, this.link.lineCounters().losses);
    }
    this.committed = r.batchId;
    this.onReportCb(r);
  }

  onBatchError(batchId: number, code: number): void {
    if (code === P.ERR_OK) return;
    if (code === P.ERR_BATCH_DUPLICATE) {
      // The device has it already; its REPORT (or CAPS after a session change) tells us where it is.
      if (batchId > this.committed) this.committed = Math.min(batchId, this.nextSend - 1);
      return;
    }
    if (code === P.ERR_BATCH_GAP) {
      this.link.resync("batch gap");
      return;
    }
    this.error = new LinkError("DEVICE_ERROR", `the device refused batch ${batchId}: ${errorName(code)}`, code);
    this.link.wake();
  }

  // ---- New sessions and snapshots

  private snapshot: WeightsSnapshot | undefined;
  private snapshotting = false;
  private nextSnapshotAt: number;
  private readonly snapshotEvery: number;

  /** After a handshake: skip what the device has, restore the snapshot if the device fell behind it. */
  async onNewSession(info: DeviceInfo): Promise<void> {
    await this.alignWithDevice(info, true);
  }

  private async alignWithDevice(info: DeviceInfo, inSession = false): Promise<void> {
    const L = info.lastCommittedBatchId;
    if (this.snapshot && L < this.snapshot.batchId) {
      if (inSession) {
        await this.putSnapshot(this.snapshot);
        this.committed = this.snapshot.batchId;
      } else this.needsRestore = true;
    } else {
      this.committed = L;
    }
    if (!this.needsRestore) {
      this.nextSend = this.committed + 1;
      this.link.emit({ kind: "resume", fromBatchId: this.nextSend });
    }
  }

  private async restore(): Promise<void> {
    const s = this.snapshot!;
    await this.putSnapshot(s);
    this.committed = s.batchId;
    this.nextSend = s.batchId + 1;
  }

  private async putSnapshot(s: WeightsSnapshot): Promise<void> {
    this.link.emit({ kind: "restore", batchId: s.batchId });
    await this.link.putWeights(s.blob, s.batchId);
  }

  private async takeSnapshot(): Promise<void> {
    this.snapshotting = true;
    try {
      const s = await this.link.getWeights();
      if (s.batchId !== this.committed) return; // a reset intervened; try again later
      this.snapshot = s;
      for (const id of [...this.kept.keys()]) if (id <= s.batchId) this.kept.delete(id);
      for (const id of [...this.sources.keys()]) if (id <= s.batchId) this.sources.delete(id);
      this.nextSnapshotAt = s.batchId + this.snapshotEvery;
      this.link.emit({ kind: "snapshot", batchId: s.batchId });
      this.options.onSnapshot?.(s);
    } finally {
      this.snapshotting = false;
    }
  }
}

/** SAMPLE_BATCH payload: float32 in the device's input shape, or a raw batch (int16 windows). */
export function encodeBatch(b: SampleBatch, batchId: number, info: DeviceInfo): Uint8Array {
  const m = new P.TensorMsg();
  m.id = batchId;
  m.count = b.y.length;
  const raw = b.raw;
  if (raw) {
    m.dtype = P.DTYPE_I16;
    m.rank = 2;
    m.dims[0] = raw.rows;
    m.dims[1] = raw.columns;
    m.dims[2] = 0;
  } else {
    m.dtype = P.DTYPE_F32;
    m.rank = info.inputRank;
    for (let i = 0; i < 3; i++) m.dims[i] = info.inputDims[i]!;
  }
  const len = P.tensorPayloadLength(m, true);
  if (len < 0) throw new LinkError("MODEL_MISMATCH", `batch ${batchId} has an invalid shape`);
  const payload = new Uint8Array(len);
  const data = raw ? raw.data : b.x;
  const n = P.encodeSampleBatch(new DataView(payload.buffer), 0, len, m, b.y, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (n < 0) throw new LinkError("MODEL_MISMATCH", `batch ${batchId} cannot be sent: ${errorName(-n)}`);
  if (P.FRAME_OVERHEAD + n > info.maxFrame) {
    throw new LinkError("MODEL_MISMATCH", `batch ${batchId} (${m.count} ${raw ? `raw windows of ${raw.rows} rows x ${raw.columns} columns` : "samples"}, ${n} bytes) exceeds the device's frame limit ${info.maxFrame}; ${raw ? "raise config.serial.maxFrame in the board's manifest.json, or stream features" : "use smaller batches"}`);
  }
  return payload;
}

/**
 * A raw batch as `n` RAW_SLICE payloads of (nearly) equal numbers of rows, in order: its windows' rows as
 * one stream, each slice carrying all the batch's labels.
 */
export function encodeRawSlices(b: SampleBatch, batchId: number, n: number, info: DeviceInfo): Uint8Array[] {
  const raw = b.raw!;
  const count = b.y.length, C = raw.columns, rows = count * raw.rows;
  const m = new P.RawSlice();
  m.batchId = batchId;
  m.count = count;
  m.columns = C;
  m.windowRows = raw.rows;
  const out: Uint8Array[] = [];
  for (let k = 0; k < n; k++) {
    const first = Math.floor((k * rows) / n), end = Math.floor(((k + 1) * rows) / n);
    m.firstRow = first;
    m.rows = end - first;
    const len = P.rawSliceLength(count, m.rows, C);
    const payload = new Uint8Array(len);
    const w = P.encodeRawSlice(new DataView(payload.buffer), 0, len, m, b.y, raw.data.subarray(first * C, end * C));
    if (w < 0) throw new LinkError("MODEL_MISMATCH", `batch ${batchId} cannot be sent in slices: ${errorName(-w)}`);
    if (P.FRAME_OVERHEAD + w > info.maxFrame) throw new LinkError("MODEL_MISMATCH", `a slice of batch ${batchId} (${w} bytes) exceeds the device's frame limit ${info.maxFrame}`);
    out.push(payload);
  }
  return out;
}
