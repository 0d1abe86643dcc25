// Loading the data a command was pointed at, with the shared data and split options (commands/options.ts):
// a CSV file, a folder of per-class CSV files, or "-" for standard input, then the held-out split the
// user chose. Everything is read and validated before a command starts work.
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { UsageError, type Args } from "../args";
import { loadDataset, type Dataset, type LoadOptions, type SplitOptions } from "../data/gestures";
import { separateTestSet } from "../data/split";
import { requirePath } from "./files";

/** Reads a CSV source into a validated dataset ("-" reads standard input to its end first). */
export async function readSource(source: string, options: LoadOptions & SplitOptions = {}): Promise<Dataset> {
  if (source !== "-") return loadDataset(requirePath(source), options);
  // Standard input: copied to a temporary file to its end (the run must not start half-way, and learning
  // the columns' ranges reads the data twice), then loaded like a file; memory stays bounded either way.
  const dir = mkdtempSync(join(tmpdir(), "tinyprop-stdin-"));
  const file = join(dir, "stdin.csv");
  try {
    await pipeline(process.stdin, createWriteStream(file));
    return loadDataset(file, { ...options, displayName: "<stdin>" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Load options from the shared data options (commands/options.ts dataOptions). */
export function loadOptions(args: Args): LoadOptions {
  const delimiter = args.optionalString("delimiter");
  return {
    labelColumn: args.has("label-column") ? args.string("label-column") : undefined, columns: args.optionalString("columns"), window: args.optionalNumber("window"),
    stride: args.optionalNumber("stride"), features: args.optionalString("features"), delimiter: delimiter === "tab" ? "\t" : delimiter,
  };
}

/** The data a training command runs on, split as --test-split / --test say (seeded by --seed). */
export async function loadSplitData(args: Args, source: string, extra: Pick<LoadOptions, "keepSamples" | "pipeline" | "pipelineSource"> = {}): Promise<Dataset> {
  const base = { ...loadOptions(args), ...extra };
  const testPath = args.optionalString("test");
  const fraction = args.optionalNumber("test-split");
  if (testPath !== undefined && fraction !== undefined) throw new UsageError("--test and --test-split exclude each other");
  if (testPath !== undefined) {
    // The test set is read with the training data's pipeline (its ranges and normalisation).
    const data = await readSource(source, { ...base, testPerClass: 0 });
    const test = await readSource(testPath, { ...base, pipeline: data.pipeline, pipelineSource: `the training data (${source})`, testPerClass: 0 });
    return separateTestSet(data, test, testPath);
  }
  if (fraction !== undefined) return readSource(source, { ...base, testFraction: fraction, seed: args.number("seed") });
  return readSource(source, base);
}
