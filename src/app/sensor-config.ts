// The board's IMU from manifest.json config "sensor" (docs/sensor.md): which driver readings become which
// pipeline columns, in which units, at which rate. Runs once at boot; a missing or silent sensor leaves
// the board without one (CAPS says so) instead of stopping the app.
import type { HomeMode, SensorDriver, SensorSettings } from "./sensor-service";
import type { ButtonConfig } from "./sensor-button";
import { MODE_IDLE, MODE_INFER, MODE_LEARN, MODE_RECORD } from "../protocol/sensor";

export interface SensorConfig {
  /** "mpu6050" (default when the block has any setting), or "" for no sensor. */
  driver?: string;
  /** Samples per second (default 119, the bundled gestures' rate). */
  hz?: number;
  /** Column names (default aX, aY, aZ, gX, gY, gZ). */
  columns?: string[];
  /** Per column the driver reading "group.axis" (default the accelerometer's then the gyroscope's x, y, z). */
  fields?: string[];
  /** Per column driver unit -> column unit (default: m/s^2 -> g for the accelerometer, 1 for the gyroscope). */
  scales?: number[];
  /** I2C pins and address (defaults: the ESP32's usual data 21, clock 22, address 0x68, 400 kHz). */
  data?: number;
  clock?: number;
  port?: number;
  address?: number;
  hz_i2c?: number;
  /** What the board does with its windows from boot, with no host: "off" (default), "record", "learn", "infer". */
  mode?: string;
  /** Learn mode's class, and the button's first one: a class name of the model's pipeline, or its index (default 0). */
  label?: string | number;
  /** A learn button (sensor-button.ts): hold to learn the current class, a short press picks the next. */
  button?: ButtonConfig;
}

const MODE_NAMES = ["off", "record", "learn", "infer"];

/** config.sensor.mode and .label as the board's home mode ("off" and unknown names: none). */
export function homeMode(c: SensorConfig, log: (text: string) => void): HomeMode {
  const name = c.mode ?? "off";
  let mode = MODE_NAMES.indexOf(name);
  if (mode < 0) {
    log("sensor: unknown mode \"" + name + "\" in config.sensor.mode (off, record, learn or infer); off");
    mode = MODE_IDLE;
  }
  const label = typeof c.label === "number" || typeof c.label === "string" ? c.label : 0;
  return { mode: mode === 1 ? MODE_RECORD : mode === 2 ? MODE_LEARN : mode === 3 ? MODE_INFER : MODE_IDLE, label };
}

/** Standard gravity: the MPU-6050 driver reports m/s^2, the bundled data is in g. */
export const STANDARD_GRAVITY = 9.80665;
export const DEFAULT_COLUMNS = ["aX", "aY", "aZ", "gX", "gY", "gZ"];
export const DEFAULT_FIELDS = ["accelerometer.x", "accelerometer.y", "accelerometer.z", "gyroscope.x", "gyroscope.y", "gyroscope.z"];
export const DEFAULT_SCALES = [1 / STANDARD_GRAVITY, 1 / STANDARD_GRAVITY, 1 / STANDARD_GRAVITY, 1, 1, 1];

type DriverClass = new (options: { sensor: Record<string, unknown>; onError?: (message: string) => void }) => SensorDriver;

/** The sensor's settings with defaults filled in. */
export function sensorSettings(c: SensorConfig): SensorSettings {
  return {
    hz: typeof c.hz === "number" ? c.hz : 119,
    columns: c.columns ?? DEFAULT_COLUMNS,
    fields: c.fields ?? DEFAULT_FIELDS,
    scales: c.scales ?? DEFAULT_SCALES,
  };
}

/** Opens the configured sensor, or returns null (no "sensor" settings, driver "", or the sensor failed). */
export function openSensor(c: SensorConfig, bus: unknown, Driver: unknown, log: (text: string) => void): { driver: SensorDriver; settings: SensorSettings } | null {
  if (Object.keys(c).length === 0 || c.driver === "") return null;
  if (c.driver !== undefined && c.driver !== "mpu6050") {
    log("sensor: unknown driver " + c.driver);
    return null;
  }
  if (bus === null || Driver === null) {
    log("sensor off: this platform has no I2C (manifest.json maps board/imu to imu-none)");
    return null;
  }
  let failed = "";
  try {
    const sensor = {
      io: bus, data: c.data ?? 21, clock: c.clock ?? 22, port: c.port ?? 0, address: c.address ?? 0x68, hz: c.hz_i2c ?? 400000,
    };
    const driver = new (Driver as DriverClass)({ sensor, onError: (m) => { failed = m; } });
    if (failed !== "") throw new Error(failed);
    log("sensor: mpu6050 at " + (c.hz ?? 119) + " Hz");
    return { driver, settings: sensorSettings(c) };
  } catch (e) {
    log("sensor off: " + String(e));
    return null;
  }
}
