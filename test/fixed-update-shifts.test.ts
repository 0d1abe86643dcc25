// The fixed-point update's shift budget (src/engine/fixed/update-shifts.ts), as a pure function.
import { describe, expect, it } from "vitest";
import { BIAS_SHIFT, updateShifts, WEIGHT_SHIFT } from "../src/engine/fixed/update-shifts";

function shifts(lrExponent: number, gradientFrac: number, biasGradientFrac: number, weightFrac: number, biasFrac: number, extraBits: number, cap: number) {
  const out = new Int32Array(2);
  const clipped = updateShifts(out, lrExponent + gradientFrac - weightFrac, lrExponent + biasGradientFrac - biasFrac, extraBits, cap);
  return { weight: out[WEIGHT_SHIFT], bias: out[BIAS_SHIFT], clipped };
}

describe("updateShifts", () => {
  it("is lrExponent + gradient frac - parameter frac when that leaves room", () => {
    // lr = lrM 2^-20; gradient at frac 16 into weights at frac 14: shift 22; bias gradient frac 10 into frac 13: 17
    expect(shifts(20, 16, 10, 14, 13, 0, 30)).toEqual({ weight: 22, bias: 17, clipped: 0 });
  });

  it("raises both shifts by the same amount when one would drop below 1 + extraBits, and reports the clip", () => {
    // weight shift 0 < 1: both +1
    expect(shifts(10, 4, 8, 14, 2, 0, 30)).toEqual({ weight: 1, bias: 17, clipped: 1 });
    // with momentum's 4 extra bits the floor is 5: bias shift 2 -> 5, weight 9 -> 12
    expect(shifts(10, 13, 5, 14, 13, 4, 34)).toEqual({ weight: 12, bias: 5, clipped: 1 });
    // exactly at the floor is no clip
    expect(shifts(10, 10, 8, 15, 13, 4, 34)).toEqual({ weight: 5, bias: 5, clipped: 0 });
  });

  it("caps the bias shift (beyond it lrM × db rounds to 0 anyway) without touching the weight shift", () => {
    expect(shifts(40, 12, 14, 10, 2, 0, 30)).toEqual({ weight: 42, bias: 30, clipped: 0 });
    expect(shifts(40, 12, 14, 10, 2, 4, 35)).toEqual({ weight: 42, bias: 35, clipped: 0 });
    expect(shifts(0, 30, 40, 29, 2, 0, 31)).toEqual({ weight: 1, bias: 31, clipped: 0 });
  });

  it("never returns a shift below the floor or a bias shift above the cap (exhaustive over small ranges)", () => {
    for (let lrE = -4; lrE <= 40; lrE += 4) {
      for (let g = -8; g <= 24; g += 3) {
        for (let gb = -8; gb <= 24; gb += 5) {
          for (const m of [0, 4]) {
            const r = shifts(lrE, g, gb, 14, 13, m, 30 + m);
            expect(r.weight).toBeGreaterThanOrEqual(1 + m);
            expect(Math.min(r.bias, 30 + m)).toBe(r.bias);
            const raw = Math.min(lrE + g - 14, lrE + gb - 13);
            expect(r.clipped).toBe(raw < 1 + m ? 1 : 0);
            expect(r.weight).toBe(lrE + g - 14 + Math.max(0, 1 + m - raw));
          }
        }
      }
    }
  });
});
