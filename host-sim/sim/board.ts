// A simulated ESP32 board for the device app: UARTs (uart.ts), timers and "turns", on a Clock (clock.ts).
//
// Turns. The device app only ever runs inside a callback (onReadable, onWritable, a timer, main()). Each
// callback is one turn; JavaScript cannot be interrupted, so nothing reaches the app during a turn. The
// board runs every callback through turn(), which also makes the board "current" so the module stand-ins
// (serial, timer, config, flash, trace) know which board they belong to.
//
// Time. A turn starts at the clock's time (never before the previous turn ended) and lasts what the cost
// model (cost.ts) charges for what the app did in it — the turn itself, bytes read and written, training
// steps, flash operations — times `cpuSlowdown`; how long Node took does not matter. Inside a turn,
// wireNow() is the turn's start plus what has been charged so far, so a read after a training step sees
// the bytes that arrived meanwhile. Timers and UART callbacks that fall due while a turn lasts wait for its
// end, as on the device.
import type { Clock } from "./clock";
import { WallClock } from "./clock";
import { costModel, WorkMeter, type CostModel } from "./cost";
import { SimUart, type UartModel } from "./uart";

export { SimUart, RX_FIFO, TX_FIFO, TX_THRESHOLD, type UartStats, type UartPeer, type AppCallbacks, type UartModel } from "./uart";

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
  /** The clock (default: wall time). */
  clock?: Clock;
  /** What the board's work costs (default: the ESP32 figures of cost.ts). */
  cost?: "esp32" | "zero" | Partial<CostModel>;
  /** Every turn lasts this many times what the cost model says (>= 0; default 1). */
  cpuSlowdown?: number;
  /** Receive path of the UARTs (default: FIFO only) and the USB link in front of them. */
  uart?: UartModel;
  /** The manifest config the app sees through `mc/config`. */
  config?: Record<string, unknown>;
  /** trace() output. */
  trace?: (text: string) => void;
  /** Flash partitions by name (`new Flash(name)`); a missing name throws "can't find partition". */
  partitions?: Map<string, FlashPartition>;
  /** Levels of GPIO inputs driven from outside (a pressed button pulls its pin to 0); others read their pull. */
  pins?: Map<number, number>;
  /**
   * What the board's "System Free Memory" instrument reports, in bytes (default FREE_MEMORY; 0: the
   * instrument is absent, as in a release build). A figure the simulated platform states, not a measurement.
   */
  freeMemory?: number;
}

/** Free heap a simulated board reports: about what an ESP32 app without Wi-Fi has left after boot. */
export const FREE_MEMORY = 160 * 1024;

/** What a flash partition offers (SimFlash implements it). */
export interface FlashPartition {
  readonly byteLength: number;
  readonly blockSize: number;
  erase(sector: number): void;
  read(offset: number, byteLength: number): ArrayBuffer;
  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void;
}

/** How often the board looks at its UARTs while bytes move (ms; about the ESP32's RX-threshold interrupt rate at 921600 baud). */
const POLL_MS = 1;

export class SimBoard {
  readonly baud: number;
  readonly clock: Clock;
  readonly cpuSlowdown: number;
  readonly cost: CostModel;
  readonly uartModel: UartModel;
  readonly config: Record<string, unknown>;
  readonly uarts = new Map<number, SimUart>();
  /** Exceptions that escaped the app (a real board would reboot). */
  readonly crashes: unknown[] = [];
  readonly partitions: Map<string, FlashPartition>;
  readonly freeMemory: number;
  /** GPIO levels driven from outside (the simulator's button), shared with the next board after a reset. */
  readonly pins: Map<number, number>;
  private readonly pinWatchers = new Map<number, (level: number) => void>();
  turns = 0;
  /** Total time the app was busy (ms). */
  busyMs = 0;
  /** Start of the latest turn. */
  lastTurnStart = -Infinity;
  /** End of the latest turn: nothing else runs on the board before it. */
  busyUntil = -Infinity;
  private charged = 0;
  private inTurn = false;
  private pumpTimer: number | null = null;
  private pumpAt = Infinity;
  private readonly timers = new Set<SimTimer>();
  private stopped = false;
  private readonly traceSink: (text: string) => void;
  private readonly meter: WorkMeter;

  constructor(options: BoardOptions = {}) {
    this.baud = options.baud ?? 921600;
    this.clock = options.clock ?? new WallClock();
    this.cost = costModel(options.cost);
    this.cpuSlowdown = options.cpuSlowdown ?? 1;
    if (!(this.cpuSlowdown >= 0 && Number.isFinite(this.cpuSlowdown))) throw new RangeError(`cpuSlowdown must be >= 0, got ${this.cpuSlowdown}`);
    this.uartModel = options.uart ?? {};
    this.config = options.config ?? {};
    this.traceSink = options.trace ?? (() => undefined);
    this.partitions = options.partitions ?? new Map();
    this.freeMemory = options.freeMemory ?? FREE_MEMORY;
    this.pins = options.pins ?? new Map();
    this.meter = new WorkMeter(this.cost);
  }

  /** The clock's time (ms). */
  now(): number {
    return this.clock.now();
  }

  /** Inside a turn: its start plus the work charged so far; outside: the clock's time. */
  wireNow(): number {
    return this.inTurn ? this.lastTurnStart + this.charged : this.clock.now();
  }

  /** Adds `ms` of device time to the running turn (scaled by cpuSlowdown). */
  charge(ms: number): void {
    if (this.inTurn) this.charged += ms * this.cpuSlowdown;
  }

  /** The app read these bytes: decoding them and any training step they trigger take time. */
  chargeRead(bytes: Uint8Array): void {
    this.charge(this.meter.read(bytes));
  }

  chargeWrite(count: number): void {
    this.charge(this.meter.write(count));
  }

  chargeFlash(op: "erase" | "write", bytes = 0): void {
    this.charge(op === "erase" ? this.meter.flashErase() : this.meter.flashWrite(bytes));
  }

  /** UART `port`, created on first use (the PC side attaches its peer before or after the app opens it). */
  uart(port: number): SimUart {
    let u = this.uarts.get(port);
    if (!u) {
      u = new SimUart(this, port, this.uartModel);
      this.uarts.set(port, u);
    }
    return u;
  }

  trace(text: string): void {
    this.traceSink(text);
  }

  flash(name: string): FlashPartition {
    const p = this.partitions.get(name);
    if (!p) throw new Error("can't find partition");
    return p;
  }

  /** The app runs elsewhere (XS): turn() only hands callbacks over, the runner times the real turns. */
  externalApp = false;

  /** Runs app code as one turn (node engine). */
  turn(fn: () => void): void {
    if (this.stopped) return;
    if (this.inTurn || this.externalApp) {
      fn();
      return;
    }
    const prev = registry.current;
    registry.current = this;
    this.beginExternalTurn();
    try {
      fn();
    } catch (err) {
      this.crashes.push(err);
      this.traceSink(`simulator: uncaught exception in device code: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    } finally {
      registry.current = prev;
      this.endExternalTurn();
    }
  }

  /** A turn starts (the app may run elsewhere, as under XS): the board is busy until endExternalTurn(). */
  beginExternalTurn(): void {
    this.inTurn = true;
    this.lastTurnStart = Math.max(this.clock.now(), this.busyUntil);
    this.charged = 0;
    this.charge(this.meter.turn());
  }

  endExternalTurn(): void {
    this.inTurn = false;
    this.busyUntil = this.lastTurnStart + this.charged;
    this.busyMs += this.charged;
    this.turns++;
    for (const u of this.uarts.values()) u.busyInterval(this.lastTurnStart, this.busyUntil);
    this.schedulePump(this.busyUntil);
  }

  /** Runs `fn` when the board is free: now, or when the running turn ends. */
  whenIdle(fn: () => void): void {
    if (this.stopped) return;
    const wait = this.busyUntil - this.clock.now();
    if (wait > 0 || this.inTurn) this.clock.setTimer(() => this.whenIdle(fn), Math.max(0, wait));
    else fn();
  }

  /** Moves bytes and fires UART callbacks. */
  pump(): void {
    if (this.stopped || this.inTurn) return;
    let work = false;
    for (const u of this.uarts.values()) {
      u.service();
      if (u.hasWork()) work = true;
    }
    if (this.clock.now() >= this.busyUntil) {
      for (const u of this.uarts.values()) {
        if (this.stopped) return;
        u.notify();
        if (u.hasWork()) work = true;
      }
    }
    if (work) this.schedulePump(Math.max(this.clock.now() + POLL_MS, this.busyUntil));
  }

  /** Pump at `at` (default: as soon as possible), unless one is due earlier. */
  schedulePump(at = this.clock.now()): void {
    if (this.stopped) return;
    if (this.pumpTimer !== null) {
      if (this.pumpAt <= at) return;
      this.clock.clearTimer(this.pumpTimer);
    }
    this.pumpAt = at;
    this.pumpTimer = this.clock.setTimer(() => {
      this.pumpTimer = null;
      this.pumpAt = Infinity;
      this.pump();
    }, at - this.clock.now());
  }

  /** The level of input `pin`: driven from outside, else what its pull resistor gives (`idle`). */
  pinLevel(pin: number, idle: number): number {
    return this.pins.get(pin) ?? idle;
  }

  /** The app opened input `pin` with edge callbacks: `fn` runs (in a turn) whenever its level changes. */
  watchPin(pin: number, fn: (level: number) => void): void {
    this.pinWatchers.set(pin, fn);
  }

  /** Drive input `pin` to `level` (0 or 1) from outside, like a button wired to it. */
  drivePin(pin: number, level: number): void {
    const before = this.pins.get(pin);
    this.pins.set(pin, level);
    const fn = this.pinWatchers.get(pin);
    if (fn !== undefined && before !== level) this.whenIdle(() => fn(level));
  }

  addTimer(t: SimTimer): void {
    this.timers.add(t);
  }

  removeTimer(t: SimTimer): void {
    this.timers.delete(t);
  }

  /** Power off: no more turns, timers cleared, a partial frame forgotten. UART peers stay attached. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    if (this.pumpTimer !== null) this.clock.clearTimer(this.pumpTimer);
    this.pumpTimer = null;
    for (const u of this.uarts.values()) u.detachApp();
    this.meter.reset();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** True while app code runs. */
  get busy(): boolean {
    return this.inTurn;
  }
}

/** A Moddable `timer` instance on a simulated board. */
export class SimTimer {
  private handle: number | null = null;
  private cancelled = false;

  constructor(private readonly board: SimBoard, private readonly callback: (t: SimTimer) => void) {
    board.addTimer(this);
  }

  /** (Re)starts: first call after `interval` ms, then every `repeat` ms if repeat > 0. */
  schedule(interval: number, repeat: number): void {
    this.clearHandle();
    this.cancelled = false;
    this.board.addTimer(this);
    const clock = this.board.clock;
    const fire = (): void => {
      this.handle = null;
      if (this.cancelled) return;
      if (repeat > 0) this.handle = clock.setTimer(fire, Math.max(1, repeat));
      else this.board.removeTimer(this);
      this.board.whenIdle(() => {
        if (!this.cancelled) this.board.turn(() => this.callback(this));
      });
    };
    this.handle = clock.setTimer(fire, Math.max(0, interval));
  }

  cancel(): void {
    this.cancelled = true;
    this.clearHandle();
    this.board.removeTimer(this);
  }

  private clearHandle(): void {
    if (this.handle !== null) this.board.clock.clearTimer(this.handle);
    this.handle = null;
  }
}
