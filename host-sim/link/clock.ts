// Time for the host link: a clock interface (the process's own by default; tests and the simulator pass a
// virtual one) and `Changes`, the wake-up list the link's waiting loops sleep on.

export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process's clock. Looks the globals up on every call, so test fake timers installed later apply. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** Waiters woken at the next state change (an answer, a session, a failure). */
export class Changes {
  private waiters: (() => void)[] = [];

  constructor(private readonly clock: Clock) {}

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves at the next notify() or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.clock.setTimeout(resolve, ms);
      this.waiters.push(() => { this.clock.clearTimeout(t); resolve(); });
    });
  }
}
