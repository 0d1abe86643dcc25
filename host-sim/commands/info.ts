// `tinyprop info`: handshake with a board and print what it announces (model, memory, link limits).
import type { Command } from "./command";
import { describeDevice, openLink } from "../link/open";
import { linkOptions } from "./options";
import { resolvePort } from "./ports";

export const infoCommand: Command = {
  name: "info",
  summary: "connect to a board (or the simulator) and print its protocol version, model, memory and link parameters",
  options: { ...linkOptions },
  examples: ["tinyprop info --port /dev/ttyUSB0", "tinyprop info --port auto"],
  async run(args) {
    const port = await resolvePort(args.string("port"));
    const { link, info } = await openLink(port, args.number("baud"));
    try {
      console.log(`device on ${port}:`);
      for (const line of describeDevice(info)) console.log(`  ${line}`);
      const ping = await link.ping();
      console.log(`  round trip ${ping.rttMs.toFixed(1)} ms, device up ${(ping.uptimeMs / 1000).toFixed(1)} s`);
    } finally {
      await link.close();
    }
    return 0;
  },
};
