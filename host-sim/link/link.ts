// The PC half of the wire protocol (docs/protocol.md) over a BytePort, as the commands see it: connect,
// configure, stream batches, predict, read and write weights, ping, close. A facade: the transport
// (transport.ts, credit.ts) moves frames, the session (session.ts) handshakes and restarts, requests
// (requests.ts) match answers, the batch pipeline (batches.ts) delivers batches exactly once. This file
// wires them together, owns the link's failure state, and splits big operations into frames.
// Over 400 lines: it is the one public API of the link (every operation a command uses, each a few lines
// over the split modules); cutting it further would scatter that API across files.
import * as P from "../../src/protocol/index";
import { readHeader, specPayloadLength } from "../../src/modelfile/format";
import type { BytePort } from "./port";
import { Changes, sleep, systemClock } from "./clock";
import { Transport } from "./transport";
import { Requests, type Op, type WeightsAnswer } from "./requests";
import { Session } from "./session";
import { BatchPipeline } from "./batches";
import {
  LinkError, errorName, newStats, resolveOptions, type BatchOptions, type BatchResult, type CheckpointInfo, type DeviceInfo, type LinkOptions,
  type LinkStats, type ModelExpectation, type ModelSpecInfo, type ReportInfo, type ResolvedOptions, type SampleBatch,
  type TrainConfig, type WeightsSnapshot,
} from "./types";

export * from "./types";
export { encodeBatch } from "./batches";

const te = new TextDecoder();
const OPT_CODES = { sgd: P.OPT_SGD, momentum: P.OPT_MOMENTUM, adam: P.OPT_ADAM } as const;

/** Blob CRCs are compared unsigned. */
const u32 = (x: number) => x >>> 0;

/** Requests of one big operation (predict, weights) kept in flight at once. */
const IN_FLIGHT = 4;

export class HostLink {
  readonly stats: LinkStats = newStats();
  private readonly opts: ResolvedOptions;
  private readonly transport: Transport<Op>;
  private readonly requests: Requests;
  private readonly session: Session;
  private readonly changes: Changes;
  private fatal: Error | undefined;
  private closed = false;
  /**
   * Score bytes a PREDICT_RESULT of the device has room for, once it refused more (TOO_LARGE): its transmit
   * frame limit (config.serial.txMaxFrame) may be below the receive limit CAPS states.
   */
  private scoresFit = Infinity;
  /** The CONFIG the user sent, re-sent in every new session. */
  private config: P.Config | undefined;
  private pipeline: BatchPipeline | undefined;
  /** Run at the start of every new session after CONFIG (e.g. re-installing an input pipeline a reset lost). */
  private readonly sessionSetup: (() => Promise<void>)[] = [];

  constructor(private readonly port: BytePort, options: LinkOptions = {}) {
    this.opts = resolveOptions(options, options.clock ?? systemClock);
    this.changes = new Changes(this.opts.clock);
    this.requests = new Requests(this.opts, (op) => {
      op.session = this.stats.sessions;
      this.transport.send(op);
    }, () => this.changes.notify());
    this.transport = new Transport(port, this.opts, this.stats, {
      caps: (view, off, len) => this.session.onCaps(view, off, len),
      message: (type, _seq, view, off, len) => this.requests.answer(type, view, off, len, (batchId) => {
        if (this.session.info) this.session.info.lastCommittedBatchId = batchId;
      }),
      control: (type, view, off, len) => this.onControl(type, view, off, len),
      assigned: (op, seq) => this.requests.assigned(op, seq),
      acked: (op) => this.requests.acked(op),
      lost: (why) => this.session.restart(why),
      event: (e) => this.opts.onEvent?.(e),
      error: (err) => this.fail(err),
    });
    this.session = new Session(port, this.opts, this.stats, this.transport, this.requests, {
      configPayload: () => this.config && encodeConfig(this.config),
      resume: async (info) => {
        for (const setup of this.sessionSetup) await setup();
        await this.pipeline?.onNewSession(info);
      },
      check: () => this.throwIfFatal(),
      alive: () => !this.closed && !this.fatal,
      fail: (err) => this.fail(err),
      changed: () => this.changes.notify(),
      event: (e) => this.opts.onEvent?.(e),
    });
    port.onClose((err) => {
      if (this.closed) return;
      this.fail(new LinkError("PORT_CLOSED", err ? `${err.message}; the run can be resumed` : `port ${port.name} closed`));
    });
  }

  /** Device capabilities of the current session. */
  get info(): DeviceInfo | undefined {
    return this.session.info;
  }

  /** Decoder counters (garbage skipped, CRC errors, ...). */
  get decoderStats() {
    return this.transport.decoderStats;
  }

  /** Handshake (HELLO/CAPS), check the protocol version and, if given, the model summary. */
  async connect(expect: ModelExpectation = {}): Promise<DeviceInfo> {
    return this.session.connect(expect);
  }

  /**
   * Check the device's model against what the data needs (MODEL_MISMATCH if it does not fit), now and
   * after every reconnect: for a caller that learns the data's shape only after connecting.
   */
  expectModel(expect: ModelExpectation): void {
    this.session.expect(expect);
  }

  /** Send CONFIG and wait for the device's OK. Re-sent automatically on every new session. */
  async configure(c: TrainConfig): Promise<void> {
    const m = new P.Config();
    m.learningRate = c.learningRate;
    m.batchSize = c.batchSize ?? 1;
    m.optimizer = OPT_CODES[c.optimizer ?? "sgd"];
    m.beta1 = c.beta1 ?? (m.optimizer === P.OPT_ADAM ? 0.9 : m.optimizer === P.OPT_MOMENTUM ? 0.9 : 0);
    m.beta2 = c.beta2 ?? (m.optimizer === P.OPT_ADAM ? 0.999 : 0);
    m.epsilon = c.epsilon ?? 1e-7;
    m.weightDecay = c.weightDecay ?? 0;
    m.gradClip = c.gradClip ?? 0;
    if (c.frozen !== undefined) {
      m.flags |= P.CONFIG_FLAG_FROZEN;
      m.frozen = c.frozen;
    }
    const payload = encodeConfig(m);
    this.config = m;
    await this.request(P.MSG_CONFIG, payload);
    // Freezing can change the blob size (optimizer state of fewer layers): refresh it.
    if (c.frozen !== undefined && this.info && ((this.info.flags ?? 0) & P.CAPS_FLAG_MODEL_SPEC) !== 0) await this.getModelSpec();
  }

  /** The device's model spec and sizes (MODEL_SPEC_GET); updates info.stateBytes and planBytes. */
  async getModelSpec(): Promise<ModelSpecInfo> {
    const info = this.requireInfo();
    if (((info.flags ?? 0) & P.CAPS_FLAG_MODEL_SPEC) === 0) {
      throw new LinkError("INCOMPATIBLE", "the device does not report its model spec (firmware without MODEL_SPEC_GET)");
    }
    let r: ModelSpecInfo;
    try {
      r = (await this.request(P.MSG_MODEL_SPEC_GET, new Uint8Array(0))) as ModelSpecInfo;
    } catch (e) {
      if (!(e instanceof LinkError && e.deviceCode === P.ERR_TOO_LARGE)) throw e;
      // MODEL_SPEC is one frame (docs/protocol.md): it needs room for the SPEC payload of every layer.
      const layers = Math.max(1, info.layerSizes.length - 1);
      const need = P.FRAME_OVERHEAD + P.MSPEC_SPEC + specPayloadLength(layers) + 4;
      throw new LinkError("INCOMPATIBLE", `the device's MODEL_SPEC for its ${layers}-layer model needs a host frame limit of at least ${need} bytes; this link receives at most ${this.opts.maxFrame}`, e.deviceCode);
    }
    if (this.info) {
      this.info.stateBytes = r.stateBytes;
      this.info.planBytes = r.planBytes;
    }
    return r;
  }

  /**
   * Stream sample batches (ids 1, 2, ... in iteration order, or from `firstBatchId`), exactly once each,
   * surviving corruption, loss and device resets. Resolves when the device has trained the last batch.
   * Batches the device already committed (its lastCommittedBatchId) are skipped, so a resumed run continues
   * where the board is.
   */
  async sendBatches(batches: Iterable<SampleBatch> | AsyncIterable<SampleBatch>, onReport: (r: ReportInfo) => void = () => {},
    options: BatchOptions = {}): Promise<BatchResult> {
    const info = this.info;
    if (!info) throw new LinkError("CLOSED", "sendBatches before connect()");
    if (this.pipeline) throw new Error("sendBatches is already running");
    const pipe = new BatchPipeline({
      info,
      send: (batchId, frames) => {
        if (frames.length === 1) return this.request(P.MSG_SAMPLE_BATCH, frames[0]!, batchId);
        // RAW_SLICEs: answered only when refused or by the batch's REPORT after the last one.
        for (let i = 0; i < frames.length - 1; i++) this.request(P.MSG_RAW_SLICE, frames[i]!, batchId, 0, true).catch(() => {});
        return this.request(P.MSG_RAW_SLICE, frames[frames.length - 1]!, batchId);
      },
      windowRoom: () => this.transport.windowRoom(),
      ready: () => this.session.ready,
      settled: () => this.session.settled(),
      resync: (why) => this.session.restart(why),
      waitChange: (ms) => this.changes.wait(ms),
      wake: () => this.changes.notify(),
      throwIfFatal: () => this.throwIfFatal(),
      emit: (e) => this.opts.onEvent?.(e),
      lineCounters: () => ({ losses: this.stats.gaps + this.stats.timeouts - this.stats.spuriousTimeouts }),
      getWeights: () => this.getWeights(),
      putWeights: (blob, batchId) => this.putWeights(blob, batchId),
    }, batches, onReport, options);
    this.pipeline = pipe;
    this.requests.batches = pipe;
    try {
      return await pipe.run();
    } finally {
      this.pipeline = undefined;
      this.requests.batches = undefined;
    }
  }

  /** Class scores for `count` samples (float32, count x inputs). Returns count x classes scores. */
  async predict(x: Float32Array, count = x.length / this.inputWidth()): Promise<Float32Array> {
    const info = this.requireInfo();
    const w = this.inputWidth();
    if (!Number.isInteger(count) || count < 1 || x.length !== count * w) throw new RangeError(`predict: ${x.length} values are not ${count} samples of ${w}`);
    const perFrame = Math.max(1, Math.min(0xffff, Math.floor(this.scoresFit / (4 * info.classes)), Math.floor((info.maxFrame - P.FRAME_OVERHEAD - P.PREDICT_DATA) / (4 * w)),
      Math.floor((this.opts.maxFrame - P.FRAME_OVERHEAD - P.RESULT_SCORES) / (4 * info.classes))));
    const out = new Float32Array(count * info.classes);
    const pending: Promise<void>[] = [];
    // One request for samples [at, at + n); refused as too large for the device's answer: two halves.
    const ask = (at: number, n: number): Promise<void> => {
      const m = new P.TensorMsg();
      m.id = this.opts.random32() >>> 0;
      m.count = n;
      m.dtype = P.DTYPE_F32;
      m.rank = info.inputRank;
      for (let i = 0; i < 3; i++) m.dims[i] = info.inputDims[i]!;
      const payload = new Uint8Array(P.tensorPayloadLength(m, false));
      const slice = x.subarray(at * w, (at + n) * w);
      const len = P.encodePredictRequest(new DataView(payload.buffer), 0, payload.length, m, new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength));
      if (len < 0) throw new LinkError("DEVICE_ERROR", `cannot encode predict request (${errorName(-len)})`);
      return this.request(P.MSG_PREDICT_REQ, payload, 0, m.id).then((scores) => {
        out.set(scores as Float32Array, at * info.classes);
      }, (e: unknown) => {
        if (!(e instanceof LinkError && e.deviceCode === P.ERR_TOO_LARGE && n > 1)) throw e;
        const half = n >> 1;
        this.scoresFit = Math.min(this.scoresFit, 4 * info.classes * half);
        return Promise.all([ask(at, half), ask(at + half, n - half)]).then(() => undefined);
      });
    };
    for (let s = 0; s < count; s += perFrame) {
      const p = ask(s, Math.min(perFrame, count - s));
      p.catch(() => {});
      pending.push(p);
      if (pending.length >= IN_FLIGHT) await pending.shift();
    }
    await Promise.all(pending);
    return out;
  }

  /** Read the device's weights blob (stateBytes), checked against the device's whole-blob CRC. */
  async getWeights(): Promise<WeightsSnapshot> {
    return this.readChunked(P.MSG_WEIGHTS_GET, this.requireInfo().stateBytes);
  }

  /**
   * Read the device's whole model as a .tpm file (MODEL_GET: spec, parameters, optimizer state, batch id,
   * and its PIPELINE with the class names), checked against the device's whole-file CRC.
   */
  async getModel(): Promise<WeightsSnapshot> {
    this.requireInstall();
    // The first chunk says how long the file is.
    const first = await this.readChunk(P.MSG_MODEL_GET, 0, 16);
    return this.readChunked(P.MSG_MODEL_GET, first.total);
  }

  /**
   * Install a whole model (MODEL_PUT chunks of a .tpm file, then MODEL_COMMIT): the device checks the file,
   * its memory against the budget, builds the model and swaps it in, or keeps its old one and refuses.
   * The device then reports lastCommittedBatchId = batchId.
   */
  async putModel(file: Uint8Array, batchId = 0): Promise<void> {
    this.requireInstall();
    const summary = readHeader(file);
    await this.writeChunked(P.MSG_MODEL_PUT, P.MSG_MODEL_COMMIT, file, batchId);
    // The CONFIG sent for the old model need not fit the new one: the new model's own settings apply.
    this.config = undefined;
    const info = this.info;
    if (info) {
      // What CAPS would now say (the next session's CAPS says it too); sizes from MODEL_SPEC.
      info.lastCommittedBatchId = batchId;
      info.inputRank = 1;
      info.inputDims = [summary.inputs, 0, 0];
      info.classes = summary.units[summary.units.length - 1]!;
      info.layerSizes = [summary.inputs, ...summary.units];
      info.modelDtype = summary.dtype === "fixed" ? P.DTYPE_I16 : P.DTYPE_F32;
    }
    await this.getModelSpec();
  }

  private requireInstall(): DeviceInfo {
    const info = this.requireInfo();
    if (((info.flags ?? 0) & P.CAPS_FLAG_MODEL_INSTALL) === 0) {
      throw new LinkError("INCOMPATIBLE", "the device cannot install models (firmware without MODEL_PUT; update it)");
    }
    return info;
  }

  private async readChunk(type: number, off: number, len: number): Promise<WeightsAnswer> {
    const payload = new Uint8Array(P.WGET_SIZE);
    const g = new P.WeightsGet();
    g.offset = off;
    g.length = len;
    P.encodeWeightsGet(new DataView(payload.buffer), 0, payload.length, g);
    return (await this.request(type, payload, 0, off)) as WeightsAnswer;
  }

  /**
   * Reads a blob in chunks, IN_FLIGHT requests at a time. A device may answer with fewer bytes than asked
   * (its transmit frame limit, config.serial.txMaxFrame, can be below its receive limit, which is all CAPS
   * states): the rest of that range is asked for again and later chunks take the answered size.
   */
  private async readChunked(type: number, size: number): Promise<WeightsSnapshot> {
    for (let attempt = 0; ; attempt++) {
      const info = this.requireInfo();
      const total = size;
      const blob = new Uint8Array(total);
      let chunk = Math.max(1, Math.min(0xffff, this.opts.maxFrame - P.FRAME_OVERHEAD - P.WDATA_BYTES, info.maxFrame - P.FRAME_OVERHEAD - 16, 4096));
      let crc = -1, batchId = 0, consistent = true;
      const reads: Promise<unknown>[] = [];
      const missing: [number, number][] = [];
      const read = (off: number, len: number): void => {
        const payload = new Uint8Array(P.WGET_SIZE);
        const g = new P.WeightsGet();
        g.offset = off;
        g.length = len;
        P.encodeWeightsGet(new DataView(payload.buffer), 0, payload.length, g);
        const p = this.request(type, payload, 0, off).then((v: unknown) => {
          const d = v as WeightsAnswer;
          const got = d.bytes.length;
          if (d.total !== total || got < 1 || got > len) {
            consistent = false;
          } else {
            blob.set(d.bytes, off);
            if (got < len) {
              missing.push([off + got, len - got]);
              chunk = Math.min(chunk, got);
            }
          }
          if (crc < 0) { crc = d.blobCrc; batchId = d.batchId; }
          else if (crc !== d.blobCrc) consistent = false;
        });
        p.catch(() => {});
        reads.push(p);
      };
      let next = 0;
      while (consistent && (next < total || missing.length > 0 || reads.length > 0)) {
        const gap = missing.shift();
        if (gap !== undefined) {
          read(gap[0], gap[1]);
        } else if (next < total) {
          const len = Math.min(chunk, total - next);
          read(next, len);
          next += len;
        } else {
          await reads.shift();
          continue;
        }
        if (reads.length >= IN_FLIGHT) await reads.shift();
      }
      await Promise.all(reads);
      if (total === 0) return { blob, crc: 0, batchId: 0 };
      if (consistent && u32(P.crc32(blob)) === u32(crc)) return { blob, crc: u32(crc), batchId };
      if (attempt >= 5) throw new LinkError("DEVICE_ERROR", "weights blob CRC mismatch after 6 attempts (the device kept changing its weights?)");
    }
  }

  /** Write a weights blob and commit it (the device then reports lastCommittedBatchId = batchId). */
  async putWeights(blob: Uint8Array, batchId = 0): Promise<void> {
    const info = this.requireInfo();
    if (blob.length !== info.stateBytes) {
      throw new LinkError("MODEL_MISMATCH", `weights blob has ${blob.length} bytes, the device's model needs ${info.stateBytes}`);
    }
    await this.writeChunked(P.MSG_WEIGHTS_PUT, P.MSG_WEIGHTS_COMMIT, blob, batchId);
    if (this.info) this.info.lastCommittedBatchId = batchId;
  }

  private async writeChunked(putType: number, commitType: number, blob: Uint8Array, batchId: number): Promise<void> {
    const info = this.requireInfo();
    const chunk = Math.max(1, Math.min(info.maxFrame - P.FRAME_OVERHEAD - P.WPUT_BYTES, 4096));
    const puts: Promise<unknown>[] = [];
    for (let off = 0; off < blob.length; off += chunk) {
      const len = Math.min(chunk, blob.length - off);
      const payload = new Uint8Array(P.WPUT_BYTES + len);
      const m = new P.WeightsChunk();
      m.offset = off;
      m.total = blob.length;
      P.encodeWeightsPut(new DataView(payload.buffer), 0, payload.length, m, blob, off, len);
      // PUT chunks are answered only when refused; they complete when acked.
      const p = this.request(putType, payload, 0, 0, true);
      p.catch(() => {});
      puts.push(p);
    }
    await Promise.all(puts);
    const payload = new Uint8Array(P.WCOMMIT_SIZE);
    const c = new P.WeightsCommit();
    c.total = blob.length;
    c.blobCrc = u32(P.crc32(blob));
    c.batchId = batchId;
    P.encodeWeightsCommit(new DataView(payload.buffer), 0, payload.length, c);
    await this.request(commitType, payload);
  }

  /** The board's checkpoint state (CHECKPOINT_GET); undefined from firmware that does not answer it. */
  async checkpointState(): Promise<CheckpointInfo | undefined> {
    if (!this.answersCheckpoints()) return undefined;
    return (await this.request(P.MSG_CHECKPOINT_GET, new Uint8Array(0))) as CheckpointInfo;
  }

  /**
   * Make the board's current training durable (CHECKPOINT_SAVE: it saves unless its newest checkpoint
   * already holds it) and return its state; `durable` says whether it survives a power cycle. Undefined
   * from firmware that does not answer it.
   */
  async saveCheckpoint(): Promise<CheckpointInfo | undefined> {
    if (!this.answersCheckpoints()) return undefined;
    return (await this.request(P.MSG_CHECKPOINT_SAVE, new Uint8Array(0))) as CheckpointInfo;
  }

  private answersCheckpoints(): boolean {
    return ((this.requireInfo().flags ?? 0) & P.CAPS_FLAG_CHECKPOINT_MSGS) !== 0;
  }

  /**
   * Send any sequenced message and wait for its answer (ERROR OK -> undefined; PIPELINE -> its payload,
   * matched by `key`). For message kinds kept outside this file (sensor-link.ts).
   */
  call(type: number, payload: Uint8Array, key = 0): Promise<unknown> {
    this.requireInfo();
    return this.request(type, payload, 0, key);
  }

  /** Run `setup` again at the start of every later session (after CONFIG, before batches resume). */
  onNewSession(setup: () => Promise<void>): void {
    this.sessionSetup.push(setup);
  }

  /** Listen to what the device sends on its own (SENSOR_WINDOW, SENSOR_RESULT); undefined stops. */
  onUnsolicited(listener: ((type: number, view: DataView, off: number, len: number) => void) | undefined): void {
    this.requests.unsolicited = listener;
  }

  /** Round trip time in ms (PING/PONG) and the device's uptime. */
  async ping(): Promise<{ rttMs: number; uptimeMs: number }> {
    this.requireInfo();
    const clock = this.opts.clock;
    const token = this.opts.random32() >>> 0;
    const payload = new Uint8Array(P.PING_SIZE);
    new DataView(payload.buffer).setUint32(0, token, true);
    const start = clock.now();
    for (let attempt = 0; attempt < 10; attempt++) {
      const got = new Promise<number>((resolve) => {
        this.pongWaiters.set(token, resolve);
      });
      this.transport.sendControl(P.MSG_PING, payload);
      const uptime = await Promise.race([got, sleep(clock, Math.max(250, this.transport.rtoMs * 2)).then(() => -1)]);
      this.throwIfFatal();
      if (uptime >= 0) return { rttMs: clock.now() - start, uptimeMs: uptime };
    }
    this.pongWaiters.delete(token);
    throw new LinkError("TIMEOUT", "no PONG from the device");
  }

  private readonly pongWaiters = new Map<number, (uptime: number) => void>();
  private readonly mPong = new P.Pong();
  private readonly mLog = new P.Log();

  private onControl(type: number, view: DataView, off: number, len: number): void {
    if (type === P.MSG_PONG) {
      if (P.decodePong(view, off, len, this.mPong) === P.ERR_OK) {
        const w = this.pongWaiters.get(this.mPong.token);
        if (w) { this.pongWaiters.delete(this.mPong.token); w(this.mPong.uptimeMs); }
      }
    } else if (type === P.MSG_LOG) {
      if (P.decodeLog(view, off, len, this.mLog) === P.ERR_OK) {
        this.opts.onLog?.(this.mLog.level, te.decode(new Uint8Array(view.buffer, this.mLog.textOffset, this.mLog.textLength)));
      }
    }
  }

  /** Wait until every sent frame is acknowledged, then close the port. */
  async close(): Promise<void> {
    if (this.closed) return;
    const clock = this.opts.clock;
    const deadline = clock.now() + 2000;
    while (!this.fatal && this.transport.unacked > 0 && clock.now() < deadline) await this.changes.wait(50);
    // A final standalone ACK so the device does not keep retransmitting its last frames.
    if (!this.fatal && this.transport.ready) this.transport.flushAck(true);
    this.closed = true;
    this.transport.stop();
    this.requests.settleAll(() => true, new LinkError("CLOSED", "link closed"));
    await this.port.close();
  }

  /** Abandon the link now (no waiting), e.g. when the other end is known to be gone. */
  destroy(): void {
    this.closed = true;
    this.transport.stop();
    void this.port.close();
  }

  // ------------------------------------------------------------------------------------------------

  private request(type: number, payload: Uint8Array, batchId = 0, key = 0, ackOnly = false): Promise<unknown> {
    this.throwIfFatal();
    return this.requests.request(type, payload, this.transport.ready, batchId, key, ackOnly);
  }

  private fail(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.transport.stop();
    this.requests.settleAll(() => true, err);
    this.session.abort();
    this.changes.notify();
  }

  private throwIfFatal(): void {
    if (this.fatal) throw this.fatal;
  }

  private requireInfo(): DeviceInfo {
    this.throwIfFatal();
    if (!this.info) throw new LinkError("CLOSED", "not connected");
    return this.info;
  }

  private inputWidth(): number {
    const d = this.requireInfo().inputDims;
    return d[0]! * (d[1] || 1) * (d[2] || 1);
  }
}

function encodeConfig(m: P.Config): Uint8Array {
  const payload = new Uint8Array(P.configLength(m));
  const n = P.encodeConfig(new DataView(payload.buffer), 0, payload.length, m);
  if (n < 0) throw new LinkError("DEVICE_ERROR", `invalid training configuration (${errorName(-n)})`);
  return payload;
}
