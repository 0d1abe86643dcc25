// The board of a host build of the example (Moddable x-cli-lin, and Node in test/moddable-library.test.ts):
// no I2C and no button, so a scripted user holds the button while performing each gesture in turn, then
// performs them without it, and an MPU-6050 stand-in reports that gesture's motion. One button read per
// timer tick advances the script (main.ts reads the button before sampling). When the script ends,
// globalThis.tinypropHostRunning turns false and host/cli-main.c exits.
import config from "mc/config";
import { cos, PI } from "tinyprop/engine/math";

const HZ: number = (config as Record<string, any>).imu?.hz ?? 100; // as main.ts: one window = HZ ticks
const CLASSES = 3;
const TAP = 2; // a press shorter than HZ / 4 ticks moves main.ts to the next class

// Per tick: whether the button is held, and which gesture (0 idle, 1 wave, 2 circle) is performed.
const pressedAt: boolean[] = [];
const gestureAt: number[] = [];
function perform(gesture: number, pressed: boolean, count: number): void {
  for (let k = 0; k < count; k++) { pressedAt.push(pressed); gestureAt.push(gesture); }
}
// Two rounds: learn each class for a window, a tap moving to the next (from the last back to the first);
// then perform each class for two windows with the button up. Each window takes a second of the timer, so
// this is far too little training to classify well: the host run checks the build, not accuracy.
const ROUNDS = 2;
for (let i = 0; i < ROUNDS * CLASSES; i++) {
  const c = i % CLASSES;
  perform(c, true, HZ + TAP);
  perform(c, false, 1);
  if (i + 1 < ROUNDS * CLASSES) { perform(c, true, TAP); perform((c + 1) % CLASSES, false, 1); }
}
for (let c = 0; c < CLASSES; c++) perform(c, false, 2 * HZ);

const host = globalThis as unknown as { tinypropHostRunning: boolean };
host.tinypropHostRunning = true;
let tick = -1;

function gestureNow(): number {
  return gestureAt[Math.min(Math.max(tick, 0), gestureAt.length - 1)];
}

/** Stand-in for embedded:io/digital: the button pin (0 while held, as with a pull-up). */
export class HostButton {
  static readonly InputPullUp = 2;
  constructor(_options: { pin: number; mode: number }) {}
  read(): number {
    tick++;
    if (tick >= pressedAt.length) { host.tinypropHostRunning = false; return 1; }
    return pressedAt[tick] ? 0 : 1;
  }
  close(): void {}
}

/** Stand-in for embedded:io/smbus: nothing to talk to. */
export class HostBus {
  constructor(_options: Record<string, unknown>) {}
  close(): void {}
}

const G = 9.80665;
const DPS = 90;

interface Reading { accelerometer: { x: number; y: number; z: number }; gyroscope: { x: number; y: number; z: number } }

/** Stand-in for the MPU-6050 driver: m/s^2 and degrees per second, as the driver reports them. */
export class HostImu {
  #reading: Reading = { accelerometer: { x: 0, y: 0, z: 0 }, gyroscope: { x: 0, y: 0, z: 0 } };
  constructor(_options: { sensor: Record<string, unknown> }) {}
  sample(): Reading | undefined {
    if (!host.tinypropHostRunning) return undefined;
    const t = (tick * 2 * PI) / HZ; // one gesture cycle per second
    const g = gestureNow(), a = this.#reading.accelerometer, w = this.#reading.gyroscope;
    // A small drift per tick keeps the "still" class from being exactly constant.
    const drift = ((tick * 7) % 11 - 5) / 400;
    a.x = drift * G; a.y = drift * G; a.z = G; w.x = drift * DPS; w.y = 0; w.z = 0;
    if (g === 1) { a.x += 0.8 * G * cos(2 * t); w.z = 3 * DPS * cos(2 * t - PI / 2); }
    if (g === 2) { a.x += 0.5 * G * cos(t); a.y += 0.5 * G * cos(t - PI / 2); w.x += 2 * DPS * cos(t); w.y = 2 * DPS * cos(t - PI / 2); }
    return this.#reading;
  }
  configure(_options: Record<string, unknown>): void {}
  close(): void {}
}
