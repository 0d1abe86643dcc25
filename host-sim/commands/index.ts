// Every `tinyprop` subcommand, by name. Each lives in its own file in this folder.
import type { Command } from "./command";
import { demo } from "./demo";
import { trainCommand } from "./train";

export const commands: Record<string, Command> = {
  demo,
  train: trainCommand,
};
