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
  /** kind: 0 boot (arg: config JSON), 1 readable (arg: port), 2 writable (arg: port, count), 3 timer (arg: id). */
  turn(kind: number, arg: number, count: number, hexRx: string, txFree: number, configJson?: string): void {
    relay.begin(hexRx, txFree);
    if (kind === 0) {
      relay.config = JSON.parse(configJson ?? "{}") as Record<string, unknown>;
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
    }
    relay.end();
  },
};

const g = globalThis as Record<string, unknown>;
g.__sim = sim;
g.trace = (...parts: unknown[]) => report("@L", parts.map(String).join(""));
