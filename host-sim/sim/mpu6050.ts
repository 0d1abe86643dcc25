// Stand-in for Moddable's `embedded:sensor/Accelerometer-Gyroscope/MPU6050` on a simulated board: replays
// the board's config.sensor.replay (imu-replay.ts).
import { currentBoard } from "./board";
import { ReplayImu, type ReplayConfig } from "./imu-replay";

export default class MPU6050 extends ReplayImu {
  constructor(options: { sensor: Record<string, unknown>; onError?: (message: string) => void }) {
    const sensor = currentBoard().config.sensor as { replay?: ReplayConfig } | undefined;
    super(sensor?.replay, options.onError);
  }
}
