// Fixed-point kernels against a Float64/Float32 reference with the error bounds stated in
// docs/fixed-point.md; saturation at the edges of every Q range is clamped and counted, never wrapped.
import { describe, expect, it } from "vitest";
import { BOUND_UNKNOWN, QMAX, absMaxQ, backInputQ, denseForwardQ, normalizeDeltaQ, sgdFusedQ, softmaxQ } from "../src/engine/fixed/kernels";
import { EXP2_Q15, LOG2_Q15, toMantissa } from "../src/engine/fixed/convert";
import { layerQ, updateRecordQ } from "./fixed-format";
import { layerFormats, planFixed, resolveFixedSpec } from "../src/engine/fixed/plan";
import { FixedModel } from "../src/engine/fixed/model";
import { buildModel, dequantize, Model, plan, quantize, type ModelSpec } from "../src/index";
import { Act, Opt } from "../src/engine/spec";
import { exp, sigmoid, tanh } from "../src/engine/math";
import { Random } from "../src/engine/random";

const mlp = (sizes: number[], over: Partial<ModelSpec> = {}): ModelSpec => ({
  inputs: sizes[0],
  layers: sizes.slice(1).map((units, i) => ({ units, activation: i === sizes.length - 2 ? "softmax" : "relu" })),
  loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.01 }, batchSize: 1, seed: 1, ...over,
});

function randInts(rng: Random, n: number, max: number): Int16Array {
  const a = new Int16Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.round((2 * rng.uniform() - 1) * max);
  return a;
}

describe("denseForwardQ", () => {
  it("matches the float product within 0.5 LSB + (pairs + 1) accumulator LSBs, including worst-case magnitudes", () => {
    const rng = new Random(3);
    for (const [nIn, nOut] of [[1, 3], [7, 5], [64, 32], [300, 4]]) {
      const r = resolveFixedSpec({ ...mlp([nIn, nOut, 2]), dtype: "fixed" });
      const f = layerFormats(r)[0];
      for (const max of [32767, 3000]) {
        const W = randInts(rng, nIn * nOut, max), x = randInts(rng, nIn, max), b = randInts(rng, nOut, 32767);
        if (max === 32767) { W.fill(-32767); x.fill(-32767); } // the largest products, all the same sign
        const Y = new Int16Array(nOut);
        // linear activation at a coarse output frac so nothing saturates
        const outFrac = f.accFrac - 30 + Math.ceil(Math.log2(nIn + 2));
        const outShift = f.accFrac - Math.max(outFrac, 0);
        const sat = denseForwardQ(layerQ(W, b, nIn, nOut, { SH: f.SH, bShift: f.bShift, outShift, act: Act.Linear, slopeQ15: 0, comp: f.comp }), x, 0, Y, 1);
        expect(sat).toBe(0);
        const P = Math.ceil(nIn / 2);
        for (let i = 0; i < nOut; i++) {
          let s = b[i] * 2 ** (f.bShift - f.accFrac);
          for (let j = 0; j < nIn; j++) s += W[i * nIn + j] * x[j] * 2 ** -(f.weightFrac + f.inFrac);
          const bound = 0.5 * 2 ** (outShift - f.accFrac) + (P + 1) * 2 ** -f.accFrac;
          expect(Math.abs(Y[i] * 2 ** (outShift - f.accFrac) - s)).toBeLessThanOrEqual(bound);
        }
      }
    }
  });

  it("sums the same pairs whatever the unrolling (bit-exact against a plain pair loop)", () => {
    const rng = new Random(8);
    for (let nIn = 1; nIn <= 41; nIn++) {
      const nOut = 3, cols = 2;
      const r = resolveFixedSpec({ ...mlp([nIn, nOut, 2]), dtype: "fixed" });
      const f = layerFormats(r)[0];
      const W = randInts(rng, nIn * nOut, 32767), x = randInts(rng, 1 + nIn * cols, 32767), b = randInts(rng, nOut, 32767);
      const Y = new Int16Array(nOut * cols);
      const outShift = f.accFrac - Math.max(f.accFrac - 30 + Math.ceil(Math.log2(nIn + 2)), 0);
      denseForwardQ(layerQ(W, b, nIn, nOut, { SH: f.SH, bShift: f.bShift, outShift, act: Act.Linear, slopeQ15: 0, comp: f.comp }), x, 1, Y, cols);
      for (let c = 0; c < cols; c++) for (let i = 0; i < nOut; i++) {
        let s = (b[i] << f.bShift) + f.comp;
        for (let j = 0; j < nIn; j += 2) {
          const p = W[i * nIn + j] * x[1 + c * nIn + j] + (j + 1 < nIn ? W[i * nIn + j + 1] * x[1 + c * nIn + j + 1] : 0);
          s += p >> f.SH;
        }
        expect(Math.abs(s)).toBeLessThan(2 ** 31);
        const v = Math.max(-32767, Math.min(32767, (s + (outShift > 0 ? 1 << (outShift - 1) : 0)) >> outShift));
        expect(Y[c * nOut + i]).toBe(v);
      }
    }
  });

  it("sigmoid within 1e-4 and tanh within 1.5e-4 of the exact functions (table + interpolation)", () => {
    const W = new Int16Array(1), x = new Int16Array(1), b = new Int16Array(1), Y = new Int16Array(1);
    let es = 0, et = 0;
    for (let z = -32767; z <= 32767; z += 3) {
      b[0] = z;
      denseForwardQ(layerQ(W, b, 1, 1, { SH: 0, bShift: 0, outShift: 0, act: Act.Sigmoid, slopeQ15: 0, comp: 0 }), x, 0, Y, 1);
      es = Math.max(es, Math.abs(Y[0] / 16384 - sigmoid(z / 2048)));
      denseForwardQ(layerQ(W, b, 1, 1, { SH: 0, bShift: 0, outShift: 0, act: Act.Tanh, slopeQ15: 0, comp: 0 }), x, 0, Y, 1);
      et = Math.max(et, Math.abs(Y[0] / 16384 - tanh(z / 4096)));
    }
    expect(es).toBeLessThanOrEqual(1e-4);
    expect(et).toBeLessThanOrEqual(1.5e-4);
  });

  it("relu is exact, leaky rounds to nearest, and activations saturate at +-32767 with a count", () => {
    const W = Int16Array.of(32767, 32767), x = Int16Array.of(32767, 32767), b = new Int16Array(1), Y = new Int16Array(1);
    // accumulator far above the int16 range at outShift 0: clamped, counted
    expect(denseForwardQ(layerQ(W, b, 2, 1, { SH: 2, bShift: 0, outShift: 0, act: Act.Linear, slopeQ15: 0, comp: 0 }), x, 0, Y, 1)).toBe(1);
    expect(Y[0]).toBe(32767);
    expect(denseForwardQ(layerQ(W, b, 2, 1, { SH: 2, bShift: 0, outShift: 0, act: Act.Relu, slopeQ15: 0, comp: 0 }), x, 0, Y, 1)).toBe(1);
    expect(Y[0]).toBe(32767);
    W[0] = W[1] = -32767;
    expect(denseForwardQ(layerQ(W, b, 2, 1, { SH: 2, bShift: 0, outShift: 0, act: Act.Linear, slopeQ15: 0, comp: 0 }), x, 0, Y, 1)).toBe(1);
    expect(Y[0]).toBe(-32767); // not -32768, never wrapped
    expect(denseForwardQ(layerQ(W, b, 2, 1, { SH: 2, bShift: 0, outShift: 0, act: Act.Relu, slopeQ15: 0, comp: 0 }), x, 0, Y, 1)).toBe(0);
    expect(Y[0]).toBe(0);
    // leaky: slope 0.01 (Q15 328) of a huge negative value: exact rounding of v * slope, saturated
    expect(denseForwardQ(layerQ(W, b, 2, 1, { SH: 2, bShift: 0, outShift: 0, act: Act.Leaky, slopeQ15: 328, comp: 0 }), x, 0, Y, 1)).toBe(1);
    expect(Y[0]).toBe(-32767);
    // leaky of a large negative accumulator that fits after the slope: exact, no overflow
    W[0] = -32767; W[1] = 0; x[0] = 90;
    expect(denseForwardQ(layerQ(W, b, 2, 1, { SH: 0, bShift: 0, outShift: 0, act: Act.Leaky, slopeQ15: 328, comp: 0 }), x, 0, Y, 1)).toBe(0);
    expect(Y[0]).toBe(Math.round((-32767 * 90 * 328) / 32768));
    W[0] = 100; W[1] = 0; x[0] = -7; x[1] = 0;
    denseForwardQ(layerQ(W, b, 2, 1, { SH: 0, bShift: 0, outShift: 0, act: Act.Leaky, slopeQ15: 16384, comp: 0 }), x, 0, Y, 1);
    expect(Y[0]).toBe(-350);
  });
});

describe("softmaxQ (log-sum-exp in base 2, no division)", () => {
  it("is within 1.5e-4 of the exact softmax of the Q5.10 logits, and gives -log p of the label", () => {
    const rng = new Random(9);
    const Z = new Int16Array(10);
    let worst = 0;
    for (let t = 0; t < 5000; t++) {
      const n = 2 + rng.below(9), scale = 20 * rng.uniform();
      for (let i = 0; i < n; i++) Z[i] = Math.round((2 * rng.uniform() - 1) * scale * 1024);
      const z = Array.from(Z.subarray(0, n), (v) => v / 1024), m = Math.max(...z);
      const e = z.map((v) => exp(v - m)), S = e.reduce((a, c) => a + c, 0);
      const label = rng.below(n);
      const loss = softmaxQ(Z, n, 1, [label], 0, EXP2_Q15, LOG2_Q15) * (Math.LN2 / 1024);
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(Z[i] / 16384 - e[i] / S));
      expect(Math.abs(loss - -Math.log(e[label] / S))).toBeLessThan(2e-3);
    }
    expect(worst).toBeLessThanOrEqual(1.5e-4);
  });
});

describe("backward kernels", () => {
  it("normalizeDeltaQ keeps |delta| <= 2^14 with a per-tensor exponent, relu masks exactly", () => {
    const A = Int32Array.of(2 ** 30, -(2 ** 29), 12345, -7), Y = Int16Array.of(1, 1, 0, 1), D = new Int16Array(4);
    const frac = normalizeDeltaQ(A, 4, Y, Act.Relu, 0, D, 40);
    expect(Math.max(...Array.from(D, Math.abs))).toBeLessThanOrEqual(16384);
    expect(D[0] * 2 ** -frac).toBeCloseTo(2 ** 30 * 2 ** -40, 12);
    expect(D[2]).toBe(0);
    const B = Int32Array.of(3, -2), E = new Int16Array(2);
    expect(normalizeDeltaQ(B, 2, Int16Array.of(1, 1), Act.Linear, 0, E, 20)).toBe(20);
    expect(Array.from(E)).toEqual([3, -2]);
  });

  it("backInputQ = W^T dZ within its stated bound; sgdFusedQ matches the float update and saturates weights with a count", () => {
    const rng = new Random(4);
    const nIn = 37, nOut = 29;
    const r = resolveFixedSpec({ ...mlp([nIn, nOut, 2]), dtype: "fixed" });
    const f = layerFormats(r)[0];
    const W = randInts(rng, nIn * nOut, 20000), dZ = randInts(rng, nOut, 16384), A = new Int32Array(nIn);
    backInputQ(layerQ(W, new Int16Array(nOut), nIn, nOut, { SHb: f.SHb }), dZ, A, 1);
    for (let j = 0; j < nIn; j++) {
      let s = 0;
      for (let i = 0; i < nOut; i++) s += W[i * nIn + j] * dZ[i];
      expect(Math.abs(A[j] - s / 2 ** f.SHb)).toBeLessThanOrEqual(Math.ceil(nOut / 2));
    }
    // fused SGD: W -= lr g x, b -= lr g, at lr = 2^-6 with every frac 0 except the shift
    const x = randInts(rng, nIn, 30000), b = randInts(rng, nOut, 1000);
    const W0 = W.slice(), b0 = b.slice();
    const m = new Int32Array(2);
    toMantissa(2 ** -6, m);
    const S = m[1] - 14 + 14; // lrE + gz(14) - 14 + fin(0) - fw(0)
    const sat = sgdFusedQ(layerQ(W, b, nIn, nOut, { SHd: f.SHd }), dZ, x, A, updateRecordQ({ lrM: m[0], S, Sb: S }), absMaxQ(x, 0, nIn), Int32Array.of(BOUND_UNKNOWN, 0), 0);
    let expectedSat = 0;
    for (let i = 0; i < nOut; i++) {
      const lg = Math.floor((m[0] * dZ[i] + 8192) / 16384);
      for (let j = 0; j < nIn; j++) {
        let v = W0[i * nIn + j] - Math.floor((lg * x[j] + 2 ** (S - 1)) / 2 ** S);
        if (v > 32767 || v < -32767) { v = Math.sign(v) * 32767; expectedSat++; }
        expect(W[i * nIn + j]).toBe(v);
        const exact = W0[i * nIn + j] - (2 ** -6 * dZ[i] * x[j]) / 2 ** 14;
        if (Math.abs(exact) < 32767) expect(Math.abs(W[i * nIn + j] - exact)).toBeLessThanOrEqual(1.5);
      }
      expect(b[i]).toBe(b0[i] - Math.floor((lg + 2 ** (S - 1)) / 2 ** S));
    }
    expect(sat).toBe(expectedSat);
    // push one weight over the edge on purpose
    W.fill(32760); dZ.fill(-16384); x.fill(32767);
    expect(sgdFusedQ(layerQ(W, b, nIn, nOut, { SHd: f.SHd }), dZ, x, null, updateRecordQ({ lrM: m[0], S: 8, Sb: 8 }), 32767, Int32Array.of(BOUND_UNKNOWN, 0), 0)).toBe(nIn * nOut);
    expect(W.every((w) => w === 32767)).toBe(true);
  });

  it("sgdFusedQ's max|W| bound: unchecked rows store what the checked loop stores, the bound stays above max|W|, saturation is still counted", () => {
    const rng = new Random(5);
    const nIn = 39, nOut = 11, m = new Int32Array(2); // 39 = 2 x 16 + 4 + 3: every unrolled block
    toMantissa(2 ** -3, m);
    // reference: the same update with every weight checked (a fresh bound state each call, rescanned to the exact max,
    // is no help when every weight starts at the edge, so build the reference directly)
    const reference = (W: Int16Array, b: Int16Array, dZ: Int16Array, x: Int16Array, S: number): number => {
      let sat = 0;
      for (let i = 0; i < nOut; i++) {
        if (dZ[i] === 0) continue;
        const lg = Math.floor((m[0] * dZ[i] + 8192) / 16384);
        let v = b[i] - Math.floor((lg + 2 ** (S - 1)) / 2 ** S);
        if (Math.abs(v) > QMAX) { v = Math.sign(v) * QMAX; sat++; }
        b[i] = v;
        for (let j = 0; j < nIn; j++) {
          v = W[i * nIn + j] + Math.floor((-lg * x[j] + 2 ** (S - 1)) / 2 ** S); // the increment rounds half up
          if (Math.abs(v) > QMAX) { v = Math.sign(v) * QMAX; sat++; }
          W[i * nIn + j] = v;
        }
      }
      return sat;
    };
    for (const start of [3000, 20000, 32000]) {
      const W = randInts(rng, nIn * nOut, start), b = randInts(rng, nOut, 1000);
      const Wr = W.slice(), br = b.slice(), bound = Int32Array.of(BOUND_UNKNOWN, 0);
      let sat = 0, satRef = 0;
      for (let step = 0; step < 300; step++) {
        const dZ = randInts(rng, nOut, 16384), x = randInts(rng, nIn, 32767);
        for (let i = 0; i < nOut; i += 3) dZ[i] = 0;
        const S = 6 + (step % 5);
        const A = step % 2 === 0 ? null : new Int32Array(nIn), Aref = new Int32Array(nIn);
        for (let i = 0; i < nOut; i++) if (dZ[i] !== 0) for (let j = 0; j < nIn; j++) Aref[j] += (Wr[i * nIn + j] * dZ[i]) >> 3;
        sat += sgdFusedQ(layerQ(W, b, nIn, nOut, { SHd: 3 }), dZ, x, A, updateRecordQ({ lrM: m[0], S, Sb: S }), absMaxQ(x, 0, nIn), bound, 0);
        if (A !== null) expect(A).toEqual(Aref);
        satRef += reference(Wr, br, dZ, x, S);
        expect(W).toEqual(Wr);
        expect(b).toEqual(br);
        expect(bound[0]).toBeGreaterThanOrEqual(absMaxQ(W, 0, nIn * nOut));
        expect(bound[0]).toBeLessThanOrEqual(QMAX);
      }
      expect(sat).toBe(satRef);
      if (start === 32000) expect(sat).toBeGreaterThan(0);
    }
  });
});

describe("sgdFusedQ skipping zero inputs", () => {
  it("gives the same weights, biases, saturation count and (where x != 0) input gradient as the dense loops", () => {
    const rng = new Random(6), m = new Int32Array(2);
    toMantissa(2 ** -4, m);
    for (const [nIn, zeros, wMax] of [[5, 0.5, 8000], [39, 0.5, 8000], [64, 0.9, 8000], [64, 0.1, 8000], [128, 0.6, 8000], [39, 0.5, 32767]] as const) {
      const nOut = 9;
      const W = randInts(rng, nIn * nOut, wMax), b = randInts(rng, nOut, 1000);
      const W2 = W.slice(), b2 = b.slice(), bound = Int32Array.of(BOUND_UNKNOWN, 0), bound2 = Int32Array.of(BOUND_UNKNOWN, 0);
      for (let step = 0; step < 40; step++) {
        const dZ = randInts(rng, nOut, 16384), x = randInts(rng, nIn, 32767);
        for (let j = 0; j < nIn; j++) if (rng.uniform() < zeros) x[j] = 0; else x[j] = Math.abs(x[j]);
        dZ[step % nOut] = 0;
        const A = new Int32Array(nIn), A2 = new Int32Array(nIn), P = new Int16Array(nIn);
        const S = 8 + (step % 4), xm = absMaxQ(x, 0, nIn);
        const sat = sgdFusedQ(layerQ(W, b, nIn, nOut, { SHd: 4 }), dZ, x, A, updateRecordQ({ lrM: m[0], S, Sb: S }), xm, bound, 0);
        const sat2 = sgdFusedQ(layerQ(W2, b2, nIn, nOut, { SHd: 4 }), dZ, x, A2, updateRecordQ({ lrM: m[0], S, Sb: S }), xm, bound2, 0, P);
        expect(sat2).toBe(sat);
        expect(W2).toEqual(W);
        expect(b2).toEqual(b);
        for (let j = 0; j < nIn; j++) if (x[j] !== 0) expect(A2[j]).toBe(A[j]);
      }
    }
  });
});

describe("fixed specs and plans", () => {
  it("rejects what fixed point cannot do, with clear errors", () => {
    expect(() => plan({ ...mlp([4, 3]), dtype: "fixed", optimizer: { type: "adam", learningRate: 0.01 } })).toThrow(/adam is not available with dtype "fixed" \(Float32 only\)/);
    expect(() => plan({ ...mlp([4, 3]), dtype: "fixed", optimizer: { type: "sgd", learningRate: 0.01, clipNorm: 1 } })).toThrow(/clipNorm is not available with dtype "fixed"/);
    expect(() => plan({ ...mlp([4, 3]), fixed: { inputFrac: 12 } })).toThrow(/requires dtype "fixed"/);
    expect(() => new Model({ ...mlp([4, 3]), dtype: "fixed" })).toThrow(/Float32 engine/);
  });

  it("a spec whose Q formats cannot hold its data gets a clear error", () => {
    expect(() => buildModel({ ...mlp([4, 3]), dtype: "fixed", fixed: { inputFrac: 12, inputRange: 100 } }))
      .toThrow(/inputRange 100 does not fit the input format Q3\.12 .*use inputFrac <= 8/);
    expect(() => buildModel({ ...mlp([4, 3]), dtype: "fixed", fixed: { inputRange: 1e6 } })).toThrow(/does not fit an int16 Q format/);
    const mse: ModelSpec = { inputs: 3, layers: [{ units: 2, activation: "linear" }], loss: "mse", optimizer: { type: "sgd", learningRate: 0.01 }, batchSize: 1, seed: 1, dtype: "fixed" };
    expect(() => buildModel({ ...mse, fixed: { outputRange: 40 } })).toThrow(/outputRange 40 does not fit the output format Q4\.11/);
    expect(() => buildModel({ ...mse, fixed: { outputRange: 40, activationFrac: 9 } })).not.toThrow();
    expect(() => buildModel({ ...mse, fixed: { weightFrac: [16] } })).toThrow(/weightFrac\[0\] must be an integer in 0\.\.15/);
    expect(() => buildModel({ ...mse, fixed: { weightFrac: [3], inputFrac: 2 } })).toThrow(/output frac 11 is finer than the accumulator/);
    expect(() => buildModel({ ...mse, fixed: { biasFrac: 2 } })).toThrow(/biasFrac 2 must be in/);
    expect(new FixedModel({ ...mse, fixed: { inputRange: 100 } }).inputFrac).toBe(8);
  });

  it("plans exact bytes, at most 0.6x Float32 for SGD batch 1", () => {
    for (const sizes of [[64, 32, 8], [16, 32, 32, 4], [64, 128, 64, 10], [30, 32, 5]]) {
      const f = plan(mlp(sizes)), q = planFixed({ ...mlp(sizes), dtype: "fixed" });
      expect(q.total / f.total).toBeLessThanOrEqual(0.6);
      expect(q.parameters).toBe(Math.ceil((f.parameterCount * 2) / 8) * 8);
      const m = new FixedModel({ ...mlp(sizes), dtype: "fixed" });
      expect(m.arena.byteLength).toBe(q.total);
      expect(q.parameters + q.gradients + q.optimizer + q.forward + q.backward + q.scratch).toBe(q.total);
    }
    // other optimizers and batch sizes are still smaller than Float32
    for (const over of [{ batchSize: 8 }, { keepGradients: true }, { optimizer: { type: "sgd" as const, learningRate: 0.01, momentum: 0.9 } }]) {
      expect(planFixed({ ...mlp([64, 32, 8], over), dtype: "fixed" }).total).toBeLessThan(plan(mlp([64, 32, 8], over)).total);
    }
  });
});

describe("bad input", () => {
  it("values outside the input range saturate and are counted; non-finite values are rejected before any state changes", () => {
    const m = buildModel({ ...mlp([4, 6, 3]), dtype: "fixed" });
    const before = m.parameters.slice();
    expect(() => m.trainStep(Float32Array.of(0, NaN, 0, 0), [1])).toThrow(/x\[1\] is NaN/);
    expect(() => m.trainStep(Float32Array.of(0, 0, 0, 0), [3])).toThrow(/not a class index in 0\.\.2/);
    expect(m.parameters).toEqual(before);
    expect(m.step).toBe(0);
    m.trainStep(Float32Array.of(100, -100, 7.9, 0), [1]);
    expect(m.saturatedInputs).toBe(2);
    m.trainStepQ(Int16Array.of(-32768, 5, 5, 5), [0]);
    expect(m.saturatedInputs).toBe(3);
    expect(m.step).toBe(2);
    const out = new Float32Array(3);
    m.predict(Float32Array.of(1e9, 0, 0, 0), out);
    expect(m.saturatedInputs).toBe(4);
    expect(Math.abs(out[0] + out[1] + out[2] - 1)).toBeLessThan(1e-3);
  });
});

describe("post-training quantization", () => {
  it("round-trips weights within half an LSB of each format, and dequantize is exact", () => {
    const spec = mlp([12, 16, 4], { optimizer: { type: "adam", learningRate: 0.01 } });
    const f = new Model(spec);
    const rng = new Random(2);
    const x = new Float32Array(12), y = new Uint8Array(1);
    for (let t = 0; t < 300; t++) { for (let i = 0; i < 12; i++) x[i] = 2 * rng.uniform() - 1; y[0] = x[0] > 0 ? (x[1] > 0 ? 1 : 2) : 0; f.trainStep(x, y); }
    const q = quantize(f);
    expect(q.config.optimizer).toBe(Opt.Sgd);
    expect(q.saturatedStores).toBe(0);
    for (let l = 0; l < 2; l++) {
      const fw = q.layers[l].format.weightFrac;
      for (let k = 0; k < f.layers[l].W.length; k++) expect(Math.abs(q.layers[l].W[k] * 2 ** -fw - f.layers[l].W[k])).toBeLessThanOrEqual(2 ** -(fw + 1));
    }
    const back = dequantize(q);
    for (let l = 0; l < 2; l++) for (let k = 0; k < back.layers[l].W.length; k++) expect(back.layers[l].W[k]).toBe(q.layers[l].W[k] * 2 ** -q.layers[l].format.weightFrac);
    expect(back.spec.dtype).toBe("float32");
  });
});
