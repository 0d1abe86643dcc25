// The device's model service: what the host's sequenced messages do to the model (docs/protocol.md
// section 3). The transport (transport.ts) hands it each in-order message; it answers through Replies.
//
// - Batches: exactly once. A batch trains only if batchId == lastCommittedBatchId + 1 (duplicates and
//   gaps are refused with ERROR); the data is read in place through typed-array views over the decoder's
//   buffer, cached by offset so a steady stream of same-shaped batches allocates nothing.
// - CONFIG: the model's settings are part of its spec, which is read-only once built. New settings (or a
//   new frozen prefix: a plan with frozen layers needs less memory) build a new model from the changed
//   spec and carry over parameters, step and the optimizer state of the layers that keep training. A
//   CONFIG that repeats the current settings (every session sends one) changes nothing.
// - Weights (weights-transfer.ts) and MODEL_SPEC_GET (the model's spec as a .tpm SPEC payload).
// - Whole models (model-transfer.ts, model-install.ts): MODEL_PUT/COMMIT installs a .tpm of any dense
//   shape and dtype within the model budget, atomically (the old model stays on any refusal); MODEL_GET
//   reads the current model, with its PIPELINE (input description, class names), as a .tpm.
// - Raw batches: SAMPLE_BATCH with dtype int16 and shape [window rows, columns] carries sensor windows; the
//   board turns each into model inputs with its input pipeline (src/features, the host's very code) and
//   trains on them like a feature batch. The pipeline comes from PIPELINE_PUT (sensor-service.ts) or the
//   board's stored model; `features` computes it.
// - Checkpoints: saved every `saveEvery` batches, after a WEIGHTS_COMMIT and on CHECKPOINT_SAVE (the end
//   of a run); CHECKPOINT_GET/SAVE are answered with CHECKPOINT_STATE.
// Over 400 lines: one handler per model message (batches, predict, CONFIG rebuild, weights, model spec,
// checkpoints, pipeline); a split by message group is due once the board work on this file settles.
import { buildModel } from "../engine/build";
import { FeaturePipeline } from "../features/pipeline";
import { featureWidth } from "../features/spec";
import { LossCode } from "../engine/codes";
import type { DenseModel } from "../engine/model-api";
import { resolveSpec, type ModelSpec, type OptimizerSpec, type ResolvedSpec } from "../engine/spec";
import { argmax } from "../engine/validate";
import { specPayloadLength, writeSpecPayload } from "../modelfile/format";
import { encodePipeline, fileSizeWithSection, saveWithSectionInto } from "../modelfile/pipeline-section";
import type { PipelineSpec } from "../features/spec";
import { PAYLOAD_OFFSET } from "../protocol/frame";
import * as M from "../protocol/messages";
import { CAPS_FLAG_PIPELINE } from "../protocol/sensor";
import type { MessageHandler } from "./transport";
import { WeightsBlob } from "./weights-blob";
import { WeightsTransfer, type Replies } from "./weights-transfer";
import { ModelTransfer } from "./model-transfer";
import { InstallError, modelCost, modelFromBytes, type InstalledModel } from "./model-install";

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

/** Where checkpoints go (src/main.ts wraps a CheckpointStore on the flash partition). */
export interface CheckpointSink {
  /** Persist the model, the batch id its weights reflect and its PIPELINE payload (null: none). Throws on failure. */
  save(model: DenseModel, lastBatchId: number, pipelineBytes: Uint8Array | null): void;
  /** Size of the storage partition in bytes. */
  readonly partitionBytes: number;
  /** Batch id of the checkpoint restored at boot, or -1 when none was. */
  readonly restoredBatchId: number;
}

/** Counters of the model service (added to the transport's in one stats object). */
export interface ModelStats {
  reports: number; batchesTrained: number; batchesRefused: number;
}

const VIEW_CACHE = 32;

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
  /** View cache misses (each allocated one typed array). Constant in steady state. */
  viewAllocations = 0;
  /** The input pipeline (columns, window, features, normalisation) and class names of the model, or null. */
  pipeline: PipelineSpec | null;
  /** The PIPELINE section payload behind `pipeline` (written into checkpoints and MODEL_GET files). */
  pipelineBytes: Uint8Array | null;
  /** The pipeline's code (src/features) for raw batches and the sensor; null without a pipeline. */
  features: FeaturePipeline | null = null;

  private readonly out: Replies;
  private readonly stats: ModelStats;
  private readonly opts: ModelServiceOptions;
  private readonly now: () => number;
  private readonly saveEvery: number;
  private readonly weights: WeightsTransfer;
  private readonly models = new ModelTransfer();
  /** The model's input shape and classes, as CAPS states them; batches and predictions are checked on it. */
  private readonly shape = new M.Caps();
  private softmax: boolean;

  // Message objects, reused.
  private readonly config = new M.Config();
  private readonly tensor = new M.TensorMsg();
  private readonly report = new M.Report();
  private readonly checkpointState = new M.CheckpointState();

  // Training views over the decoder's buffer, cached by byte offset.
  private readonly rxBuffer: ArrayBuffer;
  private readonly rxF32: Float32Array;
  private readonly rxI16: Int16Array;
  /** Model inputs of one raw batch step (batch size x inputs), sized when a pipeline is installed. */
  private rawX = new Float32Array(0);
  private readonly xKeys = new Int32Array(VIEW_CACHE).fill(-1);
  private readonly xViews: Float32Array[] = [];
  private xNext = 0;
  private readonly yKeys = new Int32Array(VIEW_CACHE).fill(-1);
  private readonly yViews: Uint8Array[] = [];
  private yNext = 0;

  /** `rxBuffer`: the frame decoder's buffer, which every payload the service sees lives in. */
  constructor(model: DenseModel, out: Replies, rxBuffer: ArrayBuffer, stats: ModelStats, options: ModelServiceOptions) {
    this.model = model;
    this.out = out;
    this.rxBuffer = rxBuffer;
    this.rxF32 = new Float32Array(rxBuffer);
    this.rxI16 = new Int16Array(rxBuffer);
    this.stats = stats;
    this.opts = options;
    this.now = options.now;
    this.lastCommittedBatchId = (options.lastCommittedBatchId ?? 0) >>> 0;
    this.saveEvery = options.saveEvery ?? 0;
    const emptyF32 = new Float32Array(0), emptyU8 = new Uint8Array(0);
    for (let i = 0; i < VIEW_CACHE; i++) {
      this.xViews.push(emptyF32);
      this.yViews.push(emptyU8);
    }
    this.pipeline = options.pipeline ?? null;
    this.pipelineBytes = options.pipelineBytes ?? null;
    this.features = this.featuresOf(this.pipeline);
    this.sizeRawInputs();
    this.blob = new WeightsBlob(model);
    this.weights = new WeightsTransfer(this.blob);
    this.softmax = model.config.loss === LossCode.SoftmaxCE;
    this.describeModel(this.shape);
    const ck = options.checkpoints;
    const st = this.checkpointState;
    st.every = this.saveEvery > 0xffff ? 0xffff : this.saveEvery;
    if (ck !== undefined) {
      st.flags = M.CKPT_ON;
      st.partitionBytes = ck.partitionBytes >>> 0;
      if (ck.restoredBatchId >= 0) {
        st.flags |= M.CKPT_SAVED;
        st.savedBatchId = ck.restoredBatchId >>> 0;
      }
    }
  }

  // ---- MessageHandler ----------------------------------------------------------------------------------

  onSessionStart(): void {
    this.weights.reset();
    this.models.reset();
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
        code = this.onBatch(view, off, len);
        break;
      case M.MSG_PREDICT_REQ:
        code = this.onPredict(view, off, len);
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
        if (this.checkpointState.savedBatchId !== this.lastCommittedBatchId || (this.checkpointState.flags & M.CKPT_SAVED) === 0) this.save();
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
      if (type === M.MSG_SAMPLE_BATCH) detail = this.lastCommittedBatchId;
      out.sendError(code, seq, type, detail);
    }
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
    this.sizeRawInputs();
    this.describeModel(this.shape);
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
    this.checkpointState.flags &= ~M.CKPT_SAVED;
  }

  /** Save a checkpoint now (the board's own learning, which no host ends with CHECKPOINT_SAVE). */
  saveCheckpoint(): void {
    this.save();
  }

  private sizeRawInputs(): void {
    const n = this.model.batchSize * this.model.inputs;
    if (this.features !== null && this.rawX.length !== n) this.rawX = new Float32Array(n);
  }

  // ---- CONFIG ------------------------------------------------------------------------------------------

  private onConfig(view: DataView, off: number, len: number): number {
    const c = this.config;
    const code = M.decodeConfig(view, off, len, c);
    if (code !== M.ERR_OK) return code;
    const model = this.model;
    const r = model.config;
    if (c.batchSize % model.batchSize !== 0) return M.ERR_BAD_VALUE;
    // The optimizer's kind decides the memory plan; only its settings can change at run time.
    if (c.optimizer !== r.optimizer) return M.ERR_BAD_VALUE;
    if (model.gradients === null && c.gradClip > 0) return M.ERR_BAD_VALUE;
    let frozen = r.frozen;
    if ((c.flags & M.CONFIG_FLAG_FROZEN) !== 0 && c.frozen !== r.frozen) {
      if (c.frozen >= r.units.length) return M.ERR_BAD_VALUE; // at least the last layer trains
      if (this.weights.putInProgress) return M.ERR_BAD_STATE;
      frozen = c.frozen;
    }
    if (frozen === r.frozen && sameSettings(r, c)) return M.ERR_OK;
    const spec = specWithSettings(model.spec, c, frozen);
    try {
      // Settings the spec would refuse (weight decay above 1, a momentum of 0 that would drop the
      // velocity buffer, ...) are refused here, before anything is built.
      if (resolveSpec(spec).optimizer !== r.optimizer) return M.ERR_BAD_VALUE;
    } catch {
      return M.ERR_BAD_VALUE;
    }
    return this.rebuild(spec, frozen !== r.frozen);
  }

  /**
   * Replace the model by one built from `spec` (the same layers, other settings or frozen count).
   * Parameters, step and rejected steps carry over; optimizer state carries over for the
   * parameters that train in both models (zero for layers that start training). Both arenas exist for a
   * moment (the gesture model: a few KB); on failure (no memory) the old model stays: NO_MEMORY.
   */
  private rebuild(spec: ModelSpec, layoutChanged: boolean): number {
    const old = this.model;
    let next: DenseModel;
    try {
      next = buildModel(spec) as DenseModel;
    } catch (e) {
      this.log("rebuild failed");
      return M.ERR_NO_MEMORY;
    }
    copy(old.parameters, next.parameters, 0);
    const from = old.optimizerState, to = next.optimizerState;
    const s0 = old.plan.trainableStart, s1 = next.plan.trainableStart;
    for (let k = 0; k < to.length && k < from.length; k++) {
      const dst = to[k], src = from[k];
      for (let i = 0; i < dst.length; i++) {
        const j = s1 + i - s0;
        dst[i] = j >= 0 && j < src.length ? src[j] : 0;
      }
    }
    next.step = old.step;
    next.rejectedSteps = old.rejectedSteps;
    next.weightsChanged();
    this.model = next;
    this.blob = new WeightsBlob(next);
    if (layoutChanged) this.weights.reset(); // a snapshot of the old layout is stale
    this.weights.rebind(this.blob);
    this.softmax = next.config.loss === LossCode.SoftmaxCE;
    this.sizeRawInputs();
    this.describeModel(this.shape);
    if (layoutChanged) this.log("model rebuilt: " + next.config.frozen + " frozen layer(s)");
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
    this.sizeRawInputs();
    this.blob = new WeightsBlob(next.model);
    this.weights.reset();
    this.weights.rebind(this.blob);
    this.softmax = next.model.config.loss === LossCode.SoftmaxCE;
    this.describeModel(this.shape);
    this.lastCommittedBatchId = batchId >>> 0;
    this.log("model installed: " + next.model.inputs + " inputs, " + next.model.config.units.length + " layers, " + next.cost + " bytes");
    this.save();
  }

  // ---- SAMPLE_BATCH ------------------------------------------------------------------------------------

  private onBatch(view: DataView, off: number, len: number): number {
    const t = this.tensor;
    let code = M.decodeSampleBatch(view, off, len, t);
    const raw = code === M.ERR_OK && t.dtype === M.DTYPE_I16 && t.rank === 2;
    if (raw) code = this.checkRawBatch(view, t);
    else if (code === M.ERR_OK) code = M.checkTensorForModel(view, t, this.shape, true);
    if (code === M.ERR_OK && t.count % this.model.batchSize !== 0) code = M.ERR_SHAPE_MISMATCH;
    if (code === M.ERR_OK && (this.weights.putInProgress || this.models.putInProgress)) code = M.ERR_BAD_STATE;
    if (code === M.ERR_OK) {
      if (t.id <= this.lastCommittedBatchId) code = M.ERR_BATCH_DUPLICATE;
      else if (t.id !== this.lastCommittedBatchId + 1) code = M.ERR_BATCH_GAP;
    }
    if (code !== M.ERR_OK) {
      this.stats.batchesRefused++;
      return code;
    }
    const model = this.model;
    const B = model.batchSize;
    const inputs = model.inputs;
    const n = model.outputs;
    const steps = t.count / B;
    const t0 = this.now();
    let lossSum = 0, correct = 0;
    const pipe = this.features;
    const windowValues = raw && pipe !== null ? pipe.windowRows * pipe.columns : 0;
    for (let s = 0; s < steps; s++) {
      let x: Float32Array;
      if (raw && pipe !== null) {
        // Each window of this step -> model inputs, with the same code the host uses.
        x = this.rawX;
        for (let c = 0; c < B; c++) pipe.extractWindow(this.rxI16, (t.dataOffset >> 1) + (s * B + c) * windowValues, 0, x, c * inputs);
      } else {
        x = this.xView(t.dataOffset + s * B * inputs * 4, B * inputs);
      }
      const y = this.yView(t.labelsOffset + s * B, B);
      lossSum += model.trainStep(x, y);
      if (this.softmax) {
        const Y = model.output;
        for (let c = 0; c < B; c++) if (argmax(Y, c * n, n) === y[c]) correct++;
      }
    }
    const elapsed = this.now() - t0;
    this.lastCommittedBatchId = t.id;
    this.stats.batchesTrained++;
    const r = this.report;
    r.step = model.step >>> 0;
    r.batchId = t.id;
    r.loss = lossSum / steps;
    r.accuracy = correct / t.count;
    let micros = (elapsed * 1000 / steps) | 0;
    if (micros < 0) micros = 0;
    r.stepMicros = micros;
    r.freeBytes = this.freeBytes();
    const plen = M.encodeReport(this.out.view, PAYLOAD_OFFSET, this.out.payloadCap, r);
    if (plen >= 0) this.out.sendSequenced(M.MSG_REPORT, plen);
    this.stats.reports++;
    if (this.saveEvery > 0 && t.id % this.saveEvery === 0) this.save();
    return M.ERR_OK;
  }

  /** A raw batch: windows of the pipeline's rows and columns, labels within the model's classes. */
  private checkRawBatch(view: DataView, t: M.TensorMsg): number {
    const pipe = this.features;
    if (pipe === null) return M.ERR_BAD_STATE;
    if (t.dims[0] !== pipe.windowRows || t.dims[1] !== pipe.columns) return M.ERR_SHAPE_MISMATCH;
    for (let i = 0; i < t.count; i++) if (view.getUint8(t.labelsOffset + i) >= this.model.outputs) return M.ERR_BAD_LABEL;
    return M.ERR_OK;
  }

  // ---- PREDICT_REQ -------------------------------------------------------------------------------------

  private onPredict(view: DataView, off: number, len: number): number {
    const t = this.tensor;
    let code = M.decodePredictRequest(view, off, len, t);
    if (code === M.ERR_OK) code = M.checkTensorForModel(view, t, this.shape, false);
    if (code !== M.ERR_OK) return code;
    if (this.weights.putInProgress || this.models.putInProgress) return M.ERR_BAD_STATE;
    const n = this.model.outputs;
    const cap = this.out.payloadCap;
    if (M.RESULT_SCORES + 4 * t.count * n > cap) return M.ERR_TOO_LARGE;
    const out = this.out.view;
    const base = PAYLOAD_OFFSET;
    out.setUint32(base + M.RESULT_REQUEST_ID, t.id, true);
    out.setUint16(base + M.RESULT_COUNT, t.count, true);
    out.setUint16(base + M.RESULT_CLASSES, n, true);
    const model = this.model;
    const inputs = model.inputs;
    let at = base + M.RESULT_SCORES;
    for (let s = 0; s < t.count; s++) {
      model.classify(this.rxF32, (t.dataOffset >> 2) + s * inputs);
      const Y = model.output;
      for (let i = 0; i < n; i++) {
        out.setFloat32(at, Y[i], true);
        if ((out.getInt32(at, true) & 0x7f800000) === 0x7f800000) out.setFloat32(at, 0, true);
        at += 4;
      }
    }
    this.out.sendSequenced(M.MSG_PREDICT_RESULT, at - base);
    return M.ERR_OK;
  }

  // ---- checkpoints -------------------------------------------------------------------------------------

  private save(): void {
    const sink = this.opts.checkpoints;
    if (sink === undefined) return;
    const st = this.checkpointState;
    try {
      sink.save(this.model, this.lastCommittedBatchId, this.pipelineBytes);
      st.flags = (st.flags | M.CKPT_SAVED) & ~M.CKPT_SAVE_FAILED;
      st.savedBatchId = this.lastCommittedBatchId >>> 0;
      st.saves++;
    } catch (e) {
      st.flags |= M.CKPT_SAVE_FAILED;
      this.log("checkpoint save failed");
    }
  }

  /** CHECKPOINT_STATE: storage on/off, partition and checkpoint sizes, the batch id of the last save. */
  private sendCheckpointState(): number {
    const st = this.checkpointState;
    st.lastCommittedBatchId = this.lastCommittedBatchId >>> 0;
    st.checkpointBytes = (st.flags & M.CKPT_ON) !== 0 ? this.fileSize() : 0;
    const plen = M.encodeCheckpointState(this.out.view, PAYLOAD_OFFSET, this.out.payloadCap, st);
    if (plen < 0) return -plen;
    this.out.sendSequenced(M.MSG_CHECKPOINT_STATE, plen);
    return M.ERR_OK;
  }

  // ---- helpers -----------------------------------------------------------------------------------------

  /** The model's fields of CAPS (input shape, classes, layer sizes, plan and blob sizes). */
  private describeModel(c: M.Caps): void {
    const model = this.model;
    const r = model.config;
    c.flags = M.CAPS_FLAG_MODEL_SPEC | M.CAPS_FLAG_CHECKPOINT_MSGS | M.CAPS_FLAG_MODEL_INSTALL | CAPS_FLAG_PIPELINE |
      (this.opts.checkpoints !== undefined ? M.CAPS_FLAG_CHECKPOINTS_ON : 0);
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

  private xView(byteOffset: number, length: number): Float32Array {
    const keys = this.xKeys;
    for (let i = 0; i < VIEW_CACHE; i++) if (keys[i] === byteOffset && this.xViews[i].length === length) return this.xViews[i];
    const i = this.xNext;
    this.xNext = i + 1 === VIEW_CACHE ? 0 : i + 1;
    keys[i] = byteOffset;
    this.viewAllocations++;
    return (this.xViews[i] = new Float32Array(this.rxBuffer, byteOffset, length));
  }

  private yView(byteOffset: number, length: number): Uint8Array {
    const keys = this.yKeys;
    for (let i = 0; i < VIEW_CACHE; i++) if (keys[i] === byteOffset && this.yViews[i].length === length) return this.yViews[i];
    const i = this.yNext;
    this.yNext = i + 1 === VIEW_CACHE ? 0 : i + 1;
    keys[i] = byteOffset;
    this.viewAllocations++;
    return (this.yViews[i] = new Uint8Array(this.rxBuffer, byteOffset, length));
  }

  private log(text: string): void {
    const log = this.opts.log;
    if (log !== undefined) log(text);
  }
}

/** dst[i] = src[i] for every i of src (same backend: the values are copied as they are). */
function copy(src: ArrayLike<number>, dst: { [i: number]: number }, from: number): void {
  for (let i = from; i < src.length; i++) dst[i] = src[i];
}

/** CONFIG repeats the model's current settings. */
function sameSettings(r: ResolvedSpec, c: M.Config): boolean {
  if (r.learningRate !== c.learningRate || r.weightDecay !== c.weightDecay || r.clipNorm !== c.gradClip) return false;
  if (c.optimizer === M.OPT_MOMENTUM && r.momentum !== c.beta1) return false;
  if (c.optimizer === M.OPT_ADAM && (r.beta1 !== c.beta1 || r.beta2 !== c.beta2 || r.epsilon !== c.epsilon)) return false;
  return true;
}

/** The spec with CONFIG's settings and `frozen` layers (schedule, seed and shapes unchanged). */
function specWithSettings(spec: ModelSpec, c: M.Config, frozen: number): ModelSpec {
  const optimizer: OptimizerSpec = { ...spec.optimizer, learningRate: c.learningRate, weightDecay: c.weightDecay, clipNorm: c.gradClip };
  if (c.optimizer === M.OPT_MOMENTUM) optimizer.momentum = c.beta1;
  if (c.optimizer === M.OPT_ADAM) {
    optimizer.beta1 = c.beta1;
    optimizer.beta2 = c.beta2;
    optimizer.epsilon = c.epsilon;
  }
  return { ...spec, optimizer, frozen };
}
