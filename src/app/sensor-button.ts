// The board's learn button (manifest config.sensor.button, docs/sensor.md): hold it while performing a
// gesture and every window completed while it is held trains the model on the current class; a short press
// (released before `shortPressMs` without a learned window) picks the next class. On release the board
// goes back to its home mode (config.sensor.mode: infer shows at once what it learned) and checkpoints what
// it learned. The input is an ECMA-419 digital pin (embedded:io/digital on the ESP32, board/button.ts);
// its edges are debounced by reading the pin again once it has been quiet for `debounceMs`.
import type { SensorService } from "./sensor-service";
import type { DeviceTimers } from "./transport";

export interface ButtonConfig {
  /** GPIO of the button (0: the ESP32 DevKit's BOOT button). */
  pin?: number;
  /** The pin reads 0 while pressed (a button to ground, with the pull-up on; default true). */
  activeLow?: boolean;
  /** A press shorter than this, with no window learned, picks the next class (default 400 ms). */
  shortPressMs?: number;
  /** The pin must be quiet this long before its level counts (default 30 ms). */
  debounceMs?: number;
}

/** What the button reads: an ECMA-419 Digital input (read() -> 0 or 1). */
export interface DigitalInput {
  read(): number;
}

type DigitalClass = (new (options: Record<string, unknown>) => DigitalInput) & Record<string, unknown>;

/** Opens the configured button pin (calling `onEdge` on both edges), or null when there is none. */
export function openButton(c: ButtonConfig | undefined, Digital: unknown, onEdge: () => void, log: (text: string) => void): DigitalInput | null {
  if (c === undefined || typeof c.pin !== "number") return null;
  if (Digital === null) {
    log("button off: this platform has no digital pins (manifest.json maps board/button to button-none)");
    return null;
  }
  const D = Digital as DigitalClass;
  try {
    const low = c.activeLow !== false;
    return new D({
      pin: c.pin, mode: low ? D.InputPullUp : D.InputPullDown, edge: (D.Rising as number) | (D.Falling as number),
      onReadable: onEdge,
    });
  } catch (e) {
    log("button off: " + String(e));
    return null;
  }
}

export class LearnButton {
  /** The class the next hold learns (-1: `first`, resolved once the board has a model's class names). */
  label = -1;
  /** The first class: config.sensor.label, a class name or index. */
  first: string | number = 0;
  pressed = false;
  private readonly input: DigitalInput;
  private readonly sensor: SensorService;
  private readonly timers: DeviceTimers;
  private readonly now: () => number;
  private readonly log: (text: string) => void;
  private readonly activeLow: boolean;
  private readonly shortPressMs: number;
  private readonly debounceMs: number;
  private pressedAt = 0;
  /** The press started learning (the release ends it). */
  private learning = false;
  private settle: unknown = null;

  constructor(input: DigitalInput, c: ButtonConfig, sensor: SensorService, timers: DeviceTimers, now: () => number, log: (text: string) => void) {
    this.input = input;
    this.sensor = sensor;
    this.timers = timers;
    this.now = now;
    this.log = log;
    this.activeLow = c.activeLow !== false;
    this.shortPressMs = typeof c.shortPressMs === "number" ? c.shortPressMs : 400;
    this.debounceMs = typeof c.debounceMs === "number" ? c.debounceMs : 30;
  }

  /** An edge on the pin: look again once it has been quiet for debounceMs. */
  onEdge(): void {
    if (this.settle !== null) this.timers.clear(this.settle);
    this.settle = this.timers.repeat(() => this.settled(), this.debounceMs);
  }

  stop(): void {
    if (this.settle !== null) this.timers.clear(this.settle);
    this.settle = null;
  }

  private settled(): void {
    this.stop();
    const level = this.input.read();
    const pressed = this.activeLow ? level === 0 : level !== 0;
    if (pressed === this.pressed) return; // a bounce, or a press and release shorter than debounceMs
    this.pressed = pressed;
    if (pressed) {
      this.pressedAt = this.now();
      if (this.label < 0) this.label = Math.max(0, this.sensor.classIndex(this.first));
      const code = this.sensor.holdLearn(this.label);
      this.learning = code === 0;
      if (code !== 0) this.log("button: cannot learn (error " + code + "): the board needs a model with an input pipeline");
      return;
    }
    if (!this.learning) return;
    this.learning = false;
    const learned = this.sensor.releaseLearn();
    if (learned === 0 && this.now() - this.pressedAt < this.shortPressMs) {
      const classes = this.sensor.classCount;
      this.label = classes > 0 ? (Math.max(0, this.label) + 1) % classes : 0;
      this.log("button: class " + this.sensor.className(this.label));
    } else {
      this.log("button: learned " + learned + " windows of " + this.sensor.className(this.label));
    }
  }
}
