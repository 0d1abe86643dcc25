// `embedded:sensor/Accelerometer-Gyroscope/MPU6050` inside XS for the simulator: replays the board's
// config.sensor.replay (../imu-replay.ts), passed in with the boot config.
import { relay } from "./relay";
import { ReplayImu, type ReplayConfig } from "../imu-replay";

export default class MPU6050 extends ReplayImu {
  constructor(options: { sensor: Record<string, unknown>; onError?: (message: string) => void }) {
    const sensor = relay.config.sensor as { replay?: ReplayConfig } | undefined;
    super(sensor?.replay, options.onError);
  }
}
