// `tinyprop demo` (what `npm start` runs): a simulated board on a pseudo-terminal, and the bundled gesture
// dataset streamed to it.
import type { Command } from "./command";
import { streamDemo } from "./stream-demo";
import { linkOptions, outputOptions } from "./options";
import { outputFor } from "../report/output";

export const demo: Command = {
  name: "demo",
  summary: "start a simulated board on a pseudo-terminal and stream the bundled gesture dataset to it",
  options: {
    engine: { type: "string", value: "NAME", help: "the simulated board's JavaScript engine", choices: ["node", "xs"], default: "node" },
    epochs: { type: "int", value: "N", help: "passes over the training data", default: 60, min: 1, max: 10000 },
    baud: linkOptions.baud,
    ...outputOptions,
  },
  async run(args) {
    return streamDemo({ engine: args.string("engine") as "node" | "xs", epochs: args.number("epochs"), baud: args.number("baud"), output: outputFor(args) });
  },
};
