// Clipped sensor samples reach the user (issue 12: "no silent clamping: count and report clipped values"):
// the board's pipeline stores a sample beyond its column's range as ±range and counts it, and a normalised
// feature beyond ±clip as ±clip; SENSOR_RESULT carries both counts since the mode began, and
// record/learn/watch report them. A replayed IMU recording is
// read through a pipeline whose ranges are a quarter of the data's, so many samples exceed them; the
// counts the board reports equal those of the host's pipeline (the same code) on the same rows; the CLI (a
// child process against a simulator on a pty) prints them as warnings and in --json. The in-process boards
// run in virtual time (the replay keeps the sensor's rate on the simulator's clock).
import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { runCli } from "./cli-run";
import { SensorBoards } from "./sensor-board";
import { openLink } from "../host-sim/link/open";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostLink } from "../host-sim/link/link";
import { startSimulator, type Engine } from "../host-sim/sim/simulator";
import { defaultDatasetDir, loadDefaultDataset } from "../host-sim/data/gestures";
import { readCsvFile } from "../host-sim/data/csv";
import { putPipeline } from "../host-sim/link/sensor-link";
import { clippedFeaturesOf, clippedOf, learnRun, recordRun, watchRun } from "../host-sim/commands/sensor";
import { FeaturePipeline, type PipelineSpec } from "../src/features/index";

const data = loadDefaultDataset();
const REPLAY = join(defaultDatasetDir(), `${data.classes[1]}.csv`);
const rows = readCsvFile(REPLAY, { columns: data.pipeline.columns }).values;
const N = data.pipeline.window, C = data.pipeline.columns.length;
const narrow: PipelineSpec = { ...data.pipeline, ranges: data.pipeline.ranges.map((r) => r / 4) };
/** A pipeline that clips normalised features at ±0.5: most windows of any recording have some beyond it. */
const tight: PipelineSpec = { ...data.pipeline, clip: 0.5 };
/** The built CLI as a child process (the simulated board runs in this process). */
const cli = (args: string[]) => runCli(...args);
const boards = new SensorBoards(9, { inputs: data.inputWidth, classes: data.classes.length });
const inVirtualTime = (body: () => Promise<void>) => boards.run(body);
async function board(engine: Engine): Promise<HostLink> {
  return boards.board(engine, REPLAY);
}

/** Samples of replay rows [from, to) that `spec`'s ranges clip, counted by the host's copy of the pipeline. */
function hostClipped(spec: PipelineSpec, from: number, to: number): number {
  const pipe = new FeaturePipeline(spec);
  for (let r = from; r < to; r++) pipe.pushRow(rows, r * C);
  return pipe.clippedSamples.reduce((n, c) => n + c, 0);
}

/** Normalised features of the replay's windows in rows [from, to) that `spec` clips to ±clip (host's pipeline). */
function hostClippedFeatures(spec: PipelineSpec, from: number, to: number): number {
  let n = 0;
  for (let first = from; first < to; first += N) {
    const pipe = new FeaturePipeline(spec);
    for (let r = first; r < first + N; r++) pipe.pushRow(rows, r * C);
    pipe.extract(new Float32Array(pipe.width), 0);
    n += pipe.clippedFeatures;
  }
  return n;
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
  // Model inputs beyond the pipeline's clip: each result counts them since the mode began, as the host does.
  await putPipeline(link, tight);
  const from = (3 * windows + 1) * N;
  const tightSeen = await watchRun(link, { count: windows });
  expect(hostClippedFeatures(tight, from, from + windows * N)).toBeGreaterThan(0);
  for (let k = 0; k < windows; k++) expect(tightSeen[k]!.clippedFeatures).toBe(hostClippedFeatures(tight, from, from + (k + 1) * N));
  expect(clippedOf(tightSeen)).toBe(0);
  expect(clippedFeaturesOf(tightSeen)).toBe(hostClippedFeatures(tight, from, from + windows * N));
  await link.close();
}

describe("clipped sensor samples are counted and reported (replayed IMU beyond the pipeline's ranges)", () => {
  it("node: record, watch and learn report the board's clipped-sample counts", async () => {
    await inVirtualTime(() => modes("node", 2));
  }, 60000);

  it("xs: the same under the XS engine", async () => {
    await inVirtualTime(() => modes("xs", 1));
  }, 120000);

  it("the CLI: record, learn and watch warn with the count and carry it in --json", async () => {
    const sim = await startSimulator({ engine: "node", pty: true, cost: "zero", flashFile: null, imu: REPLAY });
    try {
      await cliModes(sim.path!, sim.baud);
    } finally {
      await sim.stop();
    }
  }, 120000);
});

async function cliModes(path: string, baud: number): Promise<void> {
  const { link } = await openLink(path, baud);
  await putPipeline(link, narrow);
  await link.close();
  const dir = mkdtempSync(join(tmpdir(), "tinyprop-clipcli-"));
  const port = ["--port", path, "--baud", String(baud)];
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
  // Clipped model inputs: counted on the board like the host's pipeline counts them, and warned about.
  const { link: again } = await openLink(path, baud);
  await putPipeline(again, tight);
  await again.close();
  const watched = await cli(["watch", ...port, "--count", "1", "--json"]);
  expect(watched.code, watched.err).toBe(0);
  const features = hostClippedFeatures(tight, 3 * N, 4 * N);
  expect(features).toBeGreaterThan(0);
  expect(JSON.parse(watched.out.trim().split("\n").pop()!)).toMatchObject({ type: "summary", clippedSamples: 0, clippedFeatures: features });
  expect(watched.err).toContain(`warning: ${features} model input(s) (normalised features) were beyond the pipeline's clip`);
}

