// Stand-in for Moddable's `flash` module (new Flash(partition)) on a simulated board: the partition is a
// SimFlash (host-sim/sim/flash.ts, NOR semantics) owned by the simulator, so it survives a power cycle.
import { currentBoard } from "./board";

export default class Flash {
  private readonly part: ReturnType<ReturnType<typeof currentBoard>["flash"]>;
  private readonly board = currentBoard();

  constructor(partition: string) {
    this.part = this.board.flash(String(partition));
  }

  get byteLength(): number {
    return this.part.byteLength;
  }

  get blockSize(): number {
    return this.part.blockSize;
  }

  erase(sector: number): void {
    this.part.erase(sector);
    this.board.chargeFlash("erase");
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    return this.part.read(offset, byteLength);
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void {
    this.part.write(offset, byteLength, buffer);
    this.board.chargeFlash("write", byteLength);
  }
}
