import type { DeviceRunner } from "./simulator";

export async function createXsRunner(): Promise<DeviceRunner> {
  throw new Error("engine xs: not built yet");
}
