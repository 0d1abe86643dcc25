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

/**
 * The sensor's settings with defaults filled in. Columns without `fields` take the MPU-6050's readings in
 * order (accelerometer x, y, z, then gyroscope x, y, z), and without `scales` those readings' defaults, so
 * a 3-axis pipeline needs only `columns`.
 */
export function sensorSettings(c: SensorConfig): SensorSettings {
  const columns = c.columns ?? DEFAULT_COLUMNS;
  return {
    hz: typeof c.hz === "number" ? c.hz : 119,
    columns,
    fields: c.fields ?? DEFAULT_FIELDS.slice(0, columns.length),
    scales: c.scales ?? DEFAULT_SCALES.slice(0, columns.length),
  };
}

/** What is wrong with the settings, or "" (the board then runs without its sensor and says why). */
export function sensorSettingsError(s: SensorSettings): string {
  const C = s.columns.length;
  if (C < 1 || C > 255) return "config.sensor.columns needs 1 to 255 names";
  if (s.fields.length !== C) return "config.sensor.fields has " + s.fields.length + " entries for " + C + " columns (the MPU-6050 gives 6 readings)";
  if (s.scales.length !== C) return "config.sensor.scales has " + s.scales.length + " entries for " + C + " columns";
  for (let k = 0; k < C; k++) {
    const f = s.fields[k];
    if (typeof f !== "string" || f.indexOf(".") < 1) return "config.sensor.fields: \"" + String(f) + "\" is not group.axis (e.g. accelerometer.x)";
    if (!(typeof s.scales[k] === "number" && Number.isFinite(s.scales[k]) && s.scales[k] !== 0)) return "config.sensor.scales: " + String(s.scales[k]) + " is not a finite non-zero number";
  }
  if (!(typeof s.hz === "number" && s.hz > 0 && s.hz <= 1000)) return "config.sensor.hz: " + String(s.hz) + " is not 1 to 1000 samples per second";
  return "";
}

/** Opens the configured sensor, or returns null (no "sensor" settings, driver "", or the sensor failed). */
export function openSensor(c: SensorConfig, bus: unknown, Driver: unknown, log: (text: string) => void): { driver: SensorDriver; settings: SensorSettings } | null {
  if (Object.keys(c).length === 0 || c.driver === "") return null;
  if (c.driver !== undefined && c.driver !== "mpu6050") {
    log("sensor: unknown driver " + c.driver);
    return null;
  }
  const settings = sensorSettings(c);
  const wrong = sensorSettingsError(settings);
  if (wrong !== "") {
    log("sensor off: " + wrong);
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
    log("sensor: mpu6050 at " + settings.hz + " Hz, columns " + settings.columns.join(","));
    return { driver, settings };
  } catch (e) {
    log("sensor off: " + String(e));
    return null;
  }
}
