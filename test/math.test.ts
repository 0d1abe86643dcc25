import { describe, expect, it } from "vitest";
import { cos, exp, expm1, log, pow2, sigmoid, softplus, tanh } from "../src/engine/math";
import { Random } from "../src/engine/random";

// Our functions must be accurate (compared with the host's Math to near double precision) and use only
// IEEE-exact operations (checked for identity under XS in xs-engine.test.ts).
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe("deterministic math", () => {
  const rng = new Random(7);
  const samples = (lo: number, hi: number, n = 2000) => Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());

  it("exp matches Math.exp to a few ulp over the float range", () => {
    for (const x of [...samples(-100, 88), ...samples(-1, 1), 0, 1, -1, 0.5, 709, -708]) expect(rel(exp(x), Math.exp(x))).toBeLessThan(1e-15);
    expect(exp(1000)).toBe(Infinity);
    expect(exp(-1000)).toBe(0);
    expect(exp(NaN)).toBeNaN();
    expect(rel(exp(-740), Math.exp(-740))).toBeLessThan(1e-3); // subnormal result keeps its value
  });

  it("expm1 is accurate near zero", () => {
    for (const x of [...samples(-0.5, 0.5), 1e-10, -1e-12]) expect(rel(expm1(x), Math.expm1(x))).toBeLessThan(1e-15);
  });

  it("log matches Math.log, including subnormals and specials", () => {
    for (const x of [...samples(1e-6, 10), ...samples(10, 1e30), 1, 2, 0.5, 5e-324, 1e-310, Number.MAX_VALUE]) {
      const want = Math.log(x);
      expect(Math.abs(log(x) - want)).toBeLessThan(1e-15 * Math.max(1, Math.abs(want)));
    }
    expect(log(0)).toBe(-Infinity);
    expect(log(-1)).toBeNaN();
    expect(log(Infinity)).toBe(Infinity);
  });

  it("tanh, sigmoid and softplus match their definitions", () => {
    for (const x of [...samples(-25, 25), ...samples(-0.01, 0.01), 0]) {
      expect(Math.abs(tanh(x) - Math.tanh(x))).toBeLessThan(1e-15 * Math.abs(Math.tanh(x)) + 1e-300);
      expect(Math.abs(sigmoid(x) - 1 / (1 + Math.exp(-x)))).toBeLessThan(1e-15);
      expect(Math.abs(softplus(x) - Math.log1p(Math.exp(x)))).toBeLessThan(1e-14 * Math.max(1, Math.abs(x)));
    }
    expect(tanh(1e9)).toBe(1);
    expect(tanh(-1e9)).toBe(-1);
    expect(sigmoid(-1000)).toBe(0);
    expect(softplus(1000)).toBe(1000);
  });

  it("cos matches Math.cos over several periods", () => {
    for (const x of [...samples(-20, 20), 0, Math.PI, Math.PI / 2]) expect(Math.abs(cos(x) - Math.cos(x))).toBeLessThan(1e-15);
  });

  it("pow2 is exact", () => {
    expect(pow2(0)).toBe(1);
    expect(pow2(10)).toBe(1024);
    expect(pow2(-1074)).toBe(5e-324);
    expect(pow2(1024)).toBe(Infinity);
  });
});

describe("Random", () => {
  it("is reproducible from its seed and uniform enough", () => {
    const a = new Random(42), b = new Random(42);
    const xs = Array.from({ length: 10000 }, () => a.uniform());
    expect(xs).toEqual(Array.from({ length: 10000 }, () => b.uniform()));
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(new Random(43).uniform()).not.toBe(new Random(42).uniform());
  });
});
