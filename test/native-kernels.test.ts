// The native C kernels (src/native/, loaded in Node as an addon built on demand) against the JavaScript
// kernels they replace: every kernel, random shapes including the unrolling edges (1, 7, 8, 9, 16, 17) and
// odd batch sizes, random parameters. Inputs and outputs share one ArrayBuffer with random gaps between the
// tensors; the whole buffer must come out byte for byte the same (so a write outside a tensor shows too).
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadNodeAddon, projectRoot } from "../host-sim/native/build";
import { NATIVE_VERSION, type NativeKernels } from "../src/engine/native";
import { floatOnlyFloat32Kernels, jsFloat32Kernels, nativeFloat32Kernels, nativeFloatOnlyKernels, type Float32Kernels } from "../src/engine/float32/kernel-table";
import { layerFormat } from "../src/engine/float32/layer-format";
import { jsFixedKernels, nativeFixedKernels } from "../src/engine/fixed/kernel-table";
import { Act } from "../src/engine/codes";
import { Random } from "../src/engine/random";
import { layerQ, updateRecordQ } from "./fixed-format";

const addon = loadNodeAddon();
const native = addon.ok ? addon.kernels : (null as unknown as NativeKernels);
if (!addon.ok) console.warn(`native kernel tests skipped: ${addon.reason}`);
const withNative = it.skipIf(!addon.ok);

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33];
const COLS = [1, 2, 3, 5, 7];
const ACTS = [Act.Linear, Act.Relu, Act.Leaky, Act.Sigmoid, Act.Tanh, Act.Softmax];
const CASES = Number(process.env.TP_NATIVE_CASES ?? 60);

type Kind = "f32" | "i16" | "i32" | "u16";
type Fill = (rng: Random, i: number) => number;
interface TensorSpec { kind: Kind; length: number; fill: Fill }
type Views = (Float32Array | Int16Array | Int32Array | Uint16Array)[];

const pick = <T>(rng: Random, a: readonly T[]): T => a[rng.below(a.length)];

/** Float32 test values: mostly |v| < 2, some exact zeros, some large (exp/tanh range edges), some -0. */
const floats = (zeros = 0.2): Fill => (rng) => {
  const u = rng.uniform();
  if (u < zeros) return 0;
  if (u < zeros + 0.02) return -0;
  if (u > 0.97) return (2 * rng.uniform() - 1) * 900;
  return (2 * rng.uniform() - 1) * 2;
};
const ints = (max: number, zeros = 0.1): Fill => (rng) => (rng.uniform() < zeros ? 0 : Math.round((2 * rng.uniform() - 1) * max));

/** Lay the tensors out in one buffer with random aligned gaps of garbage; return two identical copies. */
function layout(rng: Random, specs: TensorSpec[]): { a: Views; b: Views; bufA: ArrayBuffer; bufB: ArrayBuffer } {
  const offsets: number[] = [];
  let at = 4 * rng.below(4);
  for (const s of specs) {
    offsets.push(at);
    at += (s.kind === "i16" || s.kind === "u16" ? 2 : 4) * s.length;
    at = ((at + 3) & ~3) + 4 * rng.below(3);
  }
  const bufA = new ArrayBuffer(at + 8);
  const bytes = new Uint8Array(bufA);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.below(256);
  const make = (buf: ArrayBuffer): Views => specs.map((s, t) => {
    const C = { f32: Float32Array, i16: Int16Array, i32: Int32Array, u16: Uint16Array }[s.kind];
    return new C(buf, offsets[t], s.length);
  });
  const a = make(bufA);
  specs.forEach((s, t) => { for (let i = 0; i < s.length; i++) a[t][i] = s.fill(rng, i); });
  const bufB = bufA.slice(0);
  return { a, b: make(bufB), bufA, bufB };
}

function expectSameBytes(bufA: ArrayBuffer, bufB: ArrayBuffer, what: string): void {
  const A = new Uint8Array(bufA), B = new Uint8Array(bufB);
  let first = -1;
  for (let i = 0; i < A.length; i++) if (A[i] !== B[i]) { first = i; break; }
  expect(first, `${what}: first differing byte`).toBe(-1);
}

const F = (v: Views[number]) => v as Float32Array;
const I = (v: Views[number]) => v as Int16Array;
const I32 = (v: Views[number]) => v as Int32Array;

describe("native kernels: build and codes", () => {
  it("builds the Node addon or says why not (no C compiler, no Node headers)", () => {
    if (!addon.ok) expect(addon.reason).toMatch(/compiler|headers|failed/);
    else expect(native.version()).toBe(NATIVE_VERSION);
  });

  it("use the engine's activation codes and version", () => {
    const h = readFileSync(join(projectRoot(), "src/native/tinyprop_kernels.h"), "utf8");
    const code = (name: string) => Number(new RegExp(`#define ${name} (\\d+)`).exec(h)?.[1]);
    expect({ L: code("TP_ACT_LINEAR"), R: code("TP_ACT_RELU"), K: code("TP_ACT_LEAKY"), S: code("TP_ACT_SIGMOID"), T: code("TP_ACT_TANH"), M: code("TP_ACT_SOFTMAX") })
      .toEqual({ L: Act.Linear, R: Act.Relu, K: Act.Leaky, S: Act.Sigmoid, T: Act.Tanh, M: Act.Softmax });
    expect(code("TP_NATIVE_VERSION")).toBe(NATIVE_VERSION);
  });

  withNative("refuse a tensor that does not fit its buffer, a non-number size and a missing argument", () => {
    const W = new Float32Array(6), b = new Float32Array(2), x = new Float32Array(3), Y = new Float32Array(2);
    expect(() => native.f32ForwardAct(W.buffer, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, 3, 2, 2, 0, 0)).toThrow(/outside its buffer/);
    expect(() => native.f32ForwardAct(W.buffer, 2, b.buffer, 0, x.buffer, 0, Y.buffer, 0, 3, 2, 1, 0, 0)).toThrow(/outside its buffer/);
    expect(() => native.f32ForwardAct(W.buffer, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, "3" as unknown as number, 2, 1, 0, 0)).toThrow(/must be a number/);
    expect(() => native.f32ForwardAct(W.buffer, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, -1, 2, 1, 0, 0)).toThrow(/sizes/);
    expect(() => native.f32ForwardAct(W as unknown as ArrayBuffer, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, 3, 2, 1, 0, 0)).toThrow(/ArrayBuffer/);
    expect(() => (native.f32ForwardAct as unknown as (...a: unknown[]) => void)(W.buffer, 0)).toThrow(/arguments/);
  });
});

// The default native kernels against the JavaScript kernels, and the "native-f32" ones (float arithmetic)
// against their JavaScript twin float-only.ts: the same cases for both pairs.
const FLOAT32_PAIRS: [string, Float32Kernels, (n: NativeKernels) => Float32Kernels][] = [
  ["native Float32 kernels are bit-identical to the JavaScript kernels", jsFloat32Kernels, nativeFloat32Kernels],
  ["native-f32 kernels (float32 arithmetic) are bit-identical to float-only.ts", floatOnlyFloat32Kernels, nativeFloatOnlyKernels],
];

for (const [title, js, table] of FLOAT32_PAIRS) describe(title, () => {
  const nat = () => table(native);

  withNative("the forward pass without activation, with inputs at an offset", () => {
    const rng = new Random(101);
    for (let t = 0; t < CASES; t++) {
      const nIn = pick(rng, SIZES), nOut = pick(rng, SIZES), cols = pick(rng, COLS), xOff = rng.below(3) * nIn;
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "f32", length: nIn * nOut, fill: floats(0.05) }, { kind: "f32", length: nOut, fill: floats() },
        { kind: "f32", length: xOff + cols * nIn, fill: floats() }, { kind: "f32", length: cols * nOut, fill: floats() },
      ]);
      js.denseForwardAct(layerFormat({ W: F(a[0]), b: F(a[1]), Y: F(a[3]), nIn, nOut }), F(a[2]), xOff, cols);
      nat().denseForwardAct(layerFormat({ W: F(b[0]), b: F(b[1]), Y: F(b[3]), nIn, nOut }), F(b[2]), xOff, cols);
      expectSameBytes(bufA, bufB, `denseForward ${nIn}x${nOut} cols ${cols}`);
    }
  });

  withNative("activate and activationBackward, every activation", () => {
    const rng = new Random(102);
    for (let t = 0; t < CASES; t++) {
      const n = pick(rng, SIZES) * pick(rng, COLS), act = pick(rng, ACTS), slope = rng.uniform() * 0.5;
      const scale = pick(rng, [1, 10, 50]);
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "f32", length: n, fill: (r) => floats()(r, 0) * scale }, { kind: "f32", length: n, fill: floats() },
      ]);
      js.activate(F(a[0]), n, act, slope);
      nat().activate(F(b[0]), n, act, slope);
      expectSameBytes(bufA, bufB, `activate ${act}`);
      js.activationBackward(F(a[1]), F(a[0]), n, act, slope);
      nat().activationBackward(F(b[1]), F(b[0]), n, act, slope);
      expectSameBytes(bufA, bufB, `activationBackward ${act}`);
    }
  });

  withNative("denseBackwardInput and denseBackwardParams", () => {
    const rng = new Random(103);
    for (let t = 0; t < CASES; t++) {
      const nIn = pick(rng, SIZES), nOut = pick(rng, SIZES), cols = pick(rng, COLS);
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "f32", length: nIn * nOut, fill: floats(0.05) }, { kind: "f32", length: cols * nOut, fill: floats(0.3) },
        { kind: "f32", length: cols * nIn, fill: floats() }, { kind: "f32", length: cols * nIn, fill: floats() },
        { kind: "f32", length: nIn * nOut, fill: floats() }, { kind: "f32", length: nOut, fill: floats() },
      ]);
      // W, dZ, x, dX, dW, db; Y is not touched by the backward kernels.
      const layer = (v: Views) => layerFormat({ W: F(v[0]), b: F(v[5]), Y: F(v[3]), nIn, nOut, dZ: F(v[1]), dX: F(v[3]), dW: F(v[4]), db: F(v[5]) });
      js.denseBackwardInput(layer(a), cols);
      nat().denseBackwardInput(layer(b), cols);
      js.denseBackwardParams(layer(a), F(a[2]), cols);
      nat().denseBackwardParams(layer(b), F(b[2]), cols);
      expectSameBytes(bufA, bufB, `backward ${nIn}x${nOut} cols ${cols}`);
    }
  });

  withNative("the fused SGD backward without an activation below, with and without dX and weight decay", () => {
    const rng = new Random(104);
    for (let t = 0; t < CASES; t++) {
      const nIn = pick(rng, SIZES), nOut = pick(rng, SIZES), withDX = rng.uniform() < 0.6;
      const lr = rng.uniform() * 0.3, wd = rng.uniform() < 0.5 ? 0 : rng.uniform() * 0.01;
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "f32", length: nIn * nOut, fill: floats(0.05) }, { kind: "f32", length: nOut, fill: floats() },
        { kind: "f32", length: nOut, fill: floats(0.3) }, { kind: "f32", length: nIn, fill: floats() },
        { kind: "f32", length: nIn, fill: floats() },
      ]);
      // W, b, dZ, x, dX (Y is not touched).
      const layer = (v: Views) => layerFormat({ W: F(v[0]), b: F(v[1]), Y: F(v[1]), nIn, nOut, dZ: F(v[2]), dX: withDX ? F(v[4]) : null, weightDecay: wd });
      js.denseBackwardSgdFusedAct(layer(a), F(a[3]), lr);
      nat().denseBackwardSgdFusedAct(layer(b), F(b[3]), lr);
      expectSameBytes(bufA, bufB, `fused ${nIn}x${nOut}`);
    }
  });

  withNative("sumOfSquares, sgd, momentum and adam at parameter offsets", () => {
    const rng = new Random(105);
    for (let t = 0; t < CASES; t++) {
      const n = pick(rng, SIZES) * pick(rng, COLS), p = rng.below(5), g = rng.below(5);
      const lr = rng.uniform() * 0.1, wd = rng.uniform() < 0.5 ? 0 : 1e-3, gScale = rng.uniform() < 0.5 ? 1 : rng.uniform();
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "f32", length: p + n, fill: floats(0.05) }, { kind: "f32", length: g + n, fill: floats(0.2) },
        { kind: "f32", length: g + n, fill: floats() }, { kind: "f32", length: g + n, fill: (r) => Math.abs(floats()(r, 0)) },
      ]);
      expect(nat().sumOfSquares(F(b[1]), n)).toBe(js.sumOfSquares(F(a[1]), n));
      const kind = t % 3;
      if (kind === 0) {
        js.sgd(F(a[0]), p, F(a[1]), g, n, lr, wd, gScale);
        nat().sgd(F(b[0]), p, F(b[1]), g, n, lr, wd, gScale);
      } else if (kind === 1) {
        js.momentum(F(a[0]), p, F(a[1]), g, F(a[2]), n, lr, 0.9, wd, gScale);
        nat().momentum(F(b[0]), p, F(b[1]), g, F(b[2]), n, lr, 0.9, wd, gScale);
      } else {
        const c1 = 1 - 0.9 ** (1 + rng.below(9)), c2 = 1 - 0.999 ** (1 + rng.below(9));
        js.adam(F(a[0]), p, F(a[1]), g, F(a[2]), F(a[3]), n, lr, 0.9, 0.999, 1e-7, c1, c2, wd, gScale);
        nat().adam(F(b[0]), p, F(b[1]), g, F(b[2]), F(b[3]), n, lr, 0.9, 0.999, 1e-7, c1, c2, wd, gScale);
      }
      expectSameBytes(bufA, bufB, `optimizer ${kind}`);
    }
  });

  withNative("fall back to JavaScript for a first-layer input that is not a Float32Array", () => {
    const W = Float32Array.of(0.1, 0.2, 0.3), b = Float32Array.of(0.5), x = [1 / 3, 2 / 3, 1], Y1 = new Float32Array(1), Y2 = new Float32Array(1);
    js.denseForwardAct(layerFormat({ W, b, Y: Y1, nIn: 3, nOut: 1 }), x, 0, 1);
    nat().denseForwardAct(layerFormat({ W, b, Y: Y2, nIn: 3, nOut: 1 }), x, 0, 1);
    expect(Y2[0]).toBe(Y1[0]);
  });

  withNative("the fused calls: forward with activation, fused backward with the activation derivative below", () => {
    const rng = new Random(106);
    for (let t = 0; t < CASES; t++) {
      const nIn = pick(rng, SIZES), nOut = pick(rng, SIZES), cols = pick(rng, COLS), act = pick(rng, ACTS.slice(0, 5));
      const slope = rng.uniform() * 0.5, lr = rng.uniform() * 0.3, wd = rng.uniform() < 0.5 ? 0 : rng.uniform() * 0.01;
      const withDX = rng.uniform() < 0.7, withYb = rng.uniform() < 0.8;
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "f32", length: nIn * nOut, fill: floats(0.05) }, { kind: "f32", length: nOut, fill: floats() },
        { kind: "f32", length: cols * nIn, fill: floats() }, { kind: "f32", length: cols * nOut, fill: floats() },
        { kind: "f32", length: nOut, fill: floats(0.3) }, { kind: "f32", length: nIn, fill: floats() },
        { kind: "f32", length: nIn, fill: (r) => Math.tanh(floats()(r, 0)) },
      ]);
      // W, b, x, Y, dZ, dX, and the output of the layer below (Yb); act is both the forward's and the one below.
      const layer = (v: Views) => layerFormat({
        W: F(v[0]), b: F(v[1]), Y: F(v[3]), nIn, nOut, act, leakySlope: slope, weightDecay: wd,
        dZ: F(v[4]), dX: withDX ? F(v[5]) : null, belowY: withYb ? F(v[6]) : null, belowAct: act,
      });
      js.denseForwardAct(layer(a), F(a[2]), 0, cols);
      nat().denseForwardAct(layer(b), F(b[2]), 0, cols);
      expectSameBytes(bufA, bufB, `forwardAct ${nIn}x${nOut} cols ${cols} act ${act}`);
      js.denseBackwardSgdFusedAct(layer(a), F(a[2]), lr);
      nat().denseBackwardSgdFusedAct(layer(b), F(b[2]), lr);
      expectSameBytes(bufA, bufB, `fusedAct ${nIn}x${nOut} act ${act}`);
    }
  });

  withNative("softmax with the loss of one label, or without labels for a batch", () => {
    const rng = new Random(107);
    for (let t = 0; t < CASES; t++) {
      const n = pick(rng, SIZES), cols = rng.uniform() < 0.5 ? 1 : pick(rng, COLS), scale = pick(rng, [1, 10, 100]);
      const labels = Int32Array.from({ length: cols }, () => rng.below(n)), useLabels = rng.uniform() < 0.6;
      const { a, b, bufA, bufB } = layout(rng, [{ kind: "f32", length: n * cols, fill: (r) => floats(0.1)(r, 0) * scale }]);
      const lossA = js.softmaxForward(F(a[0]), n, cols, useLabels ? labels : null, 0);
      const lossB = nat().softmaxForward(F(b[0]), n, cols, useLabels ? labels : null, 0);
      expect(Object.is(lossB, lossA), `softmax loss ${lossB} vs ${lossA}`).toBe(true);
      expectSameBytes(bufA, bufB, `softmax ${n} cols ${cols}`);
    }
  });
});

describe("the native input check", () => {
  withNative("finds the first NaN or infinity where the JavaScript loop does", () => {
    const rng = new Random(109);
    const scan = nativeFloat32Kernels(native).firstNonFinite!;
    for (let t = 0; t < CASES; t++) {
      const n = pick(rng, SIZES), from = rng.below(3), x = new Float32Array(from + n + 2).fill(0.5);
      const bad = rng.uniform() < 0.7 ? rng.below(from + n + 2) : -1;
      if (bad >= 0) x[bad] = pick(rng, [NaN, Infinity, -Infinity]);
      let first = -1;
      for (let i = from; i < from + n; i++) if (!Number.isFinite(x[i])) { first = i - from; break; }
      expect(scan(x, from, n)).toBe(first);
    }
  });
});

describe("native-f32 really computes in float32", () => {
  withNative("its dot products differ from JavaScript's double arithmetic, and match a float32 accumulation", () => {
    const rng = new Random(108);
    let differ = 0;
    for (let t = 0; t < 50; t++) {
      const n = 33, W = Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1), x = Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1);
      const b = new Float32Array(1), Yd = new Float32Array(1), Yf = new Float32Array(1);
      nativeFloat32Kernels(native).denseForwardAct(layerFormat({ W, b, Y: Yd, nIn: n, nOut: 1 }), x, 0, 1);
      nativeFloatOnlyKernels(native).denseForwardAct(layerFormat({ W, b, Y: Yf, nIn: n, nOut: 1 }), x, 0, 1);
      // The C unrolling: groups of eight products summed in float, each group added to the running sum, then the tail.
      let s = 0, j = 0;
      for (; j + 8 <= n; j += 8) {
        let g = Math.fround(W[j] * x[j]);
        for (let u = 1; u < 8; u++) g = Math.fround(g + Math.fround(W[j + u] * x[j + u]));
        s = Math.fround(s + g);
      }
      for (; j < n; j++) s = Math.fround(s + Math.fround(W[j] * x[j]));
      expect(Yf[0]).toBe(s);
      if (Yf[0] !== Yd[0]) differ++;
    }
    expect(differ).toBeGreaterThan(5);
  });
});

describe("native fixed-point kernels are bit-identical to the JavaScript kernels (saturation counts included)", () => {
  const js = jsFixedKernels;
  const nat = () => nativeFixedKernels(native);

  withNative("denseForwardQ, every activation, with stats", () => {
    const rng = new Random(201);
    for (let t = 0; t < CASES * 2; t++) {
      const nIn = pick(rng, SIZES), nOut = pick(rng, SIZES), cols = pick(rng, COLS), xOff = rng.below(2) * nIn;
      const act = pick(rng, ACTS), SH = rng.below(8), bShift = rng.below(6), outShift = rng.below(16), comp = rng.below(4);
      const slopeQ15 = rng.below(32768), max = pick(rng, [32767, 4000, 300]);
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "i16", length: nIn * nOut, fill: ints(max, 0.02) }, { kind: "i16", length: nOut, fill: ints(max) },
        { kind: "i16", length: xOff + cols * nIn, fill: ints(max) }, { kind: "i16", length: cols * nOut, fill: ints(100) },
        { kind: "i32", length: 3, fill: () => 0 },
      ]);
      const withStats = rng.uniform() < 0.7;
      const rj = js.denseForwardQ(layerQ(I(a[0]), I(a[1]), nIn, nOut, { SH, bShift, outShift, act, slopeQ15, comp }), I(a[2]), xOff, I(a[3]), cols, withStats ? I32(a[4]) : null, 1);
      const rn = nat().denseForwardQ(layerQ(I(b[0]), I(b[1]), nIn, nOut, { SH, bShift, outShift, act, slopeQ15, comp }), I(b[2]), xOff, I(b[3]), cols, withStats ? I32(b[4]) : null, 1);
      expect(rn, "saturated stores").toBe(rj);
      expectSameBytes(bufA, bufB, `denseForwardQ ${nIn}x${nOut} act ${act}`);
    }
  });

  withNative("normalizeDeltaQ, every activation, including the int32 extremes", () => {
    const rng = new Random(202);
    for (let t = 0; t < CASES * 2; t++) {
      const n = pick(rng, SIZES) * pick(rng, COLS), act = pick(rng, ACTS), slopeQ15 = rng.below(32768), aFrac = rng.below(30);
      const big = pick(rng, [1 << 30, 1 << 20, 70000, 3000]);
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "i32", length: n, fill: (r) => (r.uniform() < 0.03 ? pick(r, [0x7fffffff, -0x80000000]) : Math.round((2 * r.uniform() - 1) * big)) },
        { kind: "i16", length: n, fill: ints(act === Act.Sigmoid || act === Act.Tanh ? 16384 : 32767, 0.2) },
        { kind: "i16", length: n, fill: ints(5) },
      ]);
      const fj = js.normalizeDeltaQ(I32(a[0]), n, I(a[1]), act, slopeQ15, I(a[2]), aFrac);
      const fn = nat().normalizeDeltaQ(I32(b[0]), n, I(b[1]), act, slopeQ15, I(b[2]), aFrac);
      expect(fn).toBe(fj);
      expectSameBytes(bufA, bufB, `normalizeDeltaQ act ${act}`);
    }
  });

  withNative("backInputQ, gradientsQ and absMaxQ", () => {
    const rng = new Random(203);
    for (let t = 0; t < CASES; t++) {
      const nIn = pick(rng, SIZES), nOut = pick(rng, SIZES), cols = pick(rng, COLS), SH = rng.below(6), xOff = rng.below(2) * nIn;
      const lb = rng.below(4), T = rng.below(20), Tb = rng.below(8);
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "i16", length: nIn * nOut, fill: ints(32767, 0.02) }, { kind: "i16", length: cols * nOut, fill: ints(16384, 0.3) },
        { kind: "i32", length: cols * nIn, fill: ints(5) }, { kind: "i16", length: xOff + cols * nIn, fill: ints(32767) },
        { kind: "i16", length: nIn * nOut, fill: ints(5) }, { kind: "i16", length: nOut, fill: ints(5) },
      ]);
      js.backInputQ(layerQ(I(a[0]), new Int16Array(nOut), nIn, nOut, { SHb: SH }), I(a[1]), I32(a[2]), cols);
      nat().backInputQ(layerQ(I(b[0]), new Int16Array(nOut), nIn, nOut, { SHb: SH }), I(b[1]), I32(b[2]), cols);
      const sizes = layerQ(new Int16Array(nIn * nOut), new Int16Array(nOut), nIn, nOut);
      expect(nat().gradientsQ(sizes, I(b[1]), I(b[3]), xOff, I(b[4]), I(b[5]), cols, lb, T, Tb))
        .toBe(js.gradientsQ(sizes, I(a[1]), I(a[3]), xOff, I(a[4]), I(a[5]), cols, lb, T, Tb));
      expectSameBytes(bufA, bufB, `backInputQ/gradientsQ ${nIn}x${nOut} cols ${cols}`);
      const off = rng.below(nIn);
      // === rather than Object.is: on all-zero input the JavaScript kernel returns -0 (`-lo` with lo = 0), C returns 0.
      const mj = js.absMaxQ(I(a[3]), off, nIn - off), mn = nat().absMaxQ(I(b[3]), off, nIn - off);
      expect(mn === mj, `absMaxQ ${mn} vs ${mj}`).toBe(true);
    }
  });

  withNative("sgdFusedQ: dense and active-input loops, checked rows, bound rescans", () => {
    const rng = new Random(204);
    for (let t = 0; t < CASES * 3; t++) {
      const nIn = pick(rng, SIZES), nOut = pick(rng, SIZES), withA = rng.uniform() < 0.7, withP = withA && rng.uniform() < 0.6;
      const lrM = 16384 + rng.below(16384), S = 1 + rng.below(34), Sb = 1 + rng.below(30), SHd = rng.below(6);
      const wMax = pick(rng, [32767, 20000, 2000]), xZeros = pick(rng, [0, 0.5, 0.8]);
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "i16", length: nIn * nOut, fill: ints(wMax, 0.02) }, { kind: "i16", length: nOut, fill: ints(32767) },
        { kind: "i16", length: nOut, fill: ints(16384, 0.3) }, { kind: "i16", length: nIn, fill: ints(pick(rng, [32767, 4096]), xZeros) },
        { kind: "i32", length: nIn, fill: ints(5) }, { kind: "i32", length: 4, fill: () => 0 }, { kind: "i16", length: nIn, fill: ints(5) },
      ]);
      const at = 2 * rng.below(2), bound0 = pick(rng, [32767, 30000, 16000, 100]), countdown = rng.below(3);
      for (const bound of [I32(a[5]), I32(b[5])]) {
        bound[at] = bound0;
        bound[at + 1] = countdown;
      }
      const xAbsMax = js.absMaxQ(I(a[3]), 0, nIn);
      const rj = js.sgdFusedQ(layerQ(I(a[0]), I(a[1]), nIn, nOut, { SHd }), I(a[2]), I(a[3]), withA ? I32(a[4]) : null, updateRecordQ({ lrM, S, Sb }), xAbsMax, I32(a[5]), at, withP ? I(a[6]) : null);
      const rn = nat().sgdFusedQ(layerQ(I(b[0]), I(b[1]), nIn, nOut, { SHd }), I(b[2]), I(b[3]), withA ? I32(b[4]) : null, updateRecordQ({ lrM, S, Sb }), xAbsMax, I32(b[5]), at, withP ? I(b[6]) : null);
      expect(rn, "saturated stores").toBe(rj);
      expectSameBytes(bufA, bufB, `sgdFusedQ ${nIn}x${nOut} S ${S}`);
    }
  });

  withNative("updateQ and applyGradientsQ: SGD and momentum, decay, stochastic rounding", () => {
    const rng = new Random(205);
    for (let t = 0; t < CASES * 2; t++) {
      const nIn = pick(rng, SIZES), nOut = pick(rng, SIZES), cols = pick(rng, COLS), mom = rng.uniform() < 0.5, m = mom ? 4 : 0;
      const stochastic = rng.uniform() < 0.4, decay = rng.uniform() < 0.5;
      const lrM = 16384 + rng.below(16384), tt = 14 + rng.below(4), S = 1 + m + rng.below(33), Sb = 1 + m + rng.below(30);
      const muQ15 = rng.below(32768), dM = decay ? 16384 + rng.below(16384) : 0, dE = decay ? 1 + m + rng.below(34) : 31 + m;
      const xOff = rng.below(2) * nIn, uOff = rng.below(3);
      const { a, b, bufA, bufB } = layout(rng, [
        { kind: "i16", length: nIn * nOut, fill: ints(32767, 0.02) }, { kind: "i16", length: nOut, fill: ints(32767) },
        { kind: "i16", length: uOff + nIn * nOut + nOut, fill: ints(32767) }, { kind: "i16", length: cols * nOut, fill: ints(16384, 0.3) },
        { kind: "i16", length: xOff + cols * nIn, fill: ints(32767) }, { kind: "i32", length: cols, fill: ints(5) },
        { kind: "i32", length: 1, fill: (r) => (r.nextUint32() | 1) | 0 }, { kind: "i16", length: nIn * nOut, fill: ints(32767) },
        { kind: "i16", length: nOut, fill: ints(32767) },
      ]);
      const u = updateRecordQ({ lrM, t: tt, S, Sb, muQ15, dM, dE });
      const rj = js.updateQ(layerQ(I(a[0]), I(a[1]), nIn, nOut), mom ? I(a[2]).subarray(uOff) : null, I(a[3]), I(a[4]), xOff, I32(a[5]), cols, u,
        stochastic ? I32(a[6]) : null);
      const rn = nat().updateQ(layerQ(I(b[0]), I(b[1]), nIn, nOut), mom ? I(b[2]).subarray(uOff) : null, I(b[3]), I(b[4]), xOff, I32(b[5]), cols, u,
        stochastic ? I32(b[6]) : null);
      expect(rn, "saturated stores").toBe(rj);
      // stored gradients (a[7], a[8]); the bias shift may pass 30 + m here (then the bias does not move)
      const us = updateRecordQ({ lrM, S, Sb: Sb + rng.below(2), muQ15, dM, dE });
      expect(nat().applyGradientsQ(layerQ(I(b[0]), I(b[1]), nIn, nOut), I(b[7]), I(b[8]), mom ? I(b[2]).subarray(uOff) : null, us))
        .toBe(js.applyGradientsQ(layerQ(I(a[0]), I(a[1]), nIn, nOut), I(a[7]), I(a[8]), mom ? I(a[2]).subarray(uOff) : null, us));
      expectSameBytes(bufA, bufB, `updateQ/applyGradientsQ ${nIn}x${nOut} cols ${cols}`);
    }
  });
});
