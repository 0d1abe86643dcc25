// `tinyprop info`: handshake with a board and print what it announces (model, memory, link limits), its
// checkpoint state (CHECKPOINT_GET) and the round trip.
import type { Command } from "./command";
import { describeDevice, openLink } from "../link/open";
import type { DeviceInfo, HostLink } from "../link/link";
import { linkOptions } from "./options";
import { resolvePort } from "./ports";
import { describeCheckpoints } from "./checkpoint";

/** What `info` prints about a connected board. */
export async function infoLines(link: HostLink, info: DeviceInfo): Promise<string[]> {
  // CAPS says on/off; CHECKPOINT_STATE adds the partition size and the last save.
  const lines = describeDevice(info).filter((l) => !l.startsWith("checkpoints:"));
  lines.push(...describeCheckpoints(await link.checkpointState()));
  const ping = await link.ping();
  lines.push(`round trip ${ping.rttMs.toFixed(1)} ms, device up ${(ping.uptimeMs / 1000).toFixed(1)} s`);
  return lines;
}

export const infoCommand: Command = {
  name: "info",
  summary: "connect to a board (or the simulator) and print its protocol version, model, memory, checkpoints and link parameters",
  options: { ...linkOptions },
  examples: ["tinyprop info --port /dev/ttyUSB0", "tinyprop info --port auto"],
  async run(args) {
    const port = await resolvePort(args.string("port"));
    const { link, info } = await openLink(port, args.number("baud"));
    try {
      console.log(`device on ${port}:`);
      for (const line of await infoLines(link, info)) console.log(`  ${line}`);
    } finally {
      await link.close();
    }
    return 0;
  },
};
