// `stream` to a board that already has a model reads the data once, through that model's pipeline (the one
// whose vectors are streamed), prints the data report once, and records for --resume the fingerprint of
// exactly the vectors sent (the raw windows with --raw) and of the pipeline; --resume after another model
// (another pipeline) was put on the board is refused by name before anything is sent. In virtual time
// against the in-process simulator; then the built CLI against a simulator on a pty, as a user runs it.
import { hostConnection } from "./link-helpers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "../host-sim/sim/clock";
import { startSimulator, type Simulator } from "../host-sim/sim/simulator";
import { HostLink, type SampleBatch } from "../host-sim/link/link";
import { streamRun, trainingBatches, type StreamOptions } from "../host-sim/commands/stream";
import { checkResume, runIdentity, throughOptions, type StreamLoader, type ThroughPipeline } from "../host-sim/commands/stream-input";
import { freshModelFile } from "../host-sim/commands/init";
import { installModel } from "../host-sim/commands/weights";
import { describeReport, loadDataset, type Dataset } from "../host-sim/data/gestures";
import { gestureModelSpec } from "../src/index";
import { readPipeline } from "../src/modelfile/index";
import { syntheticCsv } from "./synthetic-sensors";
import { runCli } from "./cli-run";

afterEach(() => {
  vi.restoreAllMocks();
});

const dir = mkdtempSync(join(tmpdir(), "tinyprop-streamonce-"));
const at = (name: string) => join(dir, name);
const shape = { columns: ["ax", "ay", "az"], classes: 3, window: 119, windowsPerClass: 12, rate: 200, lowHz: 10, highHz: 50, noise: 0.3 };
const fileA = at("a.csv"), fileB = at("b.csv");
writeFileSync(fileA, syntheticCsv({ ...shape, seed: 1 }));
writeFileSync(fileB, syntheticCsv({ ...shape, seed: 4, unit: 1.7 })); // beyond A's column ranges: clipped

const spec = (inputs: number) => gestureModelSpec(inputs, 3, { layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }] });
const dataA = loadDataset(fileA), ownB = loadDataset(fileB);
/** The board's first model (made from A) and another of the same shape made from B's own statistics. */
const modelA = freshModelFile(spec(dataA.inputWidth), dataA), modelB = freshModelFile(spec(ownB.inputWidth), ownB);
const BOARD = { pipeline: readPipeline(modelA)!, source: "the board's model" };
const viaA = (keepSamples = false) => loadDataset(fileB, { keepSamples, ...throughOptions(BOARD) });
const inputOf = (data: Dataset) => ({ data, throughBoard: true, pipelineFrom: "the board's model's pipeline" });

/** Every batch handed to the link, as sent. */
function tapBatches(): SampleBatch[] {
  const sent: SampleBatch[] = [];
  const send = HostLink.prototype.sendBatches;
  vi.spyOn(HostLink.prototype, "sendBatches").mockImplementation(function (this: HostLink, batches, ...rest) {
    function* tap(): Generator<SampleBatch> {
      for (const b of batches as Iterable<SampleBatch>) {
        sent.push(b);
        yield b;
      }
    }
    return send.call(this, tap(), ...rest);
  });
  return sent;
}

function concat<T extends Float32Array | Int16Array>(parts: T[], make: (n: number) => T): T {
  const all = make(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return all;
}

/** A simulated board (virtual time) holding model A; `body` streams to it. */
function onBoardWithModelA<T>(body: (sim: Simulator) => Promise<T>): Promise<T> {
  const clock = new VirtualClock({ seed: 3 });
  return clock.run(async () => {
    const sim = await startSimulator({ engine: "node", pty: false, clock, cost: "zero" });
    try {
      const link = new HostLink(hostConnection(sim));
      await link.connect();
      await installModel(link, modelA);
      await link.close();
      return await body(sim);
    } finally {
      await sim.stop();
    }
  }, { limitMs: 600_000 });
}

describe("stream to a board with a model: one read, one report, the fingerprint of what is sent", () => {
  it("features: read once through the board's pipeline; report once; --resume refused after the board's model changed", async () => {
    const report = describeReport(viaA().report);
    expect(report.some((l) => /beyond its range/.test(l))).toBe(true); // the report has a clipping line to count
    const loads: (ThroughPipeline | undefined)[] = [];
    const load: StreamLoader = async (through) => {
      loads.push(through);
      return loadDataset(fileB, throughOptions(through));
    };
    const sent = tapBatches();
    const lines: string[] = [];
    const stateFile = at("features.state.json");
    const options = (sim: Simulator): StreamOptions => ({
      source: fileB, load, port: "sim", connection: hostConnection(sim), epochs: 1, seed: 5, statePath: stateFile,
      chartPath: at("f.svg"), logPath: at("f.json"), print: (l) => lines.push(l),
    });
    const outcome = await onBoardWithModelA(async (sim) => {
      const first = await streamRun(options(sim));
      const loadsOfFirst = loads.length;
      // The same board model (trained further, its pipeline unchanged): --resume goes on, with nothing left to send.
      const again = await streamRun({ ...options(sim), resume: true, print: () => undefined });
      const link = new HostLink(hostConnection(sim));
      await link.connect();
      await installModel(link, modelB);
      await link.close();
      const sentBefore = sent.length;
      const refused = await streamRun({ ...options(sim), resume: true, print: () => undefined }).then(() => "ran", (e: Error) => e.message);
      return { first, again, loadsOfFirst, refused, sentAfterRefusal: sent.length - sentBefore };
    });

    expect(outcome.loadsOfFirst).toBe(1);
    expect(loads[0]!.pipeline).toEqual(BOARD.pipeline);
    const count = (line: string) => lines.filter((l) => l === line).length;
    for (const line of report) expect(count(line), line).toBe(1);
    expect(lines.filter((l) => l.startsWith("data: ")).length).toBe(1);
    expect(lines.filter((l) => l.includes("normalised with the board's model's pipeline")).length).toBe(1);

    // What went out is B through the board's pipeline, and the state's fingerprint is of exactly that.
    const via = viaA();
    const batch = sent[0]!.x.length / via.inputWidth;
    const firstRun = sent.slice(0, outcome.first.batches);
    expect(concat(firstRun.map((b) => b.x), (n) => new Float32Array(n))).toEqual(concat([...trainingBatches(via, 1, batch, 5)].map((b) => b.x), (n) => new Float32Array(n)));
    const key = { epochs: 1, batch, seed: 5, lr: 0.02, raw: false };
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as { fingerprint: string; pipeline: string };
    expect(state.fingerprint).toBe(runIdentity(inputOf(via), key).fingerprint);
    expect(state.fingerprint).not.toBe(runIdentity(inputOf(ownB), key).fingerprint); // not B's own statistics
    expect(state.pipeline).toBe(runIdentity(inputOf(via), key).pipeline);

    expect(outcome.again.batches).toBe(0);
    expect(outcome.refused).toMatch(/^--resume: the run saved at .*features\.state\.json read its data through the board's model's pipeline, but it is now read through the board's model's pipeline, which differs \(the same columns ax,ay,az, window 119, stride 119, features stats, but other column ranges or normalisation \(mean\/scale\)\)/);
    expect(outcome.refused).toContain("start a new run with --fresh instead of --resume");
    expect(outcome.sentAfterRefusal).toBe(0);
  }, 120_000);

  it("--raw: the raw windows sent are B's windows through the board's pipeline, and the fingerprint is theirs", async () => {
    const loads: (ThroughPipeline | undefined)[] = [];
    const load: StreamLoader = async (through) => {
      loads.push(through);
      return loadDataset(fileB, { keepSamples: true, ...throughOptions(through) });
    };
    const sent = tapBatches();
    const stateFile = at("raw.state.json");
    const lines: string[] = [];
    await onBoardWithModelA((sim) => streamRun({
      source: fileB, load, raw: true, port: "sim", connection: hostConnection(sim), epochs: 1, seed: 5, statePath: stateFile,
      chartPath: at("r.svg"), logPath: at("r.json"), print: (l) => lines.push(l),
    }));
    expect(loads.length).toBe(1);
    expect(loads[0]!.pipeline).toEqual(BOARD.pipeline);
    expect(lines.filter((l) => l.startsWith("data: ")).length).toBe(1);
    const via = viaA(true);
    const batch = sent[0]!.raw!.data.length / (via.pipeline.window * via.pipeline.columns.length);
    const windows = (bs: SampleBatch[]) => concat(bs.map((b) => b.raw!.data), (n) => new Int16Array(n));
    expect(windows(sent)).toEqual(windows([...trainingBatches(via, 1, batch, 5, true)]));
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as { fingerprint: string };
    const key = { epochs: 1, batch, seed: 5, lr: 0.02, raw: true };
    expect(state.fingerprint).toBe(runIdentity(inputOf(via), key).fingerprint);
    expect(state.fingerprint).not.toBe(runIdentity(inputOf(via), { ...key, raw: false }).fingerprint);
  }, 120_000);

  it("checkResume: a run saved before pipelines were recorded is checked by its fingerprint alone", () => {
    const now = runIdentity(inputOf(viaA()), { epochs: 1, batch: 4, seed: 5, lr: 0.02, raw: false });
    expect(() => checkResume({ fingerprint: now.fingerprint }, now, "s.json")).not.toThrow();
    expect(() => checkResume({ fingerprint: "0000" }, now, "s.json")).toThrow("--resume: s.json belongs to a run with other data or options (epochs, batch, seed, lr, or the pipeline the data is read with)");
    const other = runIdentity({ data: ownB, throughBoard: false, pipelineFrom: "the data's own pipeline" }, { epochs: 1, batch: 4, seed: 5, lr: 0.02, raw: false });
    expect(() => checkResume(other, now, "s.json")).toThrow("read its data through the data's own pipeline, but it is now read through the board's model's pipeline");
  });
});

describe("the CLI against a simulated board on a pty", () => {
  it("prints the data report once; --resume after weights put of another model exits 2 and says why", async () => {
    const sim = await startSimulator({ engine: "node", pty: true, cost: "zero" });
    try {
      const port = sim.path!;
      writeFileSync(at("a.tpm"), modelA);
      writeFileSync(at("b.tpm"), modelB);
      const put = await runCli("weights", "put", at("a.tpm"), "--port", port);
      expect(put.code, put.err).toBe(0);
      const files = ["--chart", at("cli.svg"), "--log", at("cli.json")];
      const s = await runCli("stream", fileB, "--port", port, "--epochs", "1", "--fresh", ...files);
      expect(s.code, s.err).toBe(0);
      const out = s.out.split("\n");
      const report = describeReport(viaA().report);
      const clipping = report.filter((l) => /beyond its range/.test(l));
      expect(clipping.length).toBeGreaterThan(0);
      for (const line of clipping) expect(out.filter((l) => l === line).length, line).toBe(1);
      expect(out.filter((l) => l.startsWith("data: ")).length).toBe(1);
      expect((JSON.parse(readFileSync(at("cli.state.json"), "utf8")) as { pipelineFrom: string }).pipelineFrom).toBe("the board's model's pipeline");

      expect((await runCli("weights", "put", at("b.tpm"), "--port", port)).code).toBe(0);
      const r = await runCli("stream", fileB, "--port", port, "--epochs", "1", "--resume", ...files);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`--resume: the run saved at ${at("cli.state.json")} read its data through the board's model's pipeline, but it is now read through the board's model's pipeline, which differs`);
    } finally {
      await sim.stop();
    }
  }, 120_000);
});
