// The host's transport (docs/protocol.md sections 1, 4, 5): frames onto the port through byte credit,
// go-back-N with cumulative acks, the retransmission timer and RTT estimate, the device's PAUSE, and the
// receive side's sequencing (duplicates, GAP, standalone ACKs). It carries opaque items for the layer
// above (requests) and knows nothing about what they mean; sessions are opened and dropped by that layer.
// Over 400 lines: credit, go-back-N, the retransmission timer and receive sequencing act on one send window
// and one set of counters (the credit arithmetic itself is in credit.ts).
import * as P from "../../src/protocol/index";
import type { BytePort } from "./port";
import type { Clock, TimerHandle } from "./clock";
import { Credit } from "./credit";
import { RetransmitTimer } from "./rto";
import { Receiver } from "./receiver";
import { LinkError, type LinkEvent, type LinkStats, type ResolvedOptions } from "./types";

/** Something to deliver reliably; `settled` items still waiting for window space are skipped. */
export interface Outgoing {
  readonly type: number;
  readonly payload: Uint8Array;
  readonly settled: boolean;
}

/** What the transport tells the layer above. */
export interface TransportEvents<Item extends Outgoing> {
  /** A CAPS arrived (in or out of a session). */
  caps(view: DataView, off: number, len: number): void;
  /** The next in-order sequenced frame from the device. */
  message(type: number, seq: number, view: DataView, off: number, len: number): void;
  /** An unsequenced PONG or LOG. */
  control(type: number, view: DataView, off: number, len: number): void;
  /** `item` now travels as sequence number `seq` (answers name it by that number). */
  assigned(item: Item, seq: number): void;
  /** The device acknowledged `item`. */
  acked(item: Item): void;
  /** Nothing heard from the device for opts.silenceMs, or credit stalled: a new session is needed. */
  lost(why: "device silent" | "credit stalled"): void;
  event(e: LinkEvent): void;
  error(err: Error): void;
}

interface TxFrame<Item> {
  seq: number;
  item: Item;
  /** Write position just after the first complete transmission, -1 until then (RTO arming). */
  firstEnd: number;
  sentAt: number;
  retransmitted: boolean;
}

/** The frame being written, possibly across several credit grants. */
interface Chunk<Item> {
  bytes: Uint8Array;
  off: number;
  frame: TxFrame<Item> | undefined;
}

export class Transport<Item extends Outgoing> {
  private readonly decoder: P.FrameDecoder;
  /** The device's frame limit, from the session's CAPS. */
  private encoder = new P.FrameEncoder(P.MIN_FRAME_LIMIT);
  private readonly wireBuf = new Uint8Array(P.maxWireLength(P.MAX_PAYLOAD));
  private readonly clock: Clock;
  /** Absolute write position (bytes handed to the port since the link was created). */
  private T = 0;
  private open = false;
  private stopped = false;

  constructor(private readonly port: BytePort, private readonly opts: ResolvedOptions, private readonly stats: LinkStats,
    private readonly events: TransportEvents<Item>) {
    this.clock = opts.clock;
    this.rto = new RetransmitTimer(this.clock, opts.minRtoMs, opts.maxRtoMs, () => this.onRto());
    this.receiver = new Receiver(this.clock, stats, (gap) => {
      if (this.open) this.sendControl(P.MSG_ACK, hostAck(gap ? P.ACK_GAP : 0, 0));
    });
    this.decoder = new P.FrameDecoder(opts.maxFrame, (type, seq, ack, view, off, len) => this.onFrame(type, seq, ack, view, off, len));
    port.onData((bytes) => {
      this.stats.bytesRead += bytes.length;
      try {
        this.decoder.push(bytes);
      } catch (e) {
        this.events.error(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  get decoderStats() {
    const d = this.decoder;
    return { frames: d.frames, crcErrors: d.crcErrors, lengthErrors: d.lengthErrors, cobsErrors: d.cobsErrors, versionErrors: d.versionErrors, overruns: d.overruns, garbageBytes: d.garbageBytes };
  }

  /** Frames of another protocol version seen so far (a handshake that meets only those gives up). */
  get versionErrors(): number {
    return this.decoder.versionErrors;
  }

  /** A session is open (between a CAPS that answered our HELLO and the session's end). */
  get ready(): boolean {
    return this.open;
  }

  /** Sequenced frames sent and not yet acknowledged. */
  get unacked(): number {
    return this.txq.length;
  }

  /** Stop for good (link failed or closed): no timers, nothing written, nothing received. */
  stop(): void {
    this.stopped = true;
    this.open = false;
    this.stopTimers();
  }

  // ------------------------------------------------------------------------------------------------
  // Sessions (the handshake itself is the session layer's)

  private nextSeq = 1;
  /** End of the latest HELLO: the device's first ACK is anchored there. */
  private helloEnd = 0;

  /** Write a HELLO (exempt from credit), preceded by a 0x00 that terminates any garbage on the line. */
  sendHello(nonce: number): void {
    const m = new P.Hello();
    m.hostNonce = nonce;
    m.maxFrame = this.opts.maxFrame;
    const enc = new P.FrameEncoder(P.MIN_FRAME_LIMIT);
    const n = P.encodeHello(enc.view, P.PAYLOAD_OFFSET, enc.maxPayload, m);
    const out = new Uint8Array(P.maxWireLength(n) + 1);
    out[0] = 0;
    enc.position = this.T + 1; // the HELLO's own leading delimiter
    const w = enc.encode(P.MSG_HELLO, this.nextSeq, 0, n, out, 1);
    this.rawWrite(out.subarray(0, w + 1));
    this.helloEnd = this.T;
  }

  /** The device answered the latest HELLO: start sequencing afresh under its frame limit. */
  begin(deviceMaxFrame: number, rxBuffered = false): void {
    this.encoder = new P.FrameEncoder(Math.min(deviceMaxFrame, P.MAX_FRAME));
    this.credit.anchor(this.helloEnd, rxBuffered);
    // A device with a receive buffer (CAPS RX_BUFFER) grants kilobytes, but it acknowledges its replies only
    // through frames it reads and keeps at most 4 unacknowledged (docs/protocol.md sections 4 and 5): more
    // than 3 frames queued ahead of it would make it defer (drop) the next one.
    this.frameWindow = rxBuffered ? Math.min(this.opts.window, 3) : this.opts.window;
    this.rto.resetBackoff();
    this.nextSeq = 1;
    this.receiver.begin();
    this.lastGapAck = -1;
    this.paused = false;
    this.open = true;
    this.heard();
    this.watchSilence();
  }

  /** Forget the session's frames (the layer above re-sends what still matters in the next one). */
  drop(): void {
    this.open = false;
    this.txq = [];
    this.sendIdx = 0;
    this.cur = undefined;
    this.ctrl = [];
    this.backlog = [];
    this.paused = false;
    this.receiver.drop();
    this.stopTimers();
  }

  // ------------------------------------------------------------------------------------------------
  // Sending

  /** Items waiting for window space, in order. */
  private backlog: Item[] = [];
  /** Sequenced frames sent (or being sent) and not acked, oldest first; frames before sendIdx are on the wire. */
  private txq: TxFrame<Item>[] = [];
  private sendIdx = 0;
  private cur: Chunk<Item> | undefined;
  /** Unsequenced frames (type, payload) to send through credit; encoded when written (pos). */
  private ctrl: { type: number; payload: Uint8Array }[] = [];
  private readonly credit = new Credit();

  /** Queue a sequenced item (sent in order as the window and credit allow). */
  send(item: Item): void {
    this.backlog.push(item);
    this.fillWindow();
  }

  /** Unsequenced frame (ACK, PING, PONG) through credit. */
  sendControl(type: number, payload: Uint8Array): void {
    this.ctrl.push({ type, payload });
    this.pump();
  }

  /** Sequenced frames in flight at most (the window option, or 3 for a device with a receive buffer). */
  private frameWindow = 16;

  /** Room for more items in the window (the batch pipeline keeps the window full but not the backlog). */
  windowRoom(): number {
    return this.open ? this.frameWindow - this.txq.length - this.backlog.length : 0;
  }

  private fillWindow(): void {
    if (!this.open) return;
    while (this.backlog.length > 0 && this.txq.length < this.frameWindow) {
      const item = this.backlog.shift()!;
      if (item.settled) continue;
      const f: TxFrame<Item> = { seq: this.nextSeq, item, firstEnd: -1, sentAt: 0, retransmitted: false };
      this.txq.push(f);
      this.events.assigned(item, f.seq);
      this.nextSeq = P.seqAdd(this.nextSeq, 1);
    }
    this.pump();
  }

  private rawWrite(bytes: Uint8Array): void {
    this.T += bytes.length;
    this.stats.bytesWritten += bytes.length;
    this.port.write(bytes.slice());
  }

  /** Encode at write position `pos` into wireBuf; returns the wire length. */
  private encodeAt(type: number, seq: number, payload: Uint8Array, pos: number): number {
    this.encoder.position = pos;
    const ack = this.receiver.ack;
    const n = this.encoder.encodeBytes(type, seq, ack, payload, this.wireBuf);
    if (n < 0) throw new LinkError("DEVICE_ERROR", `message of ${payload.length} bytes does not fit the device's frame limit ${this.encoder.maxFrame}`);
    if (P.isSequenced(type) || type === P.MSG_ACK) this.receiver.carried(ack);
    return n;
  }

  /** Write as much as credit allows: control frames first, then sequenced frames from sendIdx. */
  private pump(): void {
    if (!this.open || this.stopped) return;
    const parts: Uint8Array[] = [];
    let total = 0;
    while (!this.paused) {
      if (!this.cur) {
        const pos = this.T + total;
        if (this.ctrl.length > 0) {
          const c = this.ctrl.shift()!;
          this.cur = { bytes: this.wireBuf.slice(0, this.encodeAt(c.type, this.nextSeq, c.payload, pos)), off: 0, frame: undefined };
        } else if (this.sendIdx < this.txq.length) {
          const f = this.txq[this.sendIdx++]!;
          this.cur = { bytes: this.wireBuf.slice(0, this.encodeAt(f.item.type, f.seq, f.item.payload, pos)), off: 0, frame: f };
        } else break;
        this.credit.frameStart(pos);
      }
      const room = this.credit.limit() - (this.T + total);
      if (room <= 0) {
        this.stats.creditStalls++;
        break;
      }
      const c = this.cur;
      const n = Math.min(room, c.bytes.length - c.off);
      parts.push(c.bytes.subarray(c.off, c.off + n));
      total += n;
      c.off += n;
      if (c.off === c.bytes.length) {
        this.credit.frameEnd(this.T + total);
        if (c.frame) this.frameWritten(c.frame, this.T + total);
        this.cur = undefined;
      }
    }
    if (total > 0) {
      const out = new Uint8Array(total);
      let o = 0;
      for (const p of parts) { out.set(p, o); o += p.length; }
      this.rawWrite(out);
      const outstanding = this.credit.outstanding(this.T);
      if (outstanding > this.stats.maxOutstandingCredit) this.stats.maxOutstandingCredit = outstanding;
    }
    this.armRto();
  }

  private frameWritten(f: TxFrame<Item>, end: number): void {
    this.stats.framesSent++;
    if (this.resend?.frame === f && this.resend.end === Infinity) this.resend.end = end;
    if (f.firstEnd < 0) {
      f.firstEnd = end;
      f.sentAt = this.clock.now();
    } else f.retransmitted = true;
  }

  /** The first frame of the latest go-back-N pass, and where its new copy ended (Infinity until written). */
  private resend: { frame: TxFrame<Item>; end: number; reason: "timeout" | "gap" } | undefined;

  /** Resend every unacked frame from the oldest (go-back-N); a half-written frame is resent from its start. */
  private goBackN(reason: "timeout" | "gap"): void {
    if (this.cur?.frame) this.cur = undefined;
    const frames = this.sendIdx;
    this.stats.framesRetransmitted += frames;
    this.sendIdx = 0;
    this.resend = this.txq.length > 0 ? { frame: this.txq[0]!, end: Infinity, reason } : undefined;
    this.events.event({ kind: "retransmit", reason, frames });
  }

  // ------------------------------------------------------------------------------------------------
  // Retransmission

  private readonly rto: RetransmitTimer;

  /** The current retransmission timeout (ms). */
  get rtoMs(): number {
    return this.rto.ms;
  }

  /** The timer runs while a completely sent frame is unacked (and the device has not paused us). */
  private armRto(): void {
    if (this.paused || !this.open) { this.rto.clear(); return; }
    const outstanding = this.txq.some((f) => f.firstEnd >= 0);
    if (!outstanding) { this.rto.clear(); return; }
    this.rto.arm();
  }

  private restartRto(): void {
    this.rto.clear();
    this.armRto();
  }

  private onRto(): void {
    if (!this.open || this.paused || this.stopped) return;
    this.stats.timeouts++;
    this.rto.backoff();
    if (this.txq.length > 0) {
      this.goBackN("timeout");
      this.pump();
    }
    this.armRto();
  }

  private stopTimers(): void {
    this.rto.clear();
    this.receiver.stop();
    if (this.silenceTimer !== undefined) this.clock.clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
  }

  // ------------------------------------------------------------------------------------------------
  // Silence: the deadline that holds whatever the transmit side is doing (mid-frame without credit,
  // paused, idle), because a device in a session refreshes its ACK every 100 ms.

  private lastHeard = 0;
  private silenceTimer: TimerHandle | undefined;

  private heard(): void {
    this.lastHeard = this.clock.now();
  }

  private watchSilence(): void {
    const left = this.lastHeard + this.opts.silenceMs - this.clock.now();
    if (left <= 0) {
      this.silenceTimer = undefined;
      this.events.lost("device silent");
      return;
    }
    this.silenceTimer = this.clock.setTimeout(() => this.watchSilence(), left);
  }

  // ------------------------------------------------------------------------------------------------
  // Acknowledging the device's frames

  private readonly receiver: Receiver;

  /** A standalone ACK (unless the latest frame we wrote already carried this ack, and nothing forces one). */
  flushAck(force: boolean): void {
    if (this.open) this.receiver.flush(force);
  }

  // ------------------------------------------------------------------------------------------------
  // Receiving

  private onFrame(type: number, seq: number, ack: number, view: DataView, off: number, len: number): void {
    if (this.stopped) return;
    if (type === P.MSG_CAPS) return this.events.caps(view, off, len);
    if (!this.open) return; // nothing but CAPS counts before a session exists
    this.heard();
    this.onAckField(ack, type === P.MSG_ACK ? view : undefined, off, len);
    if (P.isSequenced(type)) {
      if (this.receiver.accept(seq)) this.events.message(type, seq, view, off, len);
      return;
    }
    if (type === P.MSG_PING) {
      // The device may probe us; answer (uptime is ours).
      const payload = new Uint8Array(P.PONG_SIZE);
      payload.set(new Uint8Array(view.buffer, off, 4), 0);
      new DataView(payload.buffer).setUint32(4, Math.floor(this.clock.now()) >>> 0, true);
      this.sendControl(P.MSG_PONG, payload);
    } else if (type === P.MSG_PONG || type === P.MSG_LOG) this.events.control(type, view, off, len);
  }

  private readonly mAck = new P.Ack();
  private paused = false;
  /** The ack value of the latest GAP we acted on (one go-back-N per gap). */
  private lastGapAck = -1;

  /** The cumulative ack on every device frame; credit, PAUSE and GAP on ACK messages. */
  private onAckField(a: number, ackView: DataView | undefined, off: number, len: number): void {
    const oldest = this.txq.length > 0 ? this.txq[0]!.seq : this.nextSeq;
    if (!P.seqInRange(a, P.seqAdd(oldest, -1), P.seqAdd(this.nextSeq, -1))) return; // stale or nonsense
    const isAck = ackView !== undefined && P.decodeAck(ackView, off, len, this.mAck) === P.ERR_OK;
    if (isAck) this.credit.update(this.mAck.read, this.mAck.window, this.T);
    const released = this.releaseAcked(a, isAck);
    if (isAck) {
      const m = this.mAck;
      const waiting = this.cur !== undefined || this.ctrl.length > 0 || this.sendIdx < this.txq.length;
      const refresh = waiting && !(m.flags & (P.ACK_PAUSE | P.ACK_GAP)) && released === 0;
      if (this.credit.stalled(refresh, this.T)) {
        this.stats.creditResyncs++;
        this.events.lost("credit stalled");
        return;
      }
      if (m.flags & P.ACK_PAUSE) {
        this.pause(m.token);
        return;
      }
      if (this.paused) {
        this.paused = false;
        this.restartRto();
      }
      if (m.flags & P.ACK_GAP && this.txq.length > 0 && this.gapIsNew(a)) {
        this.lastGapAck = a;
        this.stats.gaps++;
        this.goBackN("gap");
      }
    }
    this.fillWindow();
  }

  /**
   * A GAP for a new ack, or a repeated one sent after the device read past our latest copy of the missing
   * frame (that copy was lost too). A repeated GAP from before that point was caused by frames already on
   * the wire ahead of the copy, and is ignored.
   */
  private gapIsNew(a: number): boolean {
    if (a !== this.lastGapAck) return true;
    const r = this.resend;
    return r !== undefined && r.frame === this.txq[0] && this.credit.readPosition >= r.end;
  }

  /** Release every frame up to and including `a`; returns how many. RTT is sampled on frames sent once. */
  private releaseAcked(a: number, readKnown: boolean): number {
    let released = 0;
    while (this.txq.length > 0 && P.seqLe(this.txq[0]!.seq, a)) {
      const f = this.txq.shift()!;
      released++;
      // Acked by an ACK whose read position is short of the end of the copy a timeout resent: an earlier
      // copy arrived, the timeout was a slow answer, not a loss (the frame-size estimate must not count it).
      const r = this.resend;
      if (readKnown && r?.frame === f && r.reason === "timeout" && this.credit.readPosition < r.end) {
        this.stats.spuriousTimeouts++;
        this.resend = undefined;
      }
      if (!f.retransmitted && f.sentAt > 0) this.rto.sample(this.clock.now() - f.sentAt);
      this.events.acked(f.item);
    }
    if (released > 0) {
      // Progress: the device is alive, so the timer starts again from the estimate, not a backed-off value.
      this.rto.resetBackoff();
      this.sendIdx = Math.max(0, this.sendIdx - released);
      if (this.cur?.frame && !this.txq.includes(this.cur.frame)) this.cur = undefined;
      this.restartRto();
    }
    return released;
  }

  /** PAUSE: write nothing new but one PAUSE_CONFIRM (exempt from credit); timers stop until credit returns. */
  private pause(token: number): void {
    this.stats.pauses++;
    this.paused = true;
    this.rto.clear();
    // Abandon a half-written frame (no credit to finish it); it goes out again from its start.
    if (this.cur) {
      if (this.cur.frame) this.sendIdx = Math.max(0, this.txq.indexOf(this.cur.frame));
      this.cur = undefined;
    }
    this.credit.frameStart(this.T);
    const n = this.encodeAt(P.MSG_ACK, this.nextSeq, hostAck(P.ACK_PAUSE_CONFIRM, token), this.T);
    this.rawWrite(this.wireBuf.subarray(0, n));
    this.credit.frameEnd(this.T);
  }
}

/** An ACK payload from the host: the device is never limited (read 0, window unlimited). */
function hostAck(flags: number, token: number): Uint8Array {
  const payload = new Uint8Array(P.ACK_SIZE);
  const m = new P.Ack();
  m.window = P.CREDIT_UNLIMITED;
  m.flags = flags;
  m.token = token;
  P.encodeAck(new DataView(payload.buffer), 0, payload.length, m);
  return payload;
}
