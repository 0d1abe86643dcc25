// Kernel records for the fixed-point kernel tests: a LayerFormatQ and an UpdateQ with every field given,
// zero or linear where a test does not care.
import { Act } from "../src/engine/codes";
import { SIGMOID_Q15 } from "../src/engine/fixed/convert";
import type { LayerFormatQ, UpdateQ } from "../src/engine/fixed/kernels";

export function layerQ(W: Int16Array, b: Int16Array, nIn: number, nOut: number, over: Partial<LayerFormatQ> = {}): LayerFormatQ {
  return { W, b, nIn, nOut, SH: 0, bShift: 0, outShift: 0, comp: 0, act: Act.Linear, slopeQ15: 0, sig: SIGMOID_Q15, SHb: 0, SHd: 0, ...over };
}

export function updateRecordQ(over: Partial<UpdateQ>): UpdateQ {
  return { lrM: 0, S: 31, Sb: 30, t: 1, muQ15: 0, dM: 0, dE: 31, ...over };
}
