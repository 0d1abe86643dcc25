// Script snippets evaluated identically in Node and XS (after the tinyprop bundle) by several tests.
import type { GestureDataset } from "../host-sim/data/gestures";

/**
 * hex(a): the bytes of a typed array as hex (compares float bits exactly, NaN payloads and -0 included).
 * fit(m, trainX, trainY, epochs): per-sample SGD over shuffled epochs (seeded, so identical everywhere).
 * syntheticBatch(...): a learnable random batch for classification or [0, 1] targets.
 * trainSynthetic(spec, steps, dataSeed): that many steps on synthetic batches, then a predict of 3 probe
 * samples; returns { m, rng, losses, out } (rng continues the same stream for further probes).
 */
export const DRIVER_HELPERS = `
function hex(a) {
  const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = "";
  for (let i = 0; i < u.length; i++) s += (u[i] < 16 ? "0" : "") + u[i].toString(16);
  return s;
}
function fit(m, trainX, trainY, epochs) {
  const w = m.inputs, n = trainY.length, rng = new tinyprop.Random(7);
  const order = new Uint32Array(n); for (let i = 0; i < n; i++) order[i] = i;
  const x = new Float32Array(w), y = new Uint8Array(1);
  for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    for (let s = 0; s < n; s++) { const k = order[s]; for (let i = 0; i < w; i++) x[i] = trainX[k * w + i]; y[0] = trainY[k]; m.trainStep(x, y); }
  }
}
function syntheticBatch(rng, x, y, inputs, outputs, loss) {
  const B = y.length / (loss === "softmax_cross_entropy" ? 1 : outputs);
  for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
  for (let s = 0; s < B; s++) {
    if (loss === "softmax_cross_entropy") y[s] = ((x[s * inputs] > 0 ? 1 : 0) + (x[s * inputs + 1] > 0 ? 2 : 0)) % outputs;
    else for (let o = 0; o < outputs; o++) y[s * outputs + o] = x[s * inputs + o] > 0 ? 0.9 : 0.1;
  }
}
function trainSynthetic(spec, steps, dataSeed) {
  const m = tinyprop.buildModel(spec);
  const rng = new tinyprop.Random(dataSeed);
  const B = spec.batchSize, n = m.outputs;
  const x = new Float32Array(B * spec.inputs);
  const y = spec.loss === "softmax_cross_entropy" ? new Uint8Array(B) : new Float32Array(B * n);
  const losses = new Float64Array(steps);
  for (let t = 0; t < steps; t++) {
    syntheticBatch(rng, x, y, spec.inputs, n, spec.loss);
    losses[t] = m.trainStep(x, y);
  }
  const probe = new Float32Array(spec.inputs * 3);
  for (let i = 0; i < probe.length; i++) probe[i] = rng.uniform() - 0.5;
  const out = m.predict(probe, new Float32Array(3 * n));
  return { m, rng, losses, out };
}
`;

/** Declares trainX, trainY, testX, testY from a dataset, as script source. */
export function datasetScript(data: GestureDataset): string {
  return `
const trainX = new Float32Array(${JSON.stringify(Array.from(data.train.x))});
const trainY = new Uint8Array(${JSON.stringify(Array.from(data.train.y))});
const testX = new Float32Array(${JSON.stringify(Array.from(data.test.x))});
const testY = new Uint8Array(${JSON.stringify(Array.from(data.test.y))});
`;
}
