// The UART of a simulated board and the USB-serial bridge in front of it, in the board's clock (ms).
//
// PC -> board. Bytes the PC writes cross the USB link (half the round trip), wait in the bridge, then cross
// the wire at baud/10 bytes per ms. The bridge holds at most `bridgeBuffer` bytes that have not reached the
// UART yet: receiveFromPeer() takes only what fits and returns the count, so a PC that floods the port is
// held back (the pty is no longer read; the in-process port queues on the PC's side) instead of the model
// buffering without bound. Each byte is judged by its arrival time:
//  * while no turn runs and the app is listening (onReadable armed): the ESP32's UART interrupt would
//    schedule onReadable at once and the idle app would read it, so it is readable and never lost (the
//    simulator delivers it at the next poll, 1 ms at most later);
//  * otherwise (during a turn, or nobody reading) it goes to the receive buffer, which only a read() at a
//    later point of the same turn (node engine: at its virtual time) or the next turn drains; what does not
//    fit is DROPPED and counted (rxOverflow). The receive buffer is the 128-byte hardware FIFO ("fifo":
//    Moddable's ECMA-419 serial reads the FIFO directly), or that FIFO plus an interrupt-driven ring of
//    `ringSize` bytes that the UART interrupt fills even while the app is busy ("ring": ESP-IDF's driver
//    receive buffer, src/native/uart-ring.c). maxRxFifo is the highest level seen.
//    onReadable(count) fires between turns while bytes are readable; like the ESP32 driver it is not
//    fired again until the app has called read().
// Board -> PC. write() appends to a 128-byte TX FIFO that drains at baud/10 bytes per ms; writing more than
// the free space throws Error("output full"). Bytes reach the PC half a USB round trip after leaving the
// wire. After a write, onWritable(free) fires once the FIFO level falls below 10 bytes (and once at start).
import type { Clock } from "./clock";

/** What the UART needs from its board (SimBoard, board.ts; an interface, so uart.ts does not import it). */
export interface UartBoard {
  readonly baud: number;
  readonly clock: Clock;
  /** True while app code runs; lastTurnStart is when the running (or latest) turn started. */
  readonly busy: boolean;
  readonly lastTurnStart: number;
  now(): number;
  wireNow(): number;
  schedulePump(at?: number): void;
  turn(fn: () => void): void;
  chargeRead(bytes: Uint8Array): void;
  chargeWrite(count: number): void;
}

export const RX_FIFO = 128;
export const TX_FIFO = 128;
export const TX_THRESHOLD = 10;

export interface UartModel {
  /** "fifo" (default): the 128-byte hardware FIFO only. "ring": plus an interrupt-driven receive ring. */
  receive?: "fifo" | "ring";
  /** Bytes in the receive ring ("ring" only; default 4096). */
  ringSize?: number;
  /** USB round trip between the PC and the bridge, both directions together (ms; default 0). */
  usbRoundTripMs?: number;
  /** Bytes the bridge (USB pipe and adapter buffer) holds between the PC's write and the UART (default 1024). */
  bridgeBuffer?: number;
}

export interface UartStats {
  rxBytes: number;
  rxRead: number;
  rxOverflow: number;
  txBytes: number;
  outputFull: number;
  maxRxFifo: number;
}

/** The PC end of a simulated UART: bytes the device transmits go to `deliver`. */
export interface UartPeer {
  deliver(bytes: Uint8Array): void;
}

export interface AppCallbacks {
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
}

interface RxChunk {
  bytes: Uint8Array;
  pos: number;
  /** Time at which byte 0 has fully arrived. */
  t0: number;
}

interface TxChunk {
  bytes: Uint8Array;
  /** Time at which the last byte has left the wire. */
  due: number;
  timer: number;
}

export class SimUart {
  readonly stats: UartStats = { rxBytes: 0, rxRead: 0, rxOverflow: 0, txBytes: 0, outputFull: 0, maxRxFifo: 0 };
  peer: UartPeer | null = null;
  /** Baud the app asked for (informational). */
  appBaud = 0;
  /** Bytes the receive buffer holds while the app is busy (FIFO, plus the ring if there is one). */
  readonly rxCapacity: number;
  readonly ringSize: number;
  private readonly byteMs: number;
  private readonly oneWayMs: number;
  private readonly bridgeBuffer: number;
  /** Readable bytes in arrival order (a circular buffer that grows only as far as the model lets bytes in). */
  private queue = new Uint8Array(512);
  private qStart = 0;
  private qCount = 0;
  /** Bytes ever queued / taken by the app (the buffer holds queued bytes after both drainMark and qRead). */
  private qTotal = 0;
  private qRead = 0;
  /** qTotal when the app last emptied the buffer: a read, or idle (a byte came while no turn ran). */
  private drainMark = 0;
  /** Turns ([start, end) pairs, flat) that bytes still on the wire may fall into. */
  private busy: number[] = [];
  /** Times of the app's reads that bytes still on the wire may come after. */
  private reads: number[] = [];
  private lastArrival = -Infinity;
  private readonly rx: RxChunk[] = [];
  private rxWireFree = -Infinity;
  /** Bytes accepted from the PC / arrived at the UART (their difference is what the bridge holds). */
  private accepted = 0;
  private arrived = 0;
  private readonly tx: TxChunk[] = [];
  private txWireFree = -Infinity;
  private app: AppCallbacks | null = null;
  private readableArmed = true;
  private writableArmed = false;

  constructor(private readonly board: UartBoard, readonly port: number, model: UartModel = {}) {
    this.byteMs = 10000 / board.baud; // 10 bits per byte (8N1)
    this.ringSize = model.receive === "ring" ? model.ringSize ?? 4096 : 0;
    if (!(Number.isInteger(this.ringSize) && this.ringSize >= 0 && this.ringSize <= 1 << 20)) throw new RangeError(`ringSize must be 0..1048576, got ${this.ringSize}`);
    this.rxCapacity = RX_FIFO + this.ringSize;
    this.oneWayMs = (model.usbRoundTripMs ?? 0) / 2;
    if (!(this.oneWayMs >= 0 && Number.isFinite(this.oneWayMs))) throw new RangeError("usbRoundTripMs must be >= 0");
    this.bridgeBuffer = model.bridgeBuffer ?? 1024;
    if (!(this.bridgeBuffer >= 1)) throw new RangeError("bridgeBuffer must be >= 1");
  }

  /** The app opened the port (Serial constructor). */
  attachApp(callbacks: AppCallbacks, baud: number): void {
    if (this.app !== null) throw new Error("port in use");
    this.app = callbacks;
    this.appBaud = baud;
    this.readableArmed = true;
    // The ESP32's TX-empty interrupt fires as soon as it is enabled.
    this.writableArmed = callbacks.onWritable !== undefined;
    this.board.schedulePump();
  }

  detachApp(): void {
    this.app = null;
    this.writableArmed = false;
  }

  /** Room in the bridge for more bytes from the PC now. */
  rxSpace(): number {
    this.arrive(this.board.now());
    return Math.max(0, this.bridgeBuffer - (this.accepted - this.arrived));
  }

  /** ms until the bridge has room for `n` more bytes (0 if it has now). */
  msUntilSpace(n: number): number {
    const missing = Math.min(n, this.bridgeBuffer) - this.rxSpace();
    return missing <= 0 ? 0 : missing * this.byteMs;
  }

  /** Bytes from the PC side: takes what the bridge has room for and returns that count. */
  receiveFromPeer(data: Uint8Array): number {
    const n = Math.min(data.length, this.rxSpace());
    if (n === 0) return 0;
    const start = Math.max(this.rxWireFree, this.board.now() + this.oneWayMs);
    this.rx.push({ bytes: data.slice(0, n), pos: 0, t0: start + this.byteMs });
    this.rxWireFree = start + n * this.byteMs;
    this.accepted += n;
    this.stats.rxBytes += n;
    this.board.schedulePump(start + this.byteMs);
    return n;
  }

  hasWork(): boolean {
    return this.rx.length > 0 || this.writableArmed || (this.qCount > 0 && this.readableArmed && this.app?.onReadable !== undefined);
  }

  /** A turn ran from `start` to `end`. */
  busyInterval(start: number, end: number): void {
    if (end > start) this.busy.push(start, end);
  }

  /** Bytes in the receive buffer: queued since the app last emptied it. */
  private get level(): number {
    return this.qTotal - (this.drainMark > this.qRead ? this.drainMark : this.qRead);
  }

  /**
   * Moves the bytes that have arrived by time `v` off the wire into the readable queue (see the top of the
   * file). A read happens at its turn's time; bytes the PC handed over after the turn ran, stamped before
   * that read, find the buffer as the read left it: the model errs on the side of a fuller buffer.
   */
  private arrive(v: number): void {
    const busy = this.busy, reads = this.reads;
    let bi = 0, ri = 0;
    const inTurn = this.board.busy;
    const turnStart = this.board.lastTurnStart;
    const listening = this.app?.onReadable !== undefined && this.readableArmed;
    while (this.rx.length > 0) {
      const c = this.rx[0]!;
      const due = Math.min(c.bytes.length, Math.floor((v - c.t0) / this.byteMs + 1e-9) + 1);
      while (c.pos < due) {
        const t = c.t0 + c.pos * this.byteMs;
        const b = c.bytes[c.pos++]!;
        this.arrived++;
        this.lastArrival = t;
        while (bi < busy.length && busy[bi + 1]! <= t) bi += 2;
        if (ri < reads.length && reads[ri]! <= t) {
          while (ri < reads.length && reads[ri]! <= t) ri++;
          this.drainMark = this.qTotal;
        }
        const duringTurn = (bi < busy.length && busy[bi]! <= t) || (inTurn && t >= turnStart);
        if (!duringTurn && listening) {
          this.enqueue(b);
          this.drainMark = this.qTotal;
        } else if (this.level < this.rxCapacity) {
          this.enqueue(b);
          if (this.level > this.stats.maxRxFifo) this.stats.maxRxFifo = this.level;
        } else {
          this.stats.rxOverflow++;
        }
      }
      if (c.pos < c.bytes.length) break;
      this.rx.shift();
    }
    // Later bytes arrive after the ones seen (stamps never go back): older turns and reads cannot matter.
    const horizon = this.rx.length > 0 ? this.lastArrival : Math.min(v, this.rxWireFree);
    while (bi < busy.length && busy[bi + 1]! <= horizon) bi += 2;
    if (bi > 0) busy.splice(0, bi);
    while (ri < reads.length && reads[ri]! <= horizon) ri++;
    if (ri > 0) reads.splice(0, ri);
  }

  private enqueue(b: number): void {
    if (this.qCount === this.queue.length) {
      const q = new Uint8Array(this.queue.length * 2);
      for (let i = 0; i < this.qCount; i++) q[i] = this.queue[(this.qStart + i) % this.queue.length]!;
      this.queue = q;
      this.qStart = 0;
    }
    let at = this.qStart + this.qCount;
    if (at >= this.queue.length) at -= this.queue.length;
    this.queue[at] = b;
    this.qCount++;
    this.qTotal++;
  }

  /** Between turns: arrived bytes off the wire. */
  service(): void {
    this.arrive(this.board.now());
  }

  /** Fires onReadable / onWritable (each a turn) as the ESP32 driver would. */
  notify(): void {
    const app = this.app;
    if (app === null) return;
    if (this.qCount > 0 && this.readableArmed && app.onReadable) {
      this.readableArmed = false;
      const count = this.qCount;
      const fn = app.onReadable;
      this.board.turn(() => fn(count));
      return; // the board is busy now; onWritable waits for the next look
    }
    if (this.writableArmed && app.onWritable && this.txLevel() < TX_THRESHOLD) {
      this.writableArmed = false;
      const fn = app.onWritable;
      const free = TX_FIFO - this.txLevel();
      this.board.turn(() => fn(free));
    }
  }

  /** Free space in the TX FIFO now. */
  txFree(): number {
    return TX_FIFO - this.txLevel();
  }

  /** A copy of the readable bytes (for an app that reads them elsewhere, XS; see consume()). */
  peekFifo(): Uint8Array {
    this.arriveForRead();
    const out = new Uint8Array(this.qCount);
    for (let i = 0; i < this.qCount; i++) out[i] = this.queue[(this.qStart + i) % this.queue.length]!;
    return out;
  }

  /** The app (XS) read n bytes (read() also re-enables onReadable, even when it got nothing). */
  consume(n: number): void {
    this.readableArmed = true;
    const k = Math.max(0, Math.min(n, this.qCount));
    const got = new Uint8Array(k);
    this.take(got, 0, k);
  }

  private txLevel(): number {
    const left = this.txWireFree - this.board.wireNow();
    return left <= 0 ? 0 : Math.min(TX_FIFO, Math.ceil(left / this.byteMs - 1e-9));
  }

  // ---- the app's Serial calls -------------------------------------------------------------------------
  // Each read first takes what has arrived by now (inside a turn: the turn's time so far) and charges the
  // board for what the app will do with the bytes.

  /** read(): everything readable as a new ArrayBuffer, or undefined. */
  readAll(): ArrayBuffer | undefined {
    return this.readCount(Infinity);
  }

  /** read(buffer): up to its length into the caller's buffer; returns the count (undefined if empty). */
  readInto(dst: Uint8Array): number | undefined {
    this.readableArmed = true;
    this.arriveForRead();
    if (this.qCount === 0) return undefined;
    const n = Math.min(dst.length, this.qCount);
    this.take(dst, 0, n);
    return n;
  }

  /** read(n) */
  readCount(n: number): ArrayBuffer | undefined {
    this.readableArmed = true;
    this.arriveForRead();
    if (this.qCount === 0) return undefined;
    const out = new Uint8Array(Math.min(n, this.qCount));
    this.take(out, 0, out.length);
    return out.buffer;
  }

  readByte(): number | undefined {
    const one = new Uint8Array(1);
    return this.readInto(one) === undefined ? undefined : one[0];
  }

  /** Before a read: what has arrived by now is readable, and the read empties the buffer now. */
  private arriveForRead(): void {
    const v = this.board.wireNow();
    this.arrive(v);
    const r = this.reads;
    if (r.length === 0 || r[r.length - 1]! < v) r.push(v);
  }

  private take(dst: Uint8Array, at: number, n: number): void {
    const len = this.queue.length;
    for (let i = 0; i < n; i++) dst[at + i] = this.queue[(this.qStart + i) % len]!;
    this.qStart = (this.qStart + n) % len;
    this.qCount -= n;
    this.qRead += n;
    this.stats.rxRead += n;
    this.board.chargeRead(dst.subarray(at, at + n));
  }

  /** Bytes in the receive buffer right now (readable bytes that came while the app was idle not counted). */
  get rxFifoLevel(): number {
    return this.level;
  }

  write(bytes: Uint8Array): void {
    const free = TX_FIFO - this.txLevel();
    if (bytes.length > free) {
      this.stats.outputFull++;
      throw new Error("output full");
    }
    if (bytes.length === 0) return;
    const now = this.board.wireNow();
    this.txWireFree = Math.max(now, this.txWireFree) + bytes.length * this.byteMs;
    const chunk: TxChunk = { bytes: bytes.slice(), due: this.txWireFree, timer: 0 };
    chunk.timer = this.board.clock.setTimer(() => {
      const i = this.tx.indexOf(chunk);
      if (i >= 0) this.tx.splice(i, 1);
      this.peer?.deliver(chunk.bytes);
    }, chunk.due + this.oneWayMs - this.board.now());
    this.tx.push(chunk);
    this.stats.txBytes += bytes.length;
    this.board.chargeWrite(bytes.length);
    if (this.app?.onWritable) this.writableArmed = true;
    this.board.schedulePump(Math.max(this.board.now(), this.txWireFree - TX_THRESHOLD * this.byteMs));
  }

  /** Power cycle: the receive buffer and the TX FIFO are emptied; bytes already on the USB link still arrive. */
  purge(): void {
    this.arrive(this.board.now());
    this.qCount = 0;
    this.qRead = this.drainMark = this.qTotal;
    this.busy.length = 0;
    this.reads.length = 0;
    const now = this.board.now();
    for (const c of this.tx.splice(0)) {
      if (c.due > now) this.board.clock.clearTimer(c.timer);
      else this.tx.push(c);
    }
    this.txWireFree = Math.min(this.txWireFree, now);
  }
}
