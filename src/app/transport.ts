// The device side of the wire protocol's transport (docs/protocol.md sections 4-6) over an ECMA-419 serial
// port: what arrives is decoded into frames, sequenced host frames are handed in order to a MessageHandler,
// and its replies go out reliably. It knows nothing about models.
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
// - Gaps: a host frame after a missing one is answered by an ACK with GAP, repeated at most every
//   GAP_REPEAT_MS while the same frame is missing.
// Over 400 lines: the receive path, the credit anchor, the retransmission slots and ack timing share the same
// per-frame counters, and about a third of it is comments on the credit rules the device must keep.
import { FRAME_OVERHEAD, FrameDecoder, FrameEncoder, HDR_POS, PAYLOAD_OFFSET, maxWireLength, seqAdd, seqDiff } from "../protocol/frame";
import * as M from "../protocol/messages";
import { TxQueue } from "./tx-queue";

/** What the device needs from a serial port: ECMA-419 on the ESP32, or Moddable's Linux driver. */
export interface DeviceSerial {
  /**
   * ECMA-419 (ESP32, format "buffer"): read(buffer) fills the buffer and returns the count.
   * Moddable's Linux driver: read(count) returns a new ArrayBuffer (see SerialAdapter in serial-adapter.ts).
   */
  read(buffer: Uint8Array): number | undefined;
  write(buffer: Uint8Array): void;
}

/** What the device needs from Moddable's `timer` module. */
export interface DeviceTimers {
  repeat(callback: (timer: unknown) => void, interval: number): unknown;
  clear(timer: unknown): void;
}

/** What the transport hands its messages to (the model service). */
export interface MessageHandler {
  /**
   * An in-order sequenced host frame. It may send at most one sequenced reply (a slot is free for it).
   * The payload is view bytes [off, off + len) and stays valid until the handler returns.
   */
  onMessage(type: number, seq: number, view: DataView, off: number, len: number): void;
  /** A HELLO started a new session: drop whatever belonged to the old one. */
  onSessionStart(): void;
  /** Fill the model's fields of the CAPS about to be sent (the transport fills its own). */
  describe(caps: M.Caps): void;
}

export interface TransportOptions {
  /** Largest decoded frame the device receives (announced in CAPS). Default 1024. */
  maxFrame?: number;
  /** Largest decoded frame the device sends (further limited by the host's HELLO). Default maxFrame. */
  txMaxFrame?: number;
  /** Random per boot (CAPS bootNonce). */
  bootNonce: number;
  /** Milliseconds, monotonic enough for timeouts. */
  now: () => number;
  /** Diagnostics (trace on the device). Not called on the per-byte or per-batch path. */
  log?: (text: string) => void;
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
  /**
   * Bytes of the UART's interrupt-filled receive buffer beyond the 128-byte FIFO (a receive ring, e.g.
   * src/native/uart-ring.c; 0 or absent: none). With one, the window defaults to that buffer plus RX_SAFE
   * and CAPS carries CAPS_FLAG_RX_BUFFER: the buffer, not the app, absorbs what arrives while it trains.
   */
  rxBuffer?: number;
}

/** Counters of the transport; the model service adds its own to the same object. */
export interface TransportStats {
  accepted: number; duplicates: number; gaps: number; deferred: number; retransmits: number;
  acksSent: number; errorsSent: number; handlerErrors: number;
}

export const DEVICE_MAX_FRAME = 1024;
/** Sequenced frames the device keeps in flight (docs: "the device <= 4"). */
export const TX_SLOTS = 4;
export const RETRANSMIT_MS = 500;
export const ACK_REFRESH_MS = 100;
/**
 * A GAP for the same missing frame is repeated at most this often (ms), so a frame lost again after the
 * host's go-back-N is asked for again by the next frame that arrives, without the host's timer.
 */
export const GAP_REPEAT_MS = 50;
/** Send a fresh ACK when the grant edge moved this many bytes beyond the last one advertised. */
export const ACK_STEP = 48;

export class DeviceTransport {
  readonly decoder: FrameDecoder;
  readonly maxFrame: number;
  readonly bootNonce: number;
  /** CAPS as last sent; the handler's describe() fills the model's fields. */
  readonly caps = new M.Caps();

  private serial: DeviceSerial | null = null;
  private timers: DeviceTimers | null = null;
  private tickTimer: unknown = null;
  private readonly handler: MessageHandler;
  private readonly stats: TransportStats;
  private readonly now: () => number;
  private readonly bootTime: number;
  private readonly tickMs: number;
  private readonly logger: ((text: string) => void) | undefined;

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
  /** The UART has a receive buffer that holds the whole window (CAPS_FLAG_RX_BUFFER). */
  private readonly rxBuffered: boolean;
  private frameSeen = false;
  private anchorPending = false;
  private inSession = false;
  private expected = 1; // next in-order sequence number from the host
  private gapReported = -1; // `expected` when the last GAP went out, and when
  private gapTime = 0;
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

  // Transport messages, reused.
  private readonly hello = new M.Hello();
  private readonly ack = new M.Ack();
  private readonly ping = new M.Ping();
  private readonly pong = new M.Pong();
  private readonly err = new M.ErrorMsg();

  constructor(handler: MessageHandler, stats: TransportStats, options: TransportOptions) {
    this.handler = handler;
    this.stats = stats;
    this.now = options.now;
    this.bootTime = options.now();
    this.tickMs = options.tickMs ?? 10;
    this.logger = options.log;
    this.bootNonce = options.bootNonce >>> 0;
    this.maxFrame = Math.max(M.MIN_FRAME_LIMIT, Math.min(options.maxFrame ?? DEVICE_MAX_FRAME, 0xffff));
    const txMax = Math.max(M.MIN_FRAME_LIMIT, Math.min(options.txMaxFrame ?? this.maxFrame, 0xffff));
    this.decoder = new FrameDecoder(this.maxFrame, (type, seq, ack, view, off, len) => this.onFrame(type, seq, ack, view, off, len));
    this.encoder = new FrameEncoder(txMax);
    const wire = maxWireLength(this.encoder.maxPayload);
    for (let i = 0; i < TX_SLOTS; i++) this.slots.push(new Uint8Array(wire));
    this.scratch = new Uint8Array(wire);
    this.tx = new TxQueue(TX_SLOTS * wire + 256, 64);
    const rxBuffer = options.rxBuffer !== undefined && options.rxBuffer > 0 ? options.rxBuffer | 0 : 0;
    this.rxBuffered = rxBuffer > 0;
    let w = options.rxWindow ?? (rxBuffer > 0 ? rxBuffer + M.RX_SAFE : M.RX_SAFE);
    if (rxBuffer > 0 && w > rxBuffer + M.RX_SAFE) w = rxBuffer + M.RX_SAFE;
    if (!(w >= 16)) w = 16;
    if (w > 0xfffe) w = 0xfffe;
    this.window = w | 0;
    // Small window: advertise often (each ACK opens the next few dozen bytes). Large: the ACKs that matter
    // are the ones after a frame, which are sent anyway; mid-frame refreshes can be sparse.
    this.ackStep = w <= M.RX_SAFE ? ACK_STEP : w >> 2;
    const c = this.caps;
    c.bootNonce = this.bootNonce;
    c.maxFrame = this.maxFrame;
    c.rxWindow = this.window;
  }

  /** Starts serving: writes 0x00 and an unsolicited CAPS, starts the tick timer. */
  start(serial: DeviceSerial, timers: DeviceTimers): void {
    this.serial = serial;
    this.timers = timers;
    this.sendCaps(0);
    this.tickTimer = timers.repeat(() => this.onTick(), this.tickMs);
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

  // ---- for the handler: replies --------------------------------------------------------------------------

  /** Where the handler writes a reply's payload: view bytes from PAYLOAD_OFFSET, at most payloadCap. */
  get view(): DataView {
    return this.encoder.view;
  }

  /** Largest reply payload: the peer's receive limit (HELLO maxFrame) or our own, minus the frame overhead. */
  get payloadCap(): number {
    const peer = this.peerMaxFrame - FRAME_OVERHEAD; // header and CRC: 16 bytes
    const own = this.encoder.maxPayload;
    return peer < own ? peer : own;
  }

  /** Sends the payload written at view[PAYLOAD_OFFSET, + plen) as a sequenced frame (at most one per message). */
  sendSequenced(type: number, plen: number): void {
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

  /**
   * Room for a sequenced frame the app sends on its own initiative (the sensor's): a session is open and a
   * retention slot stays free for the reply to the next host message.
   */
  get canSend(): boolean {
    return this.inSession && this.slotCount < TX_SLOTS - 1;
  }

  /** sendSequenced outside a message handler (check canSend first); starts writing at once. */
  sendUnsolicited(type: number, plen: number): void {
    this.sendSequenced(type, plen);
    this.flush();
  }

  /** ERROR (code OK is a positive answer) about the host frame refSeq of type refType. */
  sendError(code: number, refSeq: number, refType: number, detail: number): void {
    const e = this.err;
    e.code = code;
    e.refSeq = refSeq;
    e.refType = refType;
    e.detail = detail >>> 0;
    const plen = M.encodeError(this.encoder.view, PAYLOAD_OFFSET, this.payloadCap, e);
    if (plen >= 0) {
      this.sendSequenced(M.MSG_ERROR, plen);
      if (code !== M.ERR_OK) this.stats.errorsSent++;
    }
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
      // (Not with a receive buffer: the host then ignores frame ends.)
      if (moved >= this.ackStep || (!this.rxBuffered && this.window > M.RX_SAFE && moved > 0 && ((this.anchorHostEnd + this.window - this.advertisedEdge) | 0) > 0)) this.ackPending = true;
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
          this.reportGap();
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
        this.handler.onMessage(type, seq, view, off, len);
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

  /** ACK with GAP: the first time for this missing frame, then again at most every GAP_REPEAT_MS. */
  private reportGap(): void {
    const now = this.now();
    if (this.gapReported === this.expected && now - this.gapTime < GAP_REPEAT_MS) return;
    this.gapReported = this.expected;
    this.gapTime = now;
    this.ackFlags |= M.ACK_GAP;
    this.ackPending = true;
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
    this.peerMaxFrame = h.maxFrame;
    this.tx.dropUnstarted();
    this.handler.onSessionStart();
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

  // ---- transmit ----------------------------------------------------------------------------------------

  private sendCaps(hostNonce: number): void {
    const c = this.caps;
    this.handler.describe(c);
    if (this.rxBuffered) c.flags |= M.CAPS_FLAG_RX_BUFFER;
    c.hostNonce = hostNonce >>> 0;
    // Within the host's limit like every reply (before a HELLO: the smallest a host may announce).
    const plen = M.encodeCaps(this.encoder.view, PAYLOAD_OFFSET, this.payloadCap, c);
    if (plen >= 0) this.sendUnsequenced(M.MSG_CAPS, plen);
  }

  private sendPong(): void {
    const p = this.pong;
    p.token = this.ping.token;
    p.uptimeMs = (this.now() - this.bootTime) >>> 0;
    const plen = M.encodePong(this.encoder.view, PAYLOAD_OFFSET, this.payloadCap, p);
    if (plen >= 0) this.sendUnsequenced(M.MSG_PONG, plen);
  }

  private sendUnsequenced(type: number, plen: number): void {
    const scratch = this.scratch;
    const n = this.encoder.encode(type, this.nextSeq, seqAdd(this.expected, -1), plen, scratch, 0);
    if (n > 0) this.tx.push(scratch, 0, n);
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
    const plen = M.encodeAck(this.encoder.view, PAYLOAD_OFFSET, this.payloadCap, a);
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
    const log = this.logger;
    if (log !== undefined) log(text);
  }
}
