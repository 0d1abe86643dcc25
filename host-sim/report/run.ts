// The record of a run, one schema for `train`, `evaluate` and `stream`: a JSON log with the tool's version,
// the data source and its classes, the options, the model spec, per-epoch history, the confusion matrix and
// the result (plus command-specific extras), and the charts drawn from it. Nothing else is written.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ModelSpec } from "../../src/index";
import type { Dataset } from "../data/gestures";
import { packageInfo } from "../package-info";
import type { Confusion } from "./confusion";
import { lossAccuracyChart } from "./chart";

/** One epoch of a run: the same fields for train (evaluated in Node) and stream (the board's reports). */
export interface HistoryRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
}

export interface RunRecord {
  command: "train" | "stream" | "evaluate";
  source: string;
  data: Dataset;
  spec?: ModelSpec;
  options: Record<string, unknown>;
  history: HistoryRecord[];
  confusion?: Confusion;
  result: Record<string, unknown>;
  extra?: Record<string, unknown>;
  chartPath?: string;
  logPath?: string;
}

/** The log object (exported for tests: its keys are the schema). */
export function runLog(r: RunRecord): Record<string, unknown> {
  const tool = packageInfo();
  return {
    tool: { name: tool.name, version: tool.version },
    command: r.command,
    created: new Date().toISOString(),
    data: {
      source: r.source, classes: r.data.classes, features: r.data.featureNames,
      trainSamples: r.data.train.count, testSamples: r.data.test.count,
    },
    options: r.options,
    spec: r.spec ?? null,
    history: r.history,
    confusion: r.confusion ?? null,
    result: r.result,
    ...(r.extra ?? {}),
  };
}

const finiteOrNull = (_k: string, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v);

/** Write the log and chart(s) a run asked for; returns "chart: ..." / "log: ..." lines to show. */
export function writeRunReport(r: RunRecord): string[] {
  const shown: string[] = [];
  if (r.chartPath) {
    mkdirSync(dirname(r.chartPath), { recursive: true });
    writeFileSync(r.chartPath, lossAccuracyChart(`tinyprop ${r.command}`, "epoch", [
      { name: "train loss", color: "#d62728", axis: "loss", values: r.history.map((h) => h.trainLoss) },
      { name: "test loss", color: "#ff9896", axis: "loss", values: r.history.map((h) => h.testLoss) },
      { name: "train accuracy", color: "#1f77b4", axis: "accuracy", values: r.history.map((h) => h.trainAccuracy) },
      { name: "test accuracy", color: "#2ca02c", axis: "accuracy", values: r.history.map((h) => h.testAccuracy) },
    ]));
    shown.push(`chart: ${r.chartPath}`);
  }
  if (r.logPath) {
    mkdirSync(dirname(r.logPath), { recursive: true });
    writeFileSync(r.logPath, JSON.stringify(runLog(r), finiteOrNull, 2));
    shown.push(`log: ${r.logPath}`);
  }
  return shown;
}
