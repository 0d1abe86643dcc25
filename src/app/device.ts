// The device half of the wire protocol (docs/protocol.md) over an ECMA-419 serial port.
//
// - Receive: onReadable -> read() into a 128-byte stage -> FrameDecoder. Every frame is handled inside the
//   decoder callback (training included) and the decoder is paused there, so push() returns the exact
//   position of the frame's trailing delimiter: that is the credit anchor of an accepted frame.
// - Credit (section 5): every host frame carries the host's wire position of its start (`pos`). On every
//   valid host frame the device maps its own read count onto the host's byte space (hostOffset = pos +
//   wire length - read position just after that frame), and each ACK states `read` (the host position it
//   has read up to) and `window`. The host writes only below read + window, and never more than RX_SAFE
//   beyond the end of a frame the device has not yet read past, so whenever the device stops reading to
//   handle a frame (training included) at most RX_SAFE bytes can be in flight: the FIFO absorbs them.
//   Lost bytes only make the mapping conservative; inserted bytes cost at most their count until the next
//   valid frame re-anchors it. Nothing accumulates.
// - Transmit: TxQueue writes whole frames in slices no larger than the last onWritable count. Sequenced
//   frames are kept (encoded) in one of TX_SLOTS retention slots until acked; go-back-N resends them all on
//   timeout (500 ms without progress), on an ACK with GAP, and on repeated duplicate acks.
//   An in-order sequenced frame from the host is accepted only when a slot is free for its reply;
//   otherwise it is discarded unacked and go-back-N brings it again.
// - Batches: exactly once. A batch trains only if batchId == lastCommittedBatchId + 1 (duplicates and
//   gaps are refused with ERROR); the data is read in place through typed-array views over the decoder's
//   buffer, cached by offset so a steady stream of same-shaped batches allocates nothing.
// - Weights: GET snapshots the model into a staging buffer at offset 0; PUT fills the staging buffer;
//   COMMIT checks the whole-blob CRC and the contents before copying into the model. The model is never
//   half written.
// - Frozen layers: CONFIG with flag FROZEN rebuilds the model with a new frozen prefix (a plan with frozen
//   layers needs less memory), carrying over parameters, step and the optimizer state of layers that keep
//   training. MODEL_SPEC_GET answers with the model's spec (.tpm SPEC payload) and blob size.
// Nothing here knows whether the serial port, timers and clock are real or simulated.
import { Model } from "../engine/model";
import { specPayloadLength, writeSpecPayload } from "../modelfile/format";
import { LossCode } from "../engine/spec";
import { FrameDecoder, FrameEncoder, HDR_POS, PAYLOAD_OFFSET, maxWireLength, seqAdd, seqDiff } from "../protocol/frame";
import { crc32Update, CRC32_INIT } from "../util/crc32";
import * as M from "../protocol/messages";
import { TxQueue } from "./tx-queue";
import { WeightsBlob } from "./weights-blob";

/** What the session needs from an ECMA-419 serial instance (format "buffer"). */
export interface DeviceSerial {
  read(buffer: Uint8Array): number | undefined;
  write(buffer: Uint8Array): void;
}

/** What the session needs from Moddable's `timer` module. */
export interface DeviceTimers {
  repeat(callback: (timer: unknown) => void, interval: number): unknown;
  clear(timer: unknown): void;
}

export interface DeviceOptions {
  /** Largest decoded frame the device receives (announced in CAPS). Default 1024. */
  maxFrame?: number;
  /** Largest decoded frame the device sends (further limited by the host's HELLO). Default maxFrame. */
  txMaxFrame?: number;
  /** Random per boot (CAPS bootNonce). */
  bootNonce: number;
  /** Milliseconds, monotonic enough for timeouts and step timing. */
  now: () => number;
  /** Free memory for REPORT (0 when unknown). */
  freeBytes?: () => number;
  /** Diagnostics (trace on the device). Not called on the per-byte or per-batch path. */
  log?: (text: string) => void;
  /** Batch id reflected in the model's weights at start-up (from a restored checkpoint). */
  lastCommittedBatchId?: number;
  /** Call onSave every this many committed batches (0: never). Also called after a WEIGHTS_COMMIT. */
  saveEvery?: number;
  /** Checkpoint hook: persist the model and the batch id its weights reflect. Exceptions are logged. */
  onSave?: (model: Model, lastBatchId: number) => void;
  /** Timer tick in ms (retransmission, ACK refresh). Default 10. */
  tickMs?: number;
  /**
   * Credit window beyond what the device has read (announced in CAPS). Default RX_SAFE, safe whatever the
   * app does between reads. A larger window needs the app to read at least once per FIFO-fill time
   * (128 bytes: ~1.4 ms at 921600 baud) in every turn except while it handles a frame (the host never
   * writes more than RX_SAFE past a frame end the device has not read past), and to decode faster than
   * the line: not shown for XS on an ESP32 at 921600 (docs/protocol.md section 5).
   */
  rxWindow?: number;
}

export const DEVICE_MAX_FRAME = 1024;
/** Sequenced frames the device keeps in flight (docs: "the device <= 4"). */
export const TX_SLOTS = 4;
export const RETRANSMIT_MS = 500;
export const ACK_REFRESH_MS = 100;
/** Send a fresh ACK when the grant edge moved this many bytes beyond the last one advertised. */
export const ACK_STEP = 48;
const VIEW_CACHE = 32;
const STAGE_NONE = 0, STAGE_SNAPSHOT = 1, STAGE_PUT = 2;
const LOG_INFO = 1;

export interface DeviceStats {
  accepted: number; duplicates: number; gaps: number; deferred: number; retransmits: number;
  acksSent: number; errorsSent: number; reports: number; batchesTrained: number; batchesRefused: number;
  handlerErrors: number;
}

export class DeviceSession {
  /** Replaced (never mutated in shape) when CONFIG changes the frozen layers. */
  model: Model;
  readonly decoder: FrameDecoder;
  readonly maxFrame: number;
  readonly bootNonce: number;
  blob: WeightsBlob;
  readonly stats: DeviceStats = {
    accepted: 0, duplicates: 0, gaps: 0, deferred: 0, retransmits: 0, acksSent: 0, errorsSent: 0,
    reports: 0, batchesTrained: 0, batchesRefused: 0, handlerErrors: 0,
  };
  /** Id of the last batch whose training step is reflected in the weights. */
  lastCommittedBatchId: number;

  private serial: DeviceSerial | null = null;
  private timers: DeviceTimers | null = null;
  private tickTimer: unknown = null;
  private readonly opts: DeviceOptions;
  private readonly now: () => number;
  private readonly bootTime: number;

  // Receive side.
  private readonly stage = new Uint8Array(M.RX_FIFO_BYTES);
  private stageStart = 0;
  private stageEnd = 0;
  private readTotal = 0; // bytes read from the UART (int32, wraps)
  /** Host position = hostOffset + readTotal (int32, wraps), from the latest valid host frame. */
  private hostOffset = 0;
  private anchorHostEnd = 0; // host position just after the frame being delivered
  private readonly window: number;
  private readonly ackStep: number;
  private frameSeen = false;
  private anchorPending = false;
  private inSession = false;
  private expected = 1; // next in-order sequence number from the host
  private gapReported = -1;
  private peerMaxFrame = M.MIN_FRAME_LIMIT;

  // Transmit side.
  private readonly encoder: FrameEncoder;
  private readonly tx: TxQueue;
  private readonly slots: Uint8Array[] = [];
  private readonly scratch: Uint8Array;
  private readonly slotLen = new Int32Array(TX_SLOTS);
  private slotHead = 0; // oldest unacked
  private slotCount = 0;
  private nextSeq = 1;
  private lastProgress = 0;
  private retransmitPending = false;
  private lastDupAck = -1;
  private dupAcks = 0;
  private ackPending = false;
  private ackFlags = 0;
  private advertisedEdge = 0;
  private lastAckTime = 0;

  // Message objects, reused.
  private readonly hello = new M.Hello();
  private readonly caps = new M.Caps();
  private readonly ack = new M.Ack();
  private readonly ping = new M.Ping();
  private readonly pong = new M.Pong();
  private readonly err = new M.ErrorMsg();
  private readonly config = new M.Config();
  private readonly tensor = new M.TensorMsg();
  private readonly report = new M.Report();
  private readonly wget = new M.WeightsGet();
  private readonly chunk = new M.WeightsChunk();
  private readonly commit = new M.WeightsCommit();

  // Training views over the decoder's buffer, cached by byte offset.
  private readonly rxF32: Float32Array;
  private readonly xKeys = new Int32Array(VIEW_CACHE).fill(-1);
  private readonly xViews: Float32Array[] = [];
  private xNext = 0;
  private readonly yKeys = new Int32Array(VIEW_CACHE).fill(-1);
  private readonly yViews: Uint8Array[] = [];
  private yNext = 0;
  private readonly emptyF32 = new Float32Array(0);
  private readonly emptyU8 = new Uint8Array(0);
  /** View cache misses (each allocated one typed array). Constant in steady state. */
  viewAllocations = 0;

  // Weights staging.
  private staging: Uint8Array;
  private stagingView: DataView;
  private stagingMode = STAGE_NONE;
  private stagingCrc = 0;
  private stagingBatchId = 0;
  private putFilled = 0;

  private readonly saveEvery: number;
  private readonly outputs: number;
  private readonly softmax: boolean;

  constructor(model: Model, options: DeviceOptions) {
    this.model = model;
    this.opts = options;
    this.now = options.now;
    this.bootTime = options.now();
    this.bootNonce = options.bootNonce >>> 0;
    this.lastCommittedBatchId = (options.lastCommittedBatchId ?? 0) >>> 0;
    this.saveEvery = options.saveEvery ?? 0;
    this.maxFrame = Math.max(M.MIN_FRAME_LIMIT, Math.min(options.maxFrame ?? DEVICE_MAX_FRAME, 0xffff));
    const txMax = Math.max(M.MIN_FRAME_LIMIT, Math.min(options.txMaxFrame ?? this.maxFrame, 0xffff));
    this.decoder = new FrameDecoder(this.maxFrame, (type, seq, ack, view, off, len) => this.onFrame(type, seq, ack, view, off, len));
    this.rxF32 = new Float32Array(this.decoder.buffer);
    for (let i = 0; i < VIEW_CACHE; i++) {
      this.xViews.push(this.emptyF32);
      this.yViews.push(this.emptyU8);
    }
    this.encoder = new FrameEncoder(txMax);
    const wire = maxWireLength(this.encoder.maxPayload);
    for (let i = 0; i < TX_SLOTS; i++) this.slots.push(new Uint8Array(wire));
    this.scratch = new Uint8Array(wire);
    this.tx = new TxQueue(TX_SLOTS * wire + 256, 64);
    let w = options.rxWindow ?? M.RX_SAFE;
    if (!(w >= 16)) w = 16;
    if (w > 0xfffe) w = 0xfffe;
    this.window = w | 0;
    // Small window: advertise often (each ACK opens the next few dozen bytes). Large: the ACKs that matter
    // are the ones after a frame, which are sent anyway; mid-frame refreshes can be sparse.
    this.ackStep = w <= M.RX_SAFE ? ACK_STEP : w >> 2;
    this.blob = new WeightsBlob(model);
    this.staging = new Uint8Array(this.blob.byteLength);
    this.stagingView = new DataView(this.staging.buffer);
    this.outputs = model.outputs;
    this.softmax = model.config.loss === LossCode.SoftmaxCE;
    this.fillCaps();
  }

  /** Starts serving: writes 0x00 and an unsolicited CAPS, starts the tick timer. */
  start(serial: DeviceSerial, timers: DeviceTimers): void {
    this.serial = serial;
    this.timers = timers;
    this.sendCaps(0);
    this.tickTimer = timers.repeat(() => this.onTick(), this.opts.tickMs ?? 10);
    this.log("tinyprop device up");
  }

  stop(): void {
    if (this.timers !== null && this.tickTimer !== null) this.timers.clear(this.tickTimer);
    this.tickTimer = null;
  }

  /** Serial onReadable. */
  onReadable(_count: number): void {
    this.service();
  }

  /** Serial onWritable. */
  onWritable(count: number): void {
    this.tx.writable = count;
    this.flush();
  }

  get inFlight(): number {
    return this.slotCount;
  }

  /** The host position the device may receive up to (what the next ACK would say: read + window). */
  get grantEdge(): number {
    return (this.hostOffset + this.readTotal + this.window) | 0;
  }

  /** Credit window (CAPS rxWindow). */
  get rxWindow(): number {
    return this.window;
  }

  get bytesRead(): number {
    return this.readTotal;
  }

  // ---- receive -----------------------------------------------------------------------------------------

  private service(): void {
    const serial = this.serial;
    if (serial === null) return;
    for (;;) {
      if (this.stageStart >= this.stageEnd) {
        const n = serial.read(this.stage);
        if (!n) break;
        this.stageStart = 0;
        this.stageEnd = n;
        this.readTotal = (this.readTotal + n) | 0;
      }
      this.frameSeen = false;
      const used = this.decoder.push(this.stage, this.stageStart, this.stageEnd);
      this.stageStart += used;
      if (this.frameSeen) {
        this.decoder.resume();
        if (this.anchorPending) {
          this.anchorPending = false;
          // Bytes read but still in the stage come after the delimiter: the frame ended that much earlier.
          this.hostOffset = (this.anchorHostEnd - (this.readTotal - (this.stageEnd - this.stageStart))) | 0;
        }
      }
    }
    if (this.inSession) {
      const moved = (this.hostOffset + this.readTotal + this.window - this.advertisedEdge) | 0;
      // Large window: the host stops RX_SAFE past the end of every frame it wrote (its own ACKs too) until
      // an ACK says the device read past it, so an ACK is due whenever a frame ended beyond the last one.
      if (moved >= this.ackStep || (this.window > M.RX_SAFE && moved > 0 && ((this.anchorHostEnd + this.window - this.advertisedEdge) | 0) > 0)) this.ackPending = true;
    }
    this.flush();
  }

  private onFrame(type: number, seq: number, ack: number, view: DataView, off: number, len: number): void {
    this.decoder.pause();
    this.frameSeen = true;
    try {
      if (type === M.MSG_HELLO) {
        this.onHello(view, off, len);
        return;
      }
      if (!this.inSession) return;
      // Any valid host frame, in order or not, says exactly where in the host's byte space it ended.
      // (An ACK follows for sequenced frames and whenever the limit moved ackStep bytes: acking the
      // host's own ACKs as well would double the device's transmit load for nothing.)
      this.anchorHere(view);
      this.onAck(ack);
      if (M.isSequenced(type)) {
        const d = seqDiff(seq, this.expected);
        if (d < 0) {
          this.stats.duplicates++;
          this.ackPending = true;
          return;
        }
        if (d > 0) {
          this.stats.gaps++;
          if (this.gapReported !== this.expected) {
            this.gapReported = this.expected;
            this.ackFlags |= M.ACK_GAP;
            this.ackPending = true;
          }
          return;
        }
        if (this.slotCount >= TX_SLOTS) {
          // No room for the reply: leave it unaccepted; go-back-N brings it again.
          this.stats.deferred++;
          return;
        }
        this.expected = seqAdd(this.expected, 1);
        this.ackPending = true;
        this.stats.accepted++;
        this.onSequenced(type, seq, view, off, len);
        return;
      }
      if (type === M.MSG_ACK) {
        if (M.decodeAck(view, off, len, this.ack) === M.ERR_OK && (this.ack.flags & M.ACK_GAP) !== 0) this.goBackN();
      } else if (type === M.MSG_PING) {
        if (M.decodePing(view, off, len, this.ping) === M.ERR_OK) this.sendPong();
      }
      // Anything else unsequenced (CAPS, PONG, LOG, unknown types) is ignored.
    } catch (e) {
      this.stats.handlerErrors++;
      this.log("handler error");
    }
  }

  private onSequenced(type: number, seq: number, view: DataView, off: number, len: number): void {
    let code = M.ERR_OK;
    let detail = 0;
    switch (type) {
      case M.MSG_CONFIG:
        code = this.onConfig(view, off, len);
        if (code !== M.ERR_OK) detail = (this.model.config.optimizer << 16) | this.model.batchSize;
        this.sendError(code, seq, type, detail);
        return;
      case M.MSG_SAMPLE_BATCH:
        code = this.onBatch(view, off, len);
        break;
      case M.MSG_PREDICT_REQ:
        code = this.onPredict(view, off, len);
        break;
      case M.MSG_WEIGHTS_GET:
        code = this.onWeightsGet(view, off, len);
        break;
      case M.MSG_WEIGHTS_PUT:
        code = this.onWeightsPut(view, off, len);
        break;
      case M.MSG_WEIGHTS_COMMIT:
        code = this.onWeightsCommit(view, off, len);
        if (code === M.ERR_OK) this.sendError(M.ERR_OK, seq, type, this.lastCommittedBatchId);
        break;
      case M.MSG_MODEL_SPEC_GET:
        code = this.onModelSpecGet();
        break;
      case M.MSG_ERROR:
        return; // the host's complaint; acked, never answered (no error ping-pong)
      default:
        code = M.ERR_UNKNOWN_TYPE;
    }
    if (code !== M.ERR_OK) {
      if (type === M.MSG_SAMPLE_BATCH) detail = this.lastCommittedBatchId;
      this.sendError(code, seq, type, detail);
    }
  }

  private onHello(view: DataView, off: number, len: number): void {
    const h = this.hello;
    const code = M.decodeHello(view, off, len, h);
    if (code !== M.ERR_OK && code !== M.ERR_UNSUPPORTED_VERSION) return;
    // New session: forget the old one's sequencing and unsent frames; keep model and training state.
    this.inSession = true;
    this.expected = 1;
    this.nextSeq = 1;
    this.slotCount = 0;
    this.slotHead = 0;
    this.retransmitPending = false;
    this.gapReported = -1;
    this.dupAcks = 0;
    this.lastDupAck = -1;
    this.ackFlags = 0;
    this.stagingMode = STAGE_NONE;
    this.peerMaxFrame = h.maxFrame;
    this.tx.dropUnstarted();
    this.anchorHere(view);
    this.lastProgress = this.now();
    this.sendCaps(h.hostNonce);
    this.ackPending = true;
  }

  /** Re-anchor the credit mapping on the frame being delivered (applied once push() has returned). */
  private anchorHere(view: DataView): void {
    this.anchorHostEnd = (view.getInt32(HDR_POS, true) + this.decoder.wireLength) | 0;
    this.anchorPending = true;
  }

  // ---- messages ----------------------------------------------------------------------------------------

  private onConfig(view: DataView, off: number, len: number): number {
    const c = this.config;
    const code = M.decodeConfig(view, off, len, c);
    if (code !== M.ERR_OK) return code;
    const r = this.model.config;
    if (c.batchSize % this.model.batchSize !== 0) return M.ERR_BAD_VALUE;
    // The optimizer's kind decides the memory plan; only its settings can change at run time.
    if (c.optimizer !== r.optimizer) return M.ERR_BAD_VALUE;
    if (this.model.gradients === null && c.gradClip > 0) return M.ERR_BAD_VALUE;
    if ((c.flags & M.CONFIG_FLAG_FROZEN) !== 0 && c.frozen !== r.frozen) {
      if (c.frozen >= r.units.length) return M.ERR_BAD_VALUE; // at least the last layer trains
      if (this.stagingMode === STAGE_PUT) return M.ERR_BAD_STATE;
      const code = this.rebuild(c.frozen);
      if (code !== M.ERR_OK) return code;
    }
    return this.applyConfig(c);
  }

  private applyConfig(c: M.Config): number {
    const r = this.model.config;
    r.learningRate = c.learningRate;
    if (c.optimizer === M.OPT_MOMENTUM) r.momentum = c.beta1;
    if (c.optimizer === M.OPT_ADAM) {
      r.beta1 = c.beta1;
      r.beta2 = c.beta2;
      r.epsilon = c.epsilon;
    }
    r.weightDecay = c.weightDecay;
    r.clipNorm = c.gradClip;
    return M.ERR_OK;
  }

  /**
   * Replace the model by one whose first `frozen` layers do not train. Parameters, step, rejected steps and
   * Adam's powers carry over; optimizer state carries over for the parameters that train in both models
   * (zero for layers that start training). Both arenas exist for a moment (the gesture model: a few KB);
   * on failure (no memory) the old model stays and the answer is NO_MEMORY.
   */
  private rebuild(frozen: number): number {
    const old = this.model;
    let next: Model;
    try {
      next = new Model({ ...old.spec, frozen });
    } catch (e) {
      this.log("rebuild failed");
      return M.ERR_NO_MEMORY;
    }
    next.parameters.set(old.parameters);
    const from = old.optimizerState, to = next.optimizerState;
    const s0 = old.plan.trainableStart, s1 = next.plan.trainableStart;
    for (let k = 0; k < to.length && k < from.length; k++) {
      const dst = to[k], src = from[k];
      for (let i = 0; i < dst.length; i++) {
        const j = s1 + i - s0;
        dst[i] = j >= 0 && j < src.length ? src[j] : 0;
      }
    }
    next.step = old.step;
    next.rejectedSteps = old.rejectedSteps;
    const r = old.config, n = next.config;
    n.learningRate = r.learningRate; n.momentum = r.momentum; n.beta1 = r.beta1; n.beta2 = r.beta2;
    n.epsilon = r.epsilon; n.weightDecay = r.weightDecay; n.clipNorm = r.clipNorm;
    this.model = next;
    this.blob = new WeightsBlob(next);
    if (this.staging.length !== this.blob.byteLength) {
      this.staging = new Uint8Array(this.blob.byteLength);
      this.stagingView = new DataView(this.staging.buffer);
    }
    this.stagingMode = STAGE_NONE; // a snapshot of the old model is stale
    this.fillCaps();
    this.log("model rebuilt: " + frozen + " frozen layer(s)");
    return M.ERR_OK;
  }

  /** MODEL_SPEC: stateBytes, planBytes, lastCommittedBatchId, reserved, then the .tpm SPEC payload. */
  private onModelSpecGet(): number {
    const model = this.model;
    const n = M.MSPEC_SPEC + specPayloadLength(model.config.units.length);
    if (n > this.payloadCap()) return M.ERR_TOO_LARGE;
    const v = this.encoder.view;
    const base = PAYLOAD_OFFSET;
    v.setUint32(base + M.MSPEC_STATE_BYTES, this.blob.byteLength, true);
    v.setUint32(base + M.MSPEC_PLAN_BYTES, model.plan.total, true);
    v.setUint32(base + M.MSPEC_LAST_COMMITTED, this.lastCommittedBatchId >>> 0, true);
    v.setUint32(base + 12, 0, true);
    writeSpecPayload(v, base + M.MSPEC_SPEC, model);
    this.sendSequenced(M.MSG_MODEL_SPEC, n);
    return M.ERR_OK;
  }

  private onBatch(view: DataView, off: number, len: number): number {
    const t = this.tensor;
    let code = M.decodeSampleBatch(view, off, len, t);
    if (code === M.ERR_OK) code = M.checkTensorForModel(view, t, this.caps, true);
    if (code === M.ERR_OK && t.count % this.model.batchSize !== 0) code = M.ERR_SHAPE_MISMATCH;
    if (code === M.ERR_OK && this.stagingMode === STAGE_PUT) code = M.ERR_BAD_STATE;
    if (code === M.ERR_OK) {
      if (t.id <= this.lastCommittedBatchId) code = M.ERR_BATCH_DUPLICATE;
      else if (t.id !== this.lastCommittedBatchId + 1) code = M.ERR_BATCH_GAP;
    }
    if (code !== M.ERR_OK) {
      this.stats.batchesRefused++;
      return code;
    }
    const model = this.model;
    const B = model.batchSize;
    const inputs = model.inputs;
    const n = this.outputs;
    const steps = t.count / B;
    const t0 = this.now();
    let lossSum = 0, correct = 0;
    for (let s = 0; s < steps; s++) {
      const x = this.xView(t.dataOffset + s * B * inputs * 4, B * inputs);
      const y = this.yView(t.labelsOffset + s * B, B);
      lossSum += model.trainStep(x, y);
      if (this.softmax) {
        const Y = model.output;
        for (let c = 0; c < B; c++) {
          let best = 0;
          for (let i = 1; i < n; i++) if (Y[c * n + i] > Y[c * n + best]) best = i;
          if (best === y[c]) correct++;
        }
      }
    }
    const elapsed = this.now() - t0;
    this.lastCommittedBatchId = t.id;
    this.stats.batchesTrained++;
    const r = this.report;
    r.step = model.step >>> 0;
    r.batchId = t.id;
    r.loss = lossSum / steps;
    r.accuracy = correct / t.count;
    let micros = (elapsed * 1000 / steps) | 0;
    if (micros < 0) micros = 0;
    r.stepMicros = micros;
    const free = this.opts.freeBytes;
    r.freeBytes = free === undefined ? 0 : free() >>> 0;
    const e = this.encoder;
    const plen = M.encodeReport(e.view, PAYLOAD_OFFSET, this.payloadCap(), r);
    if (plen >= 0) this.sendSequenced(M.MSG_REPORT, plen);
    this.stats.reports++;
    if (this.saveEvery > 0 && t.id % this.saveEvery === 0) this.save();
    return M.ERR_OK;
  }

  private onPredict(view: DataView, off: number, len: number): number {
    const t = this.tensor;
    let code = M.decodePredictRequest(view, off, len, t);
    if (code === M.ERR_OK) code = M.checkTensorForModel(view, t, this.caps, false);
    if (code !== M.ERR_OK) return code;
    if (this.stagingMode === STAGE_PUT) return M.ERR_BAD_STATE;
    const n = this.outputs;
    const cap = this.payloadCap();
    if (M.RESULT_SCORES + 4 * t.count * n > cap) return M.ERR_TOO_LARGE;
    const e = this.encoder;
    const out = e.view;
    const base = PAYLOAD_OFFSET;
    out.setUint32(base + M.RESULT_REQUEST_ID, t.id, true);
    out.setUint16(base + M.RESULT_COUNT, t.count, true);
    out.setUint16(base + M.RESULT_CLASSES, n, true);
    const model = this.model;
    const inputs = model.inputs;
    let at = base + M.RESULT_SCORES;
    for (let s = 0; s < t.count; s++) {
      model.classify(this.rxF32, (t.dataOffset >> 2) + s * inputs);
      const Y = model.output;
      for (let i = 0; i < n; i++) {
        out.setFloat32(at, Y[i], true);
        if ((out.getInt32(at, true) & 0x7f800000) === 0x7f800000) out.setFloat32(at, 0, true);
        at += 4;
      }
    }
    this.sendSequenced(M.MSG_PREDICT_RESULT, at - base);
    return M.ERR_OK;
  }

  private onWeightsGet(view: DataView, off: number, len: number): number {
    const g = this.wget;
    const code = M.decodeWeightsGet(view, off, len, g);
    if (code !== M.ERR_OK) return code;
    const total = this.blob.byteLength;
    if (g.offset === 0) {
      this.blob.write(this.staging, this.stagingView);
      this.stagingCrc = ~crc32Update(CRC32_INIT, this.staging, 0, total) >>> 0;
      this.stagingBatchId = this.lastCommittedBatchId;
      this.stagingMode = STAGE_SNAPSHOT;
    } else if (this.stagingMode !== STAGE_SNAPSHOT) {
      return M.ERR_BAD_STATE;
    }
    if (g.offset > total) return M.ERR_BLOB_RANGE;
    let n = g.length;
    if (n > total - g.offset) n = total - g.offset;
    const room = this.payloadCap() - M.WDATA_BYTES;
    if (n > room) n = room; // a short chunk: the host continues at offset + the length it got
    const c = this.chunk;
    c.offset = g.offset;
    c.total = total;
    c.blobCrc = this.stagingCrc;
    c.batchId = this.stagingBatchId;
    const plen = M.encodeWeightsData(this.encoder.view, PAYLOAD_OFFSET, this.payloadCap(), c, this.staging, g.offset, n);
    if (plen < 0) return -plen;
    this.sendSequenced(M.MSG_WEIGHTS_DATA, plen);
    return M.ERR_OK;
  }

  private onWeightsPut(view: DataView, off: number, len: number): number {
    const c = this.chunk;
    const code = M.decodeWeightsPut(view, off, len, c);
    if (code !== M.ERR_OK) return code;
    if (c.total !== this.blob.byteLength) return M.ERR_BLOB_RANGE;
    if (this.stagingMode !== STAGE_PUT) {
      if (c.offset !== 0) return M.ERR_BLOB_RANGE;
      this.stagingMode = STAGE_PUT;
      this.putFilled = 0;
    }
    if (c.offset > this.putFilled) return M.ERR_BLOB_RANGE; // a hole would stay unwritten
    const dst = this.staging;
    for (let i = 0; i < c.dataLength; i++) dst[c.offset + i] = view.getUint8(c.dataOffset + i);
    if (c.offset + c.dataLength > this.putFilled) this.putFilled = c.offset + c.dataLength;
    return M.ERR_OK;
  }

  private onWeightsCommit(view: DataView, off: number, len: number): number {
    const m = this.commit;
    const code = M.decodeWeightsCommit(view, off, len, m);
    if (code !== M.ERR_OK) return code;
    if (this.stagingMode !== STAGE_PUT) return M.ERR_BAD_STATE;
    const total = this.blob.byteLength;
    if (m.total !== total || this.putFilled !== total) {
      this.stagingMode = STAGE_NONE;
      return M.ERR_BLOB_RANGE;
    }
    const crc = ~crc32Update(CRC32_INIT, this.staging, 0, total) >>> 0;
    this.stagingMode = STAGE_NONE;
    if (crc !== m.blobCrc) return M.ERR_BLOB_CRC;
    if (!this.blob.check(this.stagingView)) return M.ERR_BAD_VALUE;
    this.blob.read(this.staging, this.stagingView);
    this.lastCommittedBatchId = m.batchId;
    this.log("weights committed");
    this.save();
    return M.ERR_OK;
  }

  private save(): void {
    const hook = this.opts.onSave;
    if (hook === undefined) return;
    try {
      hook(this.model, this.lastCommittedBatchId);
    } catch (e) {
      this.log("checkpoint save failed");
    }
  }

  // ---- views -------------------------------------------------------------------------------------------

  private xView(byteOffset: number, length: number): Float32Array {
    const keys = this.xKeys;
    for (let i = 0; i < VIEW_CACHE; i++) if (keys[i] === byteOffset && this.xViews[i].length === length) return this.xViews[i];
    const i = this.xNext;
    this.xNext = i + 1 === VIEW_CACHE ? 0 : i + 1;
    keys[i] = byteOffset;
    this.viewAllocations++;
    return (this.xViews[i] = new Float32Array(this.decoder.buffer, byteOffset, length));
  }

  private yView(byteOffset: number, length: number): Uint8Array {
    const keys = this.yKeys;
    for (let i = 0; i < VIEW_CACHE; i++) if (keys[i] === byteOffset && this.yViews[i].length === length) return this.yViews[i];
    const i = this.yNext;
    this.yNext = i + 1 === VIEW_CACHE ? 0 : i + 1;
    keys[i] = byteOffset;
    this.viewAllocations++;
    return (this.yViews[i] = new Uint8Array(this.decoder.buffer, byteOffset, length));
  }

  // ---- transmit ----------------------------------------------------------------------------------------

  private payloadCap(): number {
    const peer = this.peerMaxFrame - 12;
    const own = this.encoder.maxPayload;
    return peer < own ? peer : own;
  }

  private fillCaps(): void {
    const c = this.caps;
    const model = this.model;
    const r = model.config;
    c.flags = M.CAPS_FLAG_MODEL_SPEC;
    c.bootNonce = this.bootNonce;
    c.maxFrame = this.maxFrame;
    c.rxWindow = this.window;
    c.planBytes = model.plan.total;
    c.stateBytes = this.blob.byteLength;
    c.inputDtype = M.DTYPE_F32;
    c.inputRank = 1;
    c.inputDims[0] = model.inputs;
    c.inputDims[1] = 0;
    c.inputDims[2] = 0;
    c.classes = model.outputs;
    const L = r.units.length + 1;
    c.layerCount = L > M.MAX_LAYERS ? M.MAX_LAYERS : L;
    c.modelDtype = M.DTYPE_F32;
    c.layerSizes[0] = model.inputs;
    for (let i = 1; i < c.layerCount; i++) c.layerSizes[i] = r.units[i - 1];
  }

  private sendCaps(hostNonce: number): void {
    const c = this.caps;
    c.hostNonce = hostNonce >>> 0;
    c.lastCommittedBatchId = this.lastCommittedBatchId >>> 0;
    const plen = M.encodeCaps(this.encoder.view, PAYLOAD_OFFSET, this.encoder.maxPayload, c);
    if (plen >= 0) this.sendUnsequenced(M.MSG_CAPS, plen);
  }

  private sendPong(): void {
    const p = this.pong;
    p.token = this.ping.token;
    p.uptimeMs = (this.now() - this.bootTime) >>> 0;
    const plen = M.encodePong(this.encoder.view, PAYLOAD_OFFSET, this.payloadCap(), p);
    if (plen >= 0) this.sendUnsequenced(M.MSG_PONG, plen);
  }

  private sendError(code: number, refSeq: number, refType: number, detail: number): void {
    const e = this.err;
    e.code = code;
    e.refSeq = refSeq;
    e.refType = refType;
    e.detail = detail >>> 0;
    const plen = M.encodeError(this.encoder.view, PAYLOAD_OFFSET, this.payloadCap(), e);
    if (plen >= 0) {
      this.sendSequenced(M.MSG_ERROR, plen);
      if (code !== M.ERR_OK) this.stats.errorsSent++;
    }
  }

  /** Sends a LOG frame to the host (not for hot paths: the text is a string). */
  sendLog(level: number, text: string): void {
    const plen = M.encodeLog(this.encoder.view, PAYLOAD_OFFSET, this.payloadCap(), level, text);
    if (plen >= 0) this.sendUnsequenced(M.MSG_LOG, plen);
    this.flush();
  }

  private sendUnsequenced(type: number, plen: number): void {
    const scratch = this.scratch;
    const n = this.encoder.encode(type, this.nextSeq, seqAdd(this.expected, -1), plen, scratch, 0);
    if (n > 0) this.tx.push(scratch, 0, n);
  }

  private sendSequenced(type: number, plen: number): void {
    if (this.slotCount >= TX_SLOTS) return; // cannot happen: a slot is reserved before accepting
    const idx = (this.slotHead + this.slotCount) % TX_SLOTS;
    const slot = this.slots[idx];
    const n = this.encoder.encode(type, this.nextSeq, seqAdd(this.expected, -1), plen, slot, 0);
    if (n <= 0) return;
    this.slotLen[idx] = n;
    if (this.slotCount === 0) this.lastProgress = this.now();
    this.slotCount++;
    this.nextSeq = seqAdd(this.nextSeq, 1);
    if (!this.tx.push(slot, 0, n)) this.retransmitPending = true;
  }

  /** Cumulative ack from any host frame: release slots up to and including `ack`. */
  private onAck(ack: number): void {
    if (this.slotCount === 0) return;
    const oldest = seqAdd(this.nextSeq, -this.slotCount);
    const d = seqDiff(ack, oldest);
    if (d < -1 || seqDiff(ack, seqAdd(this.nextSeq, -1)) > 0) return; // outside [oldest - 1, next - 1]
    if (d === -1) {
      // Nothing new acked: a duplicate ack while frames are outstanding.
      if (ack === this.lastDupAck) {
        this.dupAcks++;
        if (this.dupAcks >= 3 && this.now() - this.lastProgress >= 50) this.goBackN();
      } else {
        this.lastDupAck = ack;
        this.dupAcks = 1;
      }
      return;
    }
    const released = d + 1;
    this.slotHead = (this.slotHead + released) % TX_SLOTS;
    this.slotCount -= released;
    this.lastProgress = this.now();
    this.dupAcks = 0;
    this.lastDupAck = -1;
  }

  private goBackN(): void {
    if (this.slotCount === 0) return;
    let need = 0;
    for (let k = 0; k < this.slotCount; k++) need += this.slotLen[(this.slotHead + k) % TX_SLOTS];
    if (need > this.tx.free) {
      this.retransmitPending = true;
      return;
    }
    for (let k = 0; k < this.slotCount; k++) {
      const i = (this.slotHead + k) % TX_SLOTS;
      this.tx.push(this.slots[i], 0, this.slotLen[i]);
    }
    this.retransmitPending = false;
    this.stats.retransmits++;
    this.lastProgress = this.now();
    this.dupAcks = 0;
  }

  private flush(): void {
    const serial = this.serial;
    if (serial === null) return;
    if (this.ackPending && this.inSession && this.tx.atBoundary) this.writeAck();
    this.tx.flush(serial);
  }

  private writeAck(): void {
    const a = this.ack;
    const read = (this.hostOffset + this.readTotal) | 0;
    a.read = read;
    a.window = this.window;
    a.flags = this.ackFlags;
    a.token = 0;
    const plen = M.encodeAck(this.encoder.view, PAYLOAD_OFFSET, this.payloadCap(), a);
    if (plen < 0) return;
    const side = this.tx.sideBuffer;
    const n = this.encoder.encode(M.MSG_ACK, this.nextSeq, seqAdd(this.expected, -1), plen, side, 0);
    if (n <= 0) return;
    this.tx.sideReady(n);
    this.ackPending = false;
    this.ackFlags = 0;
    this.advertisedEdge = (read + this.window) | 0;
    this.lastAckTime = this.now();
    this.stats.acksSent++;
  }

  private onTick(): void {
    const now = this.now();
    if (this.slotCount > 0 && (this.retransmitPending || now - this.lastProgress >= RETRANSMIT_MS)) this.goBackN();
    if (this.inSession && now - this.lastAckTime >= ACK_REFRESH_MS) this.ackPending = true;
    // Bytes may be waiting in the FIFO without a fresh onReadable (e.g. after a long step): poll once.
    this.service();
  }

  private log(text: string): void {
    const log = this.opts.log;
    if (log !== undefined) log(text);
  }
}
