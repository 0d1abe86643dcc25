// Minimal command-line parsing: positionals, --name value, --name=value and boolean --flags.
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export function parseArgs(argv: string[], booleanFlags: readonly string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-" || !a.startsWith("-")) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(a.startsWith("--") ? 2 : 1, eq < 0 ? undefined : eq);
    if (eq >= 0) options.set(name, a.slice(eq + 1));
    else if (booleanFlags.includes(name)) options.set(name, true);
    else if (i + 1 < argv.length) options.set(name, argv[++i]);
    else throw new UsageError(`option --${name} needs a value`);
  }
  return { positionals, options };
}

export function stringOption(args: ParsedArgs, name: string, fallback?: string): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new UsageError(`option --${name} needs a value`);
  return v ?? fallback;
}

export function numberOption(args: ParsedArgs, name: string, fallback: number, { min = -Infinity, max = Infinity, integer = false } = {}): number {
  const raw = stringOption(args, name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UsageError(`option --${name} must be ${integer ? "an integer" : "a number"} in ${min}..${max}, got "${raw}"`);
  }
  return v;
}
