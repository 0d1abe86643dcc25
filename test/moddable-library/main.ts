// The app of test/moddable-library.test.ts: uses tinyprop only through lib/manifest.json's module names
// (tinyprop/...), trains a Float32 and a fixed-point model a few steps on features computed by the
// pipeline, saves the Float32 one as a .tpm, loads it back, and prints loss, bits and CRCs as lines. The test
// builds it with Moddable for the host (x-cli-lin, run by examples/imu-learn/host/cli-main.c) and runs this
// same file in Node: the lines must be equal.
import { buildModel } from "tinyprop/engine/build";
import { FeaturePipeline } from "tinyprop/features/pipeline";
import { FEATURE_SPECTRUM, FEATURE_STATS, featureWidth, type PipelineSpec } from "tinyprop/features/spec";
import { saveModel, modelFromFile } from "tinyprop/modelfile/format";
import { cos, PI } from "tinyprop/engine/math";
import { CRC32_INIT, crc32FinalInt, crc32Update } from "tinyprop/util/crc32";

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

function crcOf(bytes: Uint8Array): string {
  return hex32(crc32FinalInt(crc32Update(CRC32_INIT, bytes, 0, bytes.length)));
}

function crcOfView(a: ArrayBufferView): string {
  return crcOf(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** Runs the check, printing each result line through `print` (trace under XS). */
export default function main(print?: (line: string) => void): void {
  const out = print ?? ((line: string) => (globalThis as unknown as { trace(s: string): void }).trace(line + "\n"));
  const spec: PipelineSpec = {
    columns: ["x", "y", "z"], ranges: [4, 4, 4], units: ["g", "g", "g"], window: 32, stride: 16,
    features: FEATURE_STATS | FEATURE_SPECTRUM, bands: 4, rawPoints: 0, clip: 8, mean: [], scale: [], classes: ["slow", "fast"],
  };
  const pipe = new FeaturePipeline(spec);
  const width = featureWidth(spec);
  const row = new Float64Array(3);
  const x = new Float32Array(width);
  const y = new Uint8Array(1);
  const models = [
    buildModel({ inputs: width, layers: [{ units: 8, activation: "relu" }, { units: 2, activation: "softmax" }], loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05 }, batchSize: 1, seed: 7 }),
    buildModel({ inputs: width, layers: [{ units: 8, activation: "relu" }, { units: 2, activation: "softmax" }], loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.05 }, batchSize: 1, seed: 7, dtype: "fixed" }),
  ];
  const losses = [0, 0];
  let windows = 0;
  // Two classes of synthetic motion: slow and fast waves per axis, alternating every 64 rows. The engine's
  // cos (only + - * /) gives the same bits in both engines; Math.sin need not.
  for (let t = 0; t < 640; t++) {
    const label = (t >> 6) & 1;
    const w = label === 0 ? 0.2 : 1.1;
    row[0] = cos(t * w - PI / 2); row[1] = 0.5 * cos(t * w * 0.5); row[2] = 1 - 0.25 * cos(t * w + 1);
    if (!pipe.pushRow(row, 0)) continue;
    pipe.extract(x, 0);
    y[0] = label;
    windows++;
    for (let m = 0; m < models.length; m++) losses[m] = models[m].trainStep(x, y);
  }
  out(`features ${width} windows ${windows} last ${crcOfView(x)}`);
  out(`float32 loss ${losses[0].toFixed(6)} params ${crcOfView(models[0].parameters)}`);
  out(`fixed loss ${losses[1].toFixed(6)} params ${crcOfView(models[1].parameters)}`);
  const file = saveModel(models[0], { state: true });
  const loaded = modelFromFile(file);
  out(`tpm ${file.length} bytes crc ${crcOf(file.subarray(0, file.length - 4))} reloaded ${crcOfView(loaded.parameters)} step ${models[0].step}/${loaded.step}`);
}
