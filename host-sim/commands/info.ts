// `tinyprop info`: handshake with a board and print what it announces (model, memory, link limits).
import type { Command } from "./command";
import { UsageError, numberOption, stringOption } from "../args";
import { DEFAULT_BAUD, describeDevice, openLink } from "../link/open";

export const infoCommand: Command = {
  summary: "connect to a board (or the simulator) and print its model, memory and link parameters",
  usage: "tinyprop info --port PATH [--baud N]",
  async run(args) {
    const port = stringOption(args, "port");
    if (!port) throw new UsageError("info needs --port PATH");
    const { link, info } = await openLink(port, numberOption(args, "baud", DEFAULT_BAUD, { min: 300, max: 20000000, integer: true }));
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
