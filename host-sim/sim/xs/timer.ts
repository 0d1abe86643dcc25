// `timer` inside XS for the simulator: timers run in Node and fire through __sim.turn (see relay.ts).
import { relay, print } from "./relay";

class XsTimer {
  constructor(readonly id: number) {}
}

type Callback = (t: XsTimer) => void;

function create(callback: Callback, interval: number, repeat: number): XsTimer {
  const id = relay.timers.length;
  const t = new XsTimer(id);
  relay.timers.push(callback as (t: unknown) => void);
  relay.timerObjects.push(t);
  print("@T s " + id + " " + (interval | 0) + " " + (repeat | 0));
  return t;
}

const Timer = {
  set(callback: Callback, interval = 0, repeat = 0): XsTimer {
    return create(callback, interval, repeat);
  },
  repeat(callback: Callback, interval: number): XsTimer {
    return create(callback, interval, interval);
  },
  schedule(t: XsTimer, interval = 0, repeat = 0): void {
    print("@T s " + t.id + " " + (interval | 0) + " " + (repeat | 0));
  },
  clear(t: XsTimer | undefined | null): void {
    if (!t) return;
    relay.timers[t.id] = null;
    print("@T c " + t.id);
  },
  delay(ms: number): void {
    const end = Date.now() + ms;
    while (Date.now() < end) { /* busy */ }
  },
};

export default Timer;
