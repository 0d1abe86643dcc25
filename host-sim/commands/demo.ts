import type { Command } from "./command";
import { UsageError, numberOption, stringOption } from "../args";
import { streamDemo } from "./stream-demo";

// `npm start`: a simulated board on a pseudo-terminal, and the bundled gesture dataset streamed to it.
export const demo: Command = {
  summary: "start a simulated board on a pseudo-terminal and stream the bundled gesture dataset to it",
  usage: "tinyprop demo [--engine node|xs] [--epochs N] [--baud N]",
  async run(args) {
    const engine = stringOption(args, "engine", "node");
    if (engine !== "node" && engine !== "xs") throw new UsageError(`--engine must be node or xs, got "${engine}"`);
    return streamDemo({
      engine,
      epochs: numberOption(args, "epochs", 60, { min: 1, max: 10000, integer: true }),
      baud: numberOption(args, "baud", 921600, { min: 1200, max: 4000000, integer: true }),
    });
  },
};
