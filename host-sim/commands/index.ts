// Every `tinyprop` subcommand, by name. Each lives in its own file in this folder.
import type { Command } from "./command";
import { demo } from "./demo";
import { trainCommand } from "./train";
import { inspectCommand } from "./inspect";
import { convertCommand } from "./convert";
import { quantizeCommand } from "./quantize";
import { simCommand } from "./sim";
import { streamCommand } from "./stream";
import { infoCommand } from "./info";
import { predictCommand } from "./predict";
import { weightsCommand } from "./weights";
import { portsCommand } from "./ports";
import { evaluateCommand } from "./evaluate";
import { learnCommand, recordCommand, watchCommand } from "./sensor";
import { initCommand } from "./init";

export const commands: Record<string, Command> = {
  demo,
  train: trainCommand,
  evaluate: evaluateCommand,
  inspect: inspectCommand,
  convert: convertCommand,
  quantize: quantizeCommand,
  sim: simCommand,
  init: initCommand,
  stream: streamCommand,
  info: infoCommand,
  predict: predictCommand,
  weights: weightsCommand,
  ports: portsCommand,
  record: recordCommand,
  learn: learnCommand,
  watch: watchCommand,
};
