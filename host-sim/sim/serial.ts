// Stand-in for Moddable's `embedded:io/serial` (ECMA-419 Serial) on a simulated board: same constructor
// options and methods as the Moddable typings, backed by the board's UART model (board.ts).
import { currentBoard, type SimBoard, type SimUart } from "./board";

type Callback = (this: Serial, count: number) => void;

export interface SerialOptions {
  port?: number;
  receive?: number;
  transmit?: number;
  baud: number;
  format?: "number" | "buffer";
  onReadable?: Callback;
  onWritable?: Callback;
  target?: unknown;
  [other: string]: unknown;
}

type BufferSource = ArrayBuffer | ArrayBufferView;

function bytesOf(b: BufferSource): Uint8Array {
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new TypeError("invalid buffer");
}

export default class Serial {
  private uart: SimUart | null;
  private readonly board: SimBoard;
  private fmt: "number" | "buffer";
  target: unknown;

  constructor(options: SerialOptions) {
    if (options === null || typeof options !== "object") throw new TypeError("invalid options");
    if (options.receive === undefined && options.transmit === undefined) throw new Error("invalid");
    const baud = Number(options.baud);
    if (!(baud > 0 && baud <= 20000000)) throw new RangeError("invalid baud");
    const port = options.port ?? 0;
    if (!(Number.isInteger(port) && port >= 0 && port <= 2)) throw new RangeError("invalid port");
    const format = options.format ?? "number";
    if (format !== "number" && format !== "buffer") throw new RangeError("invalid format");
    this.fmt = format;
    this.target = options.target;
    this.board = currentBoard();
    const uart = this.board.uart(port);
    const self = this;
    const onReadable = options.receive !== undefined && options.onReadable ? options.onReadable : undefined;
    const onWritable = options.transmit !== undefined && options.onWritable ? options.onWritable : undefined;
    uart.attachApp({
      onReadable: onReadable && ((n: number) => onReadable.call(self, n)),
      onWritable: onWritable && ((n: number) => onWritable.call(self, n)),
    }, baud);
    this.uart = uart;
  }

  get format(): "number" | "buffer" {
    return this.fmt;
  }

  set format(value: "number" | "buffer") {
    if (value !== "number" && value !== "buffer") throw new RangeError("unimplemented");
    this.fmt = value;
  }

  /**
   * Bytes of the board's interrupt-filled receive ring beyond the FIFO (the "ring" UART model; what the
   * native module src/native/uart-ring.c reports on a device), or undefined for the plain FIFO.
   */
  get receiveBuffer(): number | undefined {
    const n = this.uart?.ringSize ?? 0;
    return n > 0 ? n : undefined;
  }

  /** Resolution of read/write values in bits. */
  get resolution(): number {
    return 8;
  }

  private open(): SimUart {
    if (this.uart === null) throw new Error("closed");
    return this.uart;
  }

  read(arg?: number | BufferSource): number | ArrayBuffer | undefined {
    const uart = this.open();
    if (this.fmt === "number") return uart.readByte();
    if (arg === undefined) return uart.readAll();
    if (typeof arg === "number") {
      if (!(arg > 0)) throw new Error("invalid");
      return uart.readCount(arg);
    }
    const dst = bytesOf(arg);
    if (dst.length === 0) throw new Error("invalid");
    return uart.readInto(dst);
  }

  write(value: number | BufferSource): void {
    const uart = this.open();
    if (this.fmt === "number") {
      uart.write(Uint8Array.of(Number(value) & 0xff));
      return;
    }
    if (typeof value === "number") throw new TypeError("buffer required");
    uart.write(bytesOf(value));
  }

  flush(): void {
    // Nothing is buffered outside the FIFOs.
  }

  set(_options: Record<string, unknown>): void {
    // DTR/RTS/break have no effect on the simulated wire.
  }

  close(): void {
    if (this.uart !== null) this.uart.detachApp();
    this.uart = null;
  }
}
