// Charts of a run, drawn with Vega-Lite and rendered headlessly: Vega-Lite compiles a declarative spec to
// Vega, Vega lays out axes, ticks, legends and scales and writes SVG without a browser or canvas, and
// resvg (an optional native package; skipped with a note when absent) rasterises that SVG to PNG. All of
// it runs offline from npm packages. Why Vega-Lite: a few lines of spec per chart, and the library, not
// this file, handles tick choice, small data (one epoch draws points), legend placement and scale domains.
//
// One picture per run, three panels: loss per epoch (train and test), accuracy per epoch (train and
// test), and the confusion matrix of the held-out split as a heat map with counts.
import type { TopLevelSpec } from "vega-lite";
import type { Confusion } from "./confusion";

export interface ChartEpoch {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
}

/** The Vega-Lite spec of a run's picture (exported for tests). */
export function runChartSpec(title: string, history: readonly ChartEpoch[], confusion?: Confusion): TopLevelSpec {
  const curves: { epoch: number; series: string; value: number }[] = [];
  for (const h of history) {
    const add = (series: string, value: number) => { if (Number.isFinite(value)) curves.push({ epoch: h.epoch, series, value }); };
    add("train loss", h.trainLoss);
    add("test loss", h.testLoss);
    add("train accuracy", h.trainAccuracy);
    add("test accuracy", h.testAccuracy);
  }
  const maxEpoch = Math.max(1, ...history.map((h) => h.epoch));
  const x = { field: "epoch", type: "quantitative", title: "epoch", scale: { domain: [history.length > 1 ? Math.min(...history.map((h) => h.epoch)) : 0, maxEpoch], nice: false }, axis: { tickMinStep: 1, format: "d" } } as const;
  const color = (names: string[], colors: string[]) => ({ field: "series", type: "nominal", title: null, scale: { domain: names, range: colors }, legend: { orient: "bottom" } }) as const;
  const panel = (kind: "loss" | "accuracy") => ({
    title: kind === "loss" ? "loss" : "accuracy",
    width: 320,
    height: 220,
    transform: [{ filter: { field: "series", oneOf: [`train ${kind}`, `test ${kind}`] } }],
    mark: { type: "line", point: true, strokeWidth: 2 },
    encoding: {
      x,
      y: kind === "loss"
        ? { field: "value", type: "quantitative", title: "mean loss", scale: { zero: true } }
        : { field: "value", type: "quantitative", title: "accuracy", scale: { domain: [0, 1] }, axis: { format: ".0%" } },
      color: kind === "loss" ? color(["train loss", "test loss"], ["#d62728", "#ff9896"]) : color(["train accuracy", "test accuracy"], ["#1f77b4", "#2ca02c"]),
    },
  });
  const panels: object[] = [
    { data: { values: curves }, hconcat: [panel("loss"), panel("accuracy")], resolve: { scale: { color: "independent" } } },
  ];
  if (confusion && confusion.classes.length > 0) {
    const k = confusion.classes.length;
    const cells = [];
    for (let t = 0; t < k; t++) {
      let row = 0;
      for (let p = 0; p < k; p++) row += confusion.matrix[t * k + p]!;
      for (let p = 0; p < k; p++) {
        const n = confusion.matrix[t * k + p]!;
        cells.push({ truth: confusion.classes[t], predicted: confusion.classes[p], count: n, share: row ? n / row : 0 });
      }
    }
    const side = Math.min(360, Math.max(120, 36 * k));
    panels.push({
      title: "confusion matrix (held-out data)",
      data: { values: cells },
      width: side,
      height: side,
      encoding: {
        x: { field: "predicted", type: "nominal", sort: confusion.classes, title: "predicted class", axis: { labelAngle: -45 } },
        y: { field: "truth", type: "nominal", sort: confusion.classes, title: "true class" },
      },
      layer: [
        { mark: "rect", encoding: { color: { field: "share", type: "quantitative", title: "share of row", scale: { domain: [0, 1], scheme: "blues" }, legend: { format: ".0%" } } } },
        { mark: { type: "text", fontSize: 11 }, encoding: { text: { field: "count", type: "quantitative" }, color: { condition: { test: "datum.share > 0.5", value: "white" }, value: "black" } } },
      ],
    });
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", fontSize: 15 },
    background: "white",
    padding: 12,
    config: { font: "DejaVu Sans, Arial, sans-serif" },
    vconcat: panels,
  } as unknown as TopLevelSpec;
}

/** Render a Vega-Lite spec to SVG text, headlessly. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on first use: the libraries are large, and most commands draw nothing.
  const [vega, { compile }] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise SVG to PNG with resvg, or undefined (with the reason) when the optional package is missing. */
export async function svgToPng(svg: string, scale = 2): Promise<{ png?: Uint8Array; missing?: string }> {
  let Resvg: typeof import("@resvg/resvg-js").Resvg;
  try {
    ({ Resvg } = await import("@resvg/resvg-js"));
  } catch {
    return { missing: "PNG charts need the optional package @resvg/resvg-js (npm install @resvg/resvg-js); the SVG was written" };
  }
  const r = new Resvg(svg, { fitTo: { mode: "zoom", value: scale }, font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } });
  return { png: r.render().asPng() };
}
