// `tinyprop weights put|get`: move a .tpm model file (docs/model-format.md) to the board and back over the
// protocol's chunked, CRC-checked, commit-at-end weight transfer (WEIGHTS_PUT/COMMIT, WEIGHTS_GET).
//
// A board that installs models (CAPS_FLAG_MODEL_INSTALL) takes the whole file: put sends the .tpm as it is
// (spec, dtype, parameters, optimizer state, PIPELINE with the class names; --freeze rewrites the file's
// frozen count first) after checking it against the board's model budget (MODEL_SPEC), and the board builds
// that model, whatever its shape and dtype, and swaps it in atomically. get reads the board's model back
// as a .tpm (MODEL_GET), class names and pipeline included. `installModel` is also how `init` and
// `stream --init` put a fresh model on the board.
//
// Older firmware (no MODEL_INSTALL) keeps its model: MODEL_SPEC_GET tells the host that spec, put checks the
// file against it and sends only the weights blob (a fixed-point file as its exact Float32 values), get
// rebuilds a .tpm from the blob.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "./command";
import { UsageError } from "../args";
import { openLink } from "../link/open";
import { linkOptions, outputFile, outputOptions } from "./options";
import { outputFor } from "../report/output";
import { resolvePort } from "./ports";
import { requirePath } from "./files";
import type { HostLink, TrainConfig } from "../link/link";
import { readModelFile } from "../modelfile";
import { Model, dequantize, isFixedModel, type ModelSpec } from "../../src/index";
import { Opt, resolveSpec } from "../../src/engine/spec";
import { loadInto, modelFromFile, parseModel, readHeader, readPipeline, readSpec, saveModel, specFromPayload, withPipeline } from "../../src/modelfile/index";
import { plan } from "../../src/engine/build";
import type { DenseModel } from "../../src/engine/model-api";
import { modelCost } from "../../src/app/model-install";
import { CAPS_FLAG_MODEL_INSTALL, ERR_OVER_BUDGET } from "../../src/protocol/index";
import { LinkError } from "../link/link";
import { WeightsBlob } from "../../src/app/weights-blob";
import { MAX_BATCH_ID } from "../../src/protocol/messages";
import { saveAtEnd } from "./checkpoint";

export interface PutOptions {
  /** Freeze the first K layers on the board (default: the file's own frozen count). */
  freeze?: number;
  /** Batch id the weights reflect once committed (the next batch the board trains is batchId + 1). Default 0. */
  batchId?: number;
}

export interface PutResult {
  /** Frozen layers on the board after the put. */
  frozen: number;
  /** Blob bytes sent. */
  bytes: number;
  /** True when the file's optimizer state (TRAINING) fitted the board's model and was sent too. */
  stateSent: boolean;
  /** The parameters sent, as the board now holds them (Float32, model.parameters layout). */
  parameters: Float32Array;
  spec: ModelSpec;
}

export interface GetResult {
  /** The .tpm file. */
  bytes: Uint8Array;
  /** Batch id the weights reflect. */
  batchId: number;
  spec: ModelSpec;
}

/** The board's current spec (MODEL_SPEC_GET). */
export async function boardSpec(link: HostLink): Promise<ModelSpec> {
  const m = await link.getModelSpec();
  return specFromPayload(m.spec);
}

/** A .tpm as Float32 file bytes: fixed-point files are dequantized (exactly). */
function asFloatFile(bytes: Uint8Array): Uint8Array {
  const parsed = parseModel(bytes);
  if (parsed.spec.dtype !== "fixed") return bytes;
  const fixed = modelFromFile(bytes);
  if (!isFixedModel(fixed)) throw new Error("internal error: a fixed file did not load as a fixed model");
  return saveModel(dequantize(fixed));
}

/** CONFIG that keeps the board's training settings and sets its frozen layers. */
function configFor(spec: ModelSpec, frozen: number): TrainConfig {
  const r = resolveSpec(spec);
  const optimizer = r.optimizer === Opt.Adam ? "adam" : r.optimizer === Opt.Momentum ? "momentum" : "sgd";
  return {
    learningRate: r.learningRate, batchSize: r.batchSize, optimizer,
    beta1: optimizer === "momentum" ? r.momentum : optimizer === "adam" ? r.beta1 : 0,
    beta2: optimizer === "adam" ? r.beta2 : 0, epsilon: r.epsilon, weightDecay: r.weightDecay, gradClip: r.clipNorm, frozen,
  };
}

/** The board installs whole models (MODEL_PUT/COMMIT, MODEL_GET). */
export function canInstall(link: HostLink): boolean {
  return ((link.info?.flags ?? 0) & CAPS_FLAG_MODEL_INSTALL) !== 0;
}

/** The network of a spec in one line: "30-32 relu-5 softmax (float32)". */
export function describeSpec(spec: ModelSpec): string {
  return `${spec.inputs}-${spec.layers.map((l) => `${l.units} ${l.activation}`).join("-")} (${spec.dtype ?? "float32"})`;
}

/**
 * Install a whole model file on the board: checked first against the board's model budget (both numbers in
 * the error), then sent and committed; the board refuses anything else it cannot hold and keeps its model.
 */
export async function installModel(link: HostLink, file: Uint8Array, batchId = 0): Promise<{ spec: ModelSpec; cost: number; budget: number }> {
  const spec = readSpec(file);
  const cost = modelCost(plan(spec));
  const budget = (await link.getModelSpec()).budget;
  const refuse = (): never => {
    throw new UsageError(`the model ${describeSpec(spec)} needs ${cost} bytes on the board, its model budget is ${budget} bytes; the board keeps its current model (choose fewer or smaller layers, or --dtype fixed)`);
  };
  if (budget > 0 && cost > budget) refuse();
  try {
    await link.putModel(file, batchId);
  } catch (e) {
    if (e instanceof LinkError && e.deviceCode === ERR_OVER_BUDGET) refuse();
    throw e;
  }
  return { spec, cost, budget };
}

/** The file with `frozen` layers (its pipeline kept; optimizer state kept when it still fits). */
function withFrozen(file: Uint8Array, frozen: number): Uint8Array {
  const model = modelFromFile(file, { frozen });
  const header = readHeader(file);
  const out = saveModel(model, header.hasTraining ? { lastBatchId: Math.max(header.lastBatchId, 0) } : undefined);
  const pipeline = readPipeline(file);
  return pipeline ? withPipeline(out, pipeline) : out;
}

/** The parameters a model holds, as Float32 (a fixed-point model's Q values dequantized, exactly). */
function floatParameters(model: DenseModel): Float32Array {
  return isFixedModel(model) ? dequantize(model).parameters.slice() : (model.parameters as Float32Array).slice();
}

/** Send a .tpm file to the board: the whole model where the board installs models, else its weights. */
export async function putModelFile(link: HostLink, file: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
  if (canInstall(link)) {
    const spec0 = readSpec(file);
    const L = spec0.layers.length;
    const frozen = options.freeze ?? spec0.frozen ?? 0;
    if (!Number.isInteger(frozen) || frozen < 0 || frozen >= L) {
      throw new UsageError(`--freeze must be 0..${L - 1} for the file's ${L}-layer model (at least the last layer trains), got ${frozen}`);
    }
    const toSend = frozen === (spec0.frozen ?? 0) ? file : withFrozen(file, frozen);
    const batchId = options.batchId ?? 0;
    if (!(Number.isInteger(batchId) && batchId >= 0 && batchId <= MAX_BATCH_ID)) {
      throw new UsageError(`--batch-id must be 0..${MAX_BATCH_ID} (the next batch, id + 1, must still be a u32), got ${batchId}`);
    }
    const model = modelFromFile(toSend);
    const { spec } = await installModel(link, toSend, batchId);
    return { frozen, bytes: toSend.length, stateSent: readHeader(toSend).hasTraining, parameters: floatParameters(model), spec };
  }
  const floatFile = asFloatFile(file);
  const fileSpec = parseModel(floatFile).spec;
  let spec = await boardSpec(link);
  const L = spec.layers.length;
  const frozen = options.freeze ?? fileSpec.frozen ?? 0;
  if (!Number.isInteger(frozen) || frozen < 0 || frozen >= L) {
    throw new UsageError(`--freeze must be 0..${L - 1} for the board's ${L}-layer model (at least the last layer trains), got ${frozen}`);
  }
  // Check the file against the board's model (network, loss, dtype) before touching the board.
  const target = new Model({ ...spec, frozen });
  let stateSent: boolean;
  try {
    stateSent = loadInto(target, floatFile).stateLoaded;
  } catch (e) {
    throw new UsageError(`the file does not fit the board's model (${spec.inputs}-${spec.layers.map((l) => `${l.units} ${l.activation}`).join("-")}): ${(e as Error).message}`);
  }
  if ((spec.frozen ?? 0) !== frozen) {
    await link.configure(configFor(spec, frozen)); // the board rebuilds its model; blob size refreshed
    spec = await boardSpec(link);
    if ((spec.frozen ?? 0) !== frozen) throw new Error(`the board kept ${spec.frozen ?? 0} frozen layers, asked for ${frozen}`);
  }
  const blob = new WeightsBlob(target);
  const bytes = new Uint8Array(blob.byteLength);
  blob.write(bytes, new DataView(bytes.buffer));
  // The board would refuse these only at the commit, with a bare BAD_VALUE: say so before sending anything.
  if (!blob.check(new DataView(bytes.buffer))) throw new UsageError("the file holds non-finite (NaN or infinite) weights or optimizer state; the board would refuse them");
  const batchId = options.batchId ?? 0;
  if (!(Number.isInteger(batchId) && batchId >= 0 && batchId <= MAX_BATCH_ID)) {
    throw new UsageError(`--batch-id must be 0..${MAX_BATCH_ID} (the next batch, id + 1, must still be a u32), got ${batchId}`);
  }
  await link.putWeights(bytes, batchId);
  return { frozen, bytes: bytes.length, stateSent, parameters: target.parameters.slice(), spec };
}

/** Read the board's model into a .tpm file (spec, parameters, optimizer state, step, last committed batch id). */
export async function getModelFile(link: HostLink): Promise<GetResult> {
  if (canInstall(link)) {
    const got = await link.getModel();
    return { bytes: got.blob, batchId: got.batchId, spec: readSpec(got.blob) };
  }
  const spec = await boardSpec(link);
  const model = new Model(spec);
  const blob = new WeightsBlob(model);
  const w = await link.getWeights();
  const view = new DataView(w.blob.buffer, w.blob.byteOffset, w.blob.byteLength);
  if (w.blob.length !== blob.byteLength || !blob.check(view)) {
    throw new Error(`the board's weights blob (${w.blob.length} bytes) does not match its model spec (${blob.byteLength} bytes expected) or holds non-finite values`);
  }
  blob.read(w.blob, view);
  return { bytes: saveModel(model, { lastBatchId: w.batchId }), batchId: w.batchId, spec };
}

export const weightsCommand: Command = {
  name: "weights",
  summary: "send a .tpm model to the board (optionally freezing its first layers), or read the board's model into a .tpm",
  usage: ["put <model.tpm> --port PATH [--freeze K] [--batch-id N]", "get --port PATH -o <out.tpm>"],
  positionals: [
    { name: "action", help: "put (send a model file to the board) or get (read the board's model)" },
    { name: "model.tpm", help: "put: the model file to send", optional: true },
  ],
  options: {
    ...linkOptions,
    ...outputFile("get: where to write the board's model"),
    freeze: { type: "int", value: "K", help: "put: freeze the first K layers on the board (default: the file's own count)", min: 0, max: 0xffff },
    "batch-id": { type: "int", value: "N", help: "put: the batch id the weights reflect once committed", default: 0, min: 0, max: 0xfffffffe },
    ...outputOptions,
  },
  async run(args) {
    const out = outputFor(args);
    const action = args.positional(0, "an action: put or get");
    if (action !== "get" && action !== "put") throw new UsageError(`weights: the action must be put or get, got "${action}"`);
    if (action === "get" && args.positionals.length > 1) throw new UsageError("weights get writes to -o FILE (it takes no file argument)");
    const file = action === "put" ? requirePath(args.positional(1, "the .tpm file to send")) : args.string("output");
    const toPut = action === "put" ? readModelFile(file) : undefined;
    const freeze = args.optionalNumber("freeze");
    const batchId = args.number("batch-id");
    const { link } = await openLink(await resolvePort(args.string("port")), args.number("baud"));
    try {
      if (toPut) {
        const r = await putModelFile(link, toPut, { freeze, batchId });
        out.summary(`sent ${file} to the board: ${r.bytes} bytes${r.stateSent ? " with optimizer state" : ""}; ` +
          `model ${describeSpec(r.spec)}, ${r.frozen} frozen layer(s), layers ${r.frozen}..${r.spec.layers.length - 1} train; committed as batch ${batchId}`);
        // Reported done only once the board's checkpoint holds it (or with a loud warning that it cannot).
        const saved = await saveAtEnd(link, { summary: (l) => out.summary(l), warn: (l) => out.warn(l) });
        out.event("summary", { action, file, bytes: r.bytes, stateSent: r.stateSent, frozen: r.frozen, layers: r.spec.layers.length, batchId, checkpointBatchId: saved?.durable ? saved.savedBatchId : null });
      } else {
        const r = await getModelFile(link);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, r.bytes);
        const classes = readPipeline(r.bytes)?.classes ?? [];
        out.summary(`wrote ${file} (${r.bytes.length} bytes): the board's model after batch ${r.batchId}, ` +
          `${describeSpec(r.spec)}, ${r.spec.frozen ?? 0} frozen layer(s)${classes.length ? `, classes ${classes.join(", ")}` : ""}`);
        out.event("summary", { action, file, bytes: r.bytes.length, batchId: r.batchId, inputs: r.spec.inputs, units: r.spec.layers.map((l) => l.units), frozen: r.spec.frozen ?? 0, classes });
      }
    } finally {
      await link.close();
    }
    return 0;
  },
};
