// A board whose sensor is not the bundled 6-axis layout: config.sensor.columns names the columns its pipeline
// reads, taking the MPU-6050's readings in order, with their own scales and rate (`tinyprop sim
// --sensor-columns ax,ay,az --sensor-scales 1,1,1 --sensor-hz 200` for 3-axis data in m/s^2). A pipeline
// trained on the PC from such data runs on the board: what the board records is the file's rows, and what it
// infers equals the model on the host's features of the same rows. Settings that do not fit leave the board
// without its sensor, saying why, instead of stopping the app.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SensorBoards, windowCounts, windowInputs } from "./sensor-board";
import { syntheticCsv } from "./synthetic-sensors";
import { loadDataset } from "../host-sim/data/dataset";
import { readCsvFile } from "../host-sim/data/csv";
import { freshModelFile } from "../host-sim/commands/init";
import { installModel } from "../host-sim/commands/weights";
import { gestureModelSpec } from "../src/index";
import { recordRun, watchRun } from "../host-sim/commands/sensor";
import { sensorOverrides } from "../host-sim/commands/sim";
import { UsageError } from "../host-sim/args";
import { openSensor, sensorSettings, sensorSettingsError, STANDARD_GRAVITY } from "../src/app/sensor-config";
import type { Engine } from "../host-sim/sim/simulator";

const dir = mkdtempSync(join(tmpdir(), "tinyprop-sensorcols-"));
const file = join(dir, "fan.csv");
writeFileSync(file, syntheticCsv({ columns: ["ax", "ay", "az"], classes: 3, window: 64, windowsPerClass: 6, rate: 200, lowHz: 10, highHz: 40, noise: 0.2, seed: 2, unit: 9.81 }));
const data = loadDataset(file, { window: 64, features: "stats,spectrum:8" });
const rows = readCsvFile(file, { columns: ["ax", "ay", "az"] }).values;
const N = 64;

describe("sensor settings", () => {
  it("columns alone take the MPU-6050's readings in order; mismatched settings turn the sensor off with the reason", () => {
    expect(sensorSettings({ columns: ["ax", "ay", "az"] })).toEqual({
      hz: 119, columns: ["ax", "ay", "az"], fields: ["accelerometer.x", "accelerometer.y", "accelerometer.z"], scales: [1 / STANDARD_GRAVITY, 1 / STANDARD_GRAVITY, 1 / STANDARD_GRAVITY],
    });
    expect(sensorSettingsError(sensorSettings({ columns: ["ax", "ay"], fields: ["accelerometer.x"] }))).toBe("config.sensor.fields has 1 entries for 2 columns (the MPU-6050 gives 6 readings)");
    expect(sensorSettingsError(sensorSettings({ columns: ["ax"], scales: [0] }))).toBe("config.sensor.scales: 0 is not a finite non-zero number");
    expect(sensorSettingsError(sensorSettings({ columns: ["ax"], fields: ["x"] }))).toMatch(/"x" is not group\.axis/);
    expect(sensorSettingsError(sensorSettings({ hz: 5000 }))).toMatch(/config\.sensor\.hz: 5000/);
    const log: string[] = [];
    expect(openSensor({ columns: ["ax", "ay", "az"], scales: [1, 1] }, {}, class {}, (t) => log.push(t))).toBeNull();
    expect(log).toEqual(["sensor off: config.sensor.scales has 2 entries for 3 columns"]);
  });

  it("sim's --sensor-columns, --sensor-scales and --sensor-hz", () => {
    expect(sensorOverrides({ columns: "ax,ay,az", scales: "1,1,1", hz: 200 })).toEqual({
      hz: 200, columns: ["ax", "ay", "az"], fields: ["accelerometer.x", "accelerometer.y", "accelerometer.z"], scales: [1, 1, 1],
    });
    expect(() => sensorOverrides({ columns: "ax,ay,az", scales: "1,1" })).toThrow(UsageError);
    expect(() => sensorOverrides({ columns: "ax,ay,az", scales: "1,1" })).toThrow("--sensor-scales 1,1: one non-zero number per sensor column (3: ax,ay,az)");
    expect(() => sensorOverrides({ columns: "a,b,c,d,e,f,g" })).toThrow(/1 to 6 names/);
    expect(sensorOverrides({})).toBeUndefined();
  });
});

/** The host's model inputs for the file's window starting at row `first`, through the trained pipeline. */
const hostInputs = (first: number) => windowInputs(data.pipeline, rows, first);

async function threeAxisBoard(engine: Engine): Promise<void> {
  const boards = new SensorBoards(4);
  await boards.run(async () => {
    const link = await boards.board(engine, file, sensorOverrides({ columns: "ax,ay,az", scales: "1,1,1", hz: 200 }));
    // The board gets a model for this data, with its pipeline (as stream --init or weights put would).
    await installModel(link, freshModelFile(gestureModelSpec(data.inputWidth, 3, { layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }] }), data));
    // record: the board's windows are the file's rows (in m/s^2, as the pipeline's ranges count them).
    const rec = await recordRun(link, { label: "fan", count: 2, dir: mkdtempSync(join(tmpdir(), "tinyprop-record-")) });
    for (let w = 0; w < 2; w++) expect(Array.from(rec.windows[w]!.counts)).toEqual(windowCounts(data.pipeline, rows, w * N));
    // The CSV it wrote reads back as the same counts (values written to 7 digits).
    const written = readCsvFile(rec.file, { columns: ["ax", "ay", "az"] }).values;
    for (let w = 0; w < 2; w++) expect(windowCounts(data.pipeline, written, w * N)).toEqual(Array.from(rec.windows[w]!.counts));
    // infer: the board's class and confidence are the model's on the host's features of the same rows.
    const seen = await watchRun(link, { count: 2 });
    for (let k = 0; k < 2; k++) {
      const scores = await link.predict(hostInputs((2 + k) * N), 1);
      const best = scores.indexOf(Math.max(...scores));
      expect([seen[k]!.classIndex, seen[k]!.confidence]).toEqual([best, scores[best]]);
    }
    await link.close();
  });
}

describe("a 3-axis sensor in m/s^2 at 200 Hz (replayed)", () => {
  it("node: record gives the file's rows, infer the host's result", () => threeAxisBoard("node"), 60_000);
  it("xs: the same under XS", () => threeAxisBoard("xs"), 120_000);
});
