// The unrolled kernels against their plain references (src/engine/float32/reference.ts and
// src/engine/fixed/reference.ts), on random shapes that hit every unrolled block and tail. Fixed point is
// integer arithmetic: results must be identical. Float32 sums in another order and rounds to float32 as it
// goes, so it must agree within a few float32 ulps of the sum of magnitudes.
import { describe, expect, it } from "vitest";
import { Random } from "../src/engine/random";
import { Act } from "../src/engine/codes";
import { denseBackwardInput, denseBackwardParams, denseBackwardSgdFused, denseForward } from "../src/engine/float32/dense";
import { layerFormat } from "../src/engine/float32/layer-format";
import {
  denseBackwardInputReference, denseBackwardParamsReference, denseBackwardSgdFusedReference, denseForwardReference,
} from "../src/engine/float32/reference";
import { BOUND_UNKNOWN, applyGradientsQ, backInputQ, denseForwardQ, normalizeDeltaQ, sgdFusedQ, updateQ } from "../src/engine/fixed/kernels";
import {
  backInputQReference, denseForwardQReference, normalizeDeltaQReference, sgdFusedQReference, updateQReference,
} from "../src/engine/fixed/reference";
import { layerQ, updateRecordQ } from "./fixed-format";

const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 2, 2], [7, 5, 1], [8, 4, 3], [17, 9, 2], [33, 6, 4], [64, 10, 1], [100, 3, 2]];
const floats = (rng: Random, n: number) => Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1);
const ints = (rng: Random, n: number, max: number) => Int16Array.from({ length: n }, () => Math.round((2 * rng.uniform() - 1) * max));
/** Some exact zeros, as ReLU leaves them (the fast kernels skip those rows). */
const sparse = <T extends Float32Array | Int16Array>(a: T, rng: Random): T => { for (let i = 0; i < a.length; i++) if (rng.uniform() < 0.3) a[i] = 0; return a; };

function expectClose(fast: Float32Array, ref: Float32Array, magnitude: number) {
  for (let i = 0; i < ref.length; i++) expect(Math.abs(fast[i] - ref[i]), `element ${i}`).toBeLessThanOrEqual(magnitude * 2 ** -20);
}

describe("Float32 kernels = their plain references (within float32 rounding)", () => {
  const rng = new Random(1);
  for (const [nIn, nOut, cols] of SHAPES) {
    it(`${nIn} inputs, ${nOut} outputs, ${cols} samples`, () => {
      const W = floats(rng, nIn * nOut), b = floats(rng, nOut), x = floats(rng, 2 + nIn * cols), dZ = sparse(floats(rng, nOut * cols), rng);
      // Two formats of the same layer, each with its own outputs: the fast kernel's and the reference's.
      const fast = layerFormat({
        W, b, nIn, nOut, Y: new Float32Array(nOut * cols), dZ, dX: new Float32Array(nIn * cols),
        dW: new Float32Array(nIn * nOut), db: new Float32Array(nOut),
      });
      const ref = layerFormat({ ...fast, Y: new Float32Array(nOut * cols), dX: new Float32Array(nIn * cols),
        dW: new Float32Array(nIn * nOut), db: new Float32Array(nOut) });
      denseForward(fast, x, 2, cols);
      denseForwardReference(ref, x, 2, cols);
      expectClose(fast.Y, ref.Y, nIn + 1);

      denseBackwardInput(fast, cols);
      denseBackwardInputReference(ref, cols);
      expectClose(fast.dX!, ref.dX!, nOut);

      const xs = x.subarray(0, nIn * cols);
      denseBackwardParams(fast, xs, cols);
      denseBackwardParamsReference(ref, xs, cols);
      expectClose(fast.dW!, ref.dW!, cols);
      expectClose(fast.db!, ref.db!, cols);

      // With weight decay (one row at a time) and without (two rows per pass), each with and without dX.
      for (const weightDecay of [0.01, 0]) {
        for (const withDX of [true, false]) {
          const f1 = layerFormat({ W: W.slice(), b: b.slice(), nIn, nOut, Y: fast.Y, dZ, dX: withDX ? new Float32Array(nIn) : null, weightDecay });
          const f2 = layerFormat({ ...f1, W: W.slice(), b: b.slice(), dX: withDX ? new Float32Array(nIn) : null });
          denseBackwardSgdFused(f1, xs, 0.1);
          denseBackwardSgdFusedReference(f2, xs, 0.1);
          expectClose(f1.W, f2.W, 2);
          expectClose(f1.b, f2.b, 2);
          if (f1.dX && f2.dX) expectClose(f1.dX, f2.dX, nOut);
        }
      }
    });
  }
});

describe("fixed-point kernels = their plain references (bit for bit)", () => {
  const rng = new Random(2);
  for (const [nIn, nOut, cols] of SHAPES) {
    it(`${nIn} inputs, ${nOut} outputs, ${cols} samples`, () => {
      let SH = 0;
      while (2 ** SH < Math.ceil(nIn / 2) + 2) SH++;
      const W = ints(rng, nIn * nOut, 20000), b = ints(rng, nOut, 20000), x = ints(rng, 3 + nIn * cols, 32767);
      for (const act of [Act.Linear, Act.Relu, Act.Leaky, Act.Sigmoid, Act.Tanh, Act.Softmax]) {
        const Y = new Int16Array(nOut * cols), Yr = new Int16Array(nOut * cols);
        const comp = SH > 0 ? (Math.ceil(nIn / 2) + 1) >> 1 : 0;
        const f = layerQ(W, b, nIn, nOut, { SH, bShift: 2, outShift: 4, act, slopeQ15: 328, comp });
        const sat = denseForwardQ(f, x, 3, Y, cols);
        const satRef = denseForwardQReference(f, x, 3, Yr, cols);
        expect(Array.from(Y), `act ${act}`).toEqual(Array.from(Yr));
        expect(sat).toBe(satRef);
      }

      const dZ = sparse(ints(rng, nOut * cols, 16384), rng) as Int16Array;
      const A = new Int32Array(nIn * cols), Ar = new Int32Array(nIn * cols);
      backInputQ(layerQ(W, b, nIn, nOut, { SHb: 1 }), dZ, A, cols);
      backInputQReference(layerQ(W, b, nIn, nOut, { SHb: 1 }), dZ, Ar, cols);
      expect(Array.from(A)).toEqual(Array.from(Ar));

      const Yd = ints(rng, nIn * cols, 32767);
      for (const act of [Act.Linear, Act.Relu, Act.Softmax]) {
        const A1 = A.slice(), A2 = A.slice(), D = new Int16Array(A.length), Dr = new Int16Array(A.length);
        const frac = normalizeDeltaQ(A1, A.length, Yd, act, 0, D, 20);
        expect(normalizeDeltaQReference(A2, A.length, Yd, act, Dr, 20)).toBe(frac);
        expect(Array.from(D)).toEqual(Array.from(Dr));
      }

      // sgdFusedQ: one sample; with the shortcuts (bounds, skipped rows) and without.
      const x1 = x.subarray(0, nIn), g = dZ.subarray(0, nOut);
      // Weights near full scale take the checked loop; small ones the unchecked loop under a known bound;
      // with P, only the active inputs (x != 0) are visited and A elsewhere is left for the caller's mask.
      const xsparse = sparse(x1.slice(), rng) as Int16Array;
      for (const [Wbase, xin] of [[W, x1], [ints(rng, nIn * nOut, 6000), x1], [ints(rng, nIn * nOut, 6000), xsparse]] as const) {
        for (const [S, Sb] of [[18, 20], [12, 14], [31, 30], [27, 8]]) {
          for (const mode of ["A", "no A", "A and P"]) {
            const Wf = Wbase.slice(), bf = b.slice(), Wr = Wbase.slice(), br = b.slice();
            const A1 = mode !== "no A" ? new Int32Array(nIn) : null, A2 = mode !== "no A" ? new Int32Array(nIn) : null;
            const bound = Int32Array.of(BOUND_UNKNOWN, 0);
            const xMax = Math.max(0, ...Array.from(xin, Math.abs));
            const P = mode === "A and P" ? new Int16Array(nIn) : null;
            const u = updateRecordQ({ lrM: 24000, S, Sb });
            const sat = sgdFusedQ(layerQ(Wf, bf, nIn, nOut, { SHd: 2 }), g, xin, A1, u, xMax, bound, 0, P);
            const satRef = sgdFusedQReference(layerQ(Wr, br, nIn, nOut, { SHd: 2 }), g, xin, A2, u);
            expect(Array.from(Wf), `S ${S} ${mode}`).toEqual(Array.from(Wr));
            expect(Array.from(bf)).toEqual(Array.from(br));
            expect(sat).toBe(satRef);
            if (A1 && A2) for (let j = 0; j < nIn; j++) if (P === null || xin[j] !== 0) expect(A1[j], `A[${j}] ${mode}`).toBe(A2[j]);
          }
        }
      }

      // updateQ (per-sample rates times x) and applyGradientsQ (stored gradients): plain SGD and momentum, with and
      // without decay, shifts up to past 30 (nothing moves), weights at the edge (saturation counted)
      let lb = 0;
      while (1 << lb < cols) lb++;
      const dZn = sparse(ints(rng, nOut * cols, 16384), rng) as Int16Array, dW = ints(rng, nIn * nOut, 32767), db = ints(rng, nOut, 32767);
      for (const momentum of [false, true]) {
        for (const [S, Sb, dM, dE] of [[20, 22, 0, 31], [8, 9, 20000, 12], [30, 30, 0, 31], [33, 34, 30000, 40], [6, 6, 16384, 6]]) {
          const m = momentum ? 4 : 0;
          const u = updateRecordQ({ lrM: 16384 + rng.below(16384), t: 14 + lb, S: S + m, Sb: Sb + m, muQ15: 29491, dM, dE: dE + m });
          for (const stored of [false, true]) {
            const Wf = W.slice(), bf = b.slice(), Wr = W.slice(), br = b.slice();
            const U1 = momentum ? ints(rng, nIn * nOut + nOut, 32767) : null, U2 = U1 && U1.slice();
            const sat = stored ? applyGradientsQ(layerQ(Wf, bf, nIn, nOut), dW, db, U1, u)
              : updateQ(layerQ(Wf, bf, nIn, nOut), U1, dZn, x, 3, new Int32Array(cols), cols, u, null);
            const satRef = updateQReference(layerQ(Wr, br, nIn, nOut), U2, stored ? null : dZn, x, 3, stored ? 1 : cols, u,
              stored ? dW : null, stored ? db : null);
            const what = `${stored ? "applyGradientsQ" : "updateQ"} S ${S} momentum ${momentum}`;
            expect(Array.from(Wf), what).toEqual(Array.from(Wr));
            expect(Array.from(bf), what).toEqual(Array.from(br));
            if (U1 && U2) expect(Array.from(U1), what).toEqual(Array.from(U2));
            expect(sat, what).toBe(satRef);
          }
        }
      }
    });
  }
});
