// Loading sensor CSV of any shape into windows and model inputs with the board's pipeline (src/features):
// the bundled gestures, other columns / windows / strides / tabular rows, and errors that name the file,
// line and setting.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CsvError, isTimeColumn, readCsvFile } from "../host-sim/data/csv";
import {
  GESTURE_ROWS, IMU_COLUMNS, buildDataset, defaultDatasetDir, describeReport, loadDataset, loadDefaultDataset, loadWindows, packageRoot, parseColumns,
} from "../host-sim/data/gestures";
import { FEATURE_RAW, FEATURE_STATS, FeaturePipeline } from "../src/features/index";

const HEADER = IMU_COLUMNS.join(",");
const tmp = () => mkdtempSync(join(tmpdir(), "tinyprop-dataset-"));
/** `n` CSV rows whose 6 values are all `v + row index`. */
const rows = (n: number, v = 0) => Array.from({ length: n }, (_, r) => Array(6).fill(v + r).join(","));

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("bundled dataset", () => {
  const data = loadDefaultDataset();

  it("finds the package root and the data folder", () => {
    expect(defaultDatasetDir()).toBe(join(packageRoot(), "data", "magic-wand-imu-spells", "data"));
  });

  it("5 classes sorted by name, 125 gestures split 100 / 25, 30 statistics, a complete pipeline", () => {
    expect(data.classes).toEqual(["AlohomoraCharm", "ArrestoMomentumCharm", "AvadaKedavra", "LocomotorCharm", "Revelio"]);
    expect(data.inputWidth).toBe(30);
    expect(data.featureNames.slice(0, 6)).toEqual(["aX_mean", "aX_std", "aX_min", "aX_max", "aX_half", "aY_mean"]);
    expect([data.train.count, data.test.count]).toEqual([100, 25]);
    for (let c = 0; c < 5; c++) expect(data.train.y.filter((y) => y === c)).toHaveLength(20);
    const p = data.pipeline;
    expect([p.columns, p.window, p.stride, p.features, p.classes]).toEqual([[...IMU_COLUMNS], 119, 119, FEATURE_STATS, data.classes]);
    expect(p.ranges).toEqual([5, 5, 5, 800, 800, 800].map((r, i) => (i < 3 ? r : p.ranges[i]))); // accel: max 4 g x 1.25
    expect(p.mean).toHaveLength(30);
    expect(data.report).toMatchObject({ clippedSamples: [], clippedFeatures: { train: 0, test: 0 }, uncoveredRows: 0, uncovered: [], ignoredFiles: [] });
  });

  it("training inputs are normalised: mean 0, standard deviation 1 per feature", () => {
    for (let i = 0; i < 30; i++) {
      let s = 0, sq = 0;
      for (let k = 0; k < 100; k++) s += data.train.x[k * 30 + i]!;
      for (let k = 0; k < 100; k++) sq += (data.train.x[k * 30 + i]! - s / 100) ** 2;
      expect(Math.abs(s / 100)).toBeLessThan(1e-5);
      expect(Math.sqrt(sq / 100)).toBeCloseTo(1, 4);
    }
  });

  it("holds out the last 5 gestures of each file, interleaved by class", () => {
    const first = (k: number) => 2 + k * GESTURE_ROWS;
    expect(new Set([...data.train.ids, ...data.test.ids]).size).toBe(125);
    expect(data.test.ids.slice(0, 5)).toEqual(data.classes.map((c) => `${c}.csv:${first(20)}`));
    expect(data.train.ids.slice(0, 6)).toEqual([...data.classes.map((c) => `${c}.csv:${first(0)}`), `AlohomoraCharm.csv:${first(1)}`]);
  });

  it("sample s is what a board computes from that gesture's rows with the stored pipeline", () => {
    const [file, line] = data.test.ids[3]!.split(":");
    const table = readCsvFile(join(defaultDatasetDir(), file!));
    const board = new FeaturePipeline(data.pipeline);
    const start = table.lines.indexOf(Number(line));
    let ready = false;
    for (let r = start; r < start + 119; r++) ready = board.pushRow(table.values, r * 6);
    expect(ready).toBe(true);
    const out = new Float32Array(30);
    board.extract(out, 0);
    expect(out).toEqual(data.test.x.subarray(90, 120));
  });

  it("is deterministic; testPerClass changes the split", () => {
    expect(loadDefaultDataset().test.x).toEqual(data.test.x);
    const d = loadDefaultDataset({ testPerClass: 10 });
    expect([d.train.count, d.test.count]).toEqual([75, 50]);
    expect(() => loadDefaultDataset({ testPerClass: 25 })).toThrow(/class "AlohomoraCharm" has 25 windows \(--window 119 \(the default\)\); the test set holds out the last 25 of each class/);
  });
});

describe("data of other shapes", () => {
  it("any column names and count, chosen with columns (case as in the file), ranges and units given", () => {
    const dir = tmp(), path = join(dir, "fan.csv");
    const body = Array.from({ length: 24 }, (_, r) => `${r < 12 ? "slow" : "fast"},${r},${(r % 3) - 1},${-r},9`);
    writeFileSync(path, ["Speed,AccX,accY,ACC_Z,temp", ...body].join("\n"));
    const d = loadDataset(path, { labelColumn: "Speed", columns: "AccX:40m/s2,accY,ACC_Z", window: 4, stride: 2, testPerClass: 1 });
    expect(d.pipeline.columns).toEqual(["AccX", "accY", "ACC_Z"]);
    expect(d.pipeline.ranges[0]).toBe(40);
    expect(d.pipeline.units).toEqual(["m/s2", "", ""]);
    expect(d.classes).toEqual(["fast", "slow"]);
    // 12 rows per label, window 4 stride 2: 5 windows each, starting at lines 2, 4, 6, 8, 10 (and 14 ...)
    expect(d.train.count + d.test.count).toBe(10);
    expect(d.test.ids).toEqual(["fan.csv:22", "fan.csv:10"]);
    expect(parseColumns("a:2.5e3dps,b")).toEqual([{ name: "a", range: 2500, unit: "dps" }, { name: "b" }]);
  });

  it("tabular rows (window 1): one sample per row, raw values", () => {
    const dir = tmp(), path = join(dir, "t.csv");
    writeFileSync(path, ["x;y;label", "1;2;a", "3;4;b", "5;6;a", "7;8;b"].join("\n"));
    const set = loadWindows(path, { window: 1 });
    expect(set.pipeline.features).toBe(FEATURE_RAW);
    expect(set.windows.map((w) => w.line)).toEqual([2, 3, 4, 5]);
    expect(Array.from(set.features, (v) => Math.round(v * 1000) / 1000)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(buildDataset(set, { testPerClass: 1 }).inputWidth).toBe(2);
  });

  it("feature sets stats, spectrum and raw, in that order", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.csv"), [HEADER, ...rows(32)].join("\n"));
    writeFileSync(join(dir, "b.csv"), [HEADER, ...rows(32, 5)].join("\n"));
    const d = loadDataset(dir, { window: 16, features: "stats,spectrum:4,raw:2", testPerClass: 1 });
    expect(d.inputWidth).toBe(6 * (5 + 4 + 2));
    expect(d.featureNames.slice(29, 32)).toEqual(["gZ_half", "aX_band0", "aX_band1"]);
    expect(d.featureNames[d.inputWidth - 1]).toBe("gZ_raw1");
  });
});

describe("errors name the file, the line and the setting", () => {
  it("folder: partial window, NaN, missing columns (with a hint), empty folder", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.csv"), [HEADER, ...rows(8)].join("\n"));
    writeFileSync(join(dir, "b.csv"), [HEADER, ...rows(9)].join("\n"));
    const e = errorOf(() => loadWindows(dir, { window: 4 }));
    expect(e).toBeInstanceOf(CsvError);
    expect(e.message).toBe(`${join(dir, "b.csv")}:10: partial window: class "b" ends with 1 rows (line 10) that do not fill a window of 4 rows (--window 4); the file ends there`);
    writeFileSync(join(dir, "a.csv"), [HEADER, ...rows(3), "1,2,3,4,5,NaN"].join("\n"));
    expect(() => loadWindows(dir, { window: 2 })).toThrow(`${join(dir, "a.csv")}:5: non-finite value "NaN" in column "gZ"`);
    writeFileSync(join(dir, "a.csv"), ["aX,aY,aZ", "1,2,3"].join("\n"));
    expect(() => loadWindows(dir, { columns: [...IMU_COLUMNS] })).toThrow(/a\.csv:1: --columns aX,aY,aZ,gX,gY,gZ: missing column\(s\) "gX", "gY", "gZ" \(header: aX,aY,aZ\)/);
    const empty = tmp();
    mkdirSync(join(empty, "sub.csv"));
    expect(() => loadWindows(empty)).toThrow(`${empty}: no .csv files in this folder (a data folder holds one CSV file per class, named after the class; found sub.csv)`);
  });

  it("non-numeric cells in a defaulted column say how to choose columns", () => {
    const dir = tmp(), path = join(dir, "d.csv");
    writeFileSync(path, ["site,x,label", "A12,1,a", "A13,2,a"].join("\n"));
    expect(() => loadWindows(path, { window: 1 })).toThrow(`${path}:2: non-numeric value "A12" in column "site" (the inputs default to every column but the label column "label" and time columns; choose them with --columns)`);
    expect(loadWindows(path, { window: 1, columns: "x" }).windows).toHaveLength(2);
  });

  it("time columns are left out of the default inputs, and the report says so; named, they are used", () => {
    const dir = tmp(), path = join(dir, "d.csv");
    writeFileSync(path, ["timestamp,x,time_ms,y,label", "12:00,1,0,5,a", "12:01,2,10,6,a", "12:02,3,20,7,b", "12:03,4,30,8,b"].join("\n"));
    const set = loadWindows(path, { window: 1 });
    expect(set.pipeline.columns).toEqual(["x", "y"]);
    expect(set.timeColumns).toEqual(["timestamp", "time_ms"]);
    const data = loadDataset(path, { window: 1, testPerClass: 1 });
    expect(describeReport(data.report)).toContain(`note: columns "timestamp", "time_ms" not used as inputs (time columns: the model would learn the recording's clock, and a board's sensor has none; name them in --columns to use them)`);
    const named = loadWindows(path, { window: 1, columns: "time_ms,y" });
    expect([named.pipeline.columns, named.timeColumns]).toEqual([["time_ms", "y"], []]);
    // A file with nothing but a time column and the label: that column is the input.
    writeFileSync(path, ["t,label", "1,a", "2,b"].join("\n"));
    expect(loadWindows(path, { window: 1 }).pipeline.columns).toEqual(["t"]);
    expect(["t", "Time", "timestamp", "millis", "time_ms", "ts", "elapsed s"].every(isTimeColumn)).toBe(true);
    expect(["x", "tilt", "temp", "aX", "timer", "stamp"].some(isTimeColumn)).toBe(false);
  });

  it("single file: unknown label, label change inside a window, short window", () => {
    const dir = tmp(), path = join(dir, "all.csv");
    writeFileSync(path, [`${HEADER},spell`, "1,2,3,4,5,6,up", "1,2,3,4,5,6,up", "1,2,3,4,5,6,left"].join("\n"));
    expect(() => loadWindows(path, { window: 2, labelColumn: "spell", classes: ["up", "down"] })).toThrow(`${path}:4: unknown label "left" (expected one of: up, down)`);
    expect(() => loadWindows(path, { window: 2 })).toThrow(`${path}:1: --label-column label (the default): missing label column "label" (header: aX,aY,aZ,gX,gY,gZ,spell); name the class column with --label-column, or give a folder of per-class CSV files`);
    writeFileSync(path, [`${HEADER},spell`, "1,2,3,4,5,6,up", "1,2,3,4,5,6,up", "1,2,3,4,5,6,up", "1,2,3,4,5,6,left", "1,2,3,4,5,6,left"].join("\n"));
    expect(() => loadWindows(path, { window: 2, labelColumn: "spell" })).toThrow(
      `${path}:4: partial window: label "up" ends with 1 rows (line 4) that do not fill a window of 2 rows (--window 2); the label changes to "left" at line 5`);
    expect(() => loadWindows(path, { window: 3, stride: 1, labelColumn: "spell" })).toThrow(
      `${path}:5: short window: 2 rows of label "left" (lines 5-6) are fewer than --window 3`);
  });

  it("bad settings: unknown feature set, spectrum too fine, stats on tabular rows", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.csv"), [HEADER, ...rows(8)].join("\n"));
    expect(() => loadWindows(dir, { window: 4, features: "stats,fft" })).toThrow('--features stats,fft: unknown feature set "fft" (known: stats, spectrum[:bands], raw[:points])');
    expect(() => loadWindows(dir, { window: 4, features: "spectrum:9" })).toThrow(/--features spectrum:9: spectrum bands must be an integer in 1..2 for a window of 4 rows, got 9/);
    expect(() => loadWindows(dir, { window: 1, features: "stats" })).toThrow(/--features stats: tabular data \(window 1\) takes only the raw feature set/);
  });

  it("a model's pipeline decides columns, ranges, window and normalisation; mismatches are errors", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.csv"), [HEADER, ...rows(8)].join("\n"));
    writeFileSync(join(dir, "b.csv"), [HEADER, ...rows(8, 100)].join("\n"));
    const trained = loadDataset(dir, { window: 4, testPerClass: 1 }).pipeline;
    const model = { ...trained, ranges: trained.ranges.map(() => 50) }; // narrower than the data (up to 107)
    const set = loadWindows(dir, { pipeline: model, pipelineSource: "m.tpm" });
    expect(set.clippedSamples.every((n) => n > 0)).toBe(true);
    expect(() => loadWindows(dir, { pipeline: model, pipelineSource: "m.tpm", window: 2 })).toThrow("--window 2 does not match m.tpm (window 4)");
    expect(set.firstClipped.map((p) => p && `${p.source}:${p.line}`)).toEqual(IMU_COLUMNS.map(() => `${join(dir, "b.csv")}:2`));
    writeFileSync(join(dir, "b.csv"), ["aX,aY", "1,2"].join("\n"));
    expect(() => loadWindows(dir, { pipeline: model, pipelineSource: "m.tpm" })).toThrow(/b\.csv:1: m\.tpm expects columns aX,aY,aZ,gX,gY,gZ \(its pipeline\): missing column\(s\) "aZ"/);
    writeFileSync(join(dir, "c.csv"), [HEADER, ...rows(4)].join("\n"));
    writeFileSync(join(dir, "b.csv"), [HEADER, ...rows(4)].join("\n"));
    expect(() => loadWindows(dir, { pipeline: model, pipelineSource: "m.tpm" })).toThrow(`${join(dir, "c.csv")}:2: unknown class "c" (the file's name): not one of m.tpm's classes (a, b)`);
  });
});

describe("device and host agree on the default feature width", () => {
  it("the board's default model takes exactly the features the host extracts", async () => {
    const { GESTURE_FEATURES, GESTURE_CLASSES } = await import("../src/app/gesture-model");
    const data = loadDefaultDataset();
    expect(GESTURE_FEATURES).toBe(data.inputWidth);
    expect(GESTURE_CLASSES).toBe(data.classes.length);
  });
});
