// A scripted PC-side peer for device tests: frames, go-back-N, byte credit (docs/protocol.md), on any
// byte link (the simulator's in-process port or a serialport). Test code only.
import {
  FrameDecoder, FrameEncoder, PAYLOAD_OFFSET, seqAdd, seqDiff,
} from "../src/protocol/frame";
import * as M from "../src/protocol/messages";

export interface Link {
  write(bytes: Uint8Array): unknown;
  on(event: "data", cb: (b: Buffer) => void): unknown;
}

export interface RxFrame {
  type: number;
  seq: number;
  ack: number;
  payload: Uint8Array;
  view: DataView;
}

export interface PeerOptions {
  /** Ignore the device's credit and write everything at once (a broken host). */
  ignoreCredit?: boolean;
  maxFrame?: number;
  retransmitMs?: number;
}

interface Sent {
  type: number;
  payload: Uint8Array;
  seq: number;
}

interface Queued {
  type: number;
  payload: Uint8Array;
  seq: number;
  /** Encoded when its first byte goes out (the header carries the write position). */
  wire?: Uint8Array;
}

export class DevicePeer {
  readonly frames: RxFrame[] = [];
  readonly decoder: FrameDecoder;
  readonly encoder: FrameEncoder;
  caps: M.Caps | null = null;
  /** Write position (bytes) and credit state. */
  written = 0;
  /** Device's latest read position (in our byte space) and window; -1 before its first ACK. */
  devRead = -1;
  window = 0;
  private stops: number[] = [];
  private nextSeq = 1;
  private devExpected = 1; // next device seq we expect
  private readonly unacked: Sent[] = [];
  private queue: Queued[] = [];
  private queuePos = 0;
  private timer: NodeJS.Timeout;
  private lastProgress = Date.now();
  private closed = false;

  constructor(private readonly link: Link, private readonly opts: PeerOptions = {}) {
    this.decoder = new FrameDecoder(opts.maxFrame ?? 4096, (type, seq, ack, view, off, len) => this.onFrame(type, seq, ack, view, off, len));
    this.encoder = new FrameEncoder(opts.maxFrame ?? 4096);
    link.on("data", (b) => this.decoder.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    this.timer = setInterval(() => this.tick(), 20);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.unacked.length > 0 && Date.now() - this.lastProgress > (this.opts.retransmitMs ?? 300)) this.goBackN();
    this.pump();
  }

  private onFrame(type: number, seq: number, ack: number, view: DataView, off: number, len: number): void {
    const payload = new Uint8Array(len);
    for (let i = 0; i < len; i++) payload[i] = view.getUint8(off + i);
    const f: RxFrame = { type, seq, ack, payload, view: new DataView(payload.buffer) };
    if (type === M.MSG_CAPS) {
      const c = new M.Caps();
      if (M.decodeCaps(f.view, 0, len, c) === M.ERR_OK) this.caps = c;
    }
    this.onAckValue(ack);
    if (type === M.MSG_ACK) {
      const a = new M.Ack();
      M.decodeAck(f.view, 0, len, a);
      let read = this.written + ((a.read - this.written) | 0);
      if (read > this.written) read = this.written;
      this.devRead = read;
      this.window = a.window;
      if (a.flags & M.ACK_GAP) this.goBackN();
    }
    if (M.isSequenced(type)) {
      const d = seqDiff(seq, this.devExpected);
      if (d === 0) {
        this.devExpected = seqAdd(this.devExpected, 1);
        this.frames.push(f);
      }
      this.sendAck();
    } else {
      this.frames.push(f);
    }
    this.pump();
  }

  private onAckValue(ack: number): void {
    while (this.unacked.length > 0 && seqDiff(this.unacked[0].seq, ack) <= 0) {
      this.unacked.shift();
      this.lastProgress = Date.now();
    }
  }

  /** ACKs jump the queue (at the next frame boundary), as a host should do. */
  private sendAck(): void {
    this.queue.splice(this.queuePos > 0 ? 1 : 0, 0, { type: M.MSG_ACK, payload: this.ackPayload(), seq: -1 });
    this.pump();
  }

  private ackPayload(): Uint8Array {
    const a = new M.Ack();
    a.window = M.CREDIT_UNLIMITED;
    const v = new DataView(new ArrayBuffer(M.ACK_SIZE));
    M.encodeAck(v, 0, M.ACK_SIZE, a);
    return new Uint8Array(v.buffer);
  }

  /** Bytes the host may still write. */
  private allowance(): number {
    if (this.opts.ignoreCredit) return Infinity;
    if (this.devRead < 0) return 0;
    // read + window, and never more than RX_SAFE past a frame end the device has not read past.
    while (this.stops.length > 0 && this.stops[0] <= this.devRead) this.stops.shift();
    let lim = this.devRead + this.window;
    if (this.stops.length > 0 && this.stops[0] + M.RX_SAFE < lim) lim = this.stops[0] + M.RX_SAFE;
    return lim - this.written;
  }

  private pump(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      const allow = this.allowance();
      if (allow <= 0) return;
      if (head.wire === undefined) head.wire = this.encode(head.type, head.seq >= 0 ? head.seq : this.nextSeq, head.payload);
      let n = head.wire.length - this.queuePos;
      if (n > allow) n = allow;
      this.link.write(head.wire.subarray(this.queuePos, this.queuePos + n));
      this.written += n;
      this.queuePos += n;
      if (this.queuePos === head.wire.length) {
        this.queue.shift();
        this.queuePos = 0;
        this.stops.push(this.written);
      }
    }
  }

  private encode(type: number, seq: number, payload: Uint8Array): Uint8Array {
    const out = new Uint8Array(payload.length * 2 + 64);
    this.encoder.position = this.written;
    const n = this.encoder.encodeBytes(type, seq, seqAdd(this.devExpected, -1), payload, out);
    if (n < 0) throw new Error("encode failed");
    return out.subarray(0, n);
  }

  private sendRaw(type: number, payload: Uint8Array, sequenced: boolean): number {
    const seq = this.nextSeq;
    if (sequenced) {
      this.nextSeq = seqAdd(this.nextSeq, 1);
      this.unacked.push({ type, payload, seq });
      if (this.unacked.length === 1) this.lastProgress = Date.now();
    }
    this.queue.push({ type, payload, seq: sequenced ? seq : -1 });
    this.pump();
    return seq;
  }

  private goBackN(): void {
    for (const s of this.unacked) this.queue.push({ type: s.type, payload: s.payload, seq: s.seq });
    this.lastProgress = Date.now();
    this.pump();
  }

  /**
   * HELLO (outside credit) and wait for the CAPS echoing its nonce. A host resends HELLO with a fresh nonce
   * when no CAPS comes (docs/protocol.md): the first one can be lost to a board still booting or a loaded
   * machine, so this does too, at growing intervals, and gives up only after `timeoutMs` of wall time.
   */
  async hello(timeoutMs = 30000): Promise<M.Caps> {
    const end = Date.now() + timeoutMs;
    for (let wait = 750; ; wait = Math.min(2 * wait, 4000)) {
      const nonce = this.sendHello();
      const until = Math.min(Date.now() + wait, end);
      while (!(this.caps !== null && this.caps.hostNonce === nonce && this.devRead >= 0)) {
        if (Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      if (this.caps !== null && this.caps.hostNonce === nonce && this.devRead >= 0) return this.caps;
      if (Date.now() > end) throw new Error(`timed out waiting for CAPS (${timeoutMs} ms, HELLO resent)`);
    }
  }

  /** Starts a new session: forgets every frame state and writes one HELLO; returns its nonce. */
  private sendHello(): number {
    const nonce = (Math.random() * 0xffffffff) >>> 0;
    const h = new M.Hello();
    h.hostNonce = nonce;
    h.maxFrame = this.opts.maxFrame ?? 4096;
    const v = new DataView(new ArrayBuffer(16));
    const n = M.encodeHello(v, 0, 16, h);
    const wire = this.encode(M.MSG_HELLO, 1, new Uint8Array(v.buffer, 0, n)).slice();
    this.nextSeq = 1;
    this.devExpected = 1;
    this.unacked.length = 0;
    this.queue = [];
    this.queuePos = 0;
    this.devRead = -1;
    this.window = 0;
    this.stops = [];
    this.link.write(wire);
    this.written += wire.length;
    return nonce;
  }

  /** PING until a PONG with its value comes back (an unsequenced frame is not retransmitted). */
  async ping(value: number, timeoutMs = 30000): Promise<RxFrame> {
    const end = Date.now() + timeoutMs;
    const from = this.frames.length;
    const isPong = (f: RxFrame) => f.type === M.MSG_PONG && f.payload.length >= 4 && f.view.getUint32(0, true) === value >>> 0;
    for (;;) {
      this.sendUnsequenced(M.MSG_PING, u32s(value));
      const until = Math.min(Date.now() + 1000, end);
      while (Date.now() <= until) {
        const f = this.frames.slice(from).find(isPong);
        if (f) return f;
        await new Promise((r) => setTimeout(r, 2));
      }
      if (Date.now() > end) throw new Error(`timed out waiting for PONG ${value} (${timeoutMs} ms)`);
    }
  }

  send(type: number, payload: Uint8Array): number {
    return this.sendRaw(type, payload, true);
  }

  sendUnsequenced(type: number, payload: Uint8Array): void {
    this.sendRaw(type, payload, false);
  }

  /** Next sequenced frame from the device of one of `types`, after index `from`. */
  async next(types: number[], from = 0, timeoutMs = 30000): Promise<RxFrame> {
    let found: RxFrame | undefined;
    await this.waitFor(() => {
      found = this.frames.slice(from).find((f) => types.includes(f.type));
      return found !== undefined;
    }, timeoutMs, `frame of type ${types.join("/")}`);
    return found!;
  }

  /** The device's reply to our sequenced frame `seq`: ERROR with refSeq, or the next REPORT/RESULT/DATA. */
  async waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  get idle(): boolean {
    return this.unacked.length === 0 && this.queue.length === 0;
  }
}

// ---- payload builders

export function batchPayload(id: number, x: Float32Array, labels: number[], inputs: number): Uint8Array {
  const t = new M.TensorMsg();
  t.id = id;
  t.count = labels.length;
  t.dtype = M.DTYPE_F32;
  t.rank = 1;
  t.dims[0] = inputs;
  const buf = new ArrayBuffer(65536);
  const n = M.encodeSampleBatch(new DataView(buf), 0, buf.byteLength, t, labels, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  if (n < 0) throw new Error(`encodeSampleBatch: ${n}`);
  return new Uint8Array(buf, 0, n);
}

export function predictPayload(id: number, x: Float32Array, count: number, inputs: number): Uint8Array {
  const t = new M.TensorMsg();
  t.id = id;
  t.count = count;
  t.dtype = M.DTYPE_F32;
  t.rank = 1;
  t.dims[0] = inputs;
  const buf = new ArrayBuffer(65536);
  const n = M.encodePredictRequest(new DataView(buf), 0, buf.byteLength, t, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  if (n < 0) throw new Error(`encodePredictRequest: ${n}`);
  return new Uint8Array(buf, 0, n);
}

export function configPayload(lr: number, batchSize = 1): Uint8Array {
  const c = new M.Config();
  c.learningRate = lr;
  c.batchSize = batchSize;
  const v = new DataView(new ArrayBuffer(M.CONFIG_SIZE));
  const n = M.encodeConfig(v, 0, M.CONFIG_SIZE, c);
  if (n < 0) throw new Error(`encodeConfig ${n}`);
  return new Uint8Array(v.buffer);
}

export function u32s(...values: number[]): Uint8Array {
  const v = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return new Uint8Array(v.buffer);
}

export function errorOf(f: RxFrame): { code: number; refSeq: number; refType: number; detail: number } {
  const e = new M.ErrorMsg();
  M.decodeError(f.view, 0, f.payload.length, e);
  return { ...e };
}

export function reportOf(f: RxFrame): M.Report {
  const r = new M.Report();
  M.decodeReport(f.view, 0, f.payload.length, r);
  return r;
}

export { PAYLOAD_OFFSET };
