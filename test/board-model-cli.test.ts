// Issue 8's "done when", as a user runs it: the `tinyprop` CLI (a child process) against a simulated board on
// a pseudo-terminal. A 3-class data set is streamed to a new board with --init; a 10-class model trained on
// the PC with `train --layers` is put on the board; both are fine-tuned by `stream`, fetched back with their
// class names, and predicted with names (also on data without a label column). An oversized model is
// refused with both numbers and the old model kept; the installed model survives a power cycle; data whose
// classes differ from the model's is refused with both lists. Node engine, and a small run under XS.
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./cli-run";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator, type Engine, type Simulator } from "../host-sim/sim/simulator";
import { readPipeline, readSpec } from "../src/modelfile/index";
import { readFileSync } from "node:fs";
import { syntheticCsv } from "./synthetic-sensors";

const dir = mkdtempSync(join(tmpdir(), "tinyprop-board-"));
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

// 3 classes: 3-axis vibration, 32-row windows. 10 classes: 2-axis strokes, 20-row windows.
const fan = join(dir, "fan.csv");
writeFileSync(fan, syntheticCsv({ columns: ["ax", "ay", "az"], classes: 3, window: 32, windowsPerClass: 16, rate: 200, lowHz: 20, highHz: 60, noise: 0.3, seed: 1 }));
const strokes = join(dir, "strokes.csv");
writeFileSync(strokes, syntheticCsv({ columns: ["x", "y"], classes: 10, window: 20, windowsPerClass: 10, rate: 100, lowHz: 3, highHz: 40, noise: 0.3, seed: 2 }));
// The fan data with other class names, and without its label column.
const renamed = join(dir, "renamed.csv");
writeFileSync(renamed, readFileSync(fan, "utf8").replace(/^c(\d),/gm, "speed$1,"));
const unlabelled = join(dir, "unlabelled.csv");
writeFileSync(unlabelled, readFileSync(fan, "utf8").split("\n").map((l) => l.slice(l.indexOf(",") + 1)).join("\n"));

const cli = runCli;

async function board(engine: Engine, modelBudget?: number): Promise<Simulator> {
  const sim = await startSimulator({ engine, pty: true, cost: "zero", modelBudget });
  cleanup.push(() => sim.stop());
  return sim;
}

const FAN_DATA = ["--window", "32", "--features", "stats,spectrum:4"];
const STROKE_DATA = ["--window", "20", "--features", "stats,spectrum:4"];
const out = (name: string) => join(dir, name);

describe("the board runs the user's model (CLI against the simulator)", () => {
  it("node: stream --init a 3-class set, fetch it with names, predict, survive a power cycle, refuse other classes", async () => {
    const sim = await board("node");
    const port = sim.path!;
    let r = await cli("stream", fan, "--port", port, "--init", "--layers", "12", "--epochs", "2", "--learning-rate", "0.05", ...FAN_DATA,
      "--test-split", "0.25", "--log", out("fan-log.json"), "--chart", out("fan.svg"), "--quiet");
    expect(r.err + r.out).not.toMatch(/error/i);
    expect(r.code).toBe(0);

    r = await cli("weights", "get", "--port", port, "-o", out("fan-board.tpm"));
    expect(r.code).toBe(0);
    expect(r.out).toContain("classes c0, c1, c2");
    const file = new Uint8Array(readFileSync(out("fan-board.tpm")));
    expect(readSpec(file).layers.map((l) => l.units)).toEqual([12, 3]);
    expect(readPipeline(file)?.classes).toEqual(["c0", "c1", "c2"]);

    // Data without a label column: names from the board's model, no "expected", no accuracy.
    r = await cli("predict", unlabelled, "--port", port);
    expect(r.code).toBe(0);
    const lines = r.out.split("\n").filter((l) => l.includes("unlabelled.csv:"));
    expect(lines.length).toBe(48);
    for (const l of lines) expect(l).toMatch(/ c[012] {2}\(/);
    expect(r.out).not.toContain("expected");

    // Power cycle: the board boots the installed model from its checkpoint.
    await sim.reset();
    r = await cli("info", "--port", port);
    expect(r.code).toBe(0);
    expect(r.out).toContain("model classes: c0, c1, c2");
    expect(r.out).toMatch(/softmax_cross_entropy, sgd lr 0\.05, batch/); // the board's float32 0.05 as it was set
    expect(r.out).toMatch(/model memory: plan \d+ bytes, model budget \d+ bytes, free memory \d+ bytes/);

    // Other class names with the same shape: refused while the data is read through the board's model,
    // at the first label it does not know, with the model's classes.
    r = await cli("stream", renamed, "--port", port, "--epochs", "1", ...FAN_DATA, "--fresh", "--log", out("x.json"), "--chart", out("x.svg"));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`${renamed}:2: unknown label "speed0": not one of the board's model's classes (c0, c1, c2)`);
  }, 120000);

  it("node: a 10-class model trained on the PC is put, fine-tuned, fetched and predicted with names; an oversized one is refused", async () => {
    const sim = await board("node", 24000);
    const port = sim.path!;
    let r = await cli("train", strokes, "--layers", "16", "--epochs", "15", "--optimizer", "adam", "--learning-rate", "0.01", ...STROKE_DATA,
      "--test-split", "0.2", "-o", out("strokes.tpm"), "--log", out("s-log.json"), "--chart", out("s.svg"), "--quiet");
    expect(r.code).toBe(0);
    r = await cli("weights", "put", out("strokes.tpm"), "--port", port);
    expect(r.code).toBe(0);

    // Too big for the 24000-byte budget: refused before anything changes, with both numbers.
    r = await cli("init", strokes, "--port", port, "--layers", "256,256", ...STROKE_DATA);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/needs \d+ bytes on the board, its model budget is 24000 bytes; the board keeps its current model/);

    r = await cli("stream", strokes, "--port", port, "--epochs", "1", ...STROKE_DATA, "--test-split", "0.2", "--fresh",
      "--log", out("s2.json"), "--chart", out("s2.svg"), "--quiet");
    expect(r.code).toBe(0);
    r = await cli("weights", "get", "--port", port, "-o", out("strokes-board.tpm"));
    expect(r.code).toBe(0);
    const back = new Uint8Array(readFileSync(out("strokes-board.tpm")));
    expect(readSpec(back).layers.map((l) => l.units)).toEqual([16, 10]);
    expect(readPipeline(back)?.classes).toEqual(Array.from({ length: 10 }, (_, k) => `c${k}`));

    r = await cli("predict", strokes, "--port", port);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/strokes\.csv:\d+ {2}c\d {2}\(\d/);
    expect(r.out).toMatch(/accuracy: \d+\.\d% of 100 windows/);
  }, 120000);

  it("xs: stream --init a 3-class set on the real XS engine and fetch it back with names", async () => {
    const sim = await board("xs");
    const port = sim.path!;
    let r = await cli("stream", fan, "--port", port, "--init", "--layers", "8", "--epochs", "1", ...FAN_DATA, "--test-split", "0.25",
      "--log", out("xs-log.json"), "--chart", out("xs.svg"), "--quiet");
    expect(r.code).toBe(0);
    r = await cli("weights", "get", "--port", port, "-o", out("fan-xs.tpm"));
    expect(r.code).toBe(0);
    expect(readPipeline(new Uint8Array(readFileSync(out("fan-xs.tpm"))))?.classes).toEqual(["c0", "c1", "c2"]);
  }, 180000);
});
