// The model service's per-batch path (docs/protocol.md section 3): SAMPLE_BATCH trains, PREDICT_REQ
// classifies, both checked against the model's input shape and classes as CAPS states them.
// - Feature batches are read in place through typed-array views over the frame decoder's buffer, cached by
//   byte offset, so a steady stream of same-shaped batches allocates nothing (test/device-xs-alloc.test.ts).
// - Raw batches (int16, [window rows, columns]) go window by window through the input pipeline
//   (src/features, the host's very code) into one reused input buffer, then train like a feature batch.
// - Raw batches in slices (RAW_SLICE) arrive as rows over several frames and train at their last row.
// The batch order (exactly once), the busy state and checkpoints are the service's (model-service.ts).
import type { DenseModel } from "../engine/model-api";
import { LossCode } from "../engine/codes";
import { argmax } from "../engine/validate";
import type { FeaturePipeline } from "../features/pipeline";
import { PAYLOAD_OFFSET } from "../protocol/frame";
import * as M from "../protocol/messages";
import type { Replies } from "./weights-transfer";

/** Counters of the model service (added to the transport's in one stats object). */
export interface ModelStats {
  reports: number; batchesTrained: number; batchesRefused: number;
}

const VIEW_CACHE = 32;

export class BatchTrainer {
  /** View cache misses (each allocated one typed array). Constant in steady state. */
  viewAllocations = 0;
  /** The model's input shape and classes, as CAPS states them (the service fills it in on each model change). */
  readonly shape = new M.Caps();
  /** Id of the batch the last successful train() trained. */
  lastTrainedId = 0;

  private model: DenseModel;
  private features: FeaturePipeline | null = null;
  private softmax = false;
  private readonly out: Replies;
  private readonly stats: ModelStats;
  private readonly now: () => number;
  /** Free memory for REPORT; absent: unknown (0). */
  private readonly free: (() => number) | undefined;

  // Message objects, reused.
  private readonly tensor = new M.TensorMsg();
  private readonly report = new M.Report();

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
  constructor(model: DenseModel, out: Replies, rxBuffer: ArrayBuffer, stats: ModelStats, now: () => number, freeBytes: (() => number) | undefined) {
    this.model = model;
    this.out = out;
    this.rxBuffer = rxBuffer;
    this.rxF32 = new Float32Array(rxBuffer);
    this.rxI16 = new Int16Array(rxBuffer);
    this.stats = stats;
    this.now = now;
    this.free = freeBytes;
    const emptyF32 = new Float32Array(0), emptyU8 = new Uint8Array(0);
    for (let i = 0; i < VIEW_CACHE; i++) {
      this.xViews.push(emptyF32);
      this.yViews.push(emptyU8);
    }
  }

  /** Train and predict with `model` and `features` from now on (a new model, settings or pipeline). */
  bind(model: DenseModel, features: FeaturePipeline | null): void {
    // Rows assembled for another pipeline or batch size are of no use; new settings (CONFIG) keep them.
    if (features !== this.features || model.batchSize !== this.model.batchSize) this.dropSlices();
    this.model = model;
    this.features = features;
    this.softmax = model.config.loss === LossCode.SoftmaxCE;
    const n = model.batchSize * model.inputs;
    if (features !== null && this.rawX.length !== n) this.rawX = new Float32Array(n);
    if (features !== null && this.sliceLabels.length !== model.batchSize) this.sliceLabels = new Uint8Array(model.batchSize);
  }

  /**
   * SAMPLE_BATCH: trains it if it is batch `lastCommittedBatchId + 1` and nothing is `busy` (weights or a
   * model being uploaded), then sends REPORT. Returns ERR_OK (the batch's id is then `lastTrainedId`) or why not.
   */
  train(view: DataView, off: number, len: number, lastCommittedBatchId: number, busy: boolean): number {
    const t = this.tensor;
    let code = M.decodeSampleBatch(view, off, len, t);
    const raw = code === M.ERR_OK && t.dtype === M.DTYPE_I16 && t.rank === 2;
    if (raw) code = this.checkRawBatch(view, t);
    else if (code === M.ERR_OK) code = M.checkTensorForModel(view, t, this.shape, true);
    if (code === M.ERR_OK && t.count % this.model.batchSize !== 0) code = M.ERR_SHAPE_MISMATCH;
    if (code === M.ERR_OK && busy) code = M.ERR_BAD_STATE;
    if (code === M.ERR_OK) {
      if (t.id <= lastCommittedBatchId) code = M.ERR_BATCH_DUPLICATE;
      else if (t.id !== lastCommittedBatchId + 1) code = M.ERR_BATCH_GAP;
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
    this.trained(t.id, steps, t.count, lossSum, correct, t0);
    return M.ERR_OK;
  }

  /** Batch `id` trained (`steps` steps of `count` samples since `t0`): count it, send its REPORT. */
  private trained(id: number, steps: number, count: number, lossSum: number, correct: number, t0: number): void {
    const elapsed = this.now() - t0;
    this.lastTrainedId = id;
    this.sliceId = 0; // a batch in slices of an older id can no longer complete
    this.stats.batchesTrained++;
    const r = this.report;
    r.step = this.model.step >>> 0;
    r.batchId = id;
    r.loss = lossSum / steps;
    r.accuracy = correct / count;
    let micros = (elapsed * 1000 / steps) | 0;
    if (micros < 0) micros = 0;
    r.stepMicros = micros;
    const free = this.free;
    r.freeBytes = free === undefined ? 0 : free() >>> 0;
    const plen = M.encodeReport(this.out.view, PAYLOAD_OFFSET, this.out.payloadCap, r);
    if (plen >= 0) this.out.sendSequenced(M.MSG_REPORT, plen);
    this.stats.reports++;
  }

  // ---- Raw batches in slices (RAW_SLICE, docs/protocol.md): a batch of the model's batch size in windows,
  // its rows over several frames. Rows go into one window buffer; each complete window becomes model inputs
  // at once (so only one window of rows is held), and the batch trains as one step at its last row.
  // Nothing trains before that, so a batch cut short (reset, new session, refusal) trains nothing.

  private readonly slice = new M.RawSlice();
  /** Id of the batch being assembled (0: none) and the next row of it expected. */
  private sliceId = 0;
  private sliceNext = 0;
  /** The assembled batch's labels (model batch size). */
  private sliceLabels = new Uint8Array(0);
  /** Rows of the window being assembled; allocated at the first slice for a pipeline's window size. */
  private windowBuffer = new Int16Array(0);
  /** The last trainSlice() completed its batch and trained it (its id is then lastTrainedId). */
  sliceTrained = false;

  /** Forget a batch half assembled (a new session, new weights: the host sends it again from row 0). */
  dropSlices(): void {
    this.sliceId = 0;
    this.sliceNext = 0;
  }

  /**
   * RAW_SLICE: checked like a raw SAMPLE_BATCH (id, busy, pipeline shape, labels; `count` must be the model's
   * batch size), and rows must continue the batch being assembled exactly (BLOB_RANGE otherwise, with the
   * same labels: BAD_VALUE); a slice at row 0 starts its batch afresh. A refused slice changes nothing.
   */
  trainSlice(view: DataView, off: number, len: number, lastCommittedBatchId: number, busy: boolean): number {
    this.sliceTrained = false;
    const s = this.slice;
    const model = this.model;
    const pipe = this.features;
    let code = M.decodeRawSlice(view, off, len, s);
    if (code === M.ERR_OK) {
      if (pipe === null) code = M.ERR_BAD_STATE;
      else if (s.windowRows !== pipe.windowRows || s.columns !== pipe.columns || s.count !== model.batchSize) code = M.ERR_SHAPE_MISMATCH;
      else {
        for (let i = 0; i < s.count; i++) {
          if (view.getUint8(s.labelsOffset + i) >= model.outputs) {
            code = M.ERR_BAD_LABEL;
            break;
          }
        }
      }
    }
    if (code === M.ERR_OK && busy) code = M.ERR_BAD_STATE;
    if (code === M.ERR_OK) {
      if (s.batchId <= lastCommittedBatchId) code = M.ERR_BATCH_DUPLICATE;
      else if (s.batchId !== lastCommittedBatchId + 1) code = M.ERR_BATCH_GAP;
    }
    if (code === M.ERR_OK && s.firstRow !== 0) {
      if (s.batchId !== this.sliceId || s.firstRow !== this.sliceNext) code = M.ERR_BLOB_RANGE;
      else {
        for (let i = 0; i < s.count; i++) {
          if (view.getUint8(s.labelsOffset + i) !== this.sliceLabels[i]) {
            code = M.ERR_BAD_VALUE;
            break;
          }
        }
      }
    }
    if (code !== M.ERR_OK || pipe === null) {
      this.stats.batchesRefused++;
      return code;
    }
    const C = pipe.columns, N = pipe.windowRows, inputs = model.inputs;
    if (s.firstRow === 0) {
      this.sliceId = s.batchId;
      this.sliceNext = 0;
      for (let i = 0; i < s.count; i++) this.sliceLabels[i] = view.getUint8(s.labelsOffset + i);
    }
    if (this.windowBuffer.length !== N * C) this.windowBuffer = new Int16Array(N * C);
    const win = this.windowBuffer, rx = this.rxI16;
    let src = s.dataOffset >> 1, left = s.rows;
    const t0 = this.now();
    while (left > 0) {
      const w = (this.sliceNext / N) | 0, row = this.sliceNext - w * N;
      const n = left < N - row ? left : N - row;
      const values = n * C, dst = row * C;
      for (let i = 0; i < values; i++) win[dst + i] = rx[src + i];
      src += values;
      left -= n;
      this.sliceNext += n;
      if (row + n === N) pipe.extractWindow(win, 0, 0, this.rawX, w * inputs);
    }
    if (this.sliceNext < s.count * N) return M.ERR_OK;
    // The batch's last row: its windows' inputs are all in rawX; one step of the model's batch size.
    const y = this.sliceLabels;
    const lossSum = model.trainStep(this.rawX, y);
    let correct = 0;
    if (this.softmax) {
      const Y = model.output, k = model.outputs;
      for (let c = 0; c < s.count; c++) if (argmax(Y, c * k, k) === y[c]) correct++;
    }
    this.trained(s.batchId, 1, s.count, lossSum, correct, t0);
    this.sliceTrained = true;
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

  /** PREDICT_REQ: the model's scores for each sample (non-finite ones sent as 0) in PREDICT_RESULT. */
  predict(view: DataView, off: number, len: number, busy: boolean): number {
    const t = this.tensor;
    let code = M.decodePredictRequest(view, off, len, t);
    if (code === M.ERR_OK) code = M.checkTensorForModel(view, t, this.shape, false);
    if (code !== M.ERR_OK) return code;
    if (busy) return M.ERR_BAD_STATE;
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
}
