// Stand-in for Moddable's `flash` module in the host simulator: a NOR flash partition kept in memory and,
// optionally, mirrored to a file so it survives a restart of the simulated device.
//
// NOR semantics as on the ESP32's SPI flash: erase(sector) sets a sector to 0xFF; write() can only clear
// bits (stored = old & new). For power-loss tests, cutPowerAfter(n) lets the next n byte operations (each
// programmed or erased byte counts 1) happen and then throws PowerCut in the middle of the operation: an
// interrupted erase leaves the rest of its sector as pseudo-random garbage, an interrupted write leaves
// the remaining bytes as they were. Every later call also throws until restore() ("power back on").
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import type { FlashLike } from "../../src/app/checkpoint";

export class PowerCut extends Error {
  override name = "PowerCut";
}

export interface SimFlashOptions {
  /** Partition size in bytes (default 64 KiB). Must be a multiple of blockSize. */
  byteLength?: number;
  /** Sector size (default 4096, as on the ESP32). */
  blockSize?: number;
}

export class SimFlash implements FlashLike {
  readonly byteLength: number;
  readonly blockSize: number;
  /** The partition's bytes (tests may inspect or damage them). */
  readonly bytes: Uint8Array;
  /** Counters for tests and diagnostics. */
  erases = 0;
  bytesWritten = 0;
  private readonly path: string | null;
  private budget = Infinity;
  private dead = false;
  private garbage = 0x2545f491;

  /** A partition backed by `path` (created 0xFF-filled if missing), or only in memory when path is null. */
  constructor(path: string | null = null, options: SimFlashOptions = {}) {
    this.blockSize = options.blockSize ?? 4096;
    this.byteLength = options.byteLength ?? 65536;
    if (this.byteLength % this.blockSize !== 0 || this.byteLength <= 0) throw new Error("flash: byteLength must be a positive multiple of blockSize");
    this.path = path;
    this.bytes = new Uint8Array(this.byteLength).fill(0xff);
    if (path !== null && existsSync(path)) {
      const data = readFileSync(path);
      if (data.length !== this.byteLength) throw new Error(`flash: ${path} has ${data.length} bytes, the partition has ${this.byteLength}`);
      this.bytes.set(data);
    } else if (path !== null) {
      this.persist(0, this.byteLength);
    }
  }

  /** After `n` more byte operations, cut the power (throw PowerCut mid-operation). */
  cutPowerAfter(n: number): void {
    this.budget = n;
  }

  /** Power back on: operations work again (the contents are whatever the cut left). */
  restore(): void {
    this.dead = false;
    this.budget = Infinity;
  }

  get powered(): boolean {
    return !this.dead;
  }

  erase(sector: number): void {
    this.alive();
    if (!Number.isInteger(sector) || sector < 0 || (sector + 1) * this.blockSize > this.byteLength) throw new Error(`flash: erase sector ${sector} out of range`);
    const start = sector * this.blockSize, end = start + this.blockSize;
    this.erases++;
    for (let i = start; i < end; i++) {
      if (this.budget-- <= 0) {
        for (let j = i; j < end; j++) this.bytes[j] = this.noise();
        this.persist(start, this.blockSize);
        this.die();
      }
      this.bytes[i] = 0xff;
    }
    this.persist(start, this.blockSize);
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    this.alive();
    this.range("read", offset, byteLength);
    return this.bytes.slice(offset, offset + byteLength).buffer;
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void {
    this.alive();
    this.range("write", offset, byteLength);
    const src = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (src.length < byteLength) throw new Error(`flash: write of ${byteLength} bytes from a ${src.length}-byte buffer`);
    for (let i = 0; i < byteLength; i++) {
      if (this.budget-- <= 0) {
        this.persist(offset, i);
        this.die();
      }
      this.bytes[offset + i] &= src[i];
      this.bytesWritten++;
    }
    this.persist(offset, byteLength);
  }

  private range(what: string, offset: number, n: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(n) || offset < 0 || n < 0 || offset + n > this.byteLength) {
      throw new Error(`flash: ${what} of ${n} bytes at ${offset} is outside the ${this.byteLength}-byte partition`);
    }
  }

  private alive(): void {
    if (this.dead) throw new PowerCut("flash: no power");
  }

  private die(): never {
    this.dead = true;
    throw new PowerCut("flash: power cut");
  }

  private noise(): number {
    // xorshift32: reproducible garbage for interrupted erases.
    let x = this.garbage;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.garbage = x | 0;
    return x & 0xff;
  }

  private persist(offset: number, n: number): void {
    if (this.path === null || n <= 0) return;
    const fd = openSync(this.path, existsSync(this.path) ? "r+" : "w+");
    try {
      writeSync(fd, this.bytes, offset, n, offset);
    } finally {
      closeSync(fd);
    }
  }
}
