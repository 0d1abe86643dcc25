// Moddable module typings used by src/main.ts, from npm @moddable/typings. Only module declarations are
// referenced here (no xs.d.ts globals), so host code type-checked with the root tsconfig sees no
// XS-only globals; src/main.ts reaches `trace` through globalThis.
/// <reference path="../node_modules/@moddable/typings/embedded_io/_common.d.ts" />
/// <reference path="../node_modules/@moddable/typings/embedded_io/serial.d.ts" />
/// <reference path="../node_modules/@moddable/typings/timer.d.ts" />
/// <reference path="../node_modules/@moddable/typings/mc/config.d.ts" />
/// <reference path="../node_modules/@moddable/typings/flash.d.ts" />
/// <reference path="../node_modules/@moddable/typings/instrumentation.d.ts" />
/// <reference path="../node_modules/@moddable/typings/embedded_io/i2c.d.ts" />
/// <reference path="../node_modules/@moddable/typings/embedded_io/smbus.d.ts" />
/// <reference path="../node_modules/@moddable/typings/embedded_io/digital.d.ts" />

// Moddable's ECMA-419 MPU-6050 driver ($(MODDABLE)/modules/drivers/sensors/mpu6050): no typings ship with it.
// sample() gives the accelerometer in m/s^2 and the gyroscope in degrees per second.
declare module "embedded:sensor/Accelerometer-Gyroscope/MPU6050" {
  export default class MPU6050 {
    constructor(options: { sensor: Record<string, unknown>; onError?: (message: string) => void });
    sample(): { accelerometer: { x: number; y: number; z: number }; gyroscope: { x: number; y: number; z: number } } | undefined;
    configure(options: Record<string, unknown>): void;
    close(): void;
  }
}
