// What differs between the platforms the device app runs on, kept out of the session: the shape of
// Moddable's serial driver (ESP32 ECMA-419 versus Moddable's Linux host driver, docs/moddable-serial.md)
// and where free memory can be read (Moddable's `instrumentation` module). Chosen once at start-up, so
// the ESP32 path calls its driver directly.
import type { DeviceSerial } from "./transport";

/** Moddable's Linux serial driver (modules/io/serial/lin): read(count) returns a new ArrayBuffer, write takes one. */
export interface LinuxSerial {
  read(count?: number): ArrayBuffer | undefined;
  write(buffer: ArrayBuffer): void;
}

/**
 * The session's read(buffer)/write(view) on top of Moddable's Linux serial driver. write() gets views of
 * 2^k bytes (tx-queue.ts), copied into one ArrayBuffer per length, made on first use; read() copies what
 * the driver returns (the driver allocates it: a Linux host has memory to spare).
 */
export class LinuxSerialAdapter implements DeviceSerial {
  private readonly serial: LinuxSerial;
  private readonly out: (Uint8Array | undefined)[] = [];

  constructor(serial: LinuxSerial) {
    this.serial = serial;
  }

  read(buffer: Uint8Array): number {
    const got = this.serial.read(buffer.length);
    if (got === undefined || got.byteLength === 0) return 0;
    const src = new Uint8Array(got);
    const n = src.length < buffer.length ? src.length : buffer.length;
    for (let i = 0; i < n; i++) buffer[i] = src[i];
    return n;
  }

  write(view: Uint8Array): void {
    const n = view.length;
    let exact = this.out[n];
    if (exact === undefined) exact = this.out[n] = new Uint8Array(n);
    for (let i = 0; i < n; i++) exact[i] = view[i];
    this.serial.write(exact.buffer as ArrayBuffer);
  }
}

/** Moddable's `instrumentation` module: get() and map() return undefined where instrumentation is off. */
export interface InstrumentationLike {
  map(name: string): number | undefined;
  get(index: number): number | undefined;
}

/**
 * Free heap in bytes, read through Moddable's "System Free Memory" instrument, or 0 (unknown): release
 * builds compile instrumentation out (mcconfig -d and -i keep it). The name is looked up once.
 */
export function freeMemoryReader(instrumentation: InstrumentationLike | undefined): () => number {
  const index = instrumentation === undefined ? undefined : instrumentation.map("System Free Memory");
  if (instrumentation === undefined || typeof index !== "number") return () => 0;
  return () => {
    const v = instrumentation.get(index);
    return typeof v === "number" && v > 0 ? v >>> 0 : 0;
  };
}
