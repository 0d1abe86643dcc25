// The board's own sensor, end to end in the simulator (issue 12): an IMU stand-in behind Moddable's
// MPU-6050 driver interface replays a recording at the sensor rate; the host installs the pipeline and
// runs record (windows back as CSV), infer (class + confidence) and learn (the board trains on its own
// windows). Features on the board are the host's bit for bit: the board's confidences equal the
// device model's scores of the host-computed features of the same rows. In virtual time: the replay runs
// at the sensor rate on the simulator's clock, so a loaded machine cannot make it miss samples or time out.
// Then as a user runs them: the built CLI's record, watch and learn over a pty to the board under XS.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostLink } from "../host-sim/link/link";
import type { Engine } from "../host-sim/sim/simulator";
import { SensorBoards, windowCounts, windowInputs } from "./sensor-board";
import { defaultDatasetDir, loadDefaultDataset } from "../host-sim/data/gestures";
import { readCsvFile } from "../host-sim/data/csv";
import { putPipeline } from "../host-sim/link/sensor-link";
import { learnRun, recordRun, watchRun } from "../host-sim/commands/sensor";
import { loadWindows } from "../host-sim/data/dataset";
import { startSimulator } from "../host-sim/sim/simulator";
import { openLink } from "../host-sim/link/open";
import { runCli } from "./cli-run";

const data = loadDefaultDataset();
const CLASS = 2;
const REPLAY = join(defaultDatasetDir(), `${data.classes[CLASS]}.csv`);
const rows = readCsvFile(REPLAY, { columns: data.pipeline.columns }).values;
const N = data.pipeline.window;
const boards = new SensorBoards(5, { inputs: data.inputWidth, classes: data.classes.length });
const inVirtualTime = (body: () => Promise<void>) => boards.run(body);
async function board(engine: Engine, imu: string | null = REPLAY): Promise<HostLink> {
  return boards.board(engine, imu);
}

/** The host's model inputs for the replay's window starting at row `first` (same code as the board's). */
const hostInputs = (first: number) => windowInputs(data.pipeline, rows, first);

async function recordInferLearn(engine: Engine, windows: number): Promise<void> {
  const link = await board(engine);
  await putPipeline(link, data.pipeline);
  // record: the windows come back as the host quantises the same rows, and as CSV that train reads.
  const dir = mkdtempSync(join(tmpdir(), "tinyprop-record-"));
  const rec = await recordRun(link, { label: "wand", count: windows, dir });
  expect(rec.windows.length).toBe(windows);
  for (let w = 0; w < windows; w++) {
    expect(Array.from(rec.windows[w]!.counts)).toEqual(windowCounts(data.pipeline, rows, w * N));
  }
  const back = loadWindows(dir, { pipeline: { ...data.pipeline, classes: [] } });
  expect(back.windows.length).toBe(windows);
  expect(readFileSync(rec.file, "utf8").split("\n")[0]).toBe(data.pipeline.columns.join(","));
  // infer: the replay continues after the recorded rows; windows follow back to back (stride = window).
  // The timeout is for silence: a count that takes longer than it (a window is ~0.95 s at 125 Hz) completes.
  const results = await watchRun(link, { count: windows, timeoutMs: 1500 });
  expect(results.length).toBe(windows);
  for (let k = 0; k < windows; k++) {
    const scores = await link.predict(hostInputs((windows + k) * N), 1);
    const best = scores.indexOf(Math.max(...scores));
    expect(results[k]!.classIndex).toBe(best);
    expect(results[k]!.confidence).toBe(scores[best]); // float32 equal: the board's features are the host's
  }
  // learn: the board trains on its next windows as class CLASS; its probability for them rises.
  const next = (2 * windows) * N;
  const before = (await link.predict(hostInputs(next), 1))[CLASS]!;
  const learned = await learnRun(link, { label: data.classes[CLASS]!, count: 2 * windows });
  expect(learned.length).toBe(2 * windows);
  expect(learned.every((r) => Number.isFinite(r.loss))).toBe(true);
  expect(learned[learned.length - 1]!.done).toBe(true);
  const after = (await link.predict(hostInputs(next), 1))[CLASS]!;
  expect(after).toBeGreaterThan(before);
  await link.close();
}

describe("the board's own sensor (replayed IMU)", () => {
  it("node: record, infer and learn; board features equal the host's bit for bit", async () => {
    await inVirtualTime(() => recordInferLearn("node", 3));
  }, 60000);

  it("xs: the same under the XS engine", async () => {
    await inVirtualTime(() => recordInferLearn("xs", 1));
  }, 120000);

  it("refuses sensor modes without a pipeline, and reports a board without an IMU", () => inVirtualTime(async () => {
    const link = await board("node");
    await expect(watchRun(link, { count: 1 })).rejects.toThrow(/no input pipeline/);
    await link.close();
    const bare = await board("node", null);
    await putPipeline(bare, data.pipeline);
    await expect(watchRun(bare, { count: 1 })).rejects.toThrow(/does not support a sensor/);
    await bare.close();
  }), 60000);

  it("learn names the board's classes when the label is not one of them", () => inVirtualTime(async () => {
    const link = await board("node");
    await putPipeline(link, data.pipeline);
    await expect(learnRun(link, { label: "wave", count: 1 })).rejects.toThrow(/not one of the board's classes \(AlohomoraCharm/);
    await link.close();
  }), 60000);
});

describe("the CLI's sensor modes over a pty, board under XS", () => {
  it("record writes the replay's first window, watch classifies the next as the board's model does, learn trains", async () => {
    const sim = await startSimulator({ engine: "xs", pty: true, cost: "zero", flashFile: null, imu: REPLAY });
    try {
      const port = ["--port", sim.path!, "--baud", String(sim.baud)];
      const { link } = await openLink(sim.path!, sim.baud);
      await putPipeline(link, data.pipeline);
      await link.close();
      // The replay advances only while a mode samples, so each command gets the next window of rows.
      const dir = mkdtempSync(join(tmpdir(), "tinyprop-record-cli-"));
      const rec = await runCli("record", ...port, "--label", "wand", "--count", "1", "-o", dir);
      expect(rec.code, rec.err).toBe(0);
      const written = readCsvFile(join(dir, "wand.csv"), { columns: data.pipeline.columns }).values;
      expect(windowCounts(data.pipeline, written, 0)).toEqual(windowCounts(data.pipeline, rows, 0));
      const watch = await runCli("watch", ...port, "--count", "1", "--json");
      expect(watch.code, watch.err).toBe(0);
      const seen = watch.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>).find((o) => o.type === "prediction")!;
      // What watch printed is the board's model on the host's features of window 1, bit for bit.
      const check = await openLink(sim.path!, sim.baud);
      const scores = await check.link.predict(hostInputs(N), 1);
      await check.link.close();
      const best = scores.indexOf(Math.max(...scores));
      expect([seen.classIndex, seen.confidence, seen.class]).toEqual([best, scores[best], data.classes[best]]);
      const learn = await runCli("learn", ...port, "--label", data.classes[CLASS]!, "--count", "1", "--json");
      expect(learn.code, learn.err).toBe(0);
      expect(JSON.parse(learn.out.trim().split("\n").pop()!)).toMatchObject({ type: "summary", label: data.classes[CLASS], windows: 1 });
    } finally {
      await sim.stop();
    }
  }, 120_000);
});
