// Accuracy comparison with scikit-learn (docs/dataset.md, "Compared with scikit-learn"): writes, for each
// data set, the exact train/test windows and feature vectors tinyprop uses, and tinyprop's own test
// accuracy on them; bench/sklearn/compare.py then trains scikit-learn MLPs on the same files. Not a test
// (the suite does not depend on Python). Run: npm run build && node dist/bench/sklearn-export.js out/sklearn
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { syntheticCsv, type SyntheticOptions } from "../../test/synthetic-sensors";
import { defaultDatasetDir, loadDataset, loadWindows, type Dataset, type LoadOptions, type SplitOptions } from "../../host-sim/data/gestures";
import { train } from "../../host-sim/training";
import { gestureModelSpec } from "../../src/app/gesture-model";
import { readCsvFile } from "../../host-sim/data/csv";

const out = process.argv[2] ?? "out/sklearn";
mkdirSync(out, { recursive: true });

const FAN: SyntheticOptions = { columns: ["ax", "ay", "az"], classes: 3, window: 64, windowsPerClass: 30, rate: 200, lowHz: 20, highHz: 30, noise: 0.8, seed: 1, labelColumn: "speed", unit: 9.81 };
const STROKES: SyntheticOptions = { columns: ["pen_x", "pen_y"], classes: 10, window: 50, windowsPerClass: 25, rate: 100, lowHz: 3, highHz: 30, noise: 0.8, seed: 2 };
writeFileSync(join(out, "fan.csv"), syntheticCsv(FAN));
writeFileSync(join(out, "strokes.csv"), syntheticCsv(STROKES));

interface Case { name: string; path: string; load: LoadOptions & SplitOptions }
const split = { testFraction: 0.25, seed: 3 };
const cases: Case[] = [];
for (const features of ["stats", "stats,spectrum:16"]) {
  cases.push({ name: `gestures ${features}`, path: defaultDatasetDir(), load: { features } });
  cases.push({ name: `fan ${features}`, path: join(out, "fan.csv"), load: { labelColumn: "speed", window: 64, features, ...split } });
  cases.push({ name: `strokes ${features}`, path: join(out, "strokes.csv"), load: { window: 50, features, ...split } });
}

const rows = (x: Float32Array | Float64Array, y: Uint8Array, count: number, width: number) =>
  Array.from({ length: count }, (_, s) => [y[s], ...Array.from(x.subarray(s * width, (s + 1) * width), (v) => +v.toPrecision(9))].join(",")).join("\n") + "\n";

const summary: { name: string; file: string; tinyprop: number[]; features: number; train: number; test: number }[] = [];
for (const c of cases) {
  const data: Dataset = loadDataset(c.path, c.load);
  const file = c.name.replace(/[^a-z0-9]+/gi, "_");
  writeFileSync(join(out, `${file}.train.csv`), rows(data.train.x, data.train.y, data.train.count, data.inputWidth));
  writeFileSync(join(out, `${file}.test.csv`), rows(data.test.x, data.test.y, data.test.count, data.inputWidth));
  // The same windows as raw samples (flattened rows x columns), for an MLP without feature extraction.
  const set = loadWindows(c.path, c.load);
  const byId = new Map(set.windows.map((w, i) => [`${w.source.split(/[\\/]/).pop()}:${w.line}`, i]));
  const rawRows = (ids: string[], y: Uint8Array) => {
    const lines: string[] = [];
    ids.forEach((id, s) => {
      const w = set.windows[byId.get(id)!]!;
      const table = readCsvFile(w.source, { columns: set.pipeline.columns, labelColumn: c.load.labelColumn ?? (w.source.endsWith(".csv") && c.path.endsWith(".csv") ? "label" : undefined) });
      const r0 = table.lines.indexOf(w.line), C = set.pipeline.columns.length;
      lines.push([y[s], ...Array.from(table.values.subarray(r0 * C, (r0 + set.pipeline.window) * C))].join(","));
    });
    return lines.join("\n") + "\n";
  };
  writeFileSync(join(out, `${file}.rawtrain.csv`), rawRows(data.train.ids, data.train.y));
  writeFileSync(join(out, `${file}.rawtest.csv`), rawRows(data.test.ids, data.test.y));
  const tinyprop = [1, 2, 3].map((seed) => {
    const { history } = train(gestureModelSpec(data.inputWidth, data.classes.length, { seed }), data, { epochs: 60, shuffleSeed: 7 });
    return history[history.length - 1]!.testAccuracy;
  });
  summary.push({ name: c.name, file, tinyprop, features: data.inputWidth, train: data.train.count, test: data.test.count });
  console.log(`${c.name}: ${data.inputWidth} features, ${data.train.count} train / ${data.test.count} test, tinyprop test accuracy ${tinyprop.map((a) => (a * 100).toFixed(1)).join(" ")} %`);
}
writeFileSync(join(out, "summary.json"), JSON.stringify(summary, null, 2));
