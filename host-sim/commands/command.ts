// The shape of one `tinyprop <name>` subcommand: its option table (which drives parsing and the generated
// help, host-sim/args.ts) and its run function.
import type { Args, CommandSpec } from "../args";

export interface Command extends CommandSpec {
  /** Returns the process exit code (0 ok, 1 failure); usage mistakes throw UsageError (exit 2). */
  run(args: Args): Promise<number>;
}
