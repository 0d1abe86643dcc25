// The simulated board's IMU: behind the interface of Moddable's MPU-6050 driver (embedded:sensor/
// Accelerometer-Gyroscope/MPU6050: new MPU6050({ sensor }), sample() -> { accelerometer: {x,y,z},
// gyroscope: {x,y,z} }), it replays recorded rows, one per sample() call, so a board that samples from its
// timer at the configured rate replays the recording at that rate on the simulator's clock. The rows
// come from the board's config (config.sensor.replay, filled by the simulator from a CSV file: see
// replayConfig in simulator.ts). Without a replay it fails like a board without an IMU attached.
// Shared by the Node stand-in (mpu6050.ts) and the XS one (xs/mpu6050.ts): plain code, no Node APIs.

export interface ReplayConfig {
  /** Driver readings per row, "group.axis", in row order. */
  fields: string[];
  /** Row-major values in the driver's units. */
  rows: number[];
}

export class ReplayImu {
  /** sample() calls so far (the row replayed next is calls % rows). */
  calls = 0;
  private readonly groups: string[] = [];
  private readonly axes: string[] = [];
  private readonly rows: number[];
  private readonly width: number;

  constructor(replay: ReplayConfig | undefined, onError?: (message: string) => void) {
    if (replay === undefined || !Array.isArray(replay.rows) || replay.fields.length === 0 || replay.rows.length < replay.fields.length) {
      // The real driver reports a missing chip through onError, then closes.
      onError?.("unexpected sensor");
      throw new Error("no IMU attached (the simulator replays one with --imu FILE)");
    }
    for (const f of replay.fields) {
      const dot = f.indexOf(".");
      this.groups.push(f.slice(0, dot));
      this.axes.push(f.slice(dot + 1));
    }
    this.width = replay.fields.length;
    this.rows = replay.rows;
  }

  sample(): Record<string, Record<string, number>> {
    const n = this.rows.length / this.width;
    const r = this.calls % n;
    this.calls++;
    const out: Record<string, Record<string, number>> = {};
    for (let k = 0; k < this.width; k++) {
      const g = (out[this.groups[k]!] ??= {});
      g[this.axes[k]!] = this.rows[r * this.width + k]!;
    }
    return out;
  }

  configure(): void {}
  close(): void {}
}
