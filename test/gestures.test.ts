import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CsvError } from "../host-sim/data/csv";
import {
  ACCEL_SCALE_G,
  FEATURE_BOUND,
  FEATURE_NAMES,
  FEATURE_WIDTH,
  GESTURE_ROWS,
  GYRO_SCALE_DPS,
  IMU_COLUMNS,
  buildDataset,
  defaultDatasetDir,
  extractFeatures,
  loadDataset,
  loadDefaultDataset,
  loadGestures,
  packageRoot,
} from "../host-sim/data/gestures";

const HEADER = IMU_COLUMNS.join(",");
const tmp = () => mkdtempSync(join(tmpdir(), "tinyprop-gestures-"));
/** `n` CSV rows whose 6 values are all `v + row index`. */
const rows = (n: number, v = 0) => Array.from({ length: n }, (_, r) => Array(6).fill(v + r).join(","));

describe("extractFeatures", () => {
  it("matches hand-computed values on a 4-row window", () => {
    // columns: aX ramps 0,1,2,3 g; aY constant -1 g; aZ clipped beyond the bound (10 g -> 5 -> clamp 4);
    // gX 0,500,0,-500 dps; gY 1000 dps constant; gZ -3000 dps (scaled -6, clamped to -4)
    const w = [
      0, -1, 10, 0, 1000, -3000,
      1, -1, 10, 500, 1000, -3000,
      2, -1, -10, 0, 1000, -3000,
      3, -1, -10, -500, 1000, -3000,
    ];
    const f = extractFeatures(w);
    expect(f).toHaveLength(FEATURE_WIDTH);
    expect(FEATURE_WIDTH).toBe(30);
    const get = (axis: string, stat: string) => f[FEATURE_NAMES.indexOf(`${axis}_${stat}`)]!;
    // aX scaled: 0, .5, 1, 1.5
    expect(get("aX", "mean")).toBeCloseTo(0.75, 6);
    expect(get("aX", "std")).toBeCloseTo(Math.sqrt((0.75 ** 2 + 0.25 ** 2) * 2 / 4), 6);
    expect(get("aX", "min")).toBe(0);
    expect(get("aX", "max")).toBe(1.5);
    expect(get("aX", "half")).toBeCloseTo((0.25 - 1.25) / 2, 6);
    // aY scaled: -0.5 everywhere
    expect([get("aY", "mean"), get("aY", "std"), get("aY", "min"), get("aY", "max"), get("aY", "half")]).toEqual([-0.5, 0, -0.5, -0.5, 0]);
    // aZ scaled and clamped: 4, 4, -4, -4
    expect([get("aZ", "mean"), get("aZ", "std"), get("aZ", "min"), get("aZ", "max"), get("aZ", "half")]).toEqual([0, 4, -4, 4, 4]);
    // gX scaled: 0, 1, 0, -1
    expect(get("gX", "mean")).toBe(0);
    expect(get("gX", "std")).toBeCloseTo(Math.sqrt(0.5), 6);
    expect([get("gX", "min"), get("gX", "max"), get("gX", "half")]).toEqual([-1, 1, 0.5]);
    expect([get("gY", "mean"), get("gY", "std")]).toEqual([2, 0]);
    expect([get("gZ", "mean"), get("gZ", "min"), get("gZ", "max")]).toEqual([-4, -4, -4]);
  });

  it("uses the documented constants and feature order", () => {
    expect([ACCEL_SCALE_G, GYRO_SCALE_DPS, FEATURE_BOUND]).toEqual([2, 500, 4]);
    expect(FEATURE_NAMES.slice(0, 6)).toEqual(["aX_mean", "aX_std", "aX_min", "aX_max", "aX_half", "aY_mean"]);
  });

  it("is pure, writes at an offset and works on any window length >= 2", () => {
    const w = Float64Array.from({ length: 6 * 37 }, (_, i) => Math.sin(i) * 3);
    const copy = w.slice();
    const a = extractFeatures(w);
    const out = new Float32Array(FEATURE_WIDTH + 5).fill(9);
    extractFeatures(w, out, 5);
    expect([...out.subarray(5)]).toEqual([...a]);
    expect([...out.subarray(0, 5)]).toEqual([9, 9, 9, 9, 9]);
    expect([...w]).toEqual([...copy]);
    expect(extractFeatures(w.subarray(0, 12))).toHaveLength(FEATURE_WIDTH);
    expect(() => extractFeatures(w.subarray(0, 6))).toThrow(RangeError);
    expect(() => extractFeatures(w.subarray(0, 13))).toThrow(RangeError);
    expect(() => extractFeatures(w, new Float32Array(10))).toThrow(RangeError);
  });

  it("stays within [-FEATURE_BOUND, FEATURE_BOUND] for extreme inputs", () => {
    const w = Float64Array.from({ length: 6 * 50 }, (_, i) => (i % 12 < 6 ? 1e9 : -Infinity));
    for (const v of extractFeatures(w)) {
      expect(Number.isFinite(v)).toBe(true);
      expect(Math.abs(v)).toBeLessThanOrEqual(FEATURE_BOUND);
    }
  });
});

describe("bundled dataset", () => {
  const data = loadDefaultDataset();

  it("finds the package root and the data folder", () => {
    expect(defaultDatasetDir()).toBe(join(packageRoot(), "data", "magic-wand-imu-spells", "data"));
  });

  it("has 5 classes sorted by name, 125 gestures split 100 / 25 stratified", () => {
    expect(data.classes).toEqual(["AlohomoraCharm", "ArrestoMomentumCharm", "AvadaKedavra", "LocomotorCharm", "Revelio"]);
    expect(data.inputWidth).toBe(FEATURE_WIDTH);
    expect(data.featureNames).toEqual(FEATURE_NAMES);
    expect(data.train.count).toBe(100);
    expect(data.test.count).toBe(25);
    expect(data.train.x).toHaveLength(100 * FEATURE_WIDTH);
    expect(data.test.x).toHaveLength(25 * FEATURE_WIDTH);
    for (let c = 0; c < 5; c++) {
      expect(data.train.y.filter((y) => y === c)).toHaveLength(20);
      expect(data.test.y.filter((y) => y === c)).toHaveLength(5);
    }
  });

  it("holds out the last 5 gestures of each file, interleaved by class, no gesture in both sets", () => {
    const first = (k: number) => 2 + k * GESTURE_ROWS; // line of gesture k's first row (header is line 1)
    const all = [...data.train.ids, ...data.test.ids];
    expect(new Set(all).size).toBe(125);
    expect(data.train.ids.filter((id) => data.test.ids.includes(id))).toEqual([]);
    expect(data.test.ids.slice(0, 5)).toEqual(data.classes.map((c) => `${c}.csv:${first(20)}`));
    expect(data.test.ids[24]).toBe(`Revelio.csv:${first(24)}`);
    expect(data.train.ids.slice(0, 6)).toEqual([...data.classes.map((c) => `${c}.csv:${first(0)}`), `AlohomoraCharm.csv:${first(1)}`]);
    data.train.ids.forEach((id, s) => expect(id.startsWith(`${data.classes[data.train.y[s]!]}.csv:`)).toBe(true));
  });

  it("features are finite and within the documented bound", () => {
    let maxAbs = 0;
    for (const x of [data.train.x, data.test.x]) {
      for (const v of x) {
        expect(Number.isFinite(v)).toBe(true);
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }
    }
    expect(maxAbs).toBeLessThanOrEqual(FEATURE_BOUND);
    // on this data accel stays within +-4 g and gyro within ~+-520 dps: everything is within ~[-2, 2]
    expect(maxAbs).toBeLessThanOrEqual(2.1);
  });

  it("sample s of x is the feature vector of gesture ids[s]", () => {
    const set = loadGestures(defaultDatasetDir());
    const g = set.gestures.find((g) => `${g.source.split(/[\\/]/).pop()}:${g.line}` === data.test.ids[3])!;
    expect([...data.test.x.subarray(3 * FEATURE_WIDTH, 4 * FEATURE_WIDTH)]).toEqual([...extractFeatures(g.values)]);
  });

  it("is deterministic", () => {
    const again = loadDefaultDataset();
    expect(again.train.x).toEqual(data.train.x);
    expect(again.train.y).toEqual(data.train.y);
    expect(again.test.x).toEqual(data.test.x);
    expect(again.test.ids).toEqual(data.test.ids);
  });

  it("testPerClass changes the split size", () => {
    const d = loadDefaultDataset({ testPerClass: 10 });
    expect([d.train.count, d.test.count]).toEqual([75, 50]);
    expect(() => loadDefaultDataset({ testPerClass: 25 })).toThrow(/need more than 25/);
  });
});

describe("loading errors and the single-file form", () => {
  it("folder: trailing partial gesture names file and line", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.csv"), [HEADER, ...rows(8)].join("\n"));
    writeFileSync(join(dir, "b.csv"), [HEADER, ...rows(9)].join("\n"));
    const e = (() => {
      try {
        loadGestures(dir, { rowsPerGesture: 4 });
      } catch (err) {
        return err as CsvError;
      }
    })();
    expect(e).toBeInstanceOf(CsvError);
    expect(e!.message).toBe(`${join(dir, "b.csv")}:10: trailing partial gesture: 1 rows from line 10 to the end, expected 4 per gesture (9 data rows in all)`);
  });

  it("folder: CSV errors propagate with file and line; missing IMU columns; empty folder", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.csv"), [HEADER, ...rows(3), "1,2,3,4,5,NaN"].join("\n"));
    expect(() => loadGestures(dir, { rowsPerGesture: 2 })).toThrow(`${join(dir, "a.csv")}:5: non-finite value "NaN" in column "gZ"`);
    writeFileSync(join(dir, "a.csv"), ["aX,aY,aZ", "1,2,3"].join("\n"));
    expect(() => loadGestures(dir)).toThrow(/a\.csv:1: missing column\(s\) "gX", "gY", "gZ"/);
    const empty = tmp();
    mkdirSync(join(empty, "sub.csv")); // a folder named like a CSV file is not a class
    expect(() => loadGestures(empty)).toThrow(/no \.csv files/);
  });

  it("folder: classes sorted by file name, gesture order kept", () => {
    const dir = tmp();
    writeFileSync(join(dir, "zeta.csv"), [HEADER, ...rows(6, 100)].join("\n"));
    writeFileSync(join(dir, "alpha.csv"), [HEADER, ...rows(6)].join("\n") + "\n");
    writeFileSync(join(dir, "notes.txt"), "ignored");
    const set = loadGestures(dir, { rowsPerGesture: 2 });
    expect(set.classes).toEqual(["alpha", "zeta"]);
    expect(set.gestures.map((g) => [g.label, g.index, g.line])).toEqual([
      [0, 0, 2], [0, 1, 4], [0, 2, 6],
      [1, 0, 2], [1, 1, 4], [1, 2, 6],
    ]);
    expect(set.gestures[3]!.values[0]).toBe(100);
    const d = buildDataset(set, { testPerClass: 1 });
    expect(d.test.ids).toEqual(["alpha.csv:6", "zeta.csv:6"]);
    expect([...d.train.y]).toEqual([0, 1, 0, 1]);
  });

  it("single file with a label column", () => {
    const dir = tmp();
    const path = join(dir, "all.csv");
    const body = (label: string, n: number) => rows(n).map((r) => `${label},${r}`);
    writeFileSync(path, [`label,${HEADER}`, ...body("up", 4), ...body("down", 2), ...body("up", 2), ...body("down", 4)].join("\n"));
    const set = loadGestures(path, { rowsPerGesture: 2 });
    expect(set.classes).toEqual(["down", "up"]);
    expect(set.gestures.map((g) => [g.label, g.index, g.line])).toEqual([
      [1, 0, 2], [1, 1, 4], [0, 0, 6], [1, 2, 8], [0, 1, 10], [0, 2, 12],
    ]);
    const d = loadDataset(path, { rowsPerGesture: 2, testPerClass: 1, classes: ["up", "down"] });
    expect(d.classes).toEqual(["up", "down"]);
    expect(d.test.ids).toEqual(["all.csv:8", "all.csv:12"]);
    expect([...d.test.y]).toEqual([0, 1]);
  });

  it("single file: custom label column, unknown label, label change inside a gesture, partial gesture", () => {
    const dir = tmp();
    const path = join(dir, "all.csv");
    writeFileSync(path, [`${HEADER},spell`, "1,2,3,4,5,6,up", "1,2,3,4,5,6,up", "1,2,3,4,5,6,left"].join("\n"));
    expect(() => loadGestures(path, { rowsPerGesture: 2, labelColumn: "spell", classes: ["up", "down"] })).toThrow(
      `${path}:4: unknown label "left" (expected one of: up, down)`,
    );
    expect(() => loadGestures(path, { rowsPerGesture: 2 })).toThrow(`${path}:1: missing label column "label"`);
    expect(() => loadGestures(path, { rowsPerGesture: 2, labelColumn: "spell" })).toThrow(`${path}:4: trailing partial gesture`);
    writeFileSync(path, [`${HEADER},spell`, "1,2,3,4,5,6,up", "1,2,3,4,5,6,left"].join("\n"));
    expect(() => loadGestures(path, { rowsPerGesture: 2, labelColumn: "spell" })).toThrow(
      `${path}:3: label changes from "up" to "left" inside the gesture starting at line 2`,
    );
  });
});

describe("device and host agree on the feature width", () => {
  it("the board's default model takes exactly the features the host extracts", async () => {
    const { GESTURE_FEATURES, GESTURE_CLASSES } = await import("../src/app/gesture-model");
    const { FEATURE_WIDTH, loadDefaultDataset } = await import("../host-sim/data/gestures");
    expect(GESTURE_FEATURES).toBe(FEATURE_WIDTH);
    expect(GESTURE_CLASSES).toBe(loadDefaultDataset().classes.length);
  });
});
