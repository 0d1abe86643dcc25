// Command-line parsing for `tinyprop`: Node's strict util.parseArgs does the parsing; this file owns the
// option tables it is driven by, the typed accessors commands read values with, the "did you mean"
// suggestions and the help text, which is generated from the same tables (so help cannot drift).
//
// A command declares `options: OptionTable` (usually spreading shared groups from commands/options.ts)
// and reads values with `args.number("epochs")`, `args.string("output")`, `args.flag("resume")`; a
// default in the table applies when the option is absent, ranges and choices are checked on read, and
// every mistake is a UsageError (exit code 2) that names the option.
import { parseArgs as nodeParseArgs } from "node:util";
import { closest, distance } from "fastest-levenshtein";
import { excerpt } from "./text";

export class UsageError extends Error {
  override name = "UsageError";
}

interface OptionBase {
  /** One-letter alias, e.g. "o" for -o. */
  short?: string;
  help: string;
}
export type OptionDef =
  | (OptionBase & { type: "flag" })
  | (OptionBase & { type: "string"; value: string; default?: string; choices?: readonly string[] })
  | (OptionBase & { type: "int" | "number"; value: string; default?: number; min?: number; max?: number });
/** Long option name (without "--") -> definition. */
export type OptionTable = Record<string, OptionDef>;

export interface PositionalDef {
  name: string;
  help: string;
  optional?: boolean;
}

/** What a command tells the parser and the help generator about itself. */
export interface CommandSpec {
  name: string;
  summary: string;
  positionals?: PositionalDef[];
  options: OptionTable;
  /** Usage lines when one line of `<positionals> [options]` does not say it (e.g. sub-actions). */
  usage?: string[];
  examples?: string[];
}

/** Parsed arguments of one command, read through the command's option table. */
export class Args {
  constructor(
    readonly command: string,
    readonly positionals: readonly string[],
    private readonly values: Readonly<Record<string, string | boolean | undefined>>,
    private readonly table: OptionTable,
  ) {}

  /** True when the command declares the option. */
  declares(name: string): boolean {
    return this.table[name] !== undefined;
  }

  /** True when the option was given on the command line. */
  has(name: string): boolean {
    return this.values[this.def(name, null).name] !== undefined;
  }

  flag(name: string): boolean {
    return this.values[this.def(name, "flag").name] === true;
  }

  /** The option's value (or its default); undefined when neither. Checks `choices`. */
  optionalString(name: string): string | undefined {
    const { def } = this.def(name, "string");
    const raw = this.values[name];
    const v = typeof raw === "string" ? raw : def.type === "string" ? def.default : undefined;
    if (v !== undefined && def.type === "string" && def.choices && !def.choices.includes(v)) {
      throw new UsageError(`--${name} must be ${def.choices.join(", ")}${suggest(v, def.choices, "")}; got "${v}"`);
    }
    return v;
  }

  /** The option's value or default; a UsageError when there is neither. */
  string(name: string): string {
    const v = this.optionalString(name);
    if (v === undefined) throw this.missing(name);
    return v;
  }

  /** The option's number (or its default), range-checked; undefined when neither. */
  optionalNumber(name: string): number | undefined {
    const { def } = this.def(name, "number");
    if (def.type !== "int" && def.type !== "number") throw new Error(`internal error: --${name} is not numeric`);
    const raw = this.values[name];
    if (typeof raw !== "string") return def.default;
    return parseNumber(name, raw, def.type === "int", def.min, def.max);
  }

  number(name: string): number {
    const v = this.optionalNumber(name);
    if (v === undefined) throw this.missing(name);
    return v;
  }

  /** A comma-separated list of integers, e.g. --layers 64,32. */
  intList(name: string, min = -Infinity, max = Infinity): number[] | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    return raw.split(",").map((part) => parseNumber(name, part, true, min, max));
  }

  /** The i-th positional argument, or a UsageError naming what is missing. */
  positional(i: number, what: string): string {
    const v = this.positionals[i];
    if (v === undefined) throw new UsageError(`${this.command} needs ${what} (see tinyprop ${this.command} --help)`);
    return v;
  }

  private missing(name: string): UsageError {
    const def = this.table[name]!;
    return new UsageError(`${this.command} needs --${name}${def.type === "flag" ? "" : " " + def.value} (see tinyprop ${this.command} --help)`);
  }

  private def(name: string, _use: string | null): { name: string; def: OptionDef } {
    const def = this.table[name];
    if (!def) throw new Error(`internal error: ${this.command} reads --${name}, which its option table does not declare`);
    return { name, def };
  }
}

function parseNumber(name: string, raw: string, integer: boolean, min = -Infinity, max = Infinity): number {
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    const range = min > -Infinity && max < Infinity ? ` in ${min}..${max}` : min > -Infinity ? ` >= ${min}` : max < Infinity ? ` <= ${max}` : "";
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"}${range}, got "${raw}"`);
  }
  return v;
}

/** Old names that string distance cannot connect to today's: unknown name -> options to suggest. */
const RENAMED: Record<string, readonly string[]> = {
  lr: ["learning-rate"],
  batch: ["batch-size", "frame-samples"],
  hidden: ["layers"],
  out: ["output"],
};

/** " (did you mean --epochs?)" when `word` is a near miss of one of `candidates`, else "". */
export function suggest(word: string, candidates: readonly string[], prefix = "--"): string {
  if (candidates.length === 0) return "";
  const best = closest(word, candidates as string[]);
  const prefixMatch = candidates.filter((c) => c.startsWith(word));
  const near = distance(word, best) <= Math.max(2, Math.floor(word.length / 3));
  const pick = near ? best : prefixMatch.length === 1 ? prefixMatch[0] : undefined;
  return pick ? ` (did you mean ${prefix}${pick}?)` : "";
}

/** True when argv asks for help (before any "--" terminator). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "-h" || a === "--help");
}

/** Strictly parse one command's arguments against its table; every mistake is a UsageError. */
export function parseCommandArgs(spec: CommandSpec, argv: string[]): Args {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, def] of Object.entries(spec.options)) {
    options[name] = { type: def.type === "flag" ? "boolean" : "string", ...(def.short ? { short: def.short } : {}) };
  }
  let parsed;
  try {
    parsed = nodeParseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(explainParseError(spec, e as Error & { code?: string }));
  }
  const max = spec.positionals?.length ?? 0;
  if (parsed.positionals.length > max) {
    const extra = parsed.positionals[max]!;
    throw new UsageError(`${spec.name}: unexpected argument "${excerpt(extra)}"` +
      (max === 0 ? ` (${spec.name} takes no arguments)` : ` (it takes ${spec.positionals!.map((p) => `<${p.name}>`).join(" ")})`));
  }
  return new Args(spec.name, parsed.positionals, parsed.values as Record<string, string | boolean | undefined>, spec.options);
}

/** util.parseArgs' messages name Node's API; restate them for a user, with a suggestion. */
function explainParseError(spec: CommandSpec, e: Error & { code?: string }): string {
  const quoted = /'(-{1,2}[^' =]+)/.exec(e.message)?.[1] ?? "";
  const name = quoted.replace(/^-+/, "");
  const longName = quoted.startsWith("--") ? name : Object.entries(spec.options).find(([, d]) => d.short === name)?.[0] ?? name;
  const def = spec.options[longName];
  const help = ` (see tinyprop ${spec.name} --help)`;
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
    {
      const renamed = RENAMED[name]?.find((n) => n in spec.options);
      return `${spec.name}: unknown option ${excerpt(quoted)}${renamed ? ` (did you mean --${renamed}?)` : suggest(name, Object.keys(spec.options))}` + help;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (def?.type === "flag") return `${spec.name}: --${longName} takes no value`;
      if (/ambiguous/.test(e.message)) return `${spec.name}: --${longName} needs a value; for a value that starts with "-", write --${longName}=VALUE`;
      return `${spec.name}: --${longName} needs a value${def && "value" in def ? ` (${def.value})` : ""}`;
    default:
      return `${spec.name}: ${e.message}`;
  }
}

function optionLabel(name: string, def: OptionDef): string {
  const long = `--${name}${def.type === "flag" ? "" : " " + def.value}`;
  return def.short ? `-${def.short}, ${long}` : `    ${long}`;
}

function optionHelp(def: OptionDef): string {
  let text = def.help;
  if (def.type === "string" && def.choices && !text.includes(def.choices.join("|"))) text += ` (${def.choices.join("|")})`;
  if (def.type !== "flag" && def.default !== undefined) text += ` (default ${def.default})`;
  return text;
}

/** One-line usage of a command, e.g. "tinyprop train <data> [options]". */
export function usageLines(spec: CommandSpec): string[] {
  if (spec.usage) return spec.usage.map((u) => `tinyprop ${spec.name} ${u}`);
  const pos = (spec.positionals ?? []).map((p) => (p.optional ? `[${p.name}]` : `<${p.name}>`)).join(" ");
  return [`tinyprop ${spec.name}${pos ? " " + pos : ""} [options]`];
}

/** The full help of one command, generated from its table. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [...usageLines(spec).map((u, i) => (i === 0 ? "usage: " : "       ") + u), "", spec.summary];
  if (spec.positionals?.length) {
    lines.push("", "arguments:");
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(28)} ${p.help}`);
  }
  lines.push("", "options:");
  const all: [string, OptionDef][] = [...Object.entries(spec.options), ["help", { type: "flag", short: "h", help: "show this help" }]];
  for (const [name, def] of all) {
    const label = optionLabel(name, def);
    lines.push(label.length > 28 ? `  ${label}\n  ${"".padEnd(28)} ${optionHelp(def)}` : `  ${label.padEnd(28)} ${optionHelp(def)}`);
  }
  if (spec.examples?.length) lines.push("", "examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines.join("\n");
}

/** The README's command table (test/readme-commands.test.ts keeps README.md equal to it). */
export function markdownCommandTable(specs: readonly CommandSpec[]): string {
  const rows = specs.map((s) => `| ${usageLines(s).map((u) => "`" + u.replace(/\|/g, "\\|") + "`").join("<br>")} | ${s.summary.replace(/\|/g, "\\|")} |`);
  return ["| command | what it does |", "|---|---|", ...rows].join("\n");
}
