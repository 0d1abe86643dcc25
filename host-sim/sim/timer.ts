// Stand-in for Moddable's `timer` module on a simulated board (Timer.set/repeat/schedule/clear/delay).
import { currentBoard, SimTimer } from "./board";

type Callback = (timer: SimTimer) => void;

const Timer = {
  set(callback: Callback, interval = 0, repeat = 0): SimTimer {
    const t = new SimTimer(currentBoard(), callback);
    t.schedule(interval, repeat);
    return t;
  },
  repeat(callback: Callback, interval: number): SimTimer {
    const t = new SimTimer(currentBoard(), callback);
    t.schedule(interval, interval);
    return t;
  },
  schedule(timer: SimTimer, interval = 0, repeat = 0): void {
    timer.schedule(interval, repeat);
  },
  clear(timer: SimTimer | undefined | null): void {
    if (timer) timer.cancel();
  },
  /** Blocks the app for `ms`, as on the device: the running turn lasts that much longer. */
  delay(ms: number): void {
    currentBoard().charge(Math.max(0, Number(ms) || 0));
  },
};

export default Timer;
