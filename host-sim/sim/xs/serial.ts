// `embedded:io/serial` inside XS for the simulator: see relay.ts.
import { relay, print } from "./relay";

type Callback = (this: Serial, count: number) => void;
type BufferSource = ArrayBuffer | ArrayBufferView;

function bytesOf(b: BufferSource): Uint8Array {
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export default class Serial {
  private fmt: string;
  private open = true;
  target: unknown;

  constructor(options: { port?: number; receive?: number; transmit?: number; baud: number; format?: string; onReadable?: Callback; onWritable?: Callback; target?: unknown }) {
    if (options.receive === undefined && options.transmit === undefined) throw new Error("invalid");
    const baud = Number(options.baud);
    if (!(baud > 0 && baud <= 20000000)) throw new RangeError("invalid baud");
    const port = options.port ?? 0;
    if (!(port >= 0 && port <= 2)) throw new RangeError("invalid port");
    if (relay.ports[port]) throw new RangeError("port in use");
    this.fmt = options.format ?? "number";
    if (this.fmt !== "number" && this.fmt !== "buffer") throw new RangeError("invalid format");
    this.target = options.target;
    const self = this;
    const r = options.receive !== undefined ? options.onReadable : undefined;
    const w = options.transmit !== undefined ? options.onWritable : undefined;
    relay.ports[port] = {
      onReadable: r && ((n: number) => r.call(self, n)),
      onWritable: w && ((n: number) => w.call(self, n)),
    };
    print("@O " + port + " " + baud + " " + (r ? 1 : 0) + " " + (w ? 1 : 0));
  }

  /** The board's receive ring beyond the FIFO (see host-sim/sim/serial.ts), or undefined. */
  get receiveBuffer(): number | undefined {
    return relay.ringSize > 0 ? relay.ringSize : undefined;
  }

  get format(): string {
    return this.fmt;
  }

  set format(v: string) {
    if (v !== "number" && v !== "buffer") throw new RangeError("unimplemented");
    this.fmt = v;
  }

  read(arg?: number | BufferSource): number | ArrayBuffer | undefined {
    if (!this.open) throw new Error("closed");
    if (this.fmt === "number") {
      const one = new Uint8Array(1);
      return relay.read(one) ? one[0] : undefined;
    }
    if (arg === undefined || typeof arg === "number") {
      const n = arg === undefined ? relay.available() : Math.min(arg, relay.available());
      if (n <= 0) {
        relay.read(new Uint8Array(0));
        return undefined;
      }
      const out = new Uint8Array(n);
      relay.read(out);
      return out.buffer;
    }
    return relay.read(bytesOf(arg));
  }

  write(value: number | BufferSource): void {
    if (!this.open) throw new Error("closed");
    if (typeof value === "number") relay.write(Uint8Array.of(value & 0xff));
    else relay.write(bytesOf(value));
  }

  flush(): void {}

  set(_options: unknown): void {}

  close(): void {
    this.open = false;
  }
}
