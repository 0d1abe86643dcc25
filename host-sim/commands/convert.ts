// `tinyprop convert`: import a Sequential dense model saved by TensorFlow.js (model.json + weight files;
// Keras models arrive through the TensorFlow.js converter's layers-model output) into a .tpm file.
// Parses model.json and the weight bytes itself: TensorFlow.js is not needed at run time.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { buildModel, type ActivationName, type Model, type ModelSpec } from "../../src/index";
import { outputFile, outputOptions } from "./options";
import { outputFor } from "../report/output";
import { requirePath } from "./files";
import type { Command } from "./command";
import { writeModelFile } from "../modelfile";

export class ConvertError extends Error {
  override name = "ConvertError";
}

function fail(message: string): never {
  throw new ConvertError("convert: " + message);
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

const ACTIVATIONS: Record<string, ActivationName> = { linear: "linear", relu: "relu", sigmoid: "sigmoid", tanh: "tanh", softmax: "softmax", leaky_relu: "leaky_relu" };
const KNOWN_LAYERS = ["Dense", "InputLayer", "Activation", "LeakyReLU", "ReLU", "Dropout", "Flatten"];
const SUPPORTED_LAYERS = "Dense, InputLayer, Activation, LeakyReLU, Dropout (removed), Flatten (of a flat input)";

export interface ConvertOptions {
  learningRate?: number;
  batchSize?: number;
  seed?: number;
  optimizer?: "sgd" | "adam";
}

export interface Converted {
  spec: ModelSpec;
  /** In Model.parameters order: W_l [units x inputs] row-major, then b_l, layer by layer. */
  parameters: Float32Array;
  /** What the import changed or dropped (e.g. Dropout layers). */
  notes: string[];
}

/** The Sequential layer list of a model.json, whatever produced it (tfjs-layers, or the Keras converter). */
function sequentialLayers(json: Record<string, unknown>): LayerJson[] {
  let topo = json.modelTopology as Record<string, unknown> | undefined;
  if (!topo || typeof topo !== "object") fail("model.json has no modelTopology (is it a graph model? only layers models can be imported)");
  if (topo.model_config && typeof topo.model_config === "object") topo = topo.model_config as Record<string, unknown>;
  const cls = topo.class_name;
  if (cls !== "Sequential") fail(`only Sequential models are supported, this is a ${String(cls)}`);
  const config = topo.config as unknown;
  const layers = Array.isArray(config) ? config : (config as { layers?: unknown })?.layers;
  if (!Array.isArray(layers) || layers.length === 0) fail("the Sequential model has no layers");
  return layers as LayerJson[];
}

function flatInputSize(shape: unknown, where: string): number {
  if (!Array.isArray(shape)) fail(`${where}: no input shape`);
  const dims = shape.slice(1);
  if (dims.length !== 1 || !Number.isInteger(dims[0]) || (dims[0] as number) < 1) fail(`${where}: input shape ${JSON.stringify(shape)} is not [batch, features]; only flat inputs are supported`);
  return dims[0] as number;
}

/** Decode every weight of the manifest into float32 arrays by name. */
function decodeWeights(manifest: { paths: string[]; weights: WeightEntry[] }[], shards: Uint8Array[][]): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  manifest.forEach((group, g) => {
    const parts = shards[g];
    let total = 0;
    for (const p of parts) total += p.length;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) { bytes.set(p, at); at += p.length; }
    const dv = new DataView(bytes.buffer);
    let offset = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const size = bytesPerValue(w);
      if (size === 0) fail(`weight ${w.name} has dtype ${q ? "quantized " + q.dtype : w.dtype}; only float32 (and uint8/uint16/float16 quantized) weights are supported`);
      if (offset + n * size > bytes.length) fail(`weight files are too short: ${w.name} needs bytes ${offset}..${offset + n * size}, the files hold ${bytes.length}`);
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const o = offset + i * size;
        if (!q) values[i] = dv.getFloat32(o, true);
        else if (q.dtype === "float16") values[i] = half(dv.getUint16(o, true));
        else values[i] = (q.min ?? 0) + (q.scale ?? 1) * (size === 1 ? bytes[o] : dv.getUint16(o, true));
      }
      offset += n * size;
      out.set(w.name.replace(/:\d+$/, ""), { shape: w.shape, values });
    }
    if (offset !== bytes.length) fail(`weight group ${g} (${group.paths.join(", ")}) has ${bytes.length} bytes, its manifest describes ${offset}`);
  });
  return out;
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function findWeight(weights: Map<string, { shape: number[]; values: Float32Array }>, layer: string, kind: string) {
  const exact = weights.get(`${layer}/${kind}`);
  if (exact) return exact;
  for (const [name, w] of weights) if (name.endsWith(`/${layer}/${kind}`)) return w;
  return undefined;
}

/**
 * Convert a parsed model.json and its weight shards (shards[g] = the files of weightsManifest[g], in order).
 * Throws ConvertError naming any unsupported layer or activation.
 */
export function convertTfjs(modelJson: unknown, shards: Uint8Array[][], options: ConvertOptions = {}): Converted {
  if (!modelJson || typeof modelJson !== "object") fail("model.json is not a JSON object");
  const json = modelJson as Record<string, unknown>;
  const layers = sequentialLayers(json);
  const manifest = json.weightsManifest as { paths: string[]; weights: WeightEntry[] }[] | undefined;
  if (!Array.isArray(manifest)) fail("model.json has no weightsManifest");
  if (shards.length !== manifest.length) fail(`expected ${manifest.length} weight groups, got ${shards.length}`);
  const weights = decodeWeights(manifest, shards);
  const notes: string[] = [];

  let inputs = 0;
  const dense: { name: string; units: number; activation: ActivationName; W: Float32Array; b: Float32Array }[] = [];
  let leakySlope: number | undefined;
  const setActivation = (act: ActivationName, layerName: string, slope?: number) => {
    const last = dense[dense.length - 1];
    if (!last) fail(`layer "${layerName}" (an activation) comes before any Dense layer`);
    if (last.activation !== "linear") fail(`layer "${layerName}" applies a second activation after Dense "${last.name}" (${last.activation}); tinyprop has one activation per layer`);
    last.activation = act;
    if (slope !== undefined) {
      if (leakySlope !== undefined && leakySlope !== slope) fail(`LeakyReLU layers use different slopes (${leakySlope} and ${slope}); tinyprop uses one slope per model`);
      leakySlope = slope;
    }
  };

  for (const layer of layers) {
    const cls = layer?.class_name, cfg = (layer?.config ?? {}) as Record<string, unknown>;
    const name = String(cfg.name ?? cls);
    if (!KNOWN_LAYERS.includes(String(cls))) fail(`unsupported layer "${name}" of type ${String(cls)}; supported: ${SUPPORTED_LAYERS}`);
    const shape = cfg.batch_input_shape ?? cfg.batch_shape ?? cfg.batchInputShape;
    if (shape !== undefined && inputs === 0 && dense.length === 0) inputs = flatInputSize(shape, `layer "${name}"`);
    if (cls === "InputLayer") continue;
    if (cls === "Dropout") { notes.push(`Dropout layer "${name}" removed (inference is unchanged; on-device training runs without dropout)`); continue; }
    if (cls === "Flatten") {
      if (dense.length === 0 && inputs > 0) continue;
      fail(`Flatten layer "${name}" is only supported directly on a flat input`);
    }
    if (cls === "Activation") {
      const a = String(cfg.activation);
      const act = ACTIVATIONS[a];
      if (!act) fail(`Activation layer "${name}" uses activation "${a}", which tinyprop does not support (supported: ${Object.keys(ACTIVATIONS).join(", ")})`);
      setActivation(act, name);
      continue;
    }
    if (cls === "LeakyReLU") {
      const alpha = Number(cfg.alpha ?? cfg.negative_slope ?? 0.3);
      setActivation("leaky_relu", name, alpha);
      continue;
    }
    if (cls === "ReLU" && cfg.max_value == null && !cfg.negative_slope && !cfg.threshold) {
      setActivation("relu", name);
      continue;
    }
    if (cls !== "Dense") fail(`unsupported layer "${name}" of type ${String(cls)}; supported: ${SUPPORTED_LAYERS}`);
    if (inputs === 0) fail(`the first Dense layer "${name}" has no input shape`);
    const units = cfg.units;
    if (!Number.isInteger(units) || (units as number) < 1) fail(`Dense layer "${name}" has invalid units ${String(units)}`);
    const a = String(cfg.activation ?? "linear");
    const act = ACTIVATIONS[a];
    if (!act) fail(`Dense layer "${name}" uses activation "${a}", which tinyprop does not support (supported: ${Object.keys(ACTIVATIONS).join(", ")})`);
    if (act === "leaky_relu" && leakySlope === undefined) leakySlope = 0.2; // Keras 3's leaky_relu default
    const nIn = dense.length === 0 ? inputs : dense[dense.length - 1].units;
    const kernel = findWeight(weights, name, "kernel");
    if (!kernel) fail(`no weights found for Dense layer "${name}" (expected "${name}/kernel")`);
    if (kernel.shape.length !== 2 || kernel.shape[0] !== nIn || kernel.shape[1] !== units) fail(`Dense layer "${name}": kernel shape ${JSON.stringify(kernel.shape)}, expected [${nIn}, ${units}]`);
    const u = units as number;
    const W = new Float32Array(u * nIn);
    for (let i = 0; i < nIn; i++) for (let j = 0; j < u; j++) W[j * nIn + i] = kernel.values[i * u + j]; // Keras [in, out] -> ours [out, in]
    let b: Float32Array = new Float32Array(u);
    if (cfg.use_bias !== false) {
      const bias = findWeight(weights, name, "bias");
      if (!bias) fail(`no weights found for the bias of Dense layer "${name}" (expected "${name}/bias")`);
      if (bias.values.length !== u) fail(`Dense layer "${name}": bias has ${bias.values.length} values, expected ${u}`);
      b = bias.values;
    }
    dense.push({ name, units: u, activation: act, W, b });
  }
  if (dense.length === 0) fail("the model has no Dense layers");
  for (let l = 0; l < dense.length - 1; l++) {
    if (dense[l].activation === "softmax") fail(`Dense layer "${dense[l].name}" uses softmax, which tinyprop supports only on the output layer`);
  }
  const last = dense[dense.length - 1];
  const loss = last.activation === "softmax" ? "softmax_cross_entropy" : last.activation === "sigmoid" ? "sigmoid_cross_entropy" : "mse";
  if (loss === "softmax_cross_entropy" && last.units < 2) fail(`the softmax output layer "${last.name}" has 1 unit; tinyprop needs at least 2`);
  notes.push(`loss ${loss} (chosen from the output activation ${last.activation})`);

  const spec: ModelSpec = {
    inputs,
    layers: dense.map((d) => ({ units: d.units, activation: d.activation })),
    loss,
    optimizer: { type: options.optimizer ?? "sgd", learningRate: options.learningRate ?? 0.01 },
    batchSize: options.batchSize ?? 1,
    seed: options.seed ?? 1,
  };
  if (leakySlope !== undefined) spec.leakySlope = leakySlope;
  let count = 0;
  for (const d of dense) count += d.W.length + d.b.length;
  const parameters = new Float32Array(count);
  let at = 0;
  for (const d of dense) {
    parameters.set(d.W, at); at += d.W.length;
    parameters.set(d.b, at); at += d.b.length;
  }
  return { spec, parameters, notes };
}

/** A Model holding the converted weights. */
export function modelFromConverted(c: Converted): Model {
  const m = buildModel(c.spec);
  if (m.parameters.length !== c.parameters.length) fail(`internal error: ${c.parameters.length} parameters converted, the model has ${m.parameters.length}`);
  m.parameters.set(c.parameters);
  return m;
}

/** Bytes per value of a manifest weight entry (0 when unsupported; decodeWeights names the problem). */
function bytesPerValue(w: WeightEntry): number {
  const q = w.quantization;
  return q ? (q.dtype === "uint8" ? 1 : q.dtype === "uint16" || q.dtype === "float16" ? 2 : 0) : w.dtype === "float32" ? 4 : 0;
}

/** The bytes a weight group's files must hold together, from its declared shapes and dtypes. */
function declaredBytes(group: { weights?: WeightEntry[] }, g: number): number {
  if (!Array.isArray(group.weights)) fail(`weight group ${g} has no weights list`);
  let total = 0;
  for (const w of group.weights) {
    if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`weight ${String(w.name)} has an invalid shape`);
    total += w.shape.reduce((a, b) => a * b, 1) * bytesPerValue(w);
  }
  if (!Number.isSafeInteger(total) || total > MAX_WEIGHT_BYTES) fail(`weight group ${g} declares ${total} bytes, more than the ${MAX_WEIGHT_BYTES} a tinyprop model can hold`);
  return total;
}

/** Far above any model a board or this tool trains (65,535 x 65,535 float32 weights is 16 GiB). */
const MAX_WEIGHT_BYTES = 256 * 1024 * 1024;

/**
 * A weight file named by the manifest: a relative path to a regular file inside model.json's folder
 * (after following links), no bigger than what is left of its group's declared bytes. Anything else
 * (absolute paths, ../, devices, FIFOs, folders) is refused before a byte is read.
 */
function readWeightFile(dir: string, p: unknown, budget: number): Uint8Array {
  if (typeof p !== "string" || p === "") fail(`a weight file path is not a string: ${JSON.stringify(p)}`);
  if (isAbsolute(p)) fail(`weight file ${p}: absolute paths are refused; weight files must be inside the model's folder`);
  let real: string, root: string;
  try {
    root = realpathSync(dir);
    real = realpathSync(resolve(dir, p));
  } catch (e) {
    fail(`cannot read weight file ${p}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  const rel = relative(root, real);
  if (rel === "" || rel.startsWith(".." + sep) || rel === ".." || isAbsolute(rel)) fail(`weight file ${p} is outside the model's folder ${dir}; refused`);
  const st = statSync(real);
  if (!st.isFile()) fail(`weight file ${p} is not a regular file; refused`);
  if (st.size > budget) fail(`weight file ${p} has ${st.size} bytes, more than the ${budget} its manifest declares`);
  return new Uint8Array(readFileSync(real));
}

/** Read model.json and its weight files (paths relative to model.json) and convert. */
export function convertTfjsFiles(modelJsonPath: string, options: ConvertOptions = {}): Converted {
  let json: { weightsManifest?: { paths: string[] }[] };
  try {
    json = JSON.parse(readFileSync(modelJsonPath, "utf8"));
  } catch (e) {
    fail(`cannot read ${modelJsonPath}: ${(e as Error).message}`);
  }
  const dir = dirname(modelJsonPath);
  const manifest = Array.isArray(json.weightsManifest) ? json.weightsManifest : [];
  const shards = manifest.map((g, i) => {
    let budget = declaredBytes(g as { weights?: WeightEntry[] }, i);
    if (!Array.isArray(g.paths)) fail(`weight group ${i} has no paths list`);
    return g.paths.map((p) => {
      const bytes = readWeightFile(dir, p, budget);
      budget -= bytes.length;
      return bytes;
    });
  });
  return convertTfjs(json, shards, options);
}

export const convertCommand: Command = {
  name: "convert",
  summary: "import a Sequential dense TensorFlow.js model (model.json + weight files) into a .tpm model file",
  positionals: [{ name: "model.json", help: "a TensorFlow.js layers model (its weight files beside it)" }],
  options: {
    ...outputFile("the .tpm model file to write"),
    "learning-rate": { type: "number", value: "X", help: "the model's training learning rate", default: 0.01, min: 1e-9, max: 10 },
    "batch-size": { type: "int", value: "N", help: "the model's training minibatch", default: 1, min: 1, max: 4096 },
    optimizer: { type: "string", value: "NAME", help: "the model's optimizer", choices: ["sgd", "adam"], default: "sgd" },
    seed: { type: "int", value: "N", help: "the model's seed", default: 1, min: 0, max: 0xffffffff },
    ...outputOptions,
  },
  async run(args) {
    const output = outputFor(args);
    const source = requirePath(args.positional(0, "a TensorFlow.js model.json"));
    const out = args.string("output");
    const converted = convertTfjsFiles(source, {
      learningRate: args.number("learning-rate"),
      batchSize: args.number("batch-size"),
      seed: args.number("seed"),
      optimizer: args.string("optimizer") as "sgd" | "adam",
    });
    let nonFinite = 0;
    for (const v of converted.parameters) if (!Number.isFinite(v)) nonFinite++;
    if (nonFinite > 0) output.warn(`${nonFinite} of the ${converted.parameters.length} weights are NaN or infinite; the model will not train or predict until they are replaced`);
    const model = modelFromConverted(converted);
    const bytes = writeModelFile(out, model);
    const s = converted.spec;
    output.info(`converted ${source}: ${s.inputs} inputs -> ${s.layers.map((l) => `${l.units} ${l.activation}`).join(" -> ")}, ${model.plan.parameterCount} parameters`);
    for (const n of converted.notes) output.info(`  - ${n}`);
    output.summary(`wrote ${out} (${bytes} bytes)`);
    output.event("summary", { source, output: out, bytes, inputs: s.inputs, layers: s.layers, parameters: model.plan.parameterCount, nonFiniteWeights: nonFinite, notes: converted.notes });
    return 0;
  },
};
