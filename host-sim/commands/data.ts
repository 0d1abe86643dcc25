// Loading the data a command was pointed at, with the shared data and split options (commands/options.ts):
// a CSV file, a folder of per-class CSV files, or "-" for standard input, then the held-out split the
// user chose. Everything is read and validated before a command starts work.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError, type Args } from "../args";
import { CsvError } from "../data/csv";
import { loadDataset, type Dataset, type LoadOptions, type SplitOptions } from "../data/gestures";
import { randomSplit, separateTestSet } from "../data/split";
import { requirePath } from "./files";

/** Reads a CSV source into a validated dataset ("-" reads standard input to its end first). */
export async function readSource(source: string, options: LoadOptions & SplitOptions = {}): Promise<Dataset> {
  if (source !== "-") return loadDataset(requirePath(source), options);
  // Standard input: collect every row first (the run must not start half-way), then load it like a file.
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const dir = mkdtempSync(join(tmpdir(), "tinyprop-stdin-"));
  const file = join(dir, "stdin.csv");
  try {
    writeFileSync(file, Buffer.concat(chunks));
    return loadDataset(file, options);
  } catch (e) {
    if (e instanceof CsvError) throw new CsvError("<stdin>", e.line, e.detail);
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Load options from the shared data options. */
export function loadOptions(args: Args): LoadOptions {
  return { labelColumn: args.string("label-column") };
}

/** The data a training command runs on, split as --test-split / --test say (seeded by --seed). */
export async function loadSplitData(args: Args, source: string): Promise<Dataset> {
  const base = loadOptions(args);
  const testPath = args.optionalString("test");
  const fraction = args.optionalNumber("test-split");
  if (testPath !== undefined && fraction !== undefined) throw new UsageError("--test and --test-split exclude each other");
  if (testPath !== undefined) {
    const data = await readSource(source, { ...base, testPerClass: 0 });
    return separateTestSet(data, await readSource(testPath, { ...base, testPerClass: 0 }), testPath);
  }
  if (fraction !== undefined) return randomSplit(await readSource(source, { ...base, testPerClass: 0 }), fraction, args.number("seed"));
  return readSource(source, base);
}
