// tinyprop: the host command-line tool. Subcommands live in host-sim/commands/; parsing and the generated
// help in host-sim/args.ts; how the process ends (signals, closed stdout, children) in host-sim/lifecycle.ts.
//
// Exit codes: 0 success (and help, --version, a reader that closed stdout early), 1 the command failed
// (training or link error, bad model file), 2 usage (unknown command or option, missing or bad value,
// a file that does not exist), 130/143 interrupted by SIGINT/SIGTERM.
import { UsageError, commandHelp, parseCommandArgs, suggest, wantsHelp } from "./args";
import { commands } from "./commands/index";
import { installProcessHandlers, shutdown } from "./lifecycle";
import { packageInfo } from "./package-info";

/** The top-level help: every command with its summary, generated from the command tables. */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  return [
    "usage: tinyprop <command> [options]",
    "       tinyprop help <command>      (or tinyprop <command> --help)",
    "       tinyprop --version",
    "",
    "commands:",
    ...Object.values(commands).map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "exit codes: 0 ok, 1 the command failed, 2 usage error (bad option, missing file), 130 interrupted",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help") {
    console.log(mainHelp());
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(packageInfo().version);
    return 0;
  }
  if (name === "help") {
    const topic = rest[0];
    if (topic === undefined) console.log(mainHelp());
    else if (commands[topic]) console.log(commandHelp(commands[topic]));
    else throw new UsageError(`no command "${topic}"${suggest(topic, Object.keys(commands), "")}; commands: ${Object.keys(commands).join(", ")}`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    const hint = name.startsWith("-") ? " (options go after the command: tinyprop <command> [options])" : suggest(name, Object.keys(commands), "");
    throw new UsageError(`unknown command "${name}"${hint}; run tinyprop --help for the list`);
  }
  if (wantsHelp(rest)) {
    console.log(commandHelp(command));
    return 0;
  }
  return command.run(parseCommandArgs(command, rest));
}

/** System errors a user can fix by pointing at another file: shown without a stack, exit code 2. */
const FILE_ERRORS: Record<string, string> = {
  ENOENT: "no such file or folder",
  EISDIR: "is a folder, not a file",
  ENOTDIR: "a part of the path is not a folder",
  EACCES: "permission denied",
};

function report(err: unknown): number {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === "string" && FILE_ERRORS[e.code] && e.path && !e.syscall?.startsWith("spawn")) {
    console.error(`tinyprop: ${e.path}: ${FILE_ERRORS[e.code]}`);
    return 2;
  }
  console.error(`tinyprop: ${err instanceof Error ? err.message : String(err)}`);
  return err instanceof UsageError ? 2 : 1;
}

installProcessHandlers();
main(process.argv.slice(2)).then(
  (code) => shutdown(code),
  (err: unknown) => shutdown(report(err)),
);
