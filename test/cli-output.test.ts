// --json and --quiet on every long command, run as a user does (spawned processes): with --json stdout is
// only JSON objects, one per line, the last one {"type":"summary"}; with --quiet only the result lines
// remain (no progress, no informational lines). Commands that talk to a board run against a simulated one
// on a pseudo-terminal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator, type Simulator } from "../host-sim/sim/simulator";
import { commands } from "../host-sim/commands/index";

const CLI = join(process.cwd(), "dist/host/cli.js");
const DATA = join(process.cwd(), "data/magic-wand-imu-spells/data");
let dir = "";

/** Runs the CLI asynchronously (the simulated board lives in this process and must keep running). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every stdout line is one JSON object with a type; returns them, the last being the summary. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  const lines = stdout.trim().split("\n");
  const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const o of objects) expect(typeof o.type).toBe("string");
  expect(objects[objects.length - 1]!.type).toBe("summary");
  return objects;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tinyprop-output-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--json and --quiet", () => {
  it("every long command declares both (one shared option group)", () => {
    for (const name of ["demo", "train", "evaluate", "quantize", "convert", "stream", "predict", "weights", "init", "record", "learn", "watch"]) {
      expect(commands[name]!.options.json?.type, name).toBe("flag");
      expect(commands[name]!.options.quiet?.type, name).toBe("flag");
    }
  });

  it("train, evaluate, quantize and convert", async () => {
    const train = await cli(["train", DATA, "--epochs", "2", "-o", "m.tpm", "--json", "--chart", "c.svg", "--log", "l.json"]);
    expect(train.status, train.stderr).toBe(0);
    const t = jsonLines(train.stdout);
    expect(t.filter((o) => o.type === "progress")).toHaveLength(2);
    expect(t[t.length - 1]!.model).toBe("m.tpm");

    const evaluate = await cli(["evaluate", "m.tpm", DATA, "--json"]);
    expect(evaluate.status, evaluate.stderr).toBe(0);
    const e = jsonLines(evaluate.stdout);
    expect(e[e.length - 1]).toMatchObject({ samples: 125, classes: expect.any(Array) });
    const quietEval = await cli(["evaluate", "m.tpm", DATA, "--quiet"]);
    expect(quietEval.stdout).toMatch(/^m\.tpm on .*: 125 samples, loss [\d.]+, accuracy [\d.]+%/);

    const quantize = await cli(["quantize", "m.tpm", "-o", "q.tpm", "--default-data", "--json"]);
    expect(quantize.status, quantize.stderr).toBe(0);
    const q = jsonLines(quantize.stdout);
    expect(q[q.length - 1]).toMatchObject({ output: "q.tpm", bytes: expect.any(Number), accuracy: [{ split: "train" }, { split: "test" }] });
    const quietQuantize = await cli(["quantize", "m.tpm", "-o", "q.tpm", "--default-data", "--quiet"]);
    expect(quietQuantize.stdout).not.toMatch(/Q formats/);
    expect(quietQuantize.stdout).toMatch(/^test accuracy \(25 samples\): float32 [\d.]+% -> fixed [\d.]+%$/m);
    expect(quietQuantize.stdout).toMatch(/^wrote q\.tpm/m);

    const model = join(dir, "tfjs");
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, "w.bin"), new Uint8Array(new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0, 0]).buffer));
    writeFileSync(join(model, "model.json"), JSON.stringify({
      modelTopology: { class_name: "Sequential", config: { layers: [{ class_name: "Dense", config: { name: "d", units: 2, activation: "softmax", batch_input_shape: [null, 3] } }] } },
      weightsManifest: [{ paths: ["w.bin"], weights: [{ name: "d/kernel", shape: [3, 2], dtype: "float32" }, { name: "d/bias", shape: [2], dtype: "float32" }] }],
    }));
    const convert = await cli(["convert", join(model, "model.json"), "-o", "c.tpm", "--json"]);
    expect(convert.status, convert.stderr).toBe(0);
    expect(jsonLines(convert.stdout)[0]).toMatchObject({ output: "c.tpm", inputs: 3, parameters: 8 });
    const quietConvert = await cli(["convert", join(model, "model.json"), "-o", "c.tpm", "--quiet"]);
    expect(quietConvert.stdout.trim()).toMatch(/^wrote c\.tpm \(\d+ bytes\)$/);
  }, 300_000);

  describe("against a simulated board", () => {
    let sim: Simulator;
    beforeAll(async () => {
      sim = await startSimulator({ engine: "node", pty: true });
    });
    afterAll(async () => {
      await sim.stop();
    });

    it("weights get/put and predict", async () => {
      const port = ["--port", sim.path!];
      const get = await cli(["weights", "get", ...port, "-o", "board.tpm", "--json"]);
      expect(get.status, get.stderr).toBe(0);
      expect(jsonLines(get.stdout)[0]).toMatchObject({ action: "get", file: "board.tpm", batchId: expect.any(Number) });
      const put = await cli(["weights", "put", "board.tpm", ...port, "--quiet"]);
      expect(put.status, put.stderr).toBe(0);
      expect(put.stdout.trim()).toMatch(/^sent board\.tpm to the board: \d+ bytes/);
      const putJson = await cli(["weights", "put", "board.tpm", ...port, "--json"]);
      expect(jsonLines(putJson.stdout)[0]).toMatchObject({ action: "put", file: "board.tpm" });

      const train = await cli(["train", DATA, "--epochs", "1", "-o", "p.tpm", "--quiet", "--chart", "c2.svg", "--log", "l2.json"]);
      expect(train.status, train.stderr).toBe(0);
      const predict = await cli(["predict", DATA, ...port, "--model", "p.tpm", "--json"]);
      expect(predict.status, predict.stderr).toBe(0);
      const p = jsonLines(predict.stdout);
      expect(p.filter((o) => o.type === "prediction")).toHaveLength(125);
      expect(p[p.length - 1]).toMatchObject({ windows: 125, accuracy: expect.any(Number) });
      const quiet = await cli(["predict", DATA, ...port, "--model", "p.tpm", "--quiet"]);
      expect(quiet.stdout.trim()).toMatch(/^accuracy: [\d.]+% of 125 windows$/);
    }, 300_000);
  });

  it("demo", async () => {
    const demo = await cli(["demo", "--epochs", "1", "--json"]);
    expect(demo.status, demo.stderr).toBe(0);
    const d = jsonLines(demo.stdout);
    expect(d.some((o) => o.type === "progress")).toBe(true);
    expect(d[d.length - 1]).toMatchObject({ testAccuracy: expect.any(Number) });
    const quiet = await cli(["demo", "--epochs", "1", "--quiet"]);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stdout).not.toMatch(/simulated board|streaming \[|data:/);
    expect(quiet.stdout).toMatch(/final test accuracy: [\d.]+%/);
  }, 300_000);
});

