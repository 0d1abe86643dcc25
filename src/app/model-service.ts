// The device's model service: what the host's sequenced messages do to the model (docs/protocol.md
// section 3). The transport (transport.ts) hands it each in-order message; it dispatches it and answers
// through Replies. It owns the current model, its weights blob, the last committed batch id and the input
// pipeline, and swaps in a new model when CONFIG, MODEL_COMMIT or a restore asks. The work is elsewhere:
// - SAMPLE_BATCH and PREDICT_REQ (batch-trainer.ts). A batch trains only if batchId ==
//   lastCommittedBatchId + 1 (duplicates and gaps are refused with ERROR); raw int16 windows go through
//   the pipeline (src/features) that PIPELINE_PUT (sensor-service.ts) or the board's stored model set;
//   RAW_SLICE brings a raw batch as rows over several frames, trained at its last row.
// - CONFIG (model-config.ts): new settings or frozen layers rebuild the model; repeated ones change nothing.
// - Weights (weights-transfer.ts), MODEL_SPEC_GET here (the model's spec as a .tpm SPEC payload).
// - Whole models (model-transfer.ts, model-install.ts): MODEL_PUT/COMMIT installs a .tpm of any dense
//   shape and dtype within the model budget, atomically (the old model stays on any refusal); MODEL_GET
//   reads the current model, with its PIPELINE (input description, class names), as a .tpm.
// - Checkpoints (checkpoint-saver.ts): every `saveEvery` batches, after a WEIGHTS_COMMIT, an install or a
//   new pipeline, and on CHECKPOINT_SAVE; CHECKPOINT_GET/SAVE are answered with CHECKPOINT_STATE.
import { FeaturePipeline } from "../features/pipeline";
import { featureWidth, type PipelineSpec } from "../features/spec";
import type { DenseModel } from "../engine/model-api";
import { specPayloadLength, writeSpecPayload } from "../modelfile/format";
import { encodePipeline, fileSizeWithSection, saveWithSectionInto } from "../modelfile/pipeline-section";
import { PAYLOAD_OFFSET } from "../protocol/frame";
import * as M from "../protocol/messages";
import { CAPS_FLAG_PIPELINE } from "../protocol/sensor";
import type { MessageHandler } from "./transport";
import { WeightsBlob } from "./weights-blob";
import { WeightsTransfer, type Replies } from "./weights-transfer";
import { ModelTransfer } from "./model-transfer";
import { InstallError, modelCost, modelFromBytes, type InstalledModel } from "./model-install";
import { BatchTrainer, type ModelStats } from "./batch-trainer";
import { configure } from "./model-config";
import { CheckpointSaver, type CheckpointSink } from "./checkpoint-saver";

export type { ModelStats } from "./batch-trainer";
export type { CheckpointSink } from "./checkpoint-saver";

export interface ModelServiceOptions {
  /** Milliseconds, for step timing. */
  now: () => number;
  /** Free memory for REPORT (0 when unknown). */
  freeBytes?: () => number;
  /** Diagnostics (trace on the device). Not called on the per-batch path. */
  log?: (text: string) => void;
  /** Batch id reflected in the model's weights at start-up (from a restored checkpoint). */
  lastCommittedBatchId?: number;
  /** Save a checkpoint every this many committed batches (0: never). Also after a WEIGHTS_COMMIT. */
  saveEvery?: number;
  /** Checkpoint storage; absent when the board has none (CAPS and CHECKPOINT_STATE say so). */
  checkpoints?: CheckpointSink;
  /** Bytes the board may spend on a model (manifest config.model.budget); 0 or absent: no limit. */
  modelBudget?: number;
  /** The input pipeline and class names of the boot model (PIPELINE section payload), if it has one. */
  pipelineBytes?: Uint8Array | null;
  pipeline?: PipelineSpec | null;
}

function sameBytes(a: Uint8Array, b: Uint8Array | null): boolean {
  if (b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ModelService implements MessageHandler {
  /** Replaced (never mutated in shape) when CONFIG changes the settings or the frozen layers. */
  model: DenseModel;
  blob: WeightsBlob;
  /** Id of the last batch whose training step is reflected in the weights. */
  lastCommittedBatchId: number;
  /** The input pipeline (columns, window, features, normalisation) and class names of the model, or null. */
  pipeline: PipelineSpec | null;
  /** The PIPELINE section payload behind `pipeline` (written into checkpoints and MODEL_GET files). */
  pipelineBytes: Uint8Array | null;
  /** The pipeline's code (src/features) for raw batches and the sensor; null without a pipeline. */
  features: FeaturePipeline | null = null;
  /** SAMPLE_BATCH and PREDICT_REQ, with their views over the receive buffer. */
  readonly batches: BatchTrainer;

  private readonly out: Replies;
  private readonly opts: ModelServiceOptions;
  private readonly weights: WeightsTransfer;
  private readonly models = new ModelTransfer();
  private readonly checkpoints: CheckpointSaver;
  private readonly config = new M.Config();

  /** `rxBuffer`: the frame decoder's buffer, which every payload the service sees lives in. */
  constructor(model: DenseModel, out: Replies, rxBuffer: ArrayBuffer, stats: ModelStats, options: ModelServiceOptions) {
    this.model = model;
    this.out = out;
    this.opts = options;
    this.lastCommittedBatchId = (options.lastCommittedBatchId ?? 0) >>> 0;
    this.checkpoints = new CheckpointSaver(options.checkpoints, options.saveEvery ?? 0, (text) => this.log(text));
    this.batches = new BatchTrainer(model, out, rxBuffer, stats, options.now, options.freeBytes);
    this.pipeline = options.pipeline ?? null;
    this.pipelineBytes = options.pipelineBytes ?? null;
    this.features = this.featuresOf(this.pipeline);
    this.blob = new WeightsBlob(model);
    this.weights = new WeightsTransfer(this.blob);
    this.modelChanged();
  }

  /** View cache misses of the batch path (each allocated one typed array). Constant in steady state. */
  get viewAllocations(): number {
    return this.batches.viewAllocations;
  }

  // ---- MessageHandler ----------------------------------------------------------------------------------

  onSessionStart(): void {
    this.weights.reset();
    this.models.reset();
    this.batches.dropSlices(); // a host resends a batch cut short from its first row
  }

  describe(caps: M.Caps): void {
    this.describeModel(caps);
    caps.lastCommittedBatchId = this.lastCommittedBatchId >>> 0;
  }

  onMessage(type: number, seq: number, view: DataView, off: number, len: number): void {
    const out = this.out;
    let code = M.ERR_OK;
    let detail = 0;
    switch (type) {
      case M.MSG_CONFIG:
        code = this.onConfig(view, off, len);
        if (code !== M.ERR_OK) detail = (this.model.config.optimizer << 16) | this.model.batchSize;
        out.sendError(code, seq, type, detail);
        return;
      case M.MSG_SAMPLE_BATCH:
        code = this.batches.train(view, off, len, this.lastCommittedBatchId, this.weights.putInProgress || this.models.putInProgress);
        if (code === M.ERR_OK) this.batchCommitted();
        break;
      case M.MSG_RAW_SLICE:
        // Answered only when refused or when it completes its batch (REPORT), like WEIGHTS_PUT chunks.
        code = this.batches.trainSlice(view, off, len, this.lastCommittedBatchId, this.weights.putInProgress || this.models.putInProgress);
        if (code === M.ERR_OK && this.batches.sliceTrained) this.batchCommitted();
        break;
      case M.MSG_PREDICT_REQ:
        code = this.batches.predict(view, off, len, this.weights.putInProgress || this.models.putInProgress);
        break;
      case M.MSG_WEIGHTS_GET:
        code = this.weights.get(view, off, len, this.lastCommittedBatchId, out);
        break;
      case M.MSG_WEIGHTS_PUT:
        code = this.models.putInProgress ? M.ERR_BAD_STATE : this.weights.put(view, off, len);
        break;
      case M.MSG_WEIGHTS_COMMIT:
        code = this.weights.commit(view, off, len);
        if (code === M.ERR_OK) {
          this.lastCommittedBatchId = this.weights.committedBatchId;
          this.batches.dropSlices();
          this.log("weights committed");
          this.save();
          out.sendError(M.ERR_OK, seq, type, this.lastCommittedBatchId);
        }
        break;
      case M.MSG_MODEL_SPEC_GET:
        code = this.onModelSpecGet();
        break;
      case M.MSG_MODEL_PUT:
        if (this.weights.putInProgress) code = M.ERR_BAD_STATE;
        else code = this.models.put(view, off, len, this.budget());
        if (code === M.ERR_OVER_BUDGET) detail = view.getUint32(off + M.WPUT_TOTAL, true);
        break;
      case M.MSG_MODEL_COMMIT:
        code = this.models.commit(view, off, len);
        if (code === M.ERR_OVER_BUDGET) detail = this.models.refusedDetail;
        if (code === M.ERR_OK) {
          const r = this.onModelCommit();
          code = r >>> 24;
          detail = r & 0xffffff;
          if (code === M.ERR_OK) out.sendError(M.ERR_OK, seq, type, this.lastCommittedBatchId);
        }
        break;
      case M.MSG_MODEL_GET:
        if (this.weights.putInProgress) code = M.ERR_BAD_STATE;
        else code = this.models.get(view, off, len, this.fileSize(), this.snapshot, this.lastCommittedBatchId, out);
        break;
      case M.MSG_CHECKPOINT_SAVE:
        // A finished run is durable only once saved: save now unless the newest checkpoint has these weights.
        if (!this.checkpoints.holds(this.lastCommittedBatchId)) this.save();
        code = this.sendCheckpointState();
        break;
      case M.MSG_CHECKPOINT_GET:
        code = this.sendCheckpointState();
        break;
      case M.MSG_ERROR:
        return; // the host's complaint; acked, never answered (no error ping-pong)
      default:
        code = M.ERR_UNKNOWN_TYPE;
    }
    if (code !== M.ERR_OK) {
      if (type === M.MSG_SAMPLE_BATCH || type === M.MSG_RAW_SLICE) detail = this.lastCommittedBatchId;
      out.sendError(code, seq, type, detail);
    }
  }

  /** The batch path trained batch lastTrainedId: it is committed; a checkpoint every saveEvery batches. */
  private batchCommitted(): void {
    this.lastCommittedBatchId = this.batches.lastTrainedId;
    if (this.checkpoints.saveEvery > 0 && this.lastCommittedBatchId % this.checkpoints.saveEvery === 0) this.save();
  }

  // ---- input pipeline ----------------------------------------------------------------------------------

  /**
   * Use `spec` for raw batches and the sensor: its feature count must be the model's inputs and its class
   * names (if any) one per output; a new pipeline is checkpointed at once (the same one again is not).
   * Returns ERR_OK, or ERR_SHAPE_MISMATCH / ERR_BAD_VALUE / ERR_NO_MEMORY.
   */
  installPipeline(spec: PipelineSpec): number {
    if (featureWidth(spec) !== this.model.inputs) return M.ERR_SHAPE_MISMATCH;
    if (spec.classes.length !== 0 && spec.classes.length !== this.model.outputs) return M.ERR_SHAPE_MISMATCH;
    let features: FeaturePipeline, bytes: Uint8Array;
    try {
      features = new FeaturePipeline(spec);
      bytes = encodePipeline(spec);
    } catch (e) {
      return e instanceof RangeError ? M.ERR_BAD_VALUE : M.ERR_NO_MEMORY;
    }
    if (sameBytes(bytes, this.pipelineBytes)) return M.ERR_OK; // already installed (and saved): no flash write
    this.pipeline = spec;
    this.pipelineBytes = bytes;
    this.features = features;
    this.modelChanged();
    // The pipeline is part of the model file: checkpoint it now, so it survives a reset without a host.
    this.save();
    return M.ERR_OK;
  }

  /** The pipeline's code for a model's pipeline (null when it has none or it cannot be built). */
  private featuresOf(spec: PipelineSpec | null): FeaturePipeline | null {
    if (spec === null) return null;
    try {
      return new FeaturePipeline(spec);
    } catch (e) {
      this.log("pipeline unusable: " + String(e));
      return null;
    }
  }

  /** Weights are being replaced (WEIGHTS_PUT under way): nothing may train or predict. */
  get busy(): boolean {
    return this.weights.putInProgress;
  }

  /** The board trained outside the batch sequence (sensor learn mode): the next CHECKPOINT_SAVE saves. */
  trainedOnBoard(): void {
    this.checkpoints.trainedOnBoard();
  }

  /** Save a checkpoint now (the board's own learning, which no host ends with CHECKPOINT_SAVE). */
  saveCheckpoint(): void {
    this.save();
  }

  // ---- CONFIG ------------------------------------------------------------------------------------------

  private onConfig(view: DataView, off: number, len: number): number {
    const c = this.config;
    const code = M.decodeConfig(view, off, len, c);
    if (code !== M.ERR_OK) return code;
    const r = configure(this.model, c, this.weights.putInProgress, this.opts.log);
    const next = r.next;
    if (next === null) return r.code;
    this.model = next;
    this.blob = new WeightsBlob(next);
    if (r.layoutChanged) this.weights.reset(); // a snapshot of the old layout is stale
    this.weights.rebind(this.blob);
    this.modelChanged();
    if (r.layoutChanged) this.log("model rebuilt: " + next.config.frozen + " frozen layer(s)");
    return M.ERR_OK;
  }

  // ---- MODEL_SPEC --------------------------------------------------------------------------------------

  /** MODEL_SPEC: stateBytes, planBytes, lastCommittedBatchId, reserved, then the .tpm SPEC payload. */
  private onModelSpecGet(): number {
    const model = this.model;
    const n = M.MSPEC_SPEC + specPayloadLength(model.config.units.length);
    if (n > this.out.payloadCap) return M.ERR_TOO_LARGE;
    const v = this.out.view;
    const base = PAYLOAD_OFFSET;
    v.setUint32(base + M.MSPEC_STATE_BYTES, this.blob.byteLength, true);
    v.setUint32(base + M.MSPEC_PLAN_BYTES, model.plan.total, true);
    v.setUint32(base + M.MSPEC_LAST_COMMITTED, this.lastCommittedBatchId >>> 0, true);
    v.setUint32(base + M.MSPEC_BUDGET, this.budget() >>> 0, true);
    writeSpecPayload(v, base + M.MSPEC_SPEC, model);
    // Appended after the SPEC payload (its length follows from its layer count): free memory, 0 = unknown.
    let plen = n;
    if (n + 4 <= this.out.payloadCap) {
      v.setUint32(base + n, this.freeBytes() >>> 0, true);
      plen = n + 4;
    }
    this.out.sendSequenced(M.MSG_MODEL_SPEC, plen);
    return M.ERR_OK;
  }

  // ---- MODEL_PUT / MODEL_COMMIT / MODEL_GET ----------------------------------------------------------

  /** Free memory in bytes, 0 when the platform does not say. */
  private freeBytes(): number {
    const free = this.opts.freeBytes;
    return free === undefined ? 0 : free() >>> 0;
  }

  /**
   * Bytes a model may cost (model-install.ts modelCost): the configured budget, clamped by what is free
   * plus what the current model holds (it is dropped after an install) where the platform reports it.
   * 0: no limit.
   */
  budget(): number {
    const configured = this.opts.modelBudget ?? 0;
    const free = this.freeBytes();
    if (free === 0) return configured;
    const room = free + modelCost(this.model.plan);
    return configured > 0 && configured < room ? configured : room;
  }

  /** Size of the current model's file (spec, parameters, optimizer state, batch id, pipeline). */
  private fileSize(): number {
    return fileSizeWithSection(this.model, { lastBatchId: this.lastCommittedBatchId >>> 0 }, this.pipelineBytes);
  }

  private readonly snapshot = (out: Uint8Array): number =>
    saveWithSectionInto(this.model, out, { lastBatchId: this.lastCommittedBatchId >>> 0 }, this.pipelineBytes);

  /** Builds the committed file's model and swaps it in. Returns (ERR_* << 24) | detail (bytes, clamped). */
  private onModelCommit(): number {
    let next: InstalledModel;
    try {
      next = modelFromBytes(this.models.staged, this.budget(), false);
    } catch (e) {
      const err = e instanceof InstallError ? e : new InstallError(M.ERR_BAD_VALUE, 0, String(e));
      this.models.release();
      this.log("model refused: " + err.message);
      return (err.code << 24) | (err.detail > 0xffffff ? 0xffffff : err.detail);
    }
    this.models.release();
    this.install(next, this.models.committedBatchId);
    return 0;
  }

  /** Replace the model (any shape): blob, transfers, shape checks, pipeline; then checkpoint it. */
  install(next: InstalledModel, batchId: number): void {
    this.model = next.model;
    this.pipeline = next.pipeline;
    this.pipelineBytes = next.pipelineBytes;
    this.features = this.featuresOf(next.pipeline);
    this.blob = new WeightsBlob(next.model);
    this.weights.reset();
    this.weights.rebind(this.blob);
    this.modelChanged();
    this.lastCommittedBatchId = batchId >>> 0;
    this.log("model installed: " + next.model.inputs + " inputs, " + next.model.config.units.length + " layers, " + next.cost + " bytes");
    this.save();
  }

  // ---- checkpoints and helpers -------------------------------------------------------------------------

  private save(): void {
    this.checkpoints.save(this.model, this.lastCommittedBatchId, this.pipelineBytes);
  }

  private sendCheckpointState(): number {
    return this.checkpoints.sendState(this.out, this.lastCommittedBatchId, this.checkpoints.enabled ? this.fileSize() : 0);
  }

  /** The model, its pipeline or its blob changed: the batch path and the shape it checks follow. */
  private modelChanged(): void {
    this.batches.bind(this.model, this.features);
    this.describeModel(this.batches.shape);
  }

  /** The model's fields of CAPS (input shape, classes, layer sizes, plan and blob sizes). */
  private describeModel(c: M.Caps): void {
    const model = this.model;
    const r = model.config;
    c.flags = M.CAPS_FLAG_MODEL_SPEC | M.CAPS_FLAG_CHECKPOINT_MSGS | M.CAPS_FLAG_MODEL_INSTALL | CAPS_FLAG_PIPELINE | M.CAPS_FLAG_RAW_SLICES |
      (this.checkpoints.enabled ? M.CAPS_FLAG_CHECKPOINTS_ON : 0);
    c.planBytes = model.plan.total;
    c.stateBytes = this.blob.byteLength;
    c.inputDtype = M.DTYPE_F32;
    c.inputRank = 1;
    c.inputDims[0] = model.inputs;
    c.inputDims[1] = 0;
    c.inputDims[2] = 0;
    c.classes = model.outputs;
    const L = r.units.length + 1;
    c.layerCount = L > M.MAX_LAYERS ? M.MAX_LAYERS : L;
    c.modelDtype = model.dtype === "fixed" ? M.DTYPE_I16 : M.DTYPE_F32;
    c.layerSizes[0] = model.inputs;
    for (let i = 1; i < c.layerCount; i++) c.layerSizes[i] = r.units[i - 1];
  }

  private log(text: string): void {
    const log = this.opts.log;
    if (log !== undefined) log(text);
  }
}
