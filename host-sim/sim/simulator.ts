// startSimulator(): a simulated board running the device app (src/main.ts, unchanged) behind either a
// real pseudo-terminal (the PC side opens `path` with serialport) or an in-process port (fast tests).
//
// engine "node": the bundle dist/sim/device-node.js runs in this process on a SimBoard (board.ts).
// engine "xs":   the bundle dist/xs/device.js runs inside the real XS engine (xsnap-worker); the UART model
//                stays here and bytes, timers and trace are relayed (xs-board.ts).
import { EventEmitter } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SimBoard, type SimUart, type UartStats } from "./board";
import { openPty, type PtyPair } from "./pty";
import { createXsRunner } from "./xs-board";
import { SimFlash } from "./flash";

export type Engine = "node" | "xs";

export interface SimulatorOptions {
  engine?: Engine;
  /** Line rate of the simulated UART (default: the manifest's config.serial.baud, else 921600). */
  baud?: number;
  /** true (default): expose the board on a pseudo-terminal; false: an in-process port. */
  pty?: boolean;
  /** Wire time per device turn = real time x cpuSlowdown (models the ESP32 being slower). Default 1. */
  cpuSlowdown?: number;
  /** Device trace() output (default: dropped). */
  trace?: (text: string) => void;
  /**
   * The checkpoint flash partition: a file to keep it in (survives simulator restarts), null for none
   * (the device then runs without checkpoints), or undefined (default) for one in memory, which survives
   * reset() like a real board's flash.
   */
  flashFile?: string | null;
  /** Checkpoint every this many trained batches (overrides the manifest's config.checkpoint.every). */
  checkpointEvery?: number;
  /** The device's credit window in bytes (overrides the manifest's config.serial.rxWindow; see docs/protocol.md). */
  rxWindow?: number;
}

/** The PC end of an in-process link: write() bytes to the board, 'data' events (Buffer) from it. */
export class SimPort extends EventEmitter {
  /** @internal */ sink: ((bytes: Uint8Array) => void) | null = null;
  private closed = false;

  write(bytes: Uint8Array | ArrayLike<number>): boolean {
    if (this.closed) throw new Error("port is closed");
    const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    this.sink?.(b);
    return true;
  }

  /** @internal bytes from the board */
  push(bytes: Uint8Array): void {
    if (!this.closed) this.emit("data", Buffer.from(bytes));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit("close");
  }

  get isOpen(): boolean {
    return !this.closed;
  }
}

export interface Simulator {
  engine: Engine;
  baud: number;
  /** The pseudo-terminal's device path (pty: true). */
  path?: string;
  /** The in-process port (pty: false). */
  port?: SimPort;
  /** UART statistics of the app's port: rxOverflow counts bytes the 128-byte FIFO dropped. */
  stats(): UartStats;
  /** Exceptions that escaped the device app. */
  crashes(): unknown[];
  /**
   * Power-cycles the board: FIFOs emptied, ROM boot text on the wire, the flash powered again (after a
   * SimFlash.cutPowerAfter), the app starts again (new boot nonce) and restores its newest checkpoint.
   */
  reset(): Promise<void>;
  /** The checkpoint flash partition (null when the board runs without one), e.g. to cut power mid-write. */
  flash(): SimFlash | null;
  stop(): Promise<void>;
}

/** Something that can run the device app on a board: Node (this process) or XS. */
export interface DeviceRunner {
  /** Boots the app on a fresh board (runs main()). */
  boot(board: SimBoard): Promise<void>;
  stop(): Promise<void>;
}

/** Text the ESP32 ROM prints on UART0 at power-on (at 115200 baud: garbage to a 921600 receiver). */
export const BOOT_TEXT = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n" +
  "configsip: 0, SPIWP:0xee\r\nclk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n" +
  "mode:DIO, clock div:2\r\nload:0x3fff0030,len:7000\r\nentry 0x40078fb4\r\n";

/** Finds a file of this package (works from source and from dist/). */
export function packageFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, "..");
  }
  throw new Error(`${rel} not found: build it with npm run build`);
}

/** The manifest's "config" (what `mc/config` holds on the device), with the baud overridden. */
export function deviceConfig(baud?: number): { config: Record<string, unknown>; port: number; baud: number } {
  let config: Record<string, unknown> = {};
  try {
    const manifest = JSON.parse(readFileSync(packageFile("manifest.json"), "utf8")) as { config?: Record<string, unknown> };
    config = manifest.config ?? {};
  } catch {
    // defaults below
  }
  const serial = { port: 0, transmit: 1, receive: 3, baud: 921600, ...(config.serial as Record<string, unknown> | undefined) };
  if (baud !== undefined) serial.baud = baud;
  return { config: { ...config, serial }, port: Number(serial.port), baud: Number(serial.baud) };
}

class NodeRunner implements DeviceRunner {
  private main: (() => void) | null = null;

  async boot(board: SimBoard): Promise<void> {
    if (this.main === null) {
      const url = pathToFileURL(packageFile("dist/sim/device-node.js")).href;
      const mod = (await import(url)) as { main: () => void };
      this.main = mod.main;
    }
    const main = this.main;
    board.turn(() => main());
    if (board.crashes.length > 0) throw board.crashes[0] instanceof Error ? board.crashes[0] : new Error(String(board.crashes[0]));
  }

  async stop(): Promise<void> {
    // Nothing outside the board.
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const engine: Engine = options.engine ?? "node";
  if (engine !== "node" && engine !== "xs") throw new Error(`unknown engine "${String(engine)}" (node or xs)`);
  const { config, port: uartPort, baud } = deviceConfig(options.baud);
  if (options.checkpointEvery !== undefined) {
    config.checkpoint = { ...(config.checkpoint as Record<string, unknown> | undefined), every: options.checkpointEvery };
  }
  if (options.rxWindow !== undefined) config.serial = { ...(config.serial as Record<string, unknown>), rxWindow: options.rxWindow };
  if (!(baud >= 300 && baud <= 20000000)) throw new Error(`baud must be 300..20000000, got ${baud}`);
  const usePty = options.pty ?? true;

  let pty: PtyPair | null = null;
  let port: SimPort | undefined;
  let toPc: (bytes: Uint8Array) => void;
  if (usePty) {
    pty = openPty();
    const p = pty;
    toPc = (bytes) => {
      p.write(bytes);
    };
  } else {
    port = new SimPort();
    const p = port;
    toPc = (bytes) => p.push(bytes);
  }

  const partitions = new Map<string, SimFlash>();
  if (options.flashFile !== null) {
    const name = String((config.checkpoint as { partition?: string } | undefined)?.partition ?? "storage");
    partitions.set(name, new SimFlash(options.flashFile ?? null));
  }

  const runner: DeviceRunner = engine === "xs" ? await createXsRunner() : new NodeRunner();
  let board: SimBoard;
  let uart: SimUart;
  const fromPc = (bytes: Uint8Array): void => uart.receiveFromPeer(bytes);
  pty?.onData(fromPc);
  if (port) port.sink = fromPc;

  const newBoard = (): void => {
    board = new SimBoard({ baud, cpuSlowdown: options.cpuSlowdown, config, trace: options.trace, partitions });
    uart = board.uart(uartPort);
    uart.peer = { deliver: (bytes) => toPc(bytes) };
  };
  newBoard();
  try {
    await runner.boot(board!);
  } catch (err) {
    pty?.close();
    await runner.stop();
    throw err;
  }

  let stopped = false;
  const allStats = { rxBytes: 0, rxRead: 0, rxOverflow: 0, txBytes: 0, outputFull: 0, maxRxFifo: 0 };
  const accumulate = (s: UartStats): void => {
    for (const k of Object.keys(allStats) as (keyof UartStats)[]) {
      allStats[k] = k === "maxRxFifo" ? Math.max(allStats[k], s[k]) : allStats[k] + s[k];
    }
  };
  const crashes: unknown[] = [];
  return {
    engine,
    baud,
    path: pty?.path,
    port,
    stats() {
      const s = { ...allStats };
      const u = uart.stats;
      for (const k of Object.keys(s) as (keyof UartStats)[]) s[k] = k === "maxRxFifo" ? Math.max(s[k], u[k]) : s[k] + u[k];
      return s;
    },
    crashes() {
      return [...crashes, ...board.crashes];
    },
    flash() {
      return partitions.values().next().value ?? null;
    },
    async reset() {
      if (stopped) throw new Error("simulator stopped");
      accumulate(uart.stats);
      crashes.push(...board.crashes);
      board.stop();
      uart.purge();
      toPc(new TextEncoder().encode(BOOT_TEXT));
      for (const f of partitions.values()) f.restore();
      newBoard();
      await runner.boot(board);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      board.stop();
      await runner.stop();
      pty?.close();
      port?.close();
    },
  };
}
