// Issue 12: bad input gets a clear error naming the file, the line and the setting involved, and nothing is
// clipped or left out without the user being told. A table of bad inputs, each run through the command
// itself (in-process: train, evaluate, quantize, with one labelled file or a folder of per-class files);
// then the counts of clipped samples and unused rows as every data command prints them; then a few spawned
// CLI runs (exit code and stderr), predict/stream/init among them against a simulated board.
import { spawn } from "node:child_process";
import { CLI, runCli } from "./cli-run";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UsageError, parseCommandArgs } from "../host-sim/args";
import { commands } from "../host-sim/commands/index";
import { startSimulator, type Simulator } from "../host-sim/sim/simulator";
import { replayConfig } from "../host-sim/sim/imu-file";
import { FEATURE_STATS, FeaturePipeline, pipelineIssue, type PipelineSpec } from "../src/features/index";

const dir = mkdtempSync(join(tmpdir(), "tinyprop-badinput-"));
const at = (name: string) => join(dir, name);
const CLASSES = ["fan", "idle", "wave"];
const WINDOW = 8, WINDOWS = 7; // per class: 7 windows of 8 rows (5 held out by default, 2 train)

/** Row i of class c: three small deterministic values (|v| < 2). */
const row = (c: number, i: number) => [Math.sin(i * (c + 1)), Math.cos(i * (c + 2)) / 2, c / 3 + ((i * 7) % 5) / 10].map((v) => v.toFixed(4)).join(",");
const classRows = (c: number, n = WINDOW * WINDOWS) => Array.from({ length: n }, (_, i) => row(c, i));
/** One labelled file: header on line 1, class c's rows on lines 2 + c * 56 ... */
const labelled = (header = "label,ax,ay,az") => [header, ...CLASSES.flatMap((name, c) => classRows(c).map((r) => `${name},${r}`))];
/** Line `n` (1-based) of a file's lines replaced. */
const withLine = (lines: string[], n: number, text: string) => lines.map((l, i) => (i === n - 1 ? text : l));
const write = (name: string, lines: string[]) => {
  writeFileSync(at(name), lines.join("\n") + "\n");
  return at(name);
};

const good = write("fan.csv", labelled());
const folder = at("folder");
mkdirSync(folder);
CLASSES.forEach((name, c) => writeFileSync(join(folder, `${name}.csv`), ["ax,ay,az", ...classRows(c)].join("\n") + "\n"));
const model = at("model.tpm");

interface Ran { code: number; error?: Error; out: string; err: string }

/** Runs `tinyprop <argv>` in this process, as cli.ts would: the exit code (2 usage, 1 failure), stdout and stderr text. */
async function run(argv: string[]): Promise<Ran> {
  const [name, ...rest] = argv;
  const command = commands[name!]!;
  const out: string[] = [], err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    const code = await command.run(parseCommandArgs(command, rest));
    return { code, out: out.join("\n"), err: err.join("\n") };
  } catch (e) {
    return { code: e instanceof UsageError ? 2 : 1, error: e as Error, out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const reports = (name: string) => ["--chart", at(`${name}.svg`), "--log", at(`${name}.json`)];

beforeAll(async () => {
  const r = await run(["train", good, "--window", String(WINDOW), "--epochs", "1", "-q", "-o", model, ...reports("model")]);
  expect(r.code, r.error?.message).toBe(0);
});

interface BadInput {
  what: string;
  argv: () => string[];
  /** The file and 1-based line the message must start with ("file:line: "), or just the path (no line). */
  file?: string;
  line?: number;
  /** The option or model setting the message must name. */
  setting?: string;
  /** Further text the message must contain. */
  says: string[];
  code: 1 | 2;
}

const W = ["--window", String(WINDOW)];
const firstFan = 2, firstWave = 2 + 2 * WINDOW * WINDOWS; // first data lines of "fan" and "wave" in fan.csv

const BAD: BadInput[] = [
  // wrong column names
  { what: "a --columns name not in the header", argv: () => ["train", good, ...W, "--columns", "ax,ay,gz"], file: good, line: 1, setting: "--columns ax,ay,gz", says: ['missing column(s) "gz" (header: label,ax,ay,az)', 'did you mean "az"?'], code: 1 },
  { what: "a --columns name in another case (folder)", argv: () => ["train", folder, ...W, "--columns", "ax,AY"], file: join(folder, "fan.csv"), line: 1, setting: "--columns ax,AY", says: ['missing column(s) "AY"', 'did you mean "ay"? names are case-sensitive'], code: 1 },
  { what: "a --label-column not in the header", argv: () => ["train", good, ...W, "--label-column", "speed"], file: good, line: 1, setting: "--label-column speed", says: ['missing label column "speed"'], code: 1 },
  { what: "no label column, default --label-column", argv: () => ["train", write("nolabel.csv", labelled("speed,ax,ay,az")), ...W], file: at("nolabel.csv"), line: 1, setting: "--label-column label (the default)", says: ['missing label column "label" (header: speed,ax,ay,az); name the class column with --label-column'], code: 1 },
  { what: "a decimal comma", argv: () => ["train", write("comma.csv", ["label;ax;ay;az", ...labelled().slice(1).map((l) => l.replace(/,/g, ";").replace(/(\d)\.(\d)/g, "$1,$2"))]), ...W], file: at("comma.csv"), line: 2, says: ['non-numeric value "0,0000" in column "ax" (a decimal comma? write 0.0000)'], code: 1 },
  { what: "the label column also chosen as an input", argv: () => ["train", good, ...W, "--columns", "ax,label"], file: good, line: 1, setting: "--columns ax,label", says: ['the label column "label"', "is also requested as a numeric column"], code: 1 },
  // cells
  { what: "a non-numeric cell", argv: () => ["train", write("abc.csv", withLine(labelled(), 57, "fan,0.1,abc,0.3")), ...W], file: at("abc.csv"), line: 57, setting: "choose them with --columns", says: ['non-numeric value "abc" in column "ay"'], code: 1 },
  { what: "a NaN cell", argv: () => ["train", write("nan.csv", withLine(labelled(), 30, "fan,NaN,0.2,0.3")), ...W, "--columns", "ax,ay,az"], file: at("nan.csv"), line: 30, says: ['non-finite value "NaN" in column "ax"'], code: 1 },
  { what: "an Inf cell", argv: () => ["train", write("inf.csv", withLine(labelled(), 31, "fan,0.1,-Inf,0.3")), ...W], file: at("inf.csv"), line: 31, setting: "--columns", says: ['non-finite value "-Inf" in column "ay"'], code: 1 },
  { what: "a value that overflows", argv: () => ["train", write("big.csv", withLine(labelled(), 32, "fan,1e999,0.2,0.3")), ...W], file: at("big.csv"), line: 32, says: ['non-finite value "1e999" in column "ax" (overflows)'], code: 1 },
  { what: "an empty cell", argv: () => ["train", write("empty-cell.csv", withLine(labelled(), 33, "fan,0.1,,0.3")), ...W], file: at("empty-cell.csv"), line: 33, says: ['empty value in column "ay"'], code: 1 },
  { what: "an empty label", argv: () => ["train", write("empty-label.csv", withLine(labelled(), 34, ",0.1,0.2,0.3")), ...W], file: at("empty-label.csv"), line: 34, says: ['empty label in column "label"'], code: 1 },
  // rows and files
  { what: "a ragged row (one cell too many)", argv: () => ["train", write("ragged.csv", withLine(labelled(), 40, "fan,0.1,0.2,0.3,0.4")), ...W], file: at("ragged.csv"), line: 40, says: ["wrong number of columns: expected 4, got 5"], code: 1 },
  { what: "a trailing delimiter", argv: () => ["train", write("trailing.csv", withLine(labelled(), 41, "fan,0.1,0.2,0.3,")), ...W], file: at("trailing.csv"), line: 41, says: ['expected 4, got 5 (a trailing ","?)'], code: 1 },
  { what: "mixed delimiters", argv: () => ["train", write("mixed.csv", withLine(labelled(), 42, "fan;0.1;0.2;0.3")), ...W], file: at("mixed.csv"), line: 42, says: ['this line looks ";"-separated: mixed delimiters?'], code: 1 },
  { what: "a --delimiter the file does not use", argv: () => ["train", good, ...W, "--delimiter", ";"], file: good, line: 1, setting: '--delimiter ";"', says: ['the header is the one column "label,ax,ay,az", but it looks ","-separated'], code: 1 },
  { what: "an empty file", argv: () => ["train", write("empty.csv", []), ...W], file: at("empty.csv"), line: 1, says: ["empty file (no header row)"], code: 1 },
  { what: "a header without rows", argv: () => ["train", write("header.csv", ["label,ax,ay,az"]), ...W], file: at("header.csv"), line: 1, says: ["no data rows after the header"], code: 1 },
  { what: "a folder without CSV files", argv: () => { mkdirSync(at("nocsv"), { recursive: true }); writeFileSync(at("nocsv/readme.txt"), "x"); return ["train", at("nocsv")]; }, file: at("nocsv"), says: ["no .csv files in this folder", "found readme.txt"], code: 2 },
  // windows
  { what: "a run shorter than --window", argv: () => ["train", good, "--window", "100"], file: good, line: firstFan, setting: "--window 100", says: ['short window: 56 rows of label "fan" (lines 2-57)', 'the label changes to "idle" at line 58'], code: 1 },
  { what: "a run shorter than the default window", argv: () => ["train", good], file: good, line: firstFan, setting: "--window 119 (the default)", says: ["short window"], code: 1 },
  { what: "a partial last window, back to back", argv: () => ["train", good, "--window", "9"], file: good, line: 2 + 6 * 9, setting: "--window 9", says: ['partial window: label "fan" ends with 2 rows (lines 56-57)', 'the label changes to "idle" at line 58'], code: 1 },
  { what: "a partial last window in a folder", argv: () => ["train", folder, "--window", "10"], file: join(folder, "fan.csv"), line: 52, setting: "--window 10", says: ['class "fan" ends with 6 rows (lines 52-57)', "the file ends there"], code: 1 },
  { what: "too few windows for the default test split", argv: () => ["train", good, "--window", "28"], setting: "--window 28", says: ['class "fan" has 2 windows', "holds out the last 5 of each class", "--test-split"], code: 2 },
  // settings
  { what: "an unknown feature set", argv: () => ["train", good, ...W, "--features", "stats,specturm"], setting: "--features stats,specturm", says: ['unknown feature set "specturm" (did you mean spectrum?)', "known: stats, spectrum[:bands], raw[:points]"], code: 2 },
  { what: "a number after stats", argv: () => ["train", good, ...W, "--features", "stats:3"], setting: "--features stats:3", says: ["stats takes no number"], code: 2 },
  { what: "more spectrum bands than the window has", argv: () => ["train", good, ...W, "--features", "spectrum:99"], setting: "--features spectrum:99", says: ["spectrum bands must be an integer in 1..4 for a window of 8 rows, got 99"], code: 2 },
  { what: "stats on tabular rows", argv: () => ["train", good, "--window", "1", "--features", "stats"], setting: "--features stats", says: ["tabular data (window 1) takes only the raw feature set"], code: 2 },
  { what: "a column chosen twice", argv: () => ["train", good, ...W, "--columns", "ax,ax"], setting: "--columns ax,ax", says: ['column "ax" appears twice'], code: 2 },
  { what: "a range of zero", argv: () => ["train", good, ...W, "--columns", "ax:0,ay"], setting: "--columns ax:0,ay", says: ['range of "ax" must be positive'], code: 2 },
  // a model whose pipeline does not match the data
  { what: "data columns unlike the model's", argv: () => ["evaluate", model, write("caps.csv", labelled("label,aX,aY,aZ"))], file: at("caps.csv"), line: 1, setting: `${model} expects columns ax,ay,az (its pipeline)`, says: ['missing column(s) "ax", "ay", "az" (header: label,aX,aY,aZ)', 'did you mean "aX", "aY", "aZ"?'], code: 1 },
  { what: "data columns unlike the model's (quantize --data)", argv: () => ["quantize", model, "--data", at("caps.csv"), "-o", at("q.tpm")], file: at("caps.csv"), line: 1, setting: `${model} expects columns ax,ay,az (its pipeline)`, says: ["missing column(s)"], code: 1 },
  { what: "--columns unlike the model's", argv: () => ["evaluate", model, good, "--columns", "ax,ay"], setting: "--columns ax,ay", says: [`does not match ${model}: it expects columns ax,ay,az (its pipeline)`], code: 2 },
  { what: "--window unlike the model's", argv: () => ["evaluate", model, good, "--window", "16"], setting: "--window 16", says: [`does not match ${model} (window 8)`], code: 2 },
  { what: "--stride unlike the model's", argv: () => ["quantize", model, "--data", good, "--stride", "4", "-o", at("q.tpm")], setting: "--stride 4", says: [`does not match ${model} (stride 8)`], code: 2 },
  { what: "--features unlike the model's", argv: () => ["evaluate", model, good, "--features", "raw"], setting: "--features raw", says: [`does not match ${model} (features stats)`], code: 2 },
  { what: "a label not among the model's classes", argv: () => ["evaluate", model, write("jump.csv", labelled().map((l) => l.replace(/^wave,/, "jump,")))], file: at("jump.csv"), line: firstWave, setting: `${model}'s classes`, says: ['unknown label "jump": not one of', "(fan, idle, wave)"], code: 1 },
  { what: "a class file not among the model's classes", argv: () => { mkdirSync(at("classes"), { recursive: true }); writeFileSync(at("classes/jump.csv"), ["ax,ay,az", ...classRows(0)].join("\n")); return ["quantize", model, "--data", at("classes"), "-o", at("q.tpm")]; }, file: at("classes/jump.csv"), line: 2, setting: `${model}'s classes`, says: ['unknown class "jump" (the file\'s name)'], code: 1 },
  { what: "a run shorter than the model's window", argv: () => ["evaluate", model, write("short.csv", labelled().slice(0, 60))], file: at("short.csv"), line: 58, setting: `window 8 of ${model}'s pipeline`, says: ['short window: 3 rows of label "idle" (lines 58-60)'], code: 1 },
  { what: "a --test file read with the training data's pipeline", argv: () => ["train", good, ...W, "--test", at("caps.csv"), "--epochs", "1", ...reports("t")], file: at("caps.csv"), line: 1, setting: `the training data (${good}) expects columns ax,ay,az`, says: ["missing column(s)"], code: 1 },
];

describe("bad input: the message names the file, the line and the setting", () => {
  it.each(BAD.map((b) => [b.what, b] as const))("%s", async (_what, b) => {
    const r = await run(b.argv());
    expect(r.error, `no error for ${b.what}`).toBeDefined();
    const message = r.error!.message;
    if (b.file !== undefined) expect(message.startsWith(b.line !== undefined ? `${b.file}:${b.line}: ` : `${b.file}: `), message).toBe(true);
    if (b.setting !== undefined) expect(message).toContain(b.setting);
    for (const s of b.says) expect(message).toContain(s);
    expect(r.code).toBe(b.code);
  });
});

describe("nothing is clipped or left out silently", () => {
  // One value of "ax" far outside the model's range (±1.5): line 42 of fan.csv's "fan" rows.
  const clipped = write("clipped.csv", withLine(labelled(), 42, "fan,9.5,0.1,0.1"));
  const clipWarning = (file: string, range: string, from: string) => `1 sample of column "ax" beyond its range ±${range} was clipped to it, the first at ${file} line 42 (${from})`;

  it("train with a --columns range: the warning names the column, the count, the first line and the option", async () => {
    const r = await run(["train", clipped, ...W, "--columns", "ax:2,ay:2,az:2", "--epochs", "1", "-q", ...reports("clip")]);
    expect(r.code, r.error?.message).toBe(0);
    expect(r.out).toContain(clipWarning(clipped, "2", "widen it with --columns ax:RANGE"));
  });

  it("evaluate and quantize with a model: the range is the model's", async () => {
    const e = await run(["evaluate", model, clipped]);
    expect(e.code, e.error?.message).toBe(0);
    const range = /columns ax \(±([\d.]+)\)/.exec((await run(["inspect", model])).out)![1]!;
    expect(e.err).toContain(clipWarning(clipped, range, `the range comes from ${model}'s pipeline`));
    const q = await run(["quantize", model, "--data", clipped, "-o", at("q.tpm"), "--json"]);
    expect(q.code, q.error?.message).toBe(0);
    expect(q.err).toContain(clipWarning(clipped, range, `the range comes from ${model}'s pipeline`)); // json: on stderr
    const summary = JSON.parse(q.out.trim().split("\n").pop()!) as { dataReport: { clippedSamples: unknown[] } };
    expect(summary.dataReport.clippedSamples).toEqual([{ column: "ax", count: 1, range: Number(range), first: { source: clipped, line: 42 } }]);
  });

  it("rows no window covers (--stride smaller than --window) are counted and located", async () => {
    const r = await run(["train", good, "--window", "6", "--stride", "4", "--epochs", "1", "-q", ...reports("stride")]);
    expect(r.code, r.error?.message).toBe(0);
    // 56 rows per class: windows start at rows 0, 4, ..., 48 and end at row 53, so rows 54-55 are unused.
    expect(r.out).toContain(`note: 6 rows at the ends of labelled runs fall after the last window and are not used (--window 6 --stride 4 do not tile them): ${good} lines 56-57 (2 rows of "fan"), ${good} lines 112-113 (2 rows of "idle"), ${good} lines 168-169 (2 rows of "wave")`);
  });

  it("files of a data folder that are not read are listed", async () => {
    writeFileSync(join(folder, "notes.txt"), "recorded on Tuesday\n");
    const r = await run(["train", folder, ...W, "--epochs", "1", "-q", ...reports("folder")]);
    expect(r.code, r.error?.message).toBe(0);
    expect(r.out).toContain(`note: not read (not .csv): ${join(folder, "notes.txt")}`);
  });
});

it("sim --imu: a recording without the board's sensor columns names them and their config setting", () => {
  expect(() => replayConfig(good)).toThrow(`${good}:1: --imu ${good}: the board's sensor columns aX,aY,aZ,gX,gY,gZ (config.sensor.columns): missing column(s) "aX"`);
});

describe("device side: a bad pipeline config names its setting", () => {
  const spec = (p: Partial<PipelineSpec>): PipelineSpec => ({
    columns: ["a", "b"], ranges: [1, 1], units: ["", ""], window: 8, stride: 8, features: FEATURE_STATS, bands: 0, rawPoints: 0, clip: 8, mean: [], scale: [], classes: [], ...p,
  });
  it.each([
    [{ features: 8 }, "features", "must combine stats (1), spectrum (2) and raw (4), got 8"],
    [{ window: 0 }, "window", "must be an integer in 1..2048 rows, got 0"],
    [{ stride: 0 }, "stride", "must be a positive integer, got 0"],
    [{ columns: Array.from({ length: 256 }, (_, i) => `c${i}`), ranges: new Array(256).fill(1), units: new Array(256).fill("") }, "columns", "256 columns given, 1..255 allowed"],
    [{ ranges: [1] }, "ranges", "1 ranges for 2 columns"],
    [{ ranges: [1, -2] }, "ranges", 'range of column "b" must be a positive finite number, got -2'],
    [{ features: 2, bands: 9 }, "bands", "spectrum bands must be an integer in 1..4 for a window of 8 rows, got 9"],
    [{ features: 4, rawPoints: 0 }, "rawPoints", "raw points must be an integer in 1..8"],
    [{ clip: 0 }, "clip", "must be a positive finite number, got 0"],
  ] as const)("%o -> %s", (change, setting, detail) => {
    expect(pipelineIssue(spec(change as Partial<PipelineSpec>))).toEqual({ setting, detail: expect.stringContaining(detail) });
    expect(() => new FeaturePipeline(spec(change as Partial<PipelineSpec>))).toThrow(`pipeline: ${setting}: `);
  });
});

// ---- spawned CLI runs: the exit code is not 0 and the message goes to stderr ------------------------------

const cli = runCli;

describe("the CLI: non-zero exit, message on stderr", () => {
  it("train with a non-numeric cell exits 1; an unknown feature set exits 2", async () => {
    const a = await cli("train", at("abc.csv"), ...W);
    expect(a.code).toBe(1);
    expect(a.err).toContain(`tinyprop: ${at("abc.csv")}:57: non-numeric value "abc" in column "ay"`);
    expect(a.out).toBe("");
    const f = await cli("train", good, ...W, "--features", "specturm");
    expect(f.code).toBe(2);
    expect(f.err).toContain("tinyprop: --features specturm: unknown feature set");
  });

  it("stdin: errors name <stdin> and its line", async () => {
    const child = spawn("bash", ["-c", `node ${CLI} train - --window 8 < ${at("nan.csv")}`], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const code = await new Promise((r) => child.on("close", r));
    expect(code).toBe(1);
    expect(err).toContain('tinyprop: <stdin>:30: non-finite value "NaN" in column "ax"');
  });

  describe("against a simulated board", () => {
    let sim: Simulator;
    beforeAll(async () => {
      sim = await startSimulator({ engine: "node", pty: true, cost: "zero" });
    });
    afterAll(async () => {
      await sim?.stop();
    });

    it("predict reads the data through the board's model; stream refuses data its pipeline does not match; clipping is reported", async () => {
      const port = sim.path!;
      expect((await cli("weights", "put", model, "--port", port)).code).toBe(0);
      const p = await cli("predict", at("caps.csv"), "--port", port);
      expect(p.code).toBe(1);
      expect(p.err).toContain(`${at("caps.csv")}:1: the board's model expects columns ax,ay,az (its pipeline): missing column(s) "ax", "ay", "az"`);
      // A --label-column the user named is not silently ignored (data without labels is classified only by default).
      const l = await cli("predict", good, "--port", port, "--label-column", "speed");
      expect(l.code).toBe(1);
      expect(l.err).toContain(`${good}:1: --label-column speed: missing label column "speed"`);
      const w = await cli("predict", good, "--port", port, "--window", "16");
      expect(w.code).toBe(2);
      expect(w.err).toContain("--window 16 does not match the board's model (window 8)");
      const c = await cli("predict", at("clipped.csv"), "--port", port, "--quiet");
      expect(c.code, c.err).toBe(0);
      expect(c.out).toMatch(/1 sample of column "ax" beyond its range ±[\d.]+ was clipped to it, the first at .*clipped\.csv line 42/);
      // Same feature count, other column order: the board's pipeline reads columns differently.
      const s = await cli("stream", good, "--port", port, ...W, "--columns", "ay,ax,az", "--epochs", "1", "--fresh", ...reports("s"));
      expect(s.code).toBe(2);
      expect(s.err).toContain("--columns ay,ax,az does not match the board's model: it expects columns ax,ay,az (its pipeline); leave --columns out");
    });

    it("stream and init print the clipping warning", async () => {
      const port = sim.path!;
      const s = await cli("stream", at("clipped.csv"), "--port", port, ...W, "--columns", "ax:2,ay:2,az:2", "--init", "--layers", "4", "--epochs", "1", "--fresh", "--quiet", ...reports("s2"));
      expect(s.code, s.err).toBe(0);
      expect(s.out).toContain(`1 sample of column "ax" beyond its range ±2 was clipped to it, the first at ${at("clipped.csv")} line 42 (widen it with --columns ax:RANGE)`);
      const i = await cli("init", at("clipped.csv"), "--port", port, ...W, "--columns", "ax:2,ay:2,az:2", "--layers", "4", "--json");
      expect(i.code, i.err).toBe(0);
      expect(i.err).toContain(`1 sample of column "ax" beyond its range ±2 was clipped to it, the first at ${at("clipped.csv")} line 42`);
      const summary = JSON.parse(i.out.trim().split("\n").pop()!) as { dataReport: { clippedSamples: { count: number }[] } };
      expect(summary.dataReport.clippedSamples[0]!.count).toBe(1);
    });
  });
});

