// The IMU driver classes of an ESP32 build. manifest.json maps the module "board/imu" here on esp32 and to
// imu-none.ts on every other platform: a Moddable Linux host build has no I2C bus (no embedded:io/smbus),
// and must still link. The simulator bundles this file, with stand-ins for both imports.
import SMBus from "embedded:io/smbus";
import MPU6050 from "embedded:sensor/Accelerometer-Gyroscope/MPU6050";

/** The ECMA-419 SMBus class the sensor driver talks through. */
export const imuBus: unknown = SMBus;
/** The ECMA-419 sensor driver class (readings in m/s^2 and degrees per second). */
export const imuDriver: unknown = MPU6050;
