// "board/imu" on platforms without I2C (manifest.json): no bus and no driver, so the board serves the link
// without a sensor (CAPS says so) instead of failing to link.
export const imuBus: unknown = null;
export const imuDriver: unknown = null;
