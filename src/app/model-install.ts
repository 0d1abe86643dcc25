// Building the board's model from a .tpm file: MODEL_COMMIT (a model the host installs) and the boot
// (the newest checkpoint). Everything is checked before anything is built: the file (magic, CRC, sections,
// values), its spec, the memory the model would need against the board's budget, and its PIPELINE (input
// description and class names) against the network. The caller swaps the result in, or keeps its old model
// when this throws. Any dtype and any dense shape: the file reader and buildModel() decide.
import { buildModel, plan } from "../engine/build";
import type { DenseModel } from "../engine/model-api";
import type { MemoryPlan } from "../engine/layout";
import { loadInto, readSpec } from "../modelfile/format";
import { decodePipeline, pipelineSection } from "../modelfile/pipeline-section";
import { featureWidth, type PipelineSpec } from "../features/spec";
import { ERR_BAD_VALUE, ERR_NO_MEMORY, ERR_OVER_BUDGET } from "../protocol/messages";

/** Bytes a model's objects take beyond its arena and weights staging (model, layer views, blob, service). */
export const MODEL_OBJECT_BYTES = 1024;
export const LAYER_OBJECT_BYTES = 192;

/**
 * Memory a model costs the board: its arena (plan.total), the staging buffer of its weights blob
 * (WEIGHTS_GET/PUT; header, parameters and optimizer state) and its objects. This is what the budget bounds.
 */
export function modelCost(p: MemoryPlan): number {
  const width = p.dtype === "fixed" ? 2 : 4;
  let blob = 8 + width * p.parameterCount;
  for (const s of p.optimizerState) blob += width * s.length;
  return p.total + blob + MODEL_OBJECT_BYTES + LAYER_OBJECT_BYTES * p.layers.length;
}

/** Why an install was refused: a protocol ERR_* code, its detail (bytes needed for OVER_BUDGET), a message. */
export class InstallError extends Error {
  readonly code: number;
  readonly detail: number;
  constructor(code: number, detail: number, message: string) {
    super(message);
    this.code = code;
    this.detail = detail;
  }
}

export interface InstalledModel {
  model: DenseModel;
  /** The input pipeline and class names stored with the model, or null when the file has none. */
  pipeline: PipelineSpec | null;
  /** The PIPELINE section payload (a copy), kept to write it back into checkpoints and MODEL_GET files. */
  pipelineBytes: Uint8Array | null;
  /** The batch id the file's TRAINING section records, or -1. */
  lastBatchId: number;
  /** Bytes the model costs (modelCost). */
  cost: number;
}

/**
 * Build a model from the file bytes[0, length) within `budget` bytes (0: no limit). `requireState`: the file
 * must carry the optimizer state (a checkpoint). Throws InstallError; nothing outside is changed either way.
 */
export function modelFromBytes(bytes: Uint8Array, budget: number, requireState: boolean): InstalledModel {
  let p: MemoryPlan;
  let spec;
  try {
    spec = readSpec(bytes);
    p = plan(spec);
  } catch (e) {
    throw new InstallError(ERR_BAD_VALUE, 0, String((e as Error).message));
  }
  const cost = modelCost(p);
  if (budget > 0 && cost > budget) {
    throw new InstallError(ERR_OVER_BUDGET, cost, "the model needs " + cost + " bytes, the budget is " + budget);
  }
  let pipeline: PipelineSpec | null = null;
  let pipelineBytes: Uint8Array | null = null;
  try {
    const section = pipelineSection(bytes);
    if (section !== null) {
      pipeline = decodePipeline(section);
      pipelineBytes = section.slice();
    }
  } catch (e) {
    throw new InstallError(ERR_BAD_VALUE, 0, String((e as Error).message));
  }
  const outputs = spec.layers[spec.layers.length - 1].units;
  if (pipeline !== null && featureWidth(pipeline) !== spec.inputs) {
    throw new InstallError(ERR_BAD_VALUE, 0, "the pipeline makes " + featureWidth(pipeline) + " features, the model takes " + spec.inputs);
  }
  if (pipeline !== null && pipeline.classes.length > 0 && pipeline.classes.length !== outputs) {
    throw new InstallError(ERR_BAD_VALUE, 0, pipeline.classes.length + " class names for " + outputs + " outputs");
  }
  let model: DenseModel;
  try {
    model = buildModel(spec);
  } catch (e) {
    throw new InstallError(ERR_NO_MEMORY, cost, String((e as Error).message));
  }
  let lastBatchId: number;
  try {
    lastBatchId = loadInto(model, bytes, { state: requireState ? "require" : "auto" }).lastBatchId;
  } catch (e) {
    throw new InstallError(ERR_BAD_VALUE, 0, String((e as Error).message));
  }
  return { model, pipeline, pipelineBytes, lastBatchId, cost };
}
