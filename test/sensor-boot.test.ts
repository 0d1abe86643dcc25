// The board on its own (issue 12): a pipeline installed by PIPELINE_PUT is checkpointed and survives a
// power cycle; a board configured with config.sensor.mode "infer" classifies its own windows from boot and
// reports them to a host that only says HELLO (and to `watch --listen`, which leaves the mode running); holding the learn button (config.sensor.button, driven by
// the simulator like `tinyprop sim` does from "press"/"release" on stdin) trains the model on the board's
// own windows of the current class, a short press picks the next class, and what was learned is saved;
// a host's counted mode takes over and the board goes home after it, a host's idle keeps it idle.
// Node and XS engines, in virtual time (the sensor's timer runs at 119 Hz: 8 ms per row, ~1 s per window).
import { hostConnection } from "./link-helpers";
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { HostLink } from "../host-sim/link/link";
import { startSimulator, type Engine, type Simulator } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";
import { defaultDatasetDir, loadDefaultDataset } from "../host-sim/data/gestures";
import { readCsvFile } from "../host-sim/data/csv";
import { ensurePipeline, getPipeline, putPipeline, SensorFeed, setSensorMode } from "../host-sim/link/sensor-link";
import { FeaturePipeline } from "../src/features/index";
import type { SensorConfig } from "../src/app/sensor-config";
import * as P from "../src/protocol/index";
import { watchRun } from "../host-sim/commands/sensor";

const data = loadDefaultDataset();
const CLASS = 2;
const REPLAY = join(defaultDatasetDir(), `${data.classes[CLASS]}.csv`);
const rows = readCsvFile(REPLAY, { columns: data.pipeline.columns }).values;
const N = data.pipeline.window, C = data.pipeline.columns.length, R = rows.length / C;
/** Virtual ms per window: the board samples every round(1000 / 119) = 8 ms. */
const WINDOW_MS = N * 8;

/** The host's model inputs for the replay's window `w` (rows w*N.., wrapping like the replay does). */
function hostInputs(w: number): Float32Array {
  const pipe = new FeaturePipeline(data.pipeline);
  const row = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    const r = (w * N + i) % R;
    for (let c = 0; c < C; c++) row[c] = rows[r * C + c]!;
    pipe.pushRow(row, 0);
  }
  const x = new Float32Array(pipe.width);
  pipe.extract(x, 0);
  return x;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)); // virtual time inside clock.run

async function onBoard(engine: Engine, sensor: SensorConfig | undefined | { flashFile: null }, body: (sim: Simulator, connect: () => Promise<HostLink>) => Promise<void>): Promise<void> {
  const clock = new VirtualClock({ seed: 3 });
  await clock.run(async () => {
    const noFlash = sensor !== undefined && "flashFile" in sensor;
    const sim = await startSimulator({ engine, pty: false, clock, cost: "zero", imu: REPLAY, sensor: noFlash ? undefined : sensor, flashFile: noFlash ? null : undefined });
    const links: HostLink[] = [];
    const connect = async (): Promise<HostLink> => {
      // A host process of its own on the board's port (closing it does not unplug the board).
      const port = hostConnection(sim, "board");
      const link = new HostLink(port, { clock });
      links.push(link);
      await link.connect({ inputs: data.inputWidth, classes: data.classes.length });
      return link;
    };
    try {
      await body(sim, connect);
    } finally {
      for (const l of links) l.destroy();
      await sim.stop();
    }
  }, { limitMs: 600_000 });
}

async function pipelineSurvivesReset(engine: Engine): Promise<void> {
  await onBoard(engine, undefined, async (sim, connect) => {
    const link = await connect();
    await expect(getPipeline(link)).rejects.toThrow(/no input pipeline/);
    const before = sim.flash()!.bytesWritten;
    await putPipeline(link, data.pipeline);
    const saved = sim.flash()!.bytesWritten;
    expect(saved).toBeGreaterThan(before); // PIPELINE_PUT alone writes a checkpoint
    await putPipeline(link, data.pipeline);
    expect(sim.flash()!.bytesWritten).toBe(saved); // the same pipeline again: no flash write
    link.destroy();
    await sim.reset();
    const again = await connect();
    expect(await getPipeline(again)).toEqual(data.pipeline);
    await again.close();
  });
}

/** Boots with config.sensor.mode "infer": after a power cycle, a host that only connects gets classes. */
async function bootInfer(engine: Engine, windows: number): Promise<void> {
  await onBoard(engine, { mode: "infer" }, async (sim, connect) => {
    const first = await connect();
    await putPipeline(first, data.pipeline); // checkpointed; the board starts inferring at once
    first.destroy();
    await sim.reset();
    await sleep(2 * WINDOW_MS); // the board classifies with nobody listening (results dropped, not queued)
    const link = await connect(); // HELLO only: no SENSOR_MODE
    const feed = new SensorFeed();
    feed.listen(link);
    while (feed.results.length < windows) await sleep(WINDOW_MS);
    link.onUnsolicited(undefined);
    expect(feed.problems).toEqual([]);
    const results = feed.results.slice(0, windows);
    expect(results[0]!.window).toBeGreaterThanOrEqual(1); // windows before the host came were not held back
    for (const r of results) {
      expect(r.mode).toBe(P.MODE_INFER);
      const scores = await link.predict(hostInputs(r.window), 1);
      const best = scores.indexOf(Math.max(...scores));
      expect(r.classIndex).toBe(best);
      expect(r.confidence).toBe(scores[best]); // the board's features of its own rows are the host's, bit for bit
    }
    // watch --listen prints the board's own results and leaves its mode running (plain watch would start a
    // host infer and, at Ctrl-C, set the sensor idle until the next boot).
    const lines: string[] = [];
    const watched = await watchRun(link, { count: 2, listen: true, print: (l) => lines.push(l) });
    expect(watched.map((r) => r.mode)).toEqual([P.MODE_INFER, P.MODE_INFER]);
    expect(watched.map((r) => r.remaining)).toEqual([0, 0]); // the home mode's (unbounded), not a counted host infer
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^(${data.classes.join("|")})  \\d+\\.\\d%`));
    const still = new SensorFeed();
    still.listen(link);
    await sleep(2 * WINDOW_MS);
    link.onUnsolicited(undefined);
    expect(still.results.length).toBeGreaterThan(0);
    expect(still.results.every((r) => r.mode === P.MODE_INFER)).toBe(true);
    await link.close();
  });
}

/** Connects, installs the data's pipeline and listens: the board's home mode starts, and results arrive within two windows. */
async function pipelineInstalled(connect: () => Promise<HostLink>): Promise<{ link: HostLink; feed: SensorFeed }> {
  const link = await connect();
  await putPipeline(link, data.pipeline);
  const feed = new SensorFeed();
  feed.listen(link);
  await sleep(2 * WINDOW_MS);
  expect(feed.results.length).toBeGreaterThan(0);
  return { link, feed };
}

/** Hold the button for 3.5 windows: it learns class CLASS (config label); a short press moves to the next. */
async function buttonLearn(engine: Engine): Promise<void> {
  await onBoard(engine, { mode: "infer", label: data.classes[CLASS], button: { pin: 0 } }, async (sim, connect) => {
    const { link, feed } = await pipelineInstalled(connect);
    expect(feed.results.every((r) => r.mode === P.MODE_INFER)).toBe(true);
    const before = (await link.predict(hostInputs(0), 1))[CLASS]!;
    const savedBefore = sim.flash()!.bytesWritten;

    const held = feed.results.length;
    sim.button(true);
    await sleep(3.5 * WINDOW_MS);
    sim.button(false);
    await sleep(100);
    const learned = feed.results.slice(held).filter((r) => r.mode === P.MODE_LEARN);
    expect(learned.length).toBe(3); // windows start at the press: 3 complete while it is held
    expect(learned.map((r) => r.classIndex)).toEqual([CLASS, CLASS, CLASS]);
    expect(learned.every((r) => Number.isFinite(r.loss) && r.loss > 0)).toBe(true);
    const after = (await link.predict(hostInputs(0), 1))[CLASS]!;
    expect(after).toBeGreaterThan(before);
    expect(sim.flash()!.bytesWritten).toBeGreaterThan(savedBefore); // what it learned is checkpointed on release

    // Back to inferring; a short press picks the next class, so the next hold learns CLASS + 1.
    await sleep(2 * WINDOW_MS);
    expect(feed.results[feed.results.length - 1]!.mode).toBe(P.MODE_INFER);
    sim.button(true);
    await sleep(150);
    sim.button(false);
    await sleep(100);
    const mark = feed.results.length;
    sim.button(true);
    await sleep(1.5 * WINDOW_MS);
    sim.button(false);
    await sleep(100);
    const next = feed.results.slice(mark).filter((r) => r.mode === P.MODE_LEARN);
    expect(next.length).toBe(1);
    expect(next[0]!.classIndex).toBe(CLASS + 1);

    // A bounce (press and release within the debounce time) changes nothing.
    const weights = (await link.getWeights()).blob;
    sim.button(true);
    await sleep(5);
    sim.button(false);
    await sleep(2 * WINDOW_MS);
    expect(feed.results.slice(-2).every((r) => r.mode === P.MODE_INFER)).toBe(true);
    expect(Buffer.from((await link.getWeights()).blob).equals(Buffer.from(weights))).toBe(true);

    // The learned weights survive a power cycle (the checkpoint written on release).
    link.onUnsolicited(undefined);
    link.destroy();
    await sim.reset();
    const again = await connect();
    expect(Buffer.from((await again.getWeights()).blob).equals(Buffer.from(weights))).toBe(true);
    await again.close();
  });
}

describe("a pipeline installed by PIPELINE_PUT survives a power cycle", () => {
  it("node", () => pipelineSurvivesReset("node"), 60_000);
  it("xs", () => pipelineSurvivesReset("xs"), 120_000);
});

describe("stream --raw sends the pipeline only when the board's differs (ensurePipeline)", () => {
  it("sent to a new board, not again, not after a power cycle; again to a board without checkpoint storage", async () => {
    await onBoard("node", undefined, async (sim, connect) => {
      const link = await connect();
      expect(await ensurePipeline(link, data.pipeline)).toBe(true);
      expect(await ensurePipeline(link, data.pipeline)).toBe(false);
      const other = { ...data.pipeline, clip: data.pipeline.clip + 1 };
      expect(await ensurePipeline(link, other)).toBe(true);
      expect(await getPipeline(link)).toEqual(other);
      link.destroy();
      await sim.reset();
      const again = await connect();
      expect(await ensurePipeline(again, other)).toBe(false);
      await again.close();
    });
    await onBoard("node", { flashFile: null }, async (sim, connect) => {
      const link = await connect();
      expect(await ensurePipeline(link, data.pipeline)).toBe(true);
      link.destroy();
      await sim.reset();
      const again = await connect();
      expect(await ensurePipeline(again, data.pipeline)).toBe(true);
      await again.close();
    });
  }, 60_000);
});

describe("config.sensor.mode: the board infers from boot with no host command", () => {
  it("node", () => bootInfer("node", 3), 60_000);
  it("xs", () => bootInfer("xs", 2), 180_000);
});

describe("a host's mode over the home mode", () => {
  it("node: a counted host mode takes over, the board goes back home after it, a new pipeline restarts it; a host's idle keeps it idle", async () => {
    await onBoard("node", { mode: "infer" }, async (_sim, connect) => {
      const { link, feed } = await pipelineInstalled(connect);
      const mark = feed.results.length;
      await setSensorMode(link, "learn", CLASS, 2);
      await sleep(4 * WINDOW_MS);
      const after = feed.results.slice(mark).map((r) => r.mode);
      const learned = after.indexOf(P.MODE_LEARN);
      expect(after.filter((m) => m === P.MODE_LEARN).length).toBe(2);
      expect(after.slice(learned + 2).length).toBeGreaterThan(0);
      expect(after.slice(learned + 2).every((m) => m === P.MODE_INFER)).toBe(true); // home again
      // A new pipeline while inferring (refused before while a mode ran): the mode restarts with it.
      await putPipeline(link, { ...data.pipeline, clip: data.pipeline.clip + 1 });
      const swapped = feed.results.length;
      await sleep(2 * WINDOW_MS);
      expect(feed.results.slice(swapped).filter((r) => r.mode === P.MODE_INFER).length).toBeGreaterThan(0);
      await setSensorMode(link, "idle");
      await sleep(100);
      const quiet = feed.results.length;
      await sleep(3 * WINDOW_MS);
      expect(feed.results.length).toBe(quiet);
      await link.close();
    });
  }, 60_000);
});

describe("the learn button: hold to learn the board's own windows, short press for the next class", () => {
  it("node", () => buttonLearn("node"), 60_000);
  it("xs", () => buttonLearn("xs"), 240_000);
});
