// Data shaped unlike the bundled gestures (3 axes in m/s², other column names, other windows and rates, 3
// and 10 classes), from the deterministic generator in test/synthetic-sensors.ts: the documented options
// load it and train to good accuracy, and the CLI wires the same options into train and evaluate, with
// errors naming the file, line and setting.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { syntheticCsv, type SyntheticOptions } from "./synthetic-sensors";
import { loadDataset } from "../host-sim/data/gestures";
import { train } from "../host-sim/training";
import { gestureModelSpec } from "../src/app/gesture-model";

const dir = mkdtempSync(join(tmpdir(), "tinyprop-shapes-"));
const FAN: SyntheticOptions = { columns: ["ax", "ay", "az"], classes: 3, window: 64, windowsPerClass: 30, rate: 200, lowHz: 20, highHz: 30, noise: 0.8, seed: 1, labelColumn: "speed", unit: 9.81 };
const STROKES: SyntheticOptions = { columns: ["pen_x", "pen_y"], classes: 10, window: 50, windowsPerClass: 25, rate: 100, lowHz: 3, highHz: 30, noise: 0.8, seed: 2 };
const fanCsv = join(dir, "fan.csv"), strokesCsv = join(dir, "strokes.csv");
writeFileSync(fanCsv, syntheticCsv(FAN));
writeFileSync(strokesCsv, syntheticCsv(STROKES));

function testAccuracy(path: string, o: SyntheticOptions, features: string): number {
  const data = loadDataset(path, { labelColumn: o.labelColumn, window: o.window, features, testFraction: 0.25, seed: 3 });
  const { history } = train(gestureModelSpec(data.inputWidth, data.classes.length, { seed: 1 }), data, { epochs: 60, shuffleSeed: 7 });
  return history[history.length - 1]!.testAccuracy;
}

describe("other shapes train well with spectral features", () => {
  it("3-axis vibration in m/s², 3 classes, 64-row windows at 200 Hz", () => {
    expect(testAccuracy(fanCsv, FAN, "stats,spectrum:16")).toBeGreaterThanOrEqual(0.9);
  });

  it("2-axis strokes, 10 classes, 50-row windows at 100 Hz", () => {
    expect(testAccuracy(strokesCsv, STROKES, "stats,spectrum:16")).toBeGreaterThanOrEqual(0.8);
  });
});

const cli = (args: string[]) => spawnSync(process.execPath, [join(process.cwd(), "dist/host/cli.js"), ...args], { cwd: dir, encoding: "utf8" });

describe("the CLI takes the data options", () => {
  it("train writes the pipeline; evaluate reads the data through it", () => {
    const t = cli(["train", fanCsv, "--label-column", "speed", "--columns", "ax:40m/s2,ay:40m/s2,az:40m/s2", "--window", "64", "--features", "stats,spectrum:16",
      "--test-split", "0.25", "--epochs", "40", "-o", "fan.tpm"]);
    expect(t.status, t.stderr).toBe(0);
    const trained = Number(/final test accuracy: ([\d.]+)%/.exec(t.stdout)?.[1]);
    expect(trained).toBeGreaterThanOrEqual(85);
    const i = cli(["inspect", "fan.tpm"]);
    expect(i.stdout).toContain("inputs: columns ax (±40 m/s2), ay (±40 m/s2), az (±40 m/s2); window 64 rows, stride 64; features stats,spectrum:16; normalised; classes c0, c1, c2");
    const e = cli(["evaluate", "fan.tpm", fanCsv, "--label-column", "speed", "--json"]);
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).samples).toBe(90);
    // the model's window is not the one asked for
    const bad = cli(["evaluate", "fan.tpm", fanCsv, "--label-column", "speed", "--window", "32"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--window 32 does not match fan.tpm (window 64)");
  });

  it("bad input: wrong column names, unknown feature set, short windows, ';' delimiter", () => {
    const cols = cli(["train", fanCsv, "--label-column", "speed", "--columns", "ax,AY"]);
    expect(cols.status).toBe(1);
    expect(cols.stderr).toContain(`${fanCsv}:1: --columns ax,AY: missing column(s) "AY" (header: speed,ax,ay,az) (did you mean "ay"? names are case-sensitive)`);
    const feats = cli(["train", fanCsv, "--label-column", "speed", "--window", "64", "--features", "stats,wavelet"]);
    expect(feats.status).toBe(2);
    expect(feats.stderr).toContain('--features stats,wavelet: unknown feature set "wavelet"');
    const short = cli(["train", fanCsv, "--label-column", "speed", "--window", "100", "--stride", "10"]);
    expect(short.status).toBe(1);
    expect(short.stderr).toContain(`${fanCsv}:2: short window: 64 rows of label "c0" (lines 2-65) are fewer than --window 100`);
    const semi = join(dir, "semi.csv");
    writeFileSync(semi, syntheticCsv({ ...STROKES, classes: 3, windowsPerClass: 8 }).replace(/,/g, ";"));
    const s = cli(["train", semi, "--window", "50", "--epochs", "2", "--delimiter", ";"]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/data: 9 training and 15 test samples, 10 features, classes c0, c1, c2/);
  });
});
