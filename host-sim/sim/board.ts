// A simulated ESP32 board for the device app: UARTs, timers and "turns".
//
// Turns. The device app only ever runs inside a callback (onReadable, onWritable, a timer, main()). Each
// callback is one turn; JavaScript cannot be interrupted, so nothing reaches the app during a turn. The
// board runs every callback through turn(), which also makes the board "current" so the module stand-ins
// (serial, timer, config, trace) know which board they belong to.
//
// UART model (per port), all in a virtual clock (ms) that follows the wall clock, plus `cpuSlowdown - 1`
// times the length of every turn (a turn that takes 1 ms in Node with cpuSlowdown 20 lasts 20 ms for the
// wire: the ESP32 interprets XS far slower than a PC):
//  - RX: bytes from the PC cross the wire at baud/10 bytes per ms. They are stamped pessimistically: a
//    chunk the PC side hands over is assumed to have started arriving right after the previous check
//    (the kernel may have held it during a turn). Each byte is judged by its arrival time:
//     * it arrives while no turn runs: on an ESP32 the UART interrupt would schedule onReadable at once and
//       the idle app would read it, so it is readable and never lost (the simulator only delivers it at
//       the next turn, its timers being coarser than a byte time);
//     * it arrives while a turn runs (turn length = wall time x cpuSlowdown): it goes to the 128-byte
//       hardware FIFO, which only a read() at a later point of the same turn (node engine: at its virtual
//       time), or the next turn, drains; what does not fit is DROPPED and counted (rxOverflow). There is
//       no driver buffer. maxRxFifo is the highest FIFO level seen.
//    onReadable(count) fires between turns while bytes are readable; like the ESP32 driver it is not
//    fired again until the app has called read().
//  - TX: write() appends to a 128-byte FIFO that drains at baud/10 bytes per ms; writing more than the
//    free space throws Error("output full"). After a write, onWritable(free) fires once the FIFO level
//    falls below 10 bytes (and once at start-up).
// So a PC that keeps within the device's credit loses nothing while the device reads as fast as the line,
// and at most RX_SAFE bytes reach the FIFO while the app handles a frame (protocol rule 2); a PC that
// ignores credit overflows the FIFO while the device is busy, as on a real board.
import { performance } from "node:perf_hooks";

export const RX_FIFO = 128;
export const TX_FIFO = 128;
export const TX_THRESHOLD = 10;

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

// The running board is kept on a global so that stand-ins bundled into dist/sim/device-node.js and the
// simulator loaded from source (tests) share it.
interface Registry { current: SimBoard | null }
const registry: Registry = ((globalThis as Record<symbol, unknown>)[Symbol.for("tinyprop.sim")] ??= { current: null }) as Registry;

/** The board whose code is running (module stand-ins use it). */
export function currentBoard(): SimBoard {
  const b = registry.current;
  if (b === null) throw new Error("simulator: no board is running (a Moddable module was used outside a device turn)");
  return b;
}

/** Moddable's global trace(), routed to the running board. */
export function installTrace(): void {
  const g = globalThis as { trace?: unknown };
  if (typeof g.trace === "function") return;
  g.trace = (...parts: unknown[]) => {
    const b = registry.current;
    if (b !== null) b.trace(parts.map(String).join(""));
  };
}

export interface BoardOptions {
  /** Baud rate of every UART the app opens (the app's own baud setting is recorded, not used). */
  baud?: number;
  /** Wire time per turn = real time x cpuSlowdown (>= 1). */
  cpuSlowdown?: number;
  /** The manifest config the app sees through `mc/config`. */
  config?: Record<string, unknown>;
  /** trace() output. */
  trace?: (text: string) => void;
  /** Flash partitions by name (`new Flash(name)`); a missing name throws "can't find partition". */
  partitions?: Map<string, FlashPartition>;
}

/** What a flash partition offers (SimFlash implements it). */
export interface FlashPartition {
  readonly byteLength: number;
  readonly blockSize: number;
  erase(sector: number): void;
  read(offset: number, byteLength: number): ArrayBuffer;
  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void;
}

export class SimBoard {
  readonly baud: number;
  readonly cpuSlowdown: number;
  readonly config: Record<string, unknown>;
  readonly uarts = new Map<number, SimUart>();
  /** Exceptions that escaped the app (a real board would reboot). */
  readonly crashes: unknown[] = [];
  turns = 0;
  busyMs = 0;
  /** Virtual time the latest turn started. */
  lastTurnStart = -Infinity;
  private skew = 0;
  private inTurn = false;
  /** Wall-clock start of the running turn. */
  private turnStartReal = 0;
  private pumpTimer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<SimTimer>();
  private stopped = false;
  private readonly traceSink: (text: string) => void;

  constructor(options: BoardOptions = {}) {
    this.baud = options.baud ?? 921600;
    this.cpuSlowdown = Math.max(1, options.cpuSlowdown ?? 1);
    this.config = options.config ?? {};
    this.traceSink = options.trace ?? (() => undefined);
    this.partitions = options.partitions ?? new Map();
  }

  /** Virtual time in ms. */
  now(): number {
    return performance.now() + this.skew;
  }

  /** Virtual time in ms, inside a turn too (a turn's wall time counts cpuSlowdown times). */
  wireNow(): number {
    if (!this.inTurn) return this.now();
    return this.lastTurnStart + (performance.now() - this.turnStartReal) * this.cpuSlowdown;
  }

  /** A turn just ended: the UARTs remember when the app was busy. */
  private turnEnded(): void {
    const end = this.now();
    for (const u of this.uarts.values()) u.busyInterval(this.lastTurnStart, end);
  }

  /** UART `port`, created on first use (the PC side attaches its peer before or after the app opens it). */
  uart(port: number): SimUart {
    let u = this.uarts.get(port);
    if (!u) {
      u = new SimUart(this, port);
      this.uarts.set(port, u);
    }
    return u;
  }

  trace(text: string): void {
    this.traceSink(text);
  }

  readonly partitions: Map<string, FlashPartition>;

  flash(name: string): FlashPartition {
    const p = this.partitions.get(name);
    if (!p) throw new Error("can't find partition");
    return p;
  }

  /** Runs app code as one turn. */
  turn(fn: () => void): void {
    if (this.stopped) return;
    if (this.inTurn) {
      fn();
      return;
    }
    const prev = registry.current;
    registry.current = this;
    this.inTurn = true;
    const start = performance.now();
    this.turnStartReal = start;
    this.lastTurnStart = start + this.skew;
    for (const u of this.uarts.values()) if (u.turnSinceReceive === null) u.turnSinceReceive = this.lastTurnStart;
    try {
      fn();
    } catch (err) {
      this.crashes.push(err);
      this.traceSink(`simulator: uncaught exception in device code: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    } finally {
      const d = performance.now() - start;
      this.busyMs += d;
      this.skew += d * (this.cpuSlowdown - 1);
      this.inTurn = false;
      registry.current = prev;
      this.turns++;
      this.turnEnded();
    }
    this.pump();
  }

  private externalStart = 0;

  /** The app runs elsewhere (XS): the board is busy until endExternalTurn(). */
  beginExternalTurn(): void {
    this.inTurn = true;
    this.externalStart = performance.now();
    this.turnStartReal = this.externalStart;
    this.lastTurnStart = this.externalStart + this.skew;
    for (const u of this.uarts.values()) if (u.turnSinceReceive === null) u.turnSinceReceive = this.lastTurnStart;
  }

  endExternalTurn(): void {
    const d = performance.now() - this.externalStart;
    this.busyMs += d;
    this.skew += d * (this.cpuSlowdown - 1);
    this.inTurn = false;
    this.turns++;
    this.turnEnded();
    this.pump();
  }

  /** Moves bytes and fires UART callbacks; called after every turn and on a 1 ms poll while busy. */
  pump(): void {
    if (this.stopped || this.inTurn) return;
    let work = false;
    for (const u of this.uarts.values()) {
      u.service();
      if (u.hasWork()) work = true;
    }
    for (const u of this.uarts.values()) {
      if (this.stopped) return;
      u.notify();
      if (u.hasWork()) work = true;
    }
    if (work) this.schedulePump();
  }

  schedulePump(): void {
    if (this.pumpTimer !== null || this.stopped) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      this.pump();
    }, 1);
  }

  addTimer(t: SimTimer): void {
    this.timers.add(t);
  }

  removeTimer(t: SimTimer): void {
    this.timers.delete(t);
  }

  /** Power off: no more turns, timers cleared. UART peers stay attached (a new board may take them). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    if (this.pumpTimer !== null) clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
    for (const u of this.uarts.values()) u.detachApp();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** True while app code runs. */
  get busy(): boolean {
    return this.inTurn;
  }
}

interface RxChunk {
  bytes: Uint8Array;
  pos: number;
  /** Virtual time at which byte 0 has fully arrived. */
  t0: number;
}

interface TxChunk {
  bytes: Uint8Array;
  /** Virtual time at which the last byte has left. */
  due: number;
}

export interface AppCallbacks {
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
}

export class SimUart {
  readonly stats: UartStats = { rxBytes: 0, rxRead: 0, rxOverflow: 0, txBytes: 0, outputFull: 0, maxRxFifo: 0 };
  peer: UartPeer | null = null;
  /** Baud the app asked for (informational). */
  appBaud = 0;
  private readonly byteMs: number;
  /** Readable bytes in arrival order (grows: bytes that came while the app was idle are not limited). */
  private queue = new Uint8Array(512);
  private qStart = 0;
  private qCount = 0;
  /** Bytes ever queued / taken by the app (the FIFO holds queued bytes after both drainMark and qRead). */
  private qTotal = 0;
  private qRead = 0;
  /** qTotal when the app last emptied the FIFO: a read, or idle (a byte came while no turn ran). */
  private drainMark = 0;
  /** Turns (virtual [start, end) pairs, flat) that bytes still on the wire may fall into. */
  private busy: number[] = [];
  /** Virtual times of the app's reads that bytes still on the wire may come after. */
  private reads: number[] = [];
  /** Arrival time of the latest byte taken off the wire. */
  private lastArrival = -Infinity;
  private readonly rx: RxChunk[] = [];
  private rxWireFree = 0;
  private lastCheck = 0;
  /** While bytes are handed to the PC: the virtual time they reached it. */
  private delivering = -Infinity;
  /** Virtual start of the first turn since the PC side last handed over bytes. */
  turnSinceReceive: number | null = null;
  private readonly tx: TxChunk[] = [];
  private txWireFree = 0;
  private app: AppCallbacks | null = null;
  private readableArmed = true;
  private writableArmed = false;

  constructor(private readonly board: SimBoard, readonly port: number) {
    this.byteMs = 10000 / board.baud; // 10 bits per byte (8N1)
    this.lastCheck = board.now();
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

  /** Bytes from the PC side. */
  receiveFromPeer(data: Uint8Array): void {
    if (data.length === 0) return;
    // When the app ran since the last look, the PC may have sent these bytes while it was busy (the
    // kernel or the event loop held them): assume so, from the start of that turn. Otherwise they start
    // arriving now.
    // A PC that answers device bytes at once (in the same tick: the in-process port) cannot have sent
    // before those bytes reached it.
    const now = this.board.now();
    let since = this.turnSinceReceive ?? now;
    if (this.delivering > since) since = this.delivering;
    this.turnSinceReceive = null;
    const start = Math.max(this.rxWireFree, since);
    const t0 = start + this.byteMs;
    this.rx.push({ bytes: Uint8Array.from(data), pos: 0, t0 });
    this.rxWireFree = start + data.length * this.byteMs;
    this.stats.rxBytes += data.length;
    this.board.schedulePump();
  }

  hasWork(): boolean {
    return this.rx.length > 0 || this.tx.length > 0 || this.writableArmed || (this.qCount > 0 && this.readableArmed && this.app?.onReadable !== undefined);
  }

  /** A turn ran from `start` to `end` (virtual ms). */
  busyInterval(start: number, end: number): void {
    if (end > start) this.busy.push(start, end);
  }

  /** Bytes in the 128-byte FIFO: queued since the app last emptied it. */
  private get fifoCount(): number {
    return this.qTotal - (this.drainMark > this.qRead ? this.drainMark : this.qRead);
  }

  /**
   * Moves the bytes that have arrived by virtual time `v` off the wire into the readable queue. A byte that
   * arrives while no turn runs finds the app idle: it (and the FIFO before it) counts as read at once. A
   * byte that arrives during a turn goes to the FIFO, which the app's latest read before it emptied, and
   * is dropped when the FIFO is full. (Bytes are stamped pessimistically, possibly before reads that
   * already happened: those reads count.)
   */
  private arrive(v: number): void {
    const busy = this.busy, reads = this.reads;
    let bi = 0, ri = 0;
    const inTurn = this.board.busy;
    const turnStart = this.board.lastTurnStart;
    while (this.rx.length > 0) {
      const c = this.rx[0];
      const arrived = Math.min(c.bytes.length, Math.floor((v - c.t0) / this.byteMs) + 1);
      while (c.pos < arrived) {
        const t = c.t0 + c.pos * this.byteMs;
        const b = c.bytes[c.pos++];
        this.lastArrival = t;
        while (bi < busy.length && busy[bi + 1] <= t) bi += 2;
        if (ri < reads.length && reads[ri] <= t) {
          while (ri < reads.length && reads[ri] <= t) ri++;
          this.drainMark = this.qTotal;
        }
        const duringTurn = (bi < busy.length && busy[bi] <= t) || (inTurn && t >= turnStart);
        if (!duringTurn) {
          this.enqueue(b);
          this.drainMark = this.qTotal;
        } else if (this.fifoCount < RX_FIFO) {
          this.enqueue(b);
          const level = this.fifoCount;
          if (level > this.stats.maxRxFifo) this.stats.maxRxFifo = level;
        } else {
          this.stats.rxOverflow++;
        }
      }
      if (c.pos < c.bytes.length) break;
      this.rx.shift();
    }
    // Later bytes arrive after the ones seen (stamps never go back): older turns and reads cannot matter.
    const horizon = this.rx.length > 0 ? this.lastArrival : Math.min(v, this.rxWireFree);
    while (bi < busy.length && busy[bi + 1] <= horizon) bi += 2;
    if (bi > 0) busy.splice(0, bi);
    while (ri < reads.length && reads[ri] <= horizon) ri++;
    if (ri > 0) reads.splice(0, ri);
  }

  /** The app reads at virtual time `v` (bytes stamped later find the FIFO emptied then). */
  private readAt(v: number): void {
    const r = this.reads;
    if (r.length === 0 || r[r.length - 1] < v) r.push(v);
  }

  private enqueue(b: number): void {
    if (this.qCount === this.queue.length) {
      const n = this.queue.length * 2;
      const q = new Uint8Array(n);
      for (let i = 0; i < this.qCount; i++) q[i] = this.queue[(this.qStart + i) % this.queue.length];
      this.queue = q;
      this.qStart = 0;
    }
    let at = this.qStart + this.qCount;
    if (at >= this.queue.length) at -= this.queue.length;
    this.queue[at] = b;
    this.qCount++;
    this.qTotal++;
  }

  /** Between turns: arrived bytes off the wire, departed bytes to the peer. */
  service(): void {
    const now = this.board.now();
    this.lastCheck = now;
    this.arrive(now);
    while (this.tx.length > 0 && this.tx[0].due <= now) {
      const c = this.tx.shift()!;
      this.delivering = c.due;
      try {
        this.peer?.deliver(c.bytes);
      } finally {
        this.delivering = -Infinity;
      }
    }
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

  /** A copy of the readable bytes (for an app that reads them elsewhere; see consume()). */
  peekFifo(): Uint8Array {
    this.arriveForRead();
    const out = new Uint8Array(this.qCount);
    for (let i = 0; i < this.qCount; i++) out[i] = this.queue[(this.qStart + i) % this.queue.length];
    return out;
  }

  /** The app read n bytes (read() also re-enables onReadable, even when it got nothing). */
  consume(n: number): void {
    this.readableArmed = true;
    this.drop(Math.max(0, Math.min(n, this.qCount)));
  }

  private txLevel(): number {
    const left = this.txWireFree - this.board.now();
    return left <= 0 ? 0 : Math.min(TX_FIFO, Math.ceil(left / this.byteMs - 1e-9));
  }

  // ---- the app's Serial calls -------------------------------------------------------------------------
  // Each read first takes what has arrived by now (inside a turn: the turn's virtual time so far).

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
    const k = Math.min(n, this.qCount);
    const out = new Uint8Array(k);
    this.take(out, 0, k);
    return out.buffer;
  }

  readByte(): number | undefined {
    this.readableArmed = true;
    this.arriveForRead();
    if (this.qCount === 0) return undefined;
    const b = this.queue[this.qStart];
    this.drop(1);
    return b;
  }

  /** Before a read: what has arrived by now is readable, and the read empties the FIFO now. */
  private arriveForRead(): void {
    const v = this.board.wireNow();
    this.arrive(v);
    this.readAt(v);
  }

  private take(dst: Uint8Array, at: number, n: number): void {
    const len = this.queue.length;
    for (let i = 0; i < n; i++) dst[at + i] = this.queue[(this.qStart + i) % len];
    this.drop(n);
  }

  private drop(n: number): void {
    this.qStart = (this.qStart + n) % this.queue.length;
    this.qCount -= n;
    this.qRead += n;
    this.stats.rxRead += n;
  }

  /** Bytes in the RX FIFO right now (readable bytes that came while the app was idle not counted). */
  get rxFifoLevel(): number {
    return this.fifoCount;
  }

  write(bytes: Uint8Array): void {
    const free = TX_FIFO - this.txLevel();
    if (bytes.length > free) {
      this.stats.outputFull++;
      throw new Error("output full");
    }
    if (bytes.length === 0) return;
    const now = this.board.now();
    this.txWireFree = Math.max(now, this.txWireFree) + bytes.length * this.byteMs;
    this.tx.push({ bytes: Uint8Array.from(bytes), due: this.txWireFree });
    this.stats.txBytes += bytes.length;
    if (this.app?.onWritable) this.writableArmed = true;
    this.board.schedulePump();
  }

  /** Drops everything in both FIFOs and in flight (power cycle). */
  purge(): void {
    this.qCount = 0;
    this.qRead = this.drainMark = this.qTotal;
    this.busy.length = 0;
    this.reads.length = 0;
    this.rx.length = 0;
    this.tx.length = 0;
  }
}

/** A Moddable `timer` instance on a simulated board. */
export class SimTimer {
  private handle: NodeJS.Timeout | null = null;
  private cancelled = false;

  constructor(private readonly board: SimBoard, private readonly callback: (t: SimTimer) => void) {
    board.addTimer(this);
  }

  /** (Re)starts: first call after `interval` ms, then every `repeat` ms if repeat > 0. */
  schedule(interval: number, repeat: number): void {
    this.clearHandle();
    this.cancelled = false;
    this.board.addTimer(this);
    const fire = (): void => {
      this.handle = null;
      if (this.cancelled) return;
      if (repeat > 0) this.handle = setTimeout(fire, Math.max(1, repeat));
      else this.board.removeTimer(this);
      this.board.turn(() => this.callback(this));
    };
    this.handle = setTimeout(fire, Math.max(0, interval));
  }

  cancel(): void {
    this.cancelled = true;
    this.clearHandle();
    this.board.removeTimer(this);
  }

  private clearHandle(): void {
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
  }
}
