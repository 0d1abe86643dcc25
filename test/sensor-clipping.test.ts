// Clipped sensor samples reach the user (issue 12: "no silent clamping: count and report clipped values"):
// the board's pipeline stores a sample beyond its column's range as ±range and counts it; SENSOR_RESULT
// carries the count since the mode began, and record/learn/watch report it. A replayed IMU recording is
// read through a pipeline whose ranges are a quarter of the data's, so many samples exceed them; the
// counts the board reports equal those of the host's pipeline (the same code) on the same rows; the CLI (a
// child process against a simulator on a pty) prints them as warnings and in --json.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { spawn } from "node:child_process";
import { openLink } from "../host-sim/link/open";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostLink } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator, type Engine } from "../host-sim/sim/simulator";
import { defaultDatasetDir, loadDefaultDataset } from "../host-sim/data/gestures";
import { readCsvFile } from "../host-sim/data/csv";
import { putPipeline } from "../host-sim/link/sensor-link";
import { clippedOf, learnRun, recordRun, watchRun } from "../host-sim/commands/sensor";
import { FeaturePipeline, type PipelineSpec } from "../src/features/index";

const data = loadDefaultDataset();
const REPLAY = join(defaultDatasetDir(), `${data.classes[1]}.csv`);
const rows = readCsvFile(REPLAY, { columns: data.pipeline.columns }).values;
const N = data.pipeline.window, C = data.pipeline.columns.length;
const narrow: PipelineSpec = { ...data.pipeline, ranges: data.pipeline.ranges.map((r) => r / 4) };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function board(engine: Engine): Promise<HostLink> {
  const sim = await startSimulator({ engine, pty: false, cost: "zero", flashFile: null, imu: REPLAY });
  cleanup.push(() => sim.stop());
  const link = new HostLink(asBytePort(sim.port!, "board"));
  cleanup.push(() => link.destroy());
  await link.connect({ inputs: data.inputWidth, classes: data.classes.length });
  return link;
}

/** Samples of replay rows [from, to) that `spec`'s ranges clip, counted by the host's copy of the pipeline. */
function hostClipped(spec: PipelineSpec, from: number, to: number): number {
  const pipe = new FeaturePipeline(spec);
  for (let r = from; r < to; r++) pipe.pushRow(rows, r * C);
  return pipe.clippedSamples.reduce((n, c) => n + c, 0);
}

async function modes(engine: Engine, windows: number): Promise<void> {
  const link = await board(engine);
  await putPipeline(link, narrow);
  const dir = mkdtempSync(join(tmpdir(), "tinyprop-clip-"));
  // record: the DONE result counts the whole recording; the warning says so with the ranges.
  const rec = await recordRun(link, { label: "wand", count: windows, dir });
  const recorded = hostClipped(narrow, 0, windows * N);
  expect(recorded).toBeGreaterThan(0);
  expect(rec.clipped).toBe(recorded);
  expect(rec.warning).toContain(`${recorded} sensor sample(s) were beyond their column's range`);
  expect(rec.warning).toContain(`${narrow.columns[0]} ±${narrow.ranges[0]}`);
  expect(rec.warning).toContain(rec.file);
  // watch: every result carries the count since the mode began (windows back to back after the recording).
  const seen = await watchRun(link, { count: windows });
  for (let k = 0; k < windows; k++) expect(seen[k]!.clipped).toBe(hostClipped(narrow, windows * N, (windows + k + 1) * N));
  // learn: the same, for the windows it trains on.
  const learned = await learnRun(link, { label: data.classes[0]!, count: windows });
  expect(clippedOf(learned)).toBe(hostClipped(narrow, 2 * windows * N, 3 * windows * N));
  // The data's own ranges clip nothing: no count, no warning.
  await putPipeline(link, data.pipeline);
  const clean = await recordRun(link, { label: "clean", count: 1, dir });
  expect(hostClipped(data.pipeline, 3 * windows * N, (3 * windows + 1) * N)).toBe(0);
  expect([clean.clipped, clean.warning]).toEqual([0, ""]);
  await link.close();
}

describe("clipped sensor samples are counted and reported (replayed IMU beyond the pipeline's ranges)", () => {
  it("node: record, watch and learn report the board's clipped-sample counts", async () => {
    await modes("node", 2);
  }, 60000);

  it("xs: the same under the XS engine", async () => {
    await modes("xs", 1);
  }, 120000);

  it("the CLI: record, learn and watch warn with the count and carry it in --json", async () => {
    const sim = await startSimulator({ engine: "node", pty: true, cost: "zero", flashFile: null, imu: REPLAY });
    cleanup.push(() => sim.stop());
    const { link } = await openLink(sim.path!, sim.baud);
    await putPipeline(link, narrow);
    await link.close();
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-clipcli-"));
    const port = ["--port", sim.path!, "--baud", String(sim.baud)];
    const rec = await cli(["record", ...port, "--label", "wand", "--count", "1", "-o", dir]);
    expect(rec.code, rec.err).toBe(0);
    const n = hostClipped(narrow, 0, N);
    expect(rec.err).toContain(`warning: ${n} sensor sample(s) were beyond their column's range`);
    const json = await cli(["watch", ...port, "--count", "1", "--json"]);
    expect(json.code, json.err).toBe(0);
    const objects = json.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const seen = hostClipped(narrow, N, 2 * N);
    expect(objects.find((o) => o.type === "prediction")).toMatchObject({ clippedSamples: seen });
    expect(objects[objects.length - 1]).toMatchObject({ type: "summary", clippedSamples: seen });
    expect(json.err).toContain(`warning: ${seen} sensor sample(s)`);
    const learn = await cli(["learn", ...port, "--label", data.classes[0]!, "--count", "1", "--json"]);
    expect(learn.code, learn.err).toBe(0);
    const last = JSON.parse(learn.out.trim().split("\n").pop()!) as Record<string, unknown>;
    expect(last).toMatchObject({ type: "summary", clippedSamples: hostClipped(narrow, 2 * N, 3 * N) });
  }, 120000);
});

/** Runs the CLI without blocking this process (the simulated board runs here). */
function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/host/cli.js", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}
