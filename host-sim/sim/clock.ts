// The simulator's clock. A WallClock follows real time (the pty mode, `tinyprop sim`); a VirtualClock is a
// discrete-event clock: time only moves when everything runnable has run, and then jumps to the next timer,
// so a run is a deterministic function of its inputs and seed, however fast or loaded the machine is.
//
// Driving a run in virtual time (tests, the goodput benchmark, loss-recovery measurements):
//
//   const clock = new VirtualClock({ seed: 1 });
//   await clock.run(async () => {
//     const sim = await startSimulator({ pty: false, clock });
//     const link = new HostLink(asBytePort(sim.port!, "sim"), { clock });  // or without: the globals are virtual
//     ...; await sim.stop();
//   });
//
// While run() is active it replaces the global setTimeout/setInterval/setImmediate (and their clear*),
// Date.now, performance.now and Math.random (seeded), so host code written against the globals runs in
// virtual time without changes. Everything inside must be in-process (no pty, no sockets): real I/O does
// not hold the clock. Work done outside the process on the simulator's behalf (the XS engine) is awaited
// through hold().
import { Random } from "../../src/engine/random";

export interface Clock {
  /** True for a VirtualClock. */
  readonly virtual: boolean;
  /** Milliseconds. */
  now(): number;
  /** Calls fn once, `delayMs` from now (>= 0). Returns an id for clearTimer. */
  setTimer(fn: () => void, delayMs: number): number;
  clearTimer(id: number): void;
  /** Virtual time does not advance until `work` settles (work outside this process, e.g. an XS turn). */
  hold<T>(work: Promise<T>): Promise<T>;
  /** The same as setTimer/clearTimer, in the shape of the host link's Clock (host-sim/link/clock.ts). */
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(handle: unknown): void;
}

export class WallClock implements Clock {
  readonly virtual = false;
  private readonly handles = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  now(): number {
    return performance.now();
  }

  setTimer(fn: () => void, delayMs: number): number {
    const id = this.nextId++;
    this.handles.set(id, setTimeout(() => {
      this.handles.delete(id);
      fn();
    }, Math.max(0, delayMs)));
    return id;
  }

  clearTimer(id: number): void {
    const h = this.handles.get(id);
    if (h !== undefined) clearTimeout(h);
    this.handles.delete(id);
  }

  hold<T>(work: Promise<T>): Promise<T> {
    return work;
  }

  setTimeout(fn: () => void, ms: number): number {
    return this.setTimer(fn, ms);
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === "number") this.clearTimer(handle);
  }
}

interface Pending {
  at: number;
  id: number;
  fn: () => void;
}

/** What Node's timer functions return, enough for host code that calls unref()/ref()/refresh(). */
class VirtualTimeout {
  /** The clock's id of the pending timer (refresh() and setInterval move it on). */
  current: number;
  constructor(readonly id: number, private readonly clock: VirtualClock, private readonly restart: () => number) {
    this.current = id;
  }
  unref(): this { return this; }
  ref(): this { return this; }
  hasRef(): boolean { return true; }
  refresh(): this {
    this.clock.clearTimer(this.current);
    this.current = this.restart();
    return this;
  }
  [Symbol.toPrimitive](): number { return this.id; }
}

export interface VirtualClockOptions {
  /** Seed of Math.random while run() is active (default 1). */
  seed?: number;
  /** Virtual ms at which the clock starts (default 0). */
  start?: number;
}

type AnyFn = (...args: unknown[]) => unknown;

/** Date.now() at virtual time 0 while run() is active (2026-01-01): code that treats 0 as "never" still works. */
export const VIRTUAL_EPOCH = 1_767_225_600_000;

export class VirtualClock implements Clock {
  readonly virtual = true;
  private t: number;
  /** Timers, sorted by (at, id): the queue is short (a few per board and link), so insertion is linear. */
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private holds = 0;
  private holdSettled: (() => void) | null = null;
  private readonly seed: number;
  /** Timers fired so far (a measure of how much simulated activity a run had). */
  events = 0;

  constructor(options: VirtualClockOptions = {}) {
    this.t = options.start ?? 0;
    this.seed = options.seed ?? 1;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, delayMs: number): number {
    const id = this.nextId++;
    const d = delayMs > 0 ? delayMs : 0; // NaN and negatives mean "now", as in Node
    const p: Pending = { at: this.t + d, id, fn };
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.at > p.at) i--;
    this.queue.splice(i, 0, p);
    return id;
  }

  clearTimer(id: number): void {
    const i = this.queue.findIndex((p) => p.id === id);
    if (i >= 0) this.queue.splice(i, 1);
  }

  hold<T>(work: Promise<T>): Promise<T> {
    this.holds++;
    const done = (): void => {
      this.holds--;
      const w = this.holdSettled;
      this.holdSettled = null;
      w?.();
    };
    work.then(done, done);
    return work;
  }

  setTimeout(fn: () => void, ms: number): number {
    return this.setTimer(fn, ms);
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === "number") this.clearTimer(handle);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Runs `body` in virtual time: between steps everything runnable runs (promise jobs, I/O callbacks of
   * held work), then time jumps to the earliest timer. Rejects if `body` waits while nothing is scheduled
   * (a deadlock) or virtual time passes `limitMs`.
   */
  async run<T>(body: () => Promise<T>, options: { limitMs?: number; globals?: boolean } = {}): Promise<T> {
    const realSetImmediate = setImmediate;
    const realSetTimeout = setTimeout;
    let idle = 0;
    const flush = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));
    const limit = options.limitMs ?? 3_600_000;
    const restore = options.globals === false ? () => undefined : this.install();
    let done = false, failed = false, result: T | undefined, error: unknown;
    Promise.resolve().then(body).then((r) => { done = true; result = r; }, (e: unknown) => { done = true; failed = true; error = e; });
    try {
      for (;;) {
        await flush();
        if (done) break;
        if (this.holds > 0) {
          await new Promise<void>((resolve) => (this.holdSettled = resolve));
          continue;
        }
        if (this.queue.length === 0) {
          // Nothing scheduled: unheld real I/O (a module being imported) may still be on its way; give it a
          // moment of real time before calling it a deadlock.
          if (++idle <= 100) {
            await new Promise((resolve) => realSetTimeout(resolve, 2));
            continue;
          }
          throw new Error("virtual clock: the run is waiting for something, but no timer is scheduled (deadlock)");
        }
        idle = 0;
        const next = this.queue.shift()!;
        if (next.at > this.t) this.t = next.at;
        if (this.t > limit) throw new Error(`virtual clock: the run did not finish within ${limit} ms of virtual time`);
        this.events++;
        next.fn();
      }
    } finally {
      restore();
    }
    if (failed) throw error;
    return result as T;
  }

  /** Replaces the global timer functions, Date.now, performance.now and Math.random; returns the undo. */
  private install(): () => void {
    const g = globalThis as unknown as Record<string, unknown>;
    const saved = {
      setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, setInterval: g.setInterval, clearInterval: g.clearInterval,
      setImmediate: g.setImmediate, clearImmediate: g.clearImmediate,
      dateNow: Date.now, perfNow: performance.now, random: Math.random,
    };
    const rng = new Random(this.seed);
    const clear = (h: unknown): void => {
      if (h instanceof VirtualTimeout) this.clearTimer(h.current);
      else if (typeof h === "number") this.clearTimer(h);
    };
    const timeout = (fn: AnyFn, ms?: number, ...args: unknown[]): VirtualTimeout => {
      const start = (): number => this.setTimer(() => fn(...args), Number(ms ?? 0));
      return new VirtualTimeout(start(), this, start);
    };
    const interval = (fn: AnyFn, ms?: number, ...args: unknown[]): VirtualTimeout => {
      const every = Math.max(1, Number(ms ?? 0) || 1);
      let handle: VirtualTimeout;
      const tick = (): number => this.setTimer(() => {
        handle.current = tick();
        fn(...args);
      }, every);
      handle = new VirtualTimeout(tick(), this, tick);
      return handle;
    };
    g.setTimeout = timeout;
    g.clearTimeout = clear;
    g.setInterval = interval;
    g.clearInterval = clear;
    g.setImmediate = (fn: AnyFn, ...args: unknown[]) => timeout(fn, 0, ...args);
    g.clearImmediate = clear;
    Date.now = () => VIRTUAL_EPOCH + Math.floor(this.t);
    performance.now = () => this.t;
    Math.random = () => rng.uniform();
    return () => {
      Object.assign(g, {
        setTimeout: saved.setTimeout, clearTimeout: saved.clearTimeout, setInterval: saved.setInterval,
        clearInterval: saved.clearInterval, setImmediate: saved.setImmediate, clearImmediate: saved.clearImmediate,
      });
      Date.now = saved.dateNow;
      performance.now = saved.perfNow;
      Math.random = saved.random;
    };
  }
}
