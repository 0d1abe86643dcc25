// `embedded:io/digital` inside XS for the simulator: the pin's level lives in Node (SimBoard.drivePin);
// opening a pin with edges prints "@D <pin>", and every change comes back as a turn (device-xs.ts kind 4).
import { relay, print } from "./relay";
import { DIGITAL, idleLevel } from "../digital-modes";

export default class Digital {
  static readonly Input = DIGITAL.Input;
  static readonly InputPullUp = DIGITAL.InputPullUp;
  static readonly InputPullDown = DIGITAL.InputPullDown;
  static readonly InputPullUpDown = DIGITAL.InputPullUpDown;
  static readonly Output = DIGITAL.Output;
  static readonly OutputOpenDrain = DIGITAL.OutputOpenDrain;
  static readonly Rising = DIGITAL.Rising;
  static readonly Falling = DIGITAL.Falling;

  private readonly pin: number;
  private readonly idle: number;
  private open = true;

  constructor(options: { pin: number; mode: number; edge?: number; onReadable?: (this: Digital) => void }) {
    this.pin = Number(options.pin);
    if (!(this.pin >= 0 && this.pin <= 39)) throw new RangeError("invalid pin");
    if (options.mode === DIGITAL.Output || options.mode === DIGITAL.OutputOpenDrain) throw new RangeError("simulated pins are inputs only");
    this.idle = idleLevel(options.mode);
    const edge = options.edge ?? 0, cb = options.onReadable;
    if (cb !== undefined && edge !== 0) {
      relay.pinWatchers[this.pin] = (level: number) => {
        if (!this.open) return;
        if ((level === 1 && (edge & DIGITAL.Rising) !== 0) || (level === 0 && (edge & DIGITAL.Falling) !== 0)) cb.call(this);
      };
      print("@D " + this.pin);
    }
  }

  read(): number {
    if (!this.open) throw new Error("closed");
    const level = relay.pins[String(this.pin)];
    return typeof level === "number" ? level : this.idle;
  }

  close(): void {
    this.open = false;
  }
}
