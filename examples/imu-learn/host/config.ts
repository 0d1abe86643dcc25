// mc/config on Moddable's x-cli-lin platform, which generates none (manifest.json maps this file there).
// 25 Hz keeps a host run short: a window is one second of the timer whatever the rate (main.ts).
export default { imu: { hz: 25 }, button: { pin: 0 } };
