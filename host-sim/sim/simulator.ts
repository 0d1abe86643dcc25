// startSimulator(): a simulated board running the device app (src/main.ts, unchanged) behind either a
// real pseudo-terminal (the PC side opens `path` with serialport) or an in-process port (fast tests).
//
// engine "node": the bundle dist/sim/device-node.js runs in this process on a SimBoard (board.ts).
// engine "xs":   the bundle dist/xs/device.js runs inside the real XS engine (xsnap-worker); the UART model
//                stays here and bytes, timers and trace are relayed (xs-board.ts).
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import { SimBoard, type SimUart, type UartStats, type UartModel } from "./board";
import { WallClock, type Clock } from "./clock";
import type { CostModel } from "./cost";
import { openPty, type PtyPair } from "./pty";
import { NodeRunner, packageFile, type DeviceRunner } from "./runner";
import { createXsRunner } from "./xs-board";
import { SimFlash } from "./flash";
import { replayConfig } from "./imu-file";
import type { SensorConfig } from "../../src/app/sensor-config";

export { packageFile, type DeviceRunner } from "./runner";

export type Engine = "node" | "xs";

export interface SimulatorOptions {
  engine?: Engine;
  /** Line rate of the simulated UART (default: the manifest's config.serial.baud, else 921600). */
  baud?: number;
  /** true (default): expose the board on a pseudo-terminal; false: an in-process port. */
  pty?: boolean;
  /**
   * The clock (default: wall time). With a VirtualClock the run is deterministic; drive it with
   * clock.run() (host-sim/sim/clock.ts). The pty mode needs wall time.
   */
  clock?: Clock;
  /** What the device's work costs in time (default "esp32": host-sim/sim/cost.ts); "zero": no time at all. */
  cost?: "esp32" | "zero" | Partial<CostModel>;
  /** Every device turn lasts this many times what the cost model says (default 1). */
  cpuSlowdown?: number;
  /**
   * The UART's receive path ("fifo": the 128-byte FIFO only, the default; "ring": plus an interrupt-driven
   * receive ring of ringSize bytes), the USB round trip (default: 4 ms on a virtual clock, 0 on wall
   * time, where the pty adds its own) and the bridge's buffer (host-sim/sim/uart.ts).
   */
  uart?: UartModel;
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
  /** The device's receive frame limit in bytes (overrides the manifest's config.serial.maxFrame). */
  maxFrame?: number;
  /** The largest frame the device sends (overrides the manifest's config.serial.txMaxFrame). */
  txMaxFrame?: number;
  /** Free heap the board reports (bytes; default board.ts FREE_MEMORY; 0: unknown, like a release build). */
  freeMemory?: number;
  /** The model budget in bytes (overrides the manifest's config.model.budget). */
  modelBudget?: number;
  /** A CSV recording the board's IMU replays, one row per sample (host-sim/sim/imu-file.ts); default: no IMU. */
  imu?: string;
  /** Settings over the manifest's config.sensor, e.g. { mode: "infer", label: "wave", button: { pin: 0 } }. */
  sensor?: SensorConfig;
}

/** The USB round trip the simulator assumes on a virtual clock (a pty measured 3-8 ms, like a USB-UART bridge). */
export const DEFAULT_USB_ROUND_TRIP_MS = 4;

/**
 * Bytes on their way from the PC to the board's bridge. The bridge takes only what it has room for
 * (SimUart.receiveFromPeer); the rest waits here, on the PC's side (the OS buffer of a real port), and is
 * offered again when the wire has made room. `onBlocked`/`onFlowing` let a pty stop being read meanwhile.
 */
class PcToBoard {
  private readonly queue: Uint8Array[] = [];
  private retry: number | null = null;
  queued = 0;

  constructor(private readonly clock: Clock, private readonly uart: () => SimUart, private readonly onBlocked: () => void,
    private readonly onFlowing: () => void) {}

  /** Returns true when the board's bridge took everything at once. */
  push(bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    this.queue.push(bytes);
    this.queued += bytes.length;
    this.feed();
    return this.queued === 0;
  }

  feed(): void {
    const wasBlocked = this.retry !== null;
    if (this.retry !== null) this.clock.clearTimer(this.retry);
    this.retry = null;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = this.uart().receiveFromPeer(head);
      this.queued -= n;
      if (n === head.length) {
        this.queue.shift();
        continue;
      }
      this.queue[0] = head.subarray(n);
      const wait = Math.max(this.uart().msUntilSpace(Math.min(head.length - n, 256)), 0.5);
      this.retry = this.clock.setTimer(() => this.feed(), wait);
      if (!wasBlocked) this.onBlocked();
      return;
    }
    if (wasBlocked) this.onFlowing();
  }

  clear(): void {
    if (this.retry !== null) this.clock.clearTimer(this.retry);
    this.retry = null;
    this.queue.length = 0;
    this.queued = 0;
  }
}

/**
 * The PC end of an in-process link: write() bytes to the board, 'data' events (Buffer) from it. Like a
 * stream, write() returns false when the board's bridge could not take everything, and 'drain' follows.
 */
export class SimPort extends EventEmitter {
  /** @internal */ sink: ((bytes: Uint8Array) => boolean) | null = null;
  private closed = false;

  write(bytes: Uint8Array | ArrayLike<number>): boolean {
    if (this.closed) throw new Error("port is closed");
    const b = bytes instanceof Uint8Array ? bytes.slice() : Uint8Array.from(bytes);
    return this.sink?.(b) ?? true;
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
  /** UART statistics of the app's port: rxOverflow counts bytes the receive buffer dropped. */
  stats(): UartStats;
  /** The UART model in use (receive path, ring size, USB round trip, bridge buffer). */
  uart: Required<UartModel>;
  /** Bytes the PC has written that wait on its side for room in the bridge. */
  pcBacklog(): number;
  /** Exceptions that escaped the device app. */
  crashes(): unknown[];
  /**
   * Power-cycles the board: FIFOs emptied, ROM boot text on the wire, the flash powered again (after a
   * SimFlash.cutPowerAfter), the app starts again (new boot nonce) and restores its newest checkpoint.
   */
  reset(): Promise<void>;
  /** The checkpoint flash partition (null when the board runs without one), e.g. to cut power mid-write. */
  flash(): SimFlash | null;
  /** Press (true) or release the learn button (config.sensor.button: its pin goes to 0 while pressed when activeLow). */
  button(pressed: boolean): void;
  /** Drive GPIO input `pin` to `level` from outside (kept across resets, like a wire). */
  drivePin(pin: number, level: number): void;
  stop(): Promise<void>;
}

/** Text the ESP32 ROM prints on UART0 at power-on (at 115200 baud: garbage to a 921600 receiver). */
export const BOOT_TEXT = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n" +
  "configsip: 0, SPIWP:0xee\r\nclk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n" +
  "mode:DIO, clock div:2\r\nload:0x3fff0030,len:7000\r\nentry 0x40078fb4\r\n";

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

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const engine: Engine = options.engine ?? "node";
  if (engine !== "node" && engine !== "xs") throw new Error(`unknown engine "${String(engine)}" (node or xs)`);
  const { config, port: uartPort, baud } = deviceConfig(options.baud);
  if (options.checkpointEvery !== undefined) {
    config.checkpoint = { ...(config.checkpoint as Record<string, unknown> | undefined), every: options.checkpointEvery };
  }
  if (options.rxWindow !== undefined) config.serial = { ...(config.serial as Record<string, unknown>), rxWindow: options.rxWindow };
  if (options.maxFrame !== undefined) config.serial = { ...(config.serial as Record<string, unknown>), maxFrame: options.maxFrame };
  if (options.txMaxFrame !== undefined) config.serial = { ...(config.serial as Record<string, unknown>), txMaxFrame: options.txMaxFrame };
  if (options.modelBudget !== undefined) config.model = { ...(config.model as Record<string, unknown>), budget: options.modelBudget };
  if (options.sensor !== undefined) config.sensor = { ...(config.sensor as SensorConfig | undefined), ...options.sensor };
  if (options.imu !== undefined) config.sensor = replayConfig(options.imu, (config.sensor ?? {}) as SensorConfig);
  if (!(baud >= 300 && baud <= 20000000)) throw new Error(`baud must be 300..20000000, got ${baud}`);
  const usePty = options.pty ?? true;
  const clock = options.clock ?? new WallClock();
  if (usePty && clock.virtual) throw new Error("a pty runs on wall time: use pty: false with a virtual clock");
  const uartModel: Required<UartModel> = {
    receive: options.uart?.receive ?? "fifo",
    ringSize: options.uart?.receive === "ring" ? options.uart.ringSize ?? 4096 : 0,
    usbRoundTripMs: options.uart?.usbRoundTripMs ?? (clock.virtual ? DEFAULT_USB_ROUND_TRIP_MS : 0),
    bridgeBuffer: options.uart?.bridgeBuffer ?? 1024,
  };

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
  const pins = new Map<number, number>();
  if (options.flashFile !== null) {
    const name = String((config.checkpoint as { partition?: string } | undefined)?.partition ?? "storage");
    partitions.set(name, new SimFlash(options.flashFile ?? null));
  }

  const runner: DeviceRunner = engine === "xs" ? await createXsRunner() : new NodeRunner();
  let board: SimBoard;
  let uart: SimUart;
  const pcSide = new PcToBoard(clock, () => uart, () => pty?.pause(), () => {
    pty?.resume();
    port?.emit("drain");
  });
  pty?.onData((bytes) => void pcSide.push(bytes.slice()));
  if (port) port.sink = (bytes) => pcSide.push(bytes);

  const newBoard = (): void => {
    board = new SimBoard({ baud, clock, cost: options.cost, cpuSlowdown: options.cpuSlowdown, uart: uartModel, config, trace: options.trace, partitions, freeMemory: options.freeMemory, pins });
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
    uart: uartModel,
    pcBacklog: () => pcSide.queued,
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
    button(pressed) {
      const b = (config.sensor as SensorConfig | undefined)?.button;
      if (b === undefined || typeof b.pin !== "number") throw new Error("the simulated board has no button (config.sensor.button.pin)");
      const low = b.activeLow !== false;
      board.drivePin(b.pin, pressed === low ? 0 : 1);
    },
    drivePin(pin, level) {
      board.drivePin(pin, level);
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
      pcSide.clear();
      await runner.stop();
      pty?.close();
      port?.close();
    },
  };
}
