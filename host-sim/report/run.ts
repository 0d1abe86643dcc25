// The record of a run, one schema for `train`, `evaluate` and `stream`: a JSON log with the tool's version,
// the data source and its classes, the options, the model spec, per-epoch history, the confusion matrix and
// the result (plus command-specific extras), and the charts drawn from it. Nothing else is written.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ModelSpec } from "../../src/index";
import type { Dataset } from "../data/gestures";
import { packageInfo } from "../package-info";
import type { Confusion } from "./confusion";
import { renderSvg, runChartSpec, svgToPng } from "./chart";

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

/**
 * Write the log and the chart a run asked for (the chart as SVG, and as PNG beside it when the optional
 * renderer is installed); returns the "chart: ..." / "log: ..." lines to show.
 */
export async function writeRunReport(r: RunRecord): Promise<string[]> {
  const shown: string[] = [];
  if (r.chartPath) {
    mkdirSync(dirname(r.chartPath), { recursive: true });
    const title = `tinyprop ${r.command}: ${r.source}` + (r.command === "stream" ? " (loss and training accuracy from the board's reports)" : "");
    const svg = await renderSvg(runChartSpec(title, r.history, r.confusion));
    writeFileSync(r.chartPath, svg);
    const pngPath = r.chartPath.replace(/\.svg$/i, "") + ".png";
    const { png, missing } = await svgToPng(svg);
    if (png) writeFileSync(pngPath, png);
    shown.push(`chart: ${r.chartPath}${png ? ` and ${pngPath}` : ` (${missing})`}`);
  }
  if (r.logPath) {
    mkdirSync(dirname(r.logPath), { recursive: true });
    writeFileSync(r.logPath, JSON.stringify(runLog(r), finiteOrNull, 2));
    shown.push(`log: ${r.logPath}`);
  }
  return shown;
}
