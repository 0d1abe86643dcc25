// `tinyprop sim`: a simulated board on a pseudo-terminal, running the device app unchanged.
import type { Command } from "./command";
import { linkOptions } from "./options";
import { onShutdown, untilSignal } from "../lifecycle";
import { startSimulator, type Engine, type Simulator } from "../sim/simulator";
import { DEFAULT_COLUMNS, DEFAULT_FIELDS, sensorSettings, type SensorConfig } from "../../src/app/sensor-config";
import { UsageError } from "../args";

export { startSimulator } from "../sim/simulator";
export type { Simulator, SimulatorOptions, SimPort } from "../sim/simulator";

export const simCommand: Command = {
  name: "sim",
  summary: "start a simulated ESP32 running the device app on a pseudo-terminal; prints its device path",
  options: {
    engine: { type: "string", value: "NAME", help: "the simulated board's JavaScript engine", choices: ["node", "xs"], default: "node" },
    baud: { ...linkOptions.baud, default: undefined, help: "line rate of the simulated UART (default: the device's manifest setting)" },
    slowdown: { type: "number", value: "X", help: "the device takes X times the ESP32 cost model's time for its work (0: no time at all; docs/simulator.md)", default: 1, min: 0, max: 10000 },
    ring: { type: "number", value: "BYTES", help: "the board's UART has an interrupt-filled receive ring of this size (0: the 128-byte FIFO only; docs/native-uart.md)", default: 0, min: 0, max: 1048576 },
    "reset-every": { type: "number", value: "MS", help: "power-cycle the board every MS milliseconds (0: never); SIGUSR1 or \"reset\" on stdin does it once", default: 0, min: 0, max: 86400000 },
    trace: { type: "flag", help: "print the device's trace output on stderr" },
    imu: { type: "string", value: "FILE", help: "give the board an IMU (MPU-6050 stand-in) that replays this CSV's sensor columns (aX..gZ unless --sensor-columns), one row per sample (for record, learn, watch)" },
    "sensor-columns": { type: "string", value: "A,B,...", help: "the board's sensor column names, taking the MPU-6050's readings in order: accelerometer x, y, z (in g), gyroscope x, y, z (deg/s) (overrides config.sensor.columns; default aX,aY,aZ,gX,gY,gZ)" },
    "sensor-scales": { type: "string", value: "S,S,...", help: "per sensor column, driver unit -> column unit (1 keeps the driver's m/s^2 and deg/s; default 1/9.80665 for acceleration in g, 1 for rotation)" },
    "sensor-hz": { type: "number", value: "HZ", help: "the board's sampling rate (overrides config.sensor.hz)", min: 1, max: 1000 },
    mode: { type: "string", value: "MODE", help: "what the board does with its IMU's windows from boot, with no host (overrides config.sensor.mode)", choices: ["off", "record", "learn", "infer"] },
    label: { type: "string", value: "NAME", help: "learn mode's class and the button's first one (overrides config.sensor.label)" },
    button: { type: "number", value: "PIN", help: "give the board a learn button on this GPIO (overrides config.sensor.button.pin); \"press\" / \"release\" on stdin work it", min: 0, max: 39 },
  },
  async run(args) {
    const engine = args.string("engine") as Engine;
    const stopWaiting = untilSignal(); // Ctrl-C from here on stops the board cleanly
    const sim = await startSimulator({
      engine, baud: args.optionalNumber("baud"), pty: true, cpuSlowdown: args.number("slowdown"),
      uart: args.number("ring") > 0 ? { receive: "ring", ringSize: Math.floor(args.number("ring")) } : undefined,
      trace: args.flag("trace") ? (text) => process.stderr.write(`[device] ${text}`) : undefined,
      imu: args.optionalString("imu"),
      sensor: sensorOverrides({
        mode: args.optionalString("mode"), label: args.optionalString("label"), pin: args.optionalNumber("button"),
        columns: args.optionalString("sensor-columns"), scales: args.optionalString("sensor-scales"), hz: args.optionalNumber("sensor-hz"),
      }),
    });
    const unregister = onShutdown(() => sim.stop());
    console.log(sim.path);
    const ring = sim.uart.ringSize;
    console.error(`simulated board (${engine} engine, ${sim.baud} baud${ring > 0 ? `, ${ring}-byte receive ring` : ""}) on ${sim.path}; ` +
      `pid ${process.pid}: SIGUSR1 or "reset" on stdin power-cycles it; "press" / "release" work its button; Ctrl-C to stop`);
    const stopPowerCycles = powerCycles(sim, args.number("reset-every"));
    await stopWaiting;
    stopPowerCycles();
    unregister();
    const st = sim.stats();
    await sim.stop();
    console.error(`stopped: ${st.rxBytes} bytes in, ${st.txBytes} out, ${st.rxOverflow} lost to FIFO overflow`);
    return 0;
  },
};

/** config.sensor settings from the command line (undefined: the manifest's). */
export function sensorOverrides(a: { mode?: string; label?: string; pin?: number; columns?: string; scales?: string; hz?: number }): SensorConfig | undefined {
  const o: SensorConfig = {};
  if (a.mode !== undefined) o.mode = a.mode;
  if (a.label !== undefined) o.label = /^\d+$/.test(a.label) ? Number(a.label) : a.label;
  if (a.pin !== undefined) o.button = { pin: a.pin };
  if (a.hz !== undefined) o.hz = a.hz;
  if (a.columns !== undefined) {
    const names = a.columns.split(",").map((c) => c.trim());
    if (names.some((n) => n === "") || names.length > DEFAULT_FIELDS.length) {
      throw new UsageError(`--sensor-columns ${a.columns}: 1 to ${DEFAULT_FIELDS.length} names, comma-separated (the MPU-6050's readings in order)`);
    }
    // The manifest's fields and scales belong to its own columns: take the defaults for these.
    const { fields, scales } = sensorSettings({ columns: names });
    Object.assign(o, { columns: names, fields, scales });
  }
  if (a.scales !== undefined) {
    const n = (o.columns ?? DEFAULT_COLUMNS).length;
    const scales = a.scales.split(",").map((x) => Number(x.trim()));
    if (scales.length !== n || scales.some((x) => !Number.isFinite(x) || x === 0)) {
      throw new UsageError(`--sensor-scales ${a.scales}: one non-zero number per sensor column (${n}: ${(o.columns ?? DEFAULT_COLUMNS).join(",")})`);
    }
    o.scales = scales;
  }
  return Object.keys(o).length > 0 ? o : undefined;
}

/**
 * Power cycles and the button from outside: SIGUSR1, a "reset" line on stdin, every `everyMs` (0: never);
 * "press" / "release" lines on stdin press and release the board's learn button. Returns the undo.
 */
function powerCycles(sim: Simulator, everyMs: number): () => void {
  let busy = false;
  const cycle = (why: string): void => {
    if (busy) return;
    busy = true;
    console.error(`power cycle (${why})`);
    sim.reset().catch((err: unknown) => console.error(`reset failed: ${err instanceof Error ? err.message : String(err)}`)).finally(() => {
      busy = false;
    });
  };
  const onSignal = (): void => cycle("SIGUSR1");
  process.on("SIGUSR1", onSignal);
  let line = "";
  const onStdin = (chunk: Buffer): void => {
    line += chunk.toString("utf8");
    for (let nl = line.indexOf("\n"); nl >= 0; nl = line.indexOf("\n")) {
      const cmd = line.slice(0, nl).trim();
      line = line.slice(nl + 1);
      if (cmd === "reset") cycle("stdin");
      else if (cmd === "press" || cmd === "release") pressButton(sim, cmd === "press");
      else if (cmd !== "") console.error(`unknown command "${cmd}" (type "reset" to power-cycle the board, "press" or "release" for its button)`);
    }
  };
  process.stdin.on("data", onStdin);
  const timer = everyMs > 0 ? setInterval(() => cycle(`every ${everyMs} ms`), everyMs) : null;
  return () => {
    process.off("SIGUSR1", onSignal);
    process.stdin.off("data", onStdin);
    process.stdin.pause();
    if (timer !== null) clearInterval(timer);
  };
}

function pressButton(sim: Simulator, pressed: boolean): void {
  try {
    sim.button(pressed);
    console.error(pressed ? "button pressed" : "button released");
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
  }
}
