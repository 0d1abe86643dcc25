// Byte ports: what the host link talks through. One interface, three implementations: a real serial
// port (the `serialport` npm package; also a pseudo-terminal's device path), an in-process pair for tests
// and benchmarks, and an adapter for any object that already has the same shape (the simulator's
// in-process port).
import { existsSync } from "node:fs";
import { SerialPort } from "serialport";

/** A bidirectional byte stream. Bytes arrive in order; a port never reorders. */
export interface BytePort {
  /** Queue bytes for transmission. The bytes may be copied or kept: callers must not reuse the array. */
  write(bytes: Uint8Array): void;
  /** Register the receiver. Chunks may be views into larger (shared) buffers: honour byteOffset. */
  onData(cb: (bytes: Uint8Array) => void): void;
  /** Called once when the port goes away (closed by us, unplugged, or failed); `err` when unexpected. */
  onClose(cb: (err?: Error) => void): void;
  close(): Promise<void>;
  /** Human-readable name for messages (a device path, "memory", ...). */
  readonly name: string;
}

/** The port does not exist, could not be opened, or disappeared. */
export class PortError extends Error {
  override name = "PortError";
  constructor(message: string, readonly path: string) {
    super(message);
  }
}

/** Opens a serial device (or a pseudo-terminal's slave path). Raw 8N1, no flow control. */
export async function openSerialPort(path: string, baudRate = 921600): Promise<BytePort> {
  if (!existsSync(path)) {
    throw new PortError(`serial port ${path} does not exist (is the board plugged in, or the simulator running? see \`tinyprop sim\`)`, path);
  }
  const sp = new SerialPort({ path, baudRate, dataBits: 8, stopBits: 1, parity: "none", rtscts: false, xon: false, xoff: false, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    sp.open((err) => (err ? reject(new PortError(`cannot open serial port ${path}: ${err.message}`, path)) : resolve()));
  });
  return new SerialBytePort(sp, path);
}

class SerialBytePort implements BytePort {
  private closeCbs: ((err?: Error) => void)[] = [];
  private closed = false;
  private closing = false;
  private lastError: Error | undefined;

  constructor(private readonly sp: SerialPort, readonly name: string) {
    sp.on("error", (err: Error) => {
      this.lastError = new PortError(`serial port ${name} failed: ${err.message}`, name);
      // A failed port is unusable; make sure 'close' follows.
      if (sp.isOpen) sp.close(() => this.fireClose());
      else this.fireClose();
    });
    sp.on("close", (err?: Error & { disconnected?: boolean }) => {
      if (err && !this.lastError) {
        this.lastError = new PortError(`serial port ${name} disappeared${err.disconnected ? " (disconnected)" : ""}: ${err.message}`, name);
      }
      this.fireClose();
    });
  }

  private fireClose(): void {
    if (this.closed) return;
    this.closed = true;
    const err = this.closing ? undefined : this.lastError ?? new PortError(`serial port ${this.name} closed unexpectedly`, this.name);
    for (const cb of this.closeCbs) cb(err);
  }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.sp.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  onData(cb: (bytes: Uint8Array) => void): void {
    this.sp.on("data", (b: Buffer) => cb(b));
  }

  onClose(cb: (err?: Error) => void): void {
    this.closeCbs.push(cb);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      if (!this.sp.isOpen) return resolve();
      this.sp.drain(() => this.sp.close(() => resolve()));
    });
    this.fireClose();
  }
}

export interface MemoryPortOptions {
  /** Line rate in baud (10 bits per byte, 8N1); 0 = instantaneous. Applies to both directions. */
  baud?: number;
}

/**
 * Two connected ports (a null-modem cable in memory). With `baud`, each direction delivers bytes no faster
 * than the line rate would, in ~1 ms slices, like a UART.
 */
export function memoryPortPair(options: MemoryPortOptions = {}): [BytePort, BytePort] {
  const a = new MemoryPort("memory:a", options.baud ?? 0);
  const b = new MemoryPort("memory:b", options.baud ?? 0);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryPort implements BytePort {
  peer: MemoryPort | undefined;
  private dataCbs: ((b: Uint8Array) => void)[] = [];
  private closeCbs: ((err?: Error) => void)[] = [];
  private closed = false;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private lineFreeAt = 0; // ms timestamp when the line finishes what has been sent so far

  constructor(readonly name: string, private readonly baud: number) {}

  write(bytes: Uint8Array): void {
    if (this.closed || !this.peer || bytes.length === 0) return;
    const copy = bytes.slice();
    if (this.baud <= 0) {
      const peer = this.peer;
      queueMicrotask(() => peer.deliver(copy));
      return;
    }
    this.queue.push(copy);
    this.queued += copy.length;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queued === 0) return;
    const now = performance.now();
    if (this.lineFreeAt < now) this.lineFreeAt = now;
    this.timer = setTimeout(() => this.flush(), 1);
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || !this.peer) return;
    const now = performance.now();
    const bytesPerMs = this.baud / 10 / 1000;
    // Everything the line could have carried since it became busy.
    let budget = Math.floor((now - this.lineFreeAt) * bytesPerMs);
    if (budget <= 0) budget = 1;
    let sent = 0;
    while (this.queue.length > 0 && budget > 0) {
      const head = this.queue[0]!;
      const n = Math.min(budget, head.length);
      this.peer.deliver(head.subarray(0, n));
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
      budget -= n;
      sent += n;
    }
    this.queued -= sent;
    this.lineFreeAt += sent / bytesPerMs;
    this.schedule();
  }

  deliver(bytes: Uint8Array): void {
    if (this.closed) return;
    for (const cb of this.dataCbs) cb(bytes);
  }

  onData(cb: (bytes: Uint8Array) => void): void {
    this.dataCbs.push(cb);
  }

  onClose(cb: (err?: Error) => void): void {
    this.closeCbs.push(cb);
  }

  /** Simulate the cable being pulled: both ends see an unexpected close. */
  unplug(): void {
    const err = new PortError(`${this.name} disappeared`, this.name);
    this.shut(err);
    this.peer?.shut(new PortError(`${this.peer.name} disappeared`, this.peer.name));
  }

  shut(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const cb of this.closeCbs) cb(err);
  }

  async close(): Promise<void> {
    this.shut();
  }
}

/** Pull the plug on a memory port (test helper); no-op for other ports. */
export function unplug(port: BytePort): void {
  if (port instanceof MemoryPort) port.unplug();
}

/** Anything with write + a data callback (e.g. the simulator's in-process port) as a BytePort. */
export interface PortLike {
  write(bytes: Uint8Array): unknown;
  onData?(cb: (bytes: Uint8Array) => void): unknown;
  on?(event: "data" | "close", cb: (bytes: Uint8Array) => void): unknown;
  close?(): unknown;
  onClose?(cb: (err?: Error) => void): unknown;
}

export function asBytePort(port: PortLike | BytePort, name = "in-process"): BytePort {
  if ("name" in port && typeof port.onClose === "function" && typeof port.onData === "function" && typeof port.close === "function") return port as BytePort;
  const p = port as PortLike;
  const closeCbs: ((err?: Error) => void)[] = [];
  let closed = false;
  let closing = false;
  const fire = (err?: Error) => {
    if (closed) return;
    closed = true;
    for (const cb of closeCbs) cb(closing ? undefined : err);
  };
  if (typeof p.onClose === "function") p.onClose(fire);
  else if (typeof p.on === "function") p.on("close", () => fire(new PortError(`${name} closed`, name)));
  return {
    name,
    write: (bytes) => {
      if (!closed) p.write(bytes);
    },
    onData: (cb) => {
      if (typeof p.onData === "function") p.onData(cb);
      else if (typeof p.on === "function") p.on("data", cb);
      else throw new TypeError("port has neither onData nor on('data')");
    },
    onClose: (cb) => {
      closeCbs.push(cb);
    },
    close: async () => {
      closing = true;
      if (typeof p.close === "function") await p.close();
      fire();
    },
  };
}
