import type { ParsedArgs } from "../args";

/** One `tinyprop <name>` subcommand. Returns the process exit code. */
export interface Command {
  summary: string;
  usage: string;
  /** Options that take no value. */
  flags?: string[];
  run(args: ParsedArgs): Promise<number>;
}
