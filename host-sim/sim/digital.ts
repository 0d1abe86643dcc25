// Stand-in for Moddable's `embedded:io/digital` (ECMA-419 Digital) on a simulated board (Node engine): an
// input pin whose level the simulator drives (SimBoard.drivePin: `tinyprop sim` press / release, or a
// test); onReadable runs as a device turn on every change, like the edge interrupt on the ESP32.
import { currentBoard } from "./board";
import { DIGITAL, idleLevel } from "./digital-modes";

export default class Digital {
  static readonly Input = DIGITAL.Input;
  static readonly InputPullUp = DIGITAL.InputPullUp;
  static readonly InputPullDown = DIGITAL.InputPullDown;
  static readonly InputPullUpDown = DIGITAL.InputPullUpDown;
  static readonly Output = DIGITAL.Output;
  static readonly OutputOpenDrain = DIGITAL.OutputOpenDrain;
  static readonly Rising = DIGITAL.Rising;
  static readonly Falling = DIGITAL.Falling;

  private readonly board = currentBoard();
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
      const board = this.board;
      board.watchPin(this.pin, (level) => {
        if (!this.open) return;
        if ((level === 1 && (edge & DIGITAL.Rising) !== 0) || (level === 0 && (edge & DIGITAL.Falling) !== 0)) board.turn(() => cb.call(this));
      });
    }
  }

  read(): number {
    if (!this.open) throw new Error("closed");
    return this.board.pinLevel(this.pin, this.idle);
  }

  close(): void {
    this.open = false;
  }
}
