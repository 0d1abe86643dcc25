// Inside XS (xsnap-worker): the device app's view of the board, relayed to the simulator in Node.
// XS cannot do I/O here, so every app turn is one evaluate() from Node — __sim.turn(...) — carrying the
// RX FIFO contents and the TX FIFO's free space; what the app did during the turn goes back as print()
// lines: "@W <hex>" bytes written, "@R <n>" bytes read, "@T s|c ..." timer set/clear, "@O ..." port opened, "@D <pin>" a pin watched,
// "@L <json>" trace text, "@X <json>" an exception that escaped the app. Date.now() is the board's time at
// the start of the turn. This code stands in for native
// code on the device, so it may allocate; the app's own code is unchanged.


export interface Callbacks {
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
}

const HEX = "0123456789abcdef";

class Relay {
  rx: Uint8Array = new Uint8Array(0);
  rxPos = 0;
  readCalled = false;
  txFree = 0;
  /** Bytes of the board's receive ring (0: FIFO only), from the boot payload. */
  ringSize = 0;
  /** The board's time at the start of the turn (ms). */
  now = 0;
  tx: string[] = [];
  ports: Callbacks[] = [];
  timers: (((t: unknown) => void) | null)[] = [];
  timerObjects: unknown[] = [];
  config: Record<string, unknown> = {};
  /** What the board's free-memory instrument reports (from the boot payload). */
  freeMemory = 0;
  flash: Record<string, { bytes: Uint8Array; blockSize: number }> = {};
  /** GPIO levels driven from outside (from the boot payload, then each change in a turn). */
  pins: Record<string, number> = {};
  pinWatchers: (((level: number) => void) | undefined)[] = [];

  begin(hexRx: string, txFree: number): void {
    const n = hexRx.length >> 1;
    const rx = new Uint8Array(n);
    for (let i = 0; i < n; i++) rx[i] = parseInt(hexRx.substr(2 * i, 2), 16);
    this.rx = rx;
    this.rxPos = 0;
    this.readCalled = false;
    this.txFree = txFree;
    this.tx = [];
  }

  end(): void {
    if (this.tx.length > 0) print("@W " + this.tx.join(""));
    if (this.readCalled) print("@R " + this.rxPos);
  }

  write(bytes: Uint8Array): void {
    if (bytes.length > this.txFree) throw new Error("output full");
    this.txFree -= bytes.length;
    let s = "";
    for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
    this.tx.push(s);
  }

  read(dst: Uint8Array): number | undefined {
    this.readCalled = true;
    const left = this.rx.length - this.rxPos;
    if (left <= 0) return undefined;
    const n = dst.length < left ? dst.length : left;
    for (let i = 0; i < n; i++) dst[i] = this.rx[this.rxPos + i];
    this.rxPos += n;
    return n;
  }

  available(): number {
    return this.rx.length - this.rxPos;
  }
}

export const relay = new Relay();

export function report(tag: string, value: unknown): void {
  print(tag + " " + JSON.stringify(value));
}

/** XS's global print(), looked up at call time. */
export function print(text: string): void {
  (globalThis as unknown as { print: (t: string) => void }).print(text);
}
