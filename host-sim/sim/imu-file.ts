// A CSV recording as the simulated IMU's replay (imu-replay.ts): the sensor's columns (manifest config
// "sensor", default aX..gZ in g and deg/s) are read from the file and converted into the driver's units
// (the board multiplies them back by its configured scales), so the board computes from the recording.
import { readCsvFile } from "../data/csv";
import { sensorSettings, sensorSettingsError, type SensorConfig } from "../../src/app/sensor-config";
import type { ReplayConfig } from "./imu-replay";

/** The board config's "sensor" block with a replay of `file` (a label column, if any, is ignored). */
export function replayConfig(file: string, sensor: SensorConfig = {}): SensorConfig & { replay: ReplayConfig } {
  const settings = sensorSettings(sensor);
  const { columns, fields, scales } = settings;
  const wrong = sensorSettingsError(settings);
  if (wrong !== "") throw new Error(`--imu ${file}: ${wrong}`);
  const table = readCsvFile(file, { columns, columnsSetting: `--imu ${file}: the board's sensor columns ${columns.join(",")} (config.sensor.columns)` });
  const rows: number[] = new Array<number>(table.values.length);
  const C = columns.length;
  for (let i = 0; i < rows.length; i++) rows[i] = table.values[i]! / scales[i % C]!;
  return { driver: "mpu6050", ...sensor, replay: { fields, rows } };
}
