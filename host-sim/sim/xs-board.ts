// engine "xs": the device app runs inside the real XS engine (xsnap-worker) as dist/xs/device.js. The
// board model (UART FIFOs, baud, turns) stays in Node; each app turn is one evaluate() of
// __sim.turn(kind, arg, count, rxFifoHex, txFree, now) and the app's writes, reads, timers and trace come
// back as print() lines (host-sim/sim/xs/relay.ts). The board charges the turn by the cost model, like a
// Node turn; on a virtual clock, time stands still until XS has answered (Clock.hold).
import { XsEngine } from "../xs/xsnap";
import type { SimBoard } from "./board";
import { packageFile, type DeviceRunner } from "./runner";

const KIND_BOOT = 0, KIND_READABLE = 1, KIND_WRITABLE = 2, KIND_TIMER = 3, KIND_PIN = 4;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

class XsRunner implements DeviceRunner {
  private engine: XsEngine | null = null;
  private board: SimBoard | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly timers = new Map<number, number>();
  private appPort = 0;
  private generation = 0;

  async boot(board: SimBoard): Promise<void> {
    await this.shutdown();
    const gen = ++this.generation;
    const engine = await board.clock.hold(XsEngine.start());
    await board.clock.hold(engine.loadFile(packageFile("dist/xs/device.js")));
    this.engine = engine;
    this.board = board;
    board.externalApp = true;
    const flash: Record<string, { hex: string; blockSize: number }> = {};
    for (const [name, p] of board.partitions) flash[name] = { hex: hex(new Uint8Array(p.read(0, p.byteLength))), blockSize: p.blockSize };
    await this.enqueue(gen, KIND_BOOT, 0, 0, JSON.stringify({ config: board.config, flash, ringSize: board.uart(0).ringSize, freeMemory: board.freeMemory, pins: Object.fromEntries(board.pins) }));
    if (board.crashes.length > 0) throw board.crashes[0] instanceof Error ? board.crashes[0] : new Error(String(board.crashes[0]));
  }

  private enqueue(gen: number, kind: number, arg: number, count: number, config?: string): Promise<void> {
    const run = this.chain.then(() => this.exec(gen, kind, arg, count, config));
    this.chain = run.catch(() => undefined);
    return this.board === null ? run : this.board.clock.hold(run);
  }

  private async exec(gen: number, kind: number, arg: number, count: number, config?: string): Promise<void> {
    const engine = this.engine, board = this.board;
    if (engine === null || board === null || gen !== this.generation || board.isStopped) return;
    const uart = board.uart(this.appPort);
    board.beginExternalTurn();
    let lines: string[] = [];
    try {
      const src = `__sim.turn(${kind},${arg},${count},"${hex(uart.peekFifo())}",${uart.txFree()},${Math.floor(board.wireNow())}${config === undefined ? "" : `,${JSON.stringify(config)}`})`;
      lines = await engine.run(src);
    } catch (err) {
      board.crashes.push(err);
      board.trace(`simulator: XS engine failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    if (gen === this.generation && !board.isStopped) {
      for (const line of lines) this.apply(gen, board, line);
      board.endExternalTurn();
    }
  }

  private apply(gen: number, board: SimBoard, line: string): void {
    const tag = line.slice(0, 2);
    const rest = line.slice(3);
    if (tag === "@W") {
      try {
        board.uart(this.appPort).write(Buffer.from(rest, "hex"));
      } catch {
        // the XS side checked against the free space at turn start; free space only grows
      }
    } else if (tag === "@R") {
      board.uart(this.appPort).consume(Number(rest));
    } else if (tag === "@T") {
      const [op, idText, interval, repeat] = rest.split(" ");
      const id = Number(idText);
      this.clearTimer(id);
      if (op === "s") this.setTimer(gen, id, Number(interval), Number(repeat));
    } else if (tag === "@O") {
      const [port, baud, r, w] = rest.split(" ").map(Number);
      this.appPort = port;
      board.uart(port).attachApp({
        onReadable: r ? (n) => void this.enqueue(gen, KIND_READABLE, port, n).catch(() => undefined) : undefined,
        onWritable: w ? (n) => void this.enqueue(gen, KIND_WRITABLE, port, n).catch(() => undefined) : undefined,
      }, baud);
    } else if (tag === "@F") {
      const [op, name, a, data] = rest.split(" ");
      const p = board.partitions.get(name);
      if (p && op === "e") p.erase(Number(a));
      else if (p && op === "w") p.write(Number(a), data.length >> 1, Buffer.from(data, "hex"));
      if (p) board.chargeFlash(op === "e" ? "erase" : "write", data === undefined ? 0 : data.length >> 1);
    } else if (tag === "@D") {
      const pin = Number(rest);
      board.watchPin(pin, (level) => void this.enqueue(gen, KIND_PIN, pin, level).catch(() => undefined));
    } else if (tag === "@L") {
      board.trace(JSON.parse(rest) as string);
    } else if (tag === "@X") {
      const message = JSON.parse(rest) as string;
      board.crashes.push(new Error(message));
      board.trace(`simulator: uncaught exception in device code (XS): ${message}\n`);
    } else {
      board.trace(line + "\n"); // the app's own print() output, if any
    }
  }

  private setTimer(gen: number, id: number, interval: number, repeat: number): void {
    const board = this.board;
    if (board === null) return;
    const fire = (): void => {
      if (repeat > 0) this.timers.set(id, board.clock.setTimer(fire, Math.max(1, repeat)));
      else this.timers.delete(id);
      board.whenIdle(() => void this.enqueue(gen, KIND_TIMER, id, 0).catch(() => undefined));
    };
    this.timers.set(id, board.clock.setTimer(fire, Math.max(0, interval)));
  }

  private clearTimer(id: number): void {
    const t = this.timers.get(id);
    if (t !== undefined) this.board?.clock.clearTimer(t);
    this.timers.delete(id);
  }

  private shutdown(): Promise<void> {
    const board = this.board;
    const done = this.shutdownNow();
    return board === null ? done : board.clock.hold(done);
  }

  private async shutdownNow(): Promise<void> {
    this.generation++;
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
    const engine = this.engine;
    this.engine = null;
    this.board = null;
    await this.chain.catch(() => undefined);
    if (engine) await engine.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.shutdown();
  }
}

export async function createXsRunner(): Promise<DeviceRunner> {
  return new XsRunner();
}
