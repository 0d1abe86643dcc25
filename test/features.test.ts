// The signal pipeline of src/features: hand-checked statistics, an FFT checked against a plain DFT, windowing
// with a stride, clipping that is counted, and the same bits in Node and in real XS with no allocation.
import { beforeAll, describe, expect, it } from "vitest";
import {
  FEATURE_RAW, FEATURE_SPECTRUM, FEATURE_STATS, FeaturePipeline, RealFft, featureNames, featureWidth, learnNormalisation, pipelineProblem,
  type PipelineSpec,
} from "../src/features/index";
import { Random } from "../src/index";
import { readXsBundle, runInNode, runInXs } from "../host-sim/xs/twin";
import { XsEngine } from "../host-sim/xs/xsnap";
import { probeAllocation } from "../host-sim/xs/alloc-probe";
import { DRIVER_HELPERS } from "./xs-scripts";

function spec(over: Partial<PipelineSpec> = {}): PipelineSpec {
  return {
    columns: ["a", "b"], ranges: [32767, 32767], units: ["", ""], window: 4, stride: 4, features: FEATURE_STATS, bands: 0, rawPoints: 0,
    clip: 8, mean: [], scale: [], classes: [], ...over,
  };
}

/** Push rows (arrays of column values); returns the raw features of every completed window. */
function run(p: FeaturePipeline, rows: number[][]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const r of rows) {
    if (!p.pushRow(r, 0)) continue;
    const f = new Float64Array(p.width);
    p.rawFeatures(p.ring, 0, p.oldestRow(), f, 0);
    out.push(f);
  }
  return out;
}

describe("statistics", () => {
  it("match hand-computed values (range 32767: one count per unit)", () => {
    const p = new FeaturePipeline(spec());
    expect(featureNames(p.spec)).toEqual(["a_mean", "a_std", "a_min", "a_max", "a_half", "b_mean", "b_std", "b_min", "b_max", "b_half"]);
    const [f] = run(p, [[0, -1], [1, -1], [2, -1], [3, -1]]);
    expect(f![0]).toBe(1.5);
    expect(f![1]).toBeCloseTo(Math.sqrt(1.25), 12);
    expect([f![2], f![3], f![4]]).toEqual([0, 3, -1]); // half: (0.5 - 2.5) / 2
    expect([...f!.subarray(5)]).toEqual([-1, 0, -1, -1, 0]);
  });

  it("are in the column's units: a value is stored as round(v / range * 32767)", () => {
    const p = new FeaturePipeline(spec({ ranges: [4, 2000], window: 2, stride: 2 }));
    const [f] = run(p, [[1, 500], [3, -500]]);
    const q = (v: number, r: number) => (Math.round((v / r) * 32767) * r) / 32767;
    expect(f![0]).toBeCloseTo((q(1, 4) + q(3, 4)) / 2, 12);
    expect(f![2]).toBe(q(1, 4));
    expect(f![8]).toBeCloseTo(q(500, 2000), 12);
  });

  it("windows come every `stride` rows after the first full window, from a ring buffer", () => {
    const p = new FeaturePipeline(spec({ columns: ["a"], ranges: [32767], units: [""], window: 3, stride: 2 }));
    const rows = [[1], [2], [3], [4], [5], [6], [7], [8]];
    const means = run(p, rows).map((f) => f[0]);
    expect(means).toEqual([2, 4, 6]); // rows 1-3, 3-5, 5-7; row 8 waits for the next stride
    const half = run(new FeaturePipeline(spec({ columns: ["a"], ranges: [32767], units: [""], window: 3, stride: 2 })), [[1], [2], [9]]);
    expect(half[0]![4]).toBe((1 - 5.5) / 2); // first half = row 0 only (floor(3/2) = 1 row)
  });
});

describe("clipping and invalid samples are counted, never silent", () => {
  it("samples beyond the range, NaN samples, and normalised features beyond ±clip", () => {
    const p = new FeaturePipeline(spec({ ranges: [1, 32767], window: 2, stride: 2, mean: Array(10).fill(0), scale: Array(10).fill(1), clip: 2 }));
    p.pushRow([5, NaN], 0);
    expect(p.pushRow([-0.5, 3], 0)).toBe(true);
    expect([...p.clippedSamples]).toEqual([1, 0]);
    expect(p.invalidSamples).toBe(1);
    const out = new Float32Array(10);
    p.extract(out, 0);
    expect(out[3]).toBe(1); // a_max: 5 clipped to the range 1
    expect(out[8]).toBe(2); // b_max 3 clipped to ±2 by normalisation
    expect(p.clippedFeatures).toBeGreaterThanOrEqual(1);
  });
});

describe("spectrum", () => {
  it("the real FFT gives the power spectrum of a plain DFT", () => {
    const rng = new Random(5);
    for (const m of [4, 8, 64, 256]) {
      const x = Float64Array.from({ length: m }, () => rng.uniform() - 0.5);
      const got = new Float64Array(m / 2 + 1);
      new RealFft(m).power(x, got);
      for (let k = 0; k <= m / 2; k++) {
        let re = 0, im = 0;
        for (let n = 0; n < m; n++) {
          re += x[n]! * Math.cos((2 * Math.PI * k * n) / m);
          im -= x[n]! * Math.sin((2 * Math.PI * k * n) / m);
        }
        expect(got[k]).toBeCloseTo(re * re + im * im, 9);
      }
    }
  });

  it("a sine lands in the band of its frequency, and the bands add up to its variance", () => {
    const N = 128, bands = 8;
    const p = new FeaturePipeline(spec({ columns: ["s"], ranges: [2], units: ["g"], window: N, stride: N, features: FEATURE_SPECTRUM, bands }));
    // bins 1..64 in log-spaced bands; a sine at bin 20 (20 cycles per window) of amplitude 1
    const rows = Array.from({ length: N }, (_, n) => [Math.sin((2 * Math.PI * 20 * n) / N)]);
    const [f] = run(p, rows);
    const power = Array.from(f!, (v) => Math.exp(v)); // log(P / q^2 + 1) + log(q^2) -> P + q^2
    const top = power.indexOf(Math.max(...power));
    expect(top).toBe(5); // edges 1,2,3,5,8,14,23,38,65: bin 20 is in band 5 [14, 23)
    expect(power.reduce((a, b) => a + b, 0)).toBeCloseTo(0.5, 2); // variance of a unit sine
  });

  it("raw points are segment means of the window", () => {
    const p = new FeaturePipeline(spec({ columns: ["a"], ranges: [32767], units: [""], window: 5, stride: 5, features: FEATURE_RAW, rawPoints: 2 }));
    const [f] = run(p, [[1], [2], [3], [4], [5]]);
    expect([...f!]).toEqual([1.5, 4]); // rows [0, 2) and [2, 5)
  });

  it("invalid specs are refused with a reason", () => {
    expect(pipelineProblem(spec({ window: 1 }))).toMatch(/tabular data \(window 1\) takes only the raw feature set/);
    expect(pipelineProblem(spec({ features: FEATURE_SPECTRUM, bands: 3, window: 4 }))).toMatch(/bands must be an integer in 1..2/);
    expect(pipelineProblem(spec({ ranges: [1, 0] }))).toMatch(/range of column "b"/);
    expect(pipelineProblem(spec({ mean: [1] , scale: [1] }))).toMatch(/1 means and 1 scales for 10 features/);
    expect(() => new FeaturePipeline(spec({ columns: ["a", "a"] }))).toThrow(/column "a" appears twice/);
  });

  it("normalisation gives zero mean and unit variance on its training set", () => {
    const f = Float64Array.from([1, 10, 3, 10, 5, 10]);
    const { mean, scale } = learnNormalisation(f, 3, 2);
    expect(mean).toEqual([3, 10]);
    expect(scale[0]).toBeCloseTo(1 / Math.sqrt(8 / 3), 12);
    expect(scale[1]).toBe(1); // constant feature
  });
});

// --- Node and XS ------------------------------------------------------------------------------------

const ALL: PipelineSpec = {
  columns: ["aX", "aY", "aZ", "gX"], ranges: [4, 4, 4, 2000], units: ["g", "g", "g", "dps"], window: 50, stride: 20,
  features: FEATURE_STATS | FEATURE_SPECTRUM | FEATURE_RAW, bands: 6, rawPoints: 5, clip: 3, mean: [], scale: [], classes: [],
};
const W = featureWidth(ALL);
const NORMALISED: PipelineSpec = { ...ALL, mean: Array.from({ length: W }, (_, i) => (i % 7) * 0.1), scale: Array.from({ length: W }, (_, i) => 1 + (i % 5) * 0.25) };

/** Rows of pseudo-random sensor data (some beyond the range), windows printed as hex, then the counters. */
const driver = (s: PipelineSpec) => `
  (function () {
    const p = new tinyprop.features.FeaturePipeline(${JSON.stringify(s)});
    const rng = new tinyprop.Random(3), row = new Float64Array(${s.columns.length}), out = new Float32Array(p.width);
    for (let r = 0; r < 400; r++) {
      for (let c = 0; c < row.length; c++) row[c] = (rng.uniform() - 0.5) * (c < 3 ? 9 : 5000) + Math.sin(r * 0.3 * (c + 1)) * 2;
      if (p.pushRow(row, 0)) { p.extract(out, 0); print(hex(out)); }
    }
    print("clipped " + Array.from(p.clippedSamples).join(",") + " features " + p.clippedFeatures + " invalid " + p.invalidSamples);
  })();`;

describe("Node and XS compute the same features", () => {
  let bundle = "";
  beforeAll(() => {
    bundle = readXsBundle();
  });

  for (const [name, s] of [["unnormalised", ALL], ["normalised and clipped", NORMALISED]] as const) {
    it(`stats + spectrum + raw, ${name}: bit-identical`, async () => {
      const node = runInNode([bundle, DRIVER_HELPERS, driver(s)]);
      expect(node.length).toBe(1 + Math.floor((400 - 50) / 20) + 1);
      expect(node[node.length - 1]).toMatch(/^clipped [1-9]\d*,[1-9]\d*,[1-9]\d*,[1-9]\d* features \d+ invalid 0$/);
      const xs = await runInXs([bundle, DRIVER_HELPERS, driver(s)]);
      expect(xs.lines).toEqual(node);
    });
  }

  it("pushRow and extract allocate nothing under XS", async () => {
    const engine = await XsEngine.start();
    try {
      await engine.evaluate(bundle);
      await engine.evaluate(`
        globalThis.p = new tinyprop.features.FeaturePipeline(${JSON.stringify(NORMALISED)});
        globalThis.row = new Float64Array(4); globalThis.out = new Float32Array(p.width);`);
      const probe = await probeAllocation(engine, "row[0] = i % 7; row[3] = i * 3; if (p.pushRow(row, 0)) p.extract(out, 0);", 2000, 100);
      expect(probe.heapDelta).toBe(0);
      expect(probe.allocationFree).toBe(true);
    } finally {
      await engine.close();
    }
  });
});
