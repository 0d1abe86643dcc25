// tinyprop: the host command-line tool. Subcommands live in host-sim/commands/.
import { UsageError, parseArgs } from "./args";
import { commands } from "./commands/index";

function help(): string {
  const lines = ["usage: tinyprop <command> [options]", "", "commands:"];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(8)} ${c.summary}`, `           ${c.usage}`);
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(help());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"\n\n${help()}`);
  return command.run(parseArgs(rest, command.flags));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`tinyprop: ${message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
