// Stand-in for Moddable's `embedded:io/digital` (ECMA-419 Digital) on a simulated board (Node engine): an
// input pin whose level the simulator drives (SimBoard.drivePin: `tinyprop sim` press / release, or a
// test); onReadable runs as a device turn on every change, like the edge interrupt on the ESP32.
import { currentBoard } from "./board";
import { SimDigital, type DigitalOptions } from "./digital-modes";

export default class Digital extends SimDigital {
  private readonly board = currentBoard();

  constructor(options: DigitalOptions) {
    super(options);
    const onEdge = this.onEdge, board = this.board;
    if (onEdge !== undefined) board.watchPin(this.pin, (level) => { if (this.fires(level)) board.turn(onEdge); });
  }

  protected level(): number {
    return this.board.pinLevel(this.pin, this.idle);
  }
}
