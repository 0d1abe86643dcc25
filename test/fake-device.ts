// A scripted device for the host-link tests: the device half of docs/protocol.md written independently of
// the real device app (src/app/), with the knobs tests need: a modelled 128-byte receive FIFO that loses
// bytes while "training", small- or large-window credit (with PAUSE), resets that keep or lose training,
// boot garbage, and counters for anything the host does wrong (credit overrun, duplicate training).
import * as P from "../src/protocol/index";
import { buildModel, type Model, type ModelSpec } from "../src/index";
import { gestureModelSpec } from "../src/app/gesture-model";
import type { BytePort } from "../host-sim/link/port";

export interface FakeDeviceOptions {
  spec?: ModelSpec;
  /** Credit window. <= RX_SAFE: small-window policy; larger: large window with PAUSE before training. */
  rxWindow?: number;
  /** Time the device spends not reading per trained batch. */
  trainMs?: number;
  /** Receive limit announced in CAPS. */
  maxFrame?: number;
  /** Text written before the boot CAPS (ESP32 ROM messages). */
  bootText?: string;
  /** Refuse every ACK from the host (tests of the host's retransmission); counts down. */
  ignoreHostFrames?: number;
  /** Never send credit-carrying ACKs (the host must then send nothing). */
  noCredit?: boolean;
  /** Don't send the unsolicited CAPS at boot. */
  quietBoot?: boolean;
  /** Protocol version written in frame headers (tests of incompatible devices). */
  version?: number;
  /** Longest WEIGHTS_DATA chunk sent: a device clamps chunks to its transmit limit (docs/protocol.md). */
  weightsChunkMax?: number;
}

/** `end`: the host's write position just after this frame (its header `pos` + wire length). */
interface Rx { type: number; seq: number; ack: number; payload: Uint8Array; end: number }

const FIFO = P.RX_FIFO_BYTES;
const ACK_STEP = 48;

export class FakeDevice {
  model!: Model;
  /** Batch ids in the order their training steps ran (a reset that loses training does not erase them). */
  readonly trained: number[] = [];
  /** Batch ids reflected in the current weights, in training order (restored checkpoints/commits count as 1..id). */
  lineage: number[] = [];
  /** Bytes that arrived beyond the credit ever granted (host bug), measured while not faulty. */
  creditOverrun = 0;
  /** Most bytes ever outstanding (granted but not yet read) when the device stopped reading. */
  maxOutstandingWhenBusy = 0;
  fifoDrops = 0;
  pausesSent = 0;
  confirmsSeen = 0;
  sessions = 0;
  framesFromHost = 0;
  gapsSent = 0;
  lastCommitted = 0;
  bootNonce = 0;
  /** Checkpoint the device "restores" after a reset: blob + batch id. */
  checkpoint: { blob: Uint8Array; batchId: number } | undefined;

  private readonly o: Required<Omit<FakeDeviceOptions, "spec" | "ignoreHostFrames" | "weightsChunkMax">> & FakeDeviceOptions;
  private readonly spec: ModelSpec;
  private readonly dec: P.FrameDecoder;
  private readonly enc: P.FrameEncoder;
  private readonly out = new Uint8Array(P.maxWireLength(4096));
  private pending: Rx | undefined;

  // Session.
  private session = false;
  private expected = 1;
  private nextSeq = 1;
  private txq: { seq: number; type: number; payload: Uint8Array }[] = [];
  private txTimer: NodeJS.Timeout | undefined;
  private lastGapFor = -1;
  /** Seq of the latest out-of-order frame while `expected` was lastGapFor. */
  private gapSeq = 0;
  private configured = false;
  private modelValid = true;
  private putBuf: Uint8Array | undefined;

  // Receive accounting (positions in bytes read by the app since boot).
  private readPos = 0;
  private arrived = 0; // bytes that reached the FIFO or were read directly
  /** Host position = hostOffset + readPos, from the latest valid host frame. */
  private hostOffset = 0;
  private maxLimit = 0;
  /** readPos + window of the latest ACK. */
  private advertised = 0;
  private busy = false;
  private fifo: Uint8Array[] = [];
  private fifoLen = 0;
  private pauseToken = 0;
  private pausePending = false;
  private paused = false;
  private pauseTimer: NodeJS.Timeout | undefined;
  private trainQueue: Rx[] = [];
  private refresh: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly boundOnData = (b: Uint8Array) => this.onData(b);

  constructor(private readonly port: BytePort, options: FakeDeviceOptions = {}) {
    this.o = {
      rxWindow: P.RX_SAFE, trainMs: 0, maxFrame: 1024, bootText: "", noCredit: false, quietBoot: false,
      version: P.PROTOCOL_VERSION, ...options,
    };
    this.spec = options.spec ?? gestureModelSpec(8, 3, { layers: [{ units: 6, activation: "relu" }, { units: 3, activation: "softmax" }] });
    this.dec = new P.FrameDecoder(this.o.maxFrame, (type, seq, ack, view, off, len) => {
      this.pending = { type, seq, ack, payload: new Uint8Array(view.buffer, off, len).slice(), end: (view.getInt32(P.HDR_POS, true) + this.dec.wireLength) | 0 };
      this.dec.pause();
    });
    this.enc = new P.FrameEncoder(P.MAX_FRAME);
    port.onData(this.boundOnData);
    this.boot();
  }

  /** Power on (or reboot): fresh RAM, weights from the checkpoint or the spec's initialisation. */
  boot(): void {
    this.model = buildModel(this.spec);
    this.lastCommitted = 0;
    this.modelValid = true;
    this.lineage = [];
    if (this.checkpoint) {
      this.lineage = Array.from({ length: this.checkpoint.batchId }, (_, i) => i + 1);
      this.model.parameters.set(new Float32Array(this.checkpoint.blob.slice().buffer));
      this.lastCommitted = this.checkpoint.batchId;
    }
    this.bootNonce = (Math.random() * 0xffffffff) >>> 0 || 1;
    this.session = false;
    this.configured = false;
    this.txq = [];
    this.trainQueue = [];
    this.busy = false;
    this.paused = this.pausePending = false;
    this.fifo = [];
    this.fifoLen = 0;
    this.dec.reset();
    this.dec.resume();
    this.clearTimers();
    if (this.o.bootText) this.port.write(new TextEncoder().encode(this.o.bootText));
    if (!this.o.quietBoot) {
      this.port.write(new Uint8Array([0]));
      this.sendCaps(0);
    }
  }

  /** Reset mid-run. `keep`: checkpoint the current weights first (a device with flash checkpoints). */
  reset(keep: "none" | "checkpoint" = "none"): void {
    if (keep === "checkpoint") this.checkpoint = { blob: this.weightsBlob(), batchId: this.lastCommitted };
    this.boot();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
  }

  weightsBlob(): Uint8Array {
    const p = this.model.parameters;
    return new Uint8Array(p.buffer, p.byteOffset, p.byteLength).slice();
  }

  get stateBytes(): number {
    return this.model.parameters.byteLength;
  }

  private clearTimers(): void {
    if (this.txTimer) clearTimeout(this.txTimer);
    if (this.refresh) clearInterval(this.refresh);
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.txTimer = this.refresh = this.pauseTimer = undefined;
  }

  // ---- receive path

  private onData(bytes: Uint8Array): void {
    if (this.stopped) return;
    this.arrived += bytes.length;
    // Each PAUSE allows one credit-exempt PAUSE_CONFIRM ACK.
    const excess = this.arrived - this.maxLimit - this.pausesSent * P.maxWireLength(P.ACK_SIZE);
    if (this.session && excess > this.creditOverrun) this.creditOverrun = excess;
    if (this.busy) {
      // The app is not reading: the hardware FIFO holds 128 bytes, the rest is lost.
      const room = FIFO - this.fifoLen;
      if (bytes.length > room) this.fifoDrops += bytes.length - room;
      if (room > 0) {
        const keep = bytes.slice(0, room);
        this.fifo.push(keep);
        this.fifoLen += keep.length;
      }
      return;
    }
    this.read(bytes);
  }

  private read(bytes: Uint8Array): void {
    let i = 0;
    let acked = false;
    while (i < bytes.length) {
      const n = this.dec.push(bytes, i);
      i += n;
      this.readPos += n;
      if (this.pending) {
        const f = this.pending;
        this.pending = undefined;
        this.dec.resume();
        if (this.handleFrame(f)) acked = true;
        if (this.busy) {
          // Started training inside handleFrame: the rest of this chunk lands in the FIFO.
          const rest = bytes.subarray(i);
          this.arrived -= rest.length;
          this.onData(rest);
          break;
        }
      }
    }
    // Like the real device: an ACK after a frame, and whenever the limit moved ACK_STEP bytes mid-frame.
    if (!this.busy && (acked || this.readPos + this.o.rxWindow - this.advertised >= ACK_STEP)) this.sendAck(0);
  }

  /** Returns true when an ACK should follow. */
  private handleFrame(f: Rx): boolean {
    this.framesFromHost++;
    if (f.type === P.MSG_HELLO) {
      const h = new P.Hello();
      if (P.decodeHello(new DataView(f.payload.buffer), 0, f.payload.length, h) !== P.ERR_OK) return false;
      this.session = true;
      this.sessions++;
      this.expected = 1;
      this.nextSeq = 1;
      this.txq = [];
      this.lastGapFor = -1;
      this.hostOffset = f.end - this.readPos;
      this.maxLimit = this.arrived; // nothing may arrive beyond this until we grant credit
      this.paused = this.pausePending = false;
      this.sendCaps(h.hostNonce);
      this.startRefresh();
      return true;
    }
    if (!this.session) return false;
    this.hostOffset = f.end - this.readPos; // every valid host frame re-anchors the credit mapping
    this.onAck(f.ack);
    if (f.type === P.MSG_ACK) {
      const a = new P.Ack();
      P.decodeAck(new DataView(f.payload.buffer), 0, f.payload.length, a);
      if (a.flags & P.ACK_PAUSE_CONFIRM && this.pausePending && a.token === this.pauseToken) {
        this.confirmsSeen++;
        this.pausePending = false;
        this.paused = true;
        if (this.pauseTimer) clearTimeout(this.pauseTimer);
        this.trainQueued();
      }
      if (a.flags & P.ACK_GAP) this.resendAll();
      return false;
    }
    if (f.type === P.MSG_PING) {
      const pong = new P.Pong();
      pong.token = new DataView(f.payload.buffer).getUint32(0, true);
      pong.uptimeMs = 1234;
      const n = P.encodePong(this.enc.view, P.PAYLOAD_OFFSET, this.enc.maxPayload, pong);
      this.writeFrame(P.MSG_PONG, this.nextSeq, n);
      return false;
    }
    if (!P.isSequenced(f.type)) return false;
    const d = P.seqDiff(f.seq, this.expected);
    if (d < 0) return true; // duplicate: re-ack
    if (d > 0) {
      // Once per gap, and again when the host starts another pass (seq not after the previous
      // out-of-order one): its new copy of `expected` was lost too.
      if (this.lastGapFor !== this.expected || P.seqDiff(f.seq, this.gapSeq) <= 0) {
        this.lastGapFor = this.expected;
        this.gapsSent++;
        this.sendAck(P.ACK_GAP);
      }
      this.gapSeq = f.seq;
      return false;
    }
    this.expected = P.seqAdd(this.expected, 1);
    this.onMessage(f);
    return true;
  }

  private onMessage(f: Rx): void {
    const view = new DataView(f.payload.buffer);
    const len = f.payload.length;
    switch (f.type) {
      case P.MSG_CONFIG: {
        const c = new P.Config();
        const err = P.decodeConfig(view, 0, len, c);
        if (err === P.ERR_OK) this.configured = true;
        this.sendError(err, f);
        return;
      }
      case P.MSG_SAMPLE_BATCH: {
        const m = new P.TensorMsg();
        let err = P.decodeSampleBatch(view, 0, len, m);
        if (err === P.ERR_OK) err = P.checkTensorForModel(view, m, this.caps(0), true);
        if (err === P.ERR_OK && (!this.configured || !this.modelValid)) err = P.ERR_BAD_STATE;
        if (err === P.ERR_OK && m.id <= this.lastCommitted + this.trainQueue.length) err = P.ERR_BATCH_DUPLICATE;
        if (err === P.ERR_OK && m.id !== this.lastCommitted + this.trainQueue.length + 1) err = P.ERR_BATCH_GAP;
        if (err !== P.ERR_OK) {
          this.sendError(err, f);
          return;
        }
        this.trainQueue.push(f);
        if (this.o.rxWindow > P.RX_SAFE && !this.paused) {
          // Large window: withdraw credit before we stop reading.
          if (!this.pausePending) this.sendPause();
          return;
        }
        this.trainQueued();
        return;
      }
      case P.MSG_PREDICT_REQ: {
        const m = new P.TensorMsg();
        let err = P.decodePredictRequest(view, 0, len, m);
        if (err === P.ERR_OK) err = P.checkTensorForModel(view, m, this.caps(0), false);
        if (err !== P.ERR_OK) return this.sendError(err, f);
        const x = new Float32Array(f.payload.buffer.slice(m.dataOffset, m.dataOffset + m.dataBytes));
        const classes = this.model.outputs;
        const scores = new Float32Array(m.count * classes);
        for (let s = 0; s < m.count; s++) {
          const out = this.model.forward(x.subarray(s * this.model.inputs, (s + 1) * this.model.inputs), 1);
          scores.set(out.subarray(0, classes), s * classes);
        }
        const r = new P.PredictResult();
        r.requestId = m.id;
        r.count = m.count;
        r.classes = classes;
        const n = P.encodePredictResult(this.enc.view, P.PAYLOAD_OFFSET, this.enc.maxPayload, r, scores);
        this.sendSequenced(P.MSG_PREDICT_RESULT, n);
        return;
      }
      case P.MSG_WEIGHTS_GET: {
        const g = new P.WeightsGet();
        P.decodeWeightsGet(view, 0, len, g);
        const blob = this.weightsBlob();
        if (g.offset + g.length > blob.length) return this.sendError(P.ERR_BLOB_RANGE, f);
        const c = new P.WeightsChunk();
        c.offset = g.offset;
        c.total = blob.length;
        c.blobCrc = P.crc32(blob);
        c.batchId = this.lastCommitted;
        const bytes = Math.min(g.length, this.o.weightsChunkMax ?? g.length);
        const n = P.encodeWeightsData(this.enc.view, P.PAYLOAD_OFFSET, this.enc.maxPayload, c, blob, g.offset, bytes);
        this.sendSequenced(P.MSG_WEIGHTS_DATA, n);
        return;
      }
      case P.MSG_WEIGHTS_PUT: {
        const c = new P.WeightsChunk();
        const err = P.decodeWeightsPut(view, 0, len, c);
        if (err !== P.ERR_OK || c.total !== this.stateBytes) return this.sendError(err || P.ERR_BLOB_RANGE, f);
        if (!this.putBuf) this.putBuf = new Uint8Array(this.stateBytes);
        this.putBuf.set(f.payload.subarray(P.WPUT_BYTES), c.offset);
        this.modelValid = false;
        return;
      }
      case P.MSG_WEIGHTS_COMMIT: {
        const c = new P.WeightsCommit();
        P.decodeWeightsCommit(view, 0, len, c);
        if (!this.putBuf || c.total !== this.stateBytes || P.crc32(this.putBuf) !== c.blobCrc >>> 0) return this.sendError(P.ERR_BLOB_CRC, f);
        this.model.parameters.set(new Float32Array(this.putBuf.slice().buffer));
        this.putBuf = undefined;
        this.lastCommitted = c.batchId;
        this.lineage = Array.from({ length: c.batchId }, (_, i) => i + 1);
        this.modelValid = true;
        this.sendError(P.ERR_OK, f);
        return;
      }
      default:
        this.sendError(P.ERR_UNKNOWN_TYPE, f);
    }
  }

  /** Train every queued batch; the device does not read while it trains. */
  private trainQueued(): void {
    const f = this.trainQueue.shift();
    if (!f) {
      this.paused = false;
      this.sendAck(0); // (re-)open the window
      return;
    }
    const view = new DataView(f.payload.buffer);
    const m = new P.TensorMsg();
    P.decodeSampleBatch(view, 0, f.payload.length, m);
    const x = new Float32Array(f.payload.buffer.slice(m.dataOffset, m.dataOffset + m.dataBytes));
    const y = f.payload.subarray(m.labelsOffset, m.labelsOffset + m.count);
    const B = this.model.batchSize, w = this.model.inputs;
    let loss = 0;
    for (let s = 0; s + B <= m.count; s += B) loss = this.model.trainStep(x.subarray(s * w, (s + B) * w), y.subarray(s, s + B));
    this.trained.push(m.id);
    this.lineage.push(m.id);
    this.lastCommitted = m.id;
    const r = new P.Report();
    r.step = this.model.step;
    r.batchId = m.id;
    r.loss = loss;
    r.accuracy = 0.5;
    r.stepMicros = this.o.trainMs * 1000;
    r.freeBytes = 1000;
    const n = P.encodeReport(this.enc.view, P.PAYLOAD_OFFSET, this.enc.maxPayload, r);
    this.sendSequenced(P.MSG_REPORT, n);
    this.goBusy();
  }

  /** Stop reading for trainMs (the FIFO fills meanwhile), then read what it holds and continue. */
  private goBusy(): void {
    const outstanding = this.maxLimit - this.readPos;
    if (outstanding > this.maxOutstandingWhenBusy) this.maxOutstandingWhenBusy = outstanding;
    if (this.o.trainMs <= 0) {
      this.trainQueued();
      return;
    }
    this.busy = true;
    setTimeout(() => {
      if (this.stopped || !this.busy) return;
      this.busy = false;
      const held = new Uint8Array(this.fifoLen);
      let o = 0;
      for (const c of this.fifo) { held.set(c, o); o += c.length; }
      this.fifo = [];
      this.fifoLen = 0;
      this.read(held);
      if (!this.busy) this.trainQueued();
    }, this.o.trainMs);
  }

  // ---- transmit path

  private caps(hostNonce: number): P.Caps {
    const c = new P.Caps();
    c.bootNonce = this.bootNonce;
    c.hostNonce = hostNonce;
    c.maxFrame = this.o.maxFrame;
    c.rxWindow = this.o.rxWindow;
    c.lastCommittedBatchId = this.lastCommitted;
    c.planBytes = this.model.plan.total;
    c.stateBytes = this.stateBytes;
    c.inputDtype = P.DTYPE_F32;
    c.inputRank = 1;
    c.inputDims[0] = this.model.inputs;
    c.classes = this.model.outputs;
    const sizes = [this.model.inputs, ...this.spec.layers.map((l) => l.units)];
    c.layerCount = sizes.length;
    sizes.forEach((s, i) => (c.layerSizes[i] = s));
    return c;
  }

  private sendCaps(hostNonce: number): void {
    const n = P.encodeCaps(this.enc.view, P.PAYLOAD_OFFSET, this.enc.maxPayload, this.caps(hostNonce));
    this.writeFrame(P.MSG_CAPS, this.nextSeq, n);
  }

  private writeFrame(type: number, seq: number, payloadLength: number): void {
    const n = this.enc.encode(type, seq, P.seqAdd(this.expected, -1), payloadLength, this.out);
    if (n < 0) throw new Error("fake device: encode failed");
    const bytes = this.out.slice(0, n);
    if (this.o.version !== P.PROTOCOL_VERSION) {
      // Re-frame with another version byte (valid CRC), as a future device would.
      const raw = new Uint8Array(P.FRAME_OVERHEAD + payloadLength);
      raw.set(this.enc.bytes.subarray(0, raw.length));
      raw[0] = this.o.version;
      const dv = new DataView(raw.buffer);
      dv.setInt32(raw.length - 4, P.crc32(raw, 0, raw.length - 4) | 0, true);
      const out = new Uint8Array(P.cobsMaxEncodedLength(raw.length) + 2);
      const m = P.cobsEncode(raw, 0, raw.length, out, 1, out.length - 1);
      out[m + 1] = 0;
      this.port.write(out.slice(0, m + 2));
      return;
    }
    this.port.write(bytes);
  }

  private sendSequenced(type: number, payloadLength: number): void {
    const payload = this.enc.bytes.slice(P.PAYLOAD_OFFSET, P.PAYLOAD_OFFSET + payloadLength);
    const seq = this.nextSeq;
    this.nextSeq = P.seqAdd(this.nextSeq, 1);
    this.txq.push({ seq, type, payload });
    this.writeFrame(type, seq, payloadLength);
    this.armTx();
  }

  private sendError(code: number, f: Rx): void {
    const e = new P.ErrorMsg();
    e.code = code;
    e.refSeq = f.seq;
    e.refType = f.type;
    const n = P.encodeError(this.enc.view, P.PAYLOAD_OFFSET, this.enc.maxPayload, e);
    this.sendSequenced(P.MSG_ERROR, n);
  }

  private armTx(): void {
    if (this.txTimer || this.txq.length === 0) return;
    this.txTimer = setTimeout(() => {
      this.txTimer = undefined;
      this.resendAll();
      this.armTx();
    }, 500);
  }

  private resendAll(): void {
    for (const f of this.txq) {
      this.enc.bytes.set(f.payload, P.PAYLOAD_OFFSET);
      this.writeFrame(f.type, f.seq, f.payload.length);
    }
  }

  private onAck(a: number): void {
    let progress = false;
    while (this.txq.length > 0 && P.seqLe(this.txq[0]!.seq, a) && P.seqLt(a, this.nextSeq)) {
      this.txq.shift();
      progress = true;
    }
    if (progress && this.txTimer) {
      clearTimeout(this.txTimer);
      this.txTimer = undefined;
      this.armTx();
    }
  }

  private sendAck(flags: number): void {
    if (!this.session || this.o.noCredit && flags === 0) return;
    const m = new P.Ack();
    const window = this.busy || this.paused || this.pausePending ? 0 : this.o.rxWindow;
    m.read = (this.hostOffset + this.readPos) | 0;
    m.window = Math.min(0xfffe, window);
    m.flags = flags;
    m.token = flags & P.ACK_PAUSE ? this.pauseToken : 0;
    const limit = this.readPos + m.window;
    this.advertised = limit;
    // Credit beyond what has arrived counts only once the host can see it.
    if (limit > this.maxLimit) this.maxLimit = limit;
    const n = P.encodeAck(this.enc.view, P.PAYLOAD_OFFSET, this.enc.maxPayload, m);
    this.writeFrame(P.MSG_ACK, this.nextSeq, n);
  }

  private sendPause(): void {
    this.pausesSent++;
    this.pausePending = true;
    this.pauseToken = (this.pauseToken + 1) & 0xff;
    this.sendAck(P.ACK_PAUSE);
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = undefined;
      if (this.pausePending && !this.stopped) this.sendPause();
    }, 50);
  }

  private startRefresh(): void {
    if (this.refresh) clearInterval(this.refresh);
    this.refresh = setInterval(() => {
      if (!this.busy && !this.pausePending && !this.paused) this.sendAck(0);
    }, 100);
  }
}
