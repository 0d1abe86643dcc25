// Stand-in for Moddable's `embedded:io/smbus` (Node and XS simulator bundles): the simulated IMU
// (imu-replay.ts) needs no bus, so the class only has to exist.
export default class SMBus {
  close(): void {}
}
