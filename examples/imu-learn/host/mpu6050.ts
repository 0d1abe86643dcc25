// embedded:sensor/Accelerometer-Gyroscope/MPU6050 on a host build (manifest.json): host/board.ts's motion.
import { HostImu } from "imu-learn/host-board";
export default HostImu;
