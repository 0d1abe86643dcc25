// The device app (src/main.ts) as one script for XS, driven by the simulator through __sim (relay.ts).
import main from "../../../src/main";
import { relay, report } from "./relay";

function run(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    report("@X", String(err));
  }
}

const sim = {
  /**
   * kind: 0 boot (arg: config JSON), 1 readable (arg: port), 2 writable (arg: port, count), 3 timer (arg: id),
   * 4 a driven pin changed (arg: pin, count: level).
   */
  turn(kind: number, arg: number, count: number, hexRx: string, txFree: number, now: number, configJson?: string): void {
    relay.begin(hexRx, txFree);
    relay.now = now;
    if (kind === 0) {
      const boot = JSON.parse(configJson ?? "{}") as {
        config?: Record<string, unknown>; flash?: Record<string, { hex: string; blockSize: number }>; ringSize?: number; freeMemory?: number; pins?: Record<string, number>;
      };
      relay.config = boot.config ?? {};
      relay.pins = boot.pins ?? {};
      relay.freeMemory = boot.freeMemory ?? 0;
      relay.ringSize = boot.ringSize ?? 0;
      for (const name of Object.keys(boot.flash ?? {})) {
        const f = boot.flash![name];
        const bytes = new Uint8Array(f.hex.length >> 1);
        for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(f.hex.substr(2 * i, 2), 16);
        relay.flash[name] = { bytes, blockSize: f.blockSize };
      }
      run(() => main());
    } else if (kind === 1) {
      const cb = relay.ports[arg]?.onReadable;
      if (cb) run(() => cb(count));
    } else if (kind === 2) {
      const cb = relay.ports[arg]?.onWritable;
      if (cb) run(() => cb(count));
    } else if (kind === 3) {
      const cb = relay.timers[arg];
      if (cb) run(() => cb(relay.timerObjects[arg]));
    } else if (kind === 4) {
      relay.pins[String(arg)] = count;
      const cb = relay.pinWatchers[arg];
      if (cb) run(() => cb(count));
    }
    relay.end();
  },
};

const g = globalThis as Record<string, unknown>;
g.__sim = sim;
// The board's clock, not XS's: on a virtual clock the app's timeouts then follow simulated time.
Date.now = () => relay.now;
g.trace = (...parts: unknown[]) => report("@L", parts.map(String).join(""));
