// `tinyprop inspect model.tpm`: what a model file holds: spec, memory plan, parameter statistics per layer.
import { buildModel } from "../../src/index";
import { parseModel, readHeader, readPipeline } from "../../src/modelfile/index";
import { describeFeatures } from "../../src/features/index";
import { readModelFile } from "../modelfile";
import type { Command } from "./command";
import { describePlan } from "../report/describe";

function stats(a: ArrayLike<number>): string {
  let min = Infinity, max = -Infinity, sum = 0, sq = 0, zeros = 0, bad = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (!Number.isFinite(v)) { bad++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros++;
    sum += v;
    sq += v * v;
  }
  const n = a.length - bad;
  const mean = n ? sum / n : NaN, std = n ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : NaN;
  const f = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : String(x));
  return `min ${f(min)}  max ${f(max)}  mean ${f(mean)}  std ${f(std)}  zeros ${zeros}` + (bad ? `  NON-FINITE ${bad}` : "");
}

/** Lines describing a .tpm file (exported for tests and other commands). */
export function inspectModelFile(bytes: Uint8Array): string[] {
  const h = readHeader(bytes);
  const { spec, parameters, training } = parseModel(bytes);
  const o = spec.optimizer;
  const lines = [
    `tinyprop model file, format version ${h.version}, ${h.bytes} bytes, dtype ${h.dtype}`,
    `network: ${spec.inputs} inputs -> ${spec.layers.map((l) => `${l.units} ${l.activation}`).join(" -> ")}, loss ${spec.loss}` +
      (spec.layers.some((l) => l.activation === "leaky_relu") ? `, leaky slope ${spec.leakySlope}` : ""),
    `training: ${o.type}${o.type === "sgd" && o.momentum ? ` momentum ${o.momentum}` : ""} lr ${o.learningRate}` +
      (o.type === "adam" ? ` beta1 ${o.beta1} beta2 ${o.beta2} epsilon ${o.epsilon}` : "") +
      (o.weightDecay ? ` weight decay ${o.weightDecay}` : "") + (o.clipNorm ? ` clip ${o.clipNorm}` : "") +
      (o.schedule && o.schedule.type !== "constant" ? ` schedule ${JSON.stringify(o.schedule)}` : "") +
      `, batch ${spec.batchSize}, seed ${spec.seed}, frozen ${spec.frozen ?? 0} layer(s)`,
    training
      ? `optimizer state: step ${training.step}, ${training.state.length} state array(s)` +
        (training.lastBatchId >= 0 ? `, last committed batch ${training.lastBatchId}` : "") +
        (training.rejectedSteps ? `, ${training.rejectedSteps} rejected steps` : "")
      : "optimizer state: none (weights only)",
  ];
  const p = readPipeline(bytes);
  lines.push(p
    ? `inputs: columns ${p.columns.map((c, i) => `${c} (±${p.ranges[i]}${p.units[i] ? " " + p.units[i] : ""})`).join(", ")}; ` +
      (p.window === 1 ? "one row per sample" : `window ${p.window} rows, stride ${p.stride}`) + `; features ${describeFeatures(p)}` +
      `; ${p.mean.length ? "normalised" : "not normalised"}${p.classes.length ? `; classes ${p.classes.join(", ")}` : ""}`
    : "inputs: no pipeline recorded");
  const model = buildModel(spec);
  lines.push(...describePlan(model));
  lines.push(`parameters: ${parameters.length}${h.dtype === "fixed" ? " (statistics of the raw int16 Q values)" : ""}`);
  let at = 0;
  model.layers.forEach((layer, l) => {
    const W = parameters.subarray(at, at + layer.W.length);
    at += layer.W.length;
    const b = parameters.subarray(at, at + layer.b.length);
    at += layer.b.length;
    lines.push(`  layer ${l} (${layer.inputs} -> ${layer.units}, ${spec.layers[l].activation}${l < (spec.frozen ?? 0) ? ", frozen" : ""})`);
    lines.push(`    W [${layer.units}x${layer.inputs}]  ${stats(W)}`);
    lines.push(`    b [${layer.units}]  ${stats(b)}`);
  });
  return lines;
}

export const inspectCommand: Command = {
  name: "inspect",
  summary: "show a .tpm model file: spec, memory plan, parameter statistics per layer",
  positionals: [{ name: "model.tpm", help: "the model file" }],
  options: {},
  async run(args) {
    const path = args.positional(0, "a .tpm model file");
    for (const line of inspectModelFile(readModelFile(path))) console.log(line);
    return 0;
  },
};
