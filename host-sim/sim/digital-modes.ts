// The simulated ECMA-419 Digital that the Node and XS stand-ins share: modes, edges, the level an input
// reads when nothing drives it (its pull resistor), and SimDigital, which checks the options, filters edges
// and handles close(). The two stand-ins differ only in where a pin's level lives. Plain code, no Node APIs.
export const DIGITAL = {
  Input: 0, InputPullUp: 1, InputPullDown: 2, InputPullUpDown: 3, Output: 8, OutputOpenDrain: 9, Rising: 1, Falling: 2,
} as const;

/** What an undriven input reads: 1 with a pull-up, else 0. */
export function idleLevel(mode: number): number {
  return mode === DIGITAL.InputPullUp ? 1 : 0;
}

export interface DigitalOptions {
  pin: number;
  mode: number;
  edge?: number;
  onReadable?: (this: SimDigital) => void;
}

export abstract class SimDigital {
  static readonly Input = DIGITAL.Input;
  static readonly InputPullUp = DIGITAL.InputPullUp;
  static readonly InputPullDown = DIGITAL.InputPullDown;
  static readonly InputPullUpDown = DIGITAL.InputPullUpDown;
  static readonly Output = DIGITAL.Output;
  static readonly OutputOpenDrain = DIGITAL.OutputOpenDrain;
  static readonly Rising = DIGITAL.Rising;
  static readonly Falling = DIGITAL.Falling;

  protected readonly pin: number;
  protected readonly idle: number;
  /** The callback to run on a watched edge, or undefined when the pin is only read. */
  protected readonly onEdge: (() => void) | undefined;
  private readonly edge: number;
  private open = true;

  constructor(options: DigitalOptions) {
    this.pin = Number(options.pin);
    if (!(this.pin >= 0 && this.pin <= 39)) throw new RangeError("invalid pin");
    if (options.mode === DIGITAL.Output || options.mode === DIGITAL.OutputOpenDrain) throw new RangeError("simulated pins are inputs only");
    this.idle = idleLevel(options.mode);
    this.edge = options.edge ?? 0;
    const cb = options.onReadable;
    this.onEdge = cb !== undefined && this.edge !== 0 ? () => cb.call(this) : undefined;
  }

  /** Whether a change to `level` is an edge the pin watches (and the pin is still open). */
  protected fires(level: number): boolean {
    if (!this.open) return false;
    return (level === 1 && (this.edge & DIGITAL.Rising) !== 0) || (level === 0 && (this.edge & DIGITAL.Falling) !== 0);
  }

  /** The pin's current level (where it lives differs between the stand-ins). */
  protected abstract level(): number;

  read(): number {
    if (!this.open) throw new Error("closed");
    return this.level();
  }

  close(): void {
    this.open = false;
  }
}
