// `flash` inside XS for the simulator: the partition's bytes live here (filled from the simulator at boot)
// and every erase/write is mirrored to Node ("@F ..." lines), where the partition survives power cycles.
import { relay, print } from "./relay";

const HEX = "0123456789abcdef";

export default class Flash {
  private readonly name: string;
  private readonly bytes: Uint8Array;
  readonly blockSize: number;

  constructor(partition: string) {
    const p = relay.flash[String(partition)];
    if (!p) throw new Error("can't find partition");
    this.name = String(partition);
    this.bytes = p.bytes;
    this.blockSize = p.blockSize;
  }

  get byteLength(): number {
    return this.bytes.length;
  }

  erase(sector: number): void {
    const start = sector * this.blockSize;
    if (!(start >= 0 && start + this.blockSize <= this.bytes.length)) throw new Error("erase failed");
    this.bytes.fill(0xff, start, start + this.blockSize);
    print("@F e " + this.name + " " + sector);
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    if (!(offset >= 0 && byteLength >= 0 && offset + byteLength <= this.bytes.length)) throw new Error("read failed");
    return this.bytes.slice(offset, offset + byteLength).buffer;
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void {
    const src = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (!(byteLength > 0 && src.length >= byteLength && offset >= 0 && offset + byteLength <= this.bytes.length)) throw new Error("invalid");
    let s = "";
    for (let i = 0; i < byteLength; i++) {
      this.bytes[offset + i] &= src[i]; // NOR: writing can only clear bits
      s += HEX[src[i] >> 4] + HEX[src[i] & 15];
    }
    print("@F w " + this.name + " " + offset + " " + s);
  }
}
