// Training and inference messages: CONFIG (hyperparameters), SAMPLE_BATCH and PREDICT_REQ (a tensor of
// samples, the batch with labels), REPORT (one step's result) and PREDICT_RESULT (scores). Layouts:
// docs/protocol.md section 3; conventions of every codec: messages.ts.

import {
  DTYPE_F32, dtypeSize, ERR_BAD_LABEL, ERR_BAD_LENGTH, ERR_BAD_VALUE, ERR_DTYPE_MISMATCH, ERR_OK, ERR_SHAPE_MISMATCH,
  ERR_TOO_LARGE, MAX_BATCH_ID, MAX_CLASSES, MAX_RANK, OPT_ADAM, OPT_MOMENTUM, OPT_SGD,
} from "./codes.js";
import {
  F32, U16, U32, U8, align4, decodeFixed, hasNonFiniteF32, isUint, layout, readFields, shapeElements, writeFields,
  writeU16s,
} from "./layout.js";
import type { Caps } from "./session-messages.js";

// ---- Payload layouts (offsets relative to the payload start).
export const CONFIG_LR = 0, CONFIG_BATCH_SIZE = 4, CONFIG_OPTIMIZER = 6, CONFIG_FLAGS = 7;
export const CONFIG_BETA1 = 8, CONFIG_BETA2 = 12, CONFIG_EPSILON = 16, CONFIG_WEIGHT_DECAY = 20;
export const CONFIG_GRAD_CLIP = 24, CONFIG_SIZE = 28;
/** CONFIG flag bit 0: the payload has the 4-byte tail `frozen u16, reserved u16` (CONFIG_SIZE_FROZEN bytes). */
export const CONFIG_FLAG_FROZEN = 1;
export const CONFIG_FROZEN = 28, CONFIG_SIZE_FROZEN = 32;

// Shared by SAMPLE_BATCH and PREDICT_REQ: id, count, dtype, rank, dims.
export const TENSOR_ID = 0, TENSOR_COUNT = 4, TENSOR_DTYPE = 6, TENSOR_RANK = 7, TENSOR_DIMS = 8;
export const TENSOR_HEADER_SIZE = 16; // 14 bytes of fields + 2 reserved
export const BATCH_LABELS = TENSOR_HEADER_SIZE;
export const PREDICT_DATA = TENSOR_HEADER_SIZE;

export const REPORT_STEP = 0, REPORT_BATCH_ID = 4, REPORT_LOSS = 8, REPORT_ACCURACY = 12;
export const REPORT_STEP_MICROS = 16, REPORT_FREE_BYTES = 20, REPORT_SIZE = 24;

export const RESULT_REQUEST_ID = 0, RESULT_COUNT = 4, RESULT_CLASSES = 6, RESULT_SCORES = 8;

// ---- Message objects: allocate once, reuse for every decode.

export class Config {
  learningRate = 0.01; batchSize = 1; optimizer = OPT_SGD; flags = 0; beta1 = 0; beta2 = 0;
  epsilon = 1e-7; weightDecay = 0; gradClip = 0;
  /** Layers to freeze (the first `frozen`); sent only with flag CONFIG_FLAG_FROZEN. */
  frozen = 0;
}

/**
 * SAMPLE_BATCH and PREDICT_REQ. After decoding, offsets are absolute within the view's buffer:
 * labels are bytes [labelsOffset, +count), data starts at dataOffset (aligned to the element size when
 * the payload starts 4-byte aligned, as in FrameDecoder), elementsPerSample elements per sample.
 */
export class TensorMsg {
  id = 0; count = 0; dtype = DTYPE_F32; rank = 1;
  readonly dims: number[] = [1, 0, 0];
  elementsPerSample = 0; labelsOffset = 0; dataOffset = 0; dataBytes = 0;
}

export class Report {
  step = 0; batchId = 0; loss = 0; accuracy = 0; stepMicros = 0; freeBytes = 0;
}

/** Decoded PREDICT_RESULT: count * classes float32 scores at scoresOffset (absolute). */
export class PredictResult { requestId = 0; count = 0; classes = 0; scoresOffset = 0; }

// ---- Field layouts (the reserved bytes between fields are written as 0). These messages cross the link with
// every batch, prediction or configuration, so the side of each codec that the device runs (decoding CONFIG
// and tensors, encoding REPORT and PREDICT_RESULT) is written out field by field, as cheap under XS as
// before the tables (layout.ts); the host's side goes through the tables. Exported for
// test/protocol-fast-paths.test.ts, which holds the written-out side to them.

/** Without the optional `frozen` tail (CONFIG_FLAG_FROZEN). */
export const CONFIG_LAYOUT = layout<Config>(CONFIG_SIZE, [
  [F32, CONFIG_LR, "learningRate"], [U16, CONFIG_BATCH_SIZE, "batchSize"], [U8, CONFIG_OPTIMIZER, "optimizer"],
  [U8, CONFIG_FLAGS, "flags"], [F32, CONFIG_BETA1, "beta1"], [F32, CONFIG_BETA2, "beta2"],
  [F32, CONFIG_EPSILON, "epsilon"], [F32, CONFIG_WEIGHT_DECAY, "weightDecay"], [F32, CONFIG_GRAD_CLIP, "gradClip"],
]);
/** The tensor header; its dims (TENSOR_DIMS, MAX_RANK u16) are an array, followed by 2 reserved bytes. */
export const TENSOR_LAYOUT = layout<TensorMsg>(TENSOR_HEADER_SIZE, [
  [U32, TENSOR_ID, "id"], [U16, TENSOR_COUNT, "count"], [U8, TENSOR_DTYPE, "dtype"], [U8, TENSOR_RANK, "rank"],
]);
export const REPORT_LAYOUT = layout<Report>(REPORT_SIZE, [
  [U32, REPORT_STEP, "step"], [U32, REPORT_BATCH_ID, "batchId"], [F32, REPORT_LOSS, "loss"],
  [F32, REPORT_ACCURACY, "accuracy"], [U32, REPORT_STEP_MICROS, "stepMicros"], [U32, REPORT_FREE_BYTES, "freeBytes"],
]);
/** The scores follow at RESULT_SCORES. */
export const RESULT_LAYOUT = layout<PredictResult>(RESULT_SCORES, [
  [U32, RESULT_REQUEST_ID, "requestId"], [U16, RESULT_COUNT, "count"], [U16, RESULT_CLASSES, "classes"],
]);

function finite(x: number): boolean {
  return Number.isFinite(x);
}

/** [0, 1) */
function unitInterval(x: number): boolean {
  return x >= 0 && x < 1;
}

// ---- CONFIG

function configError(m: Config): number {
  if (!(finite(m.learningRate) && m.learningRate > 0)) return ERR_BAD_VALUE;
  if (!(m.batchSize >= 1 && m.batchSize <= 0xffff && Number.isInteger(m.batchSize))) return ERR_BAD_VALUE;
  if (m.optimizer !== OPT_SGD && m.optimizer !== OPT_MOMENTUM && m.optimizer !== OPT_ADAM) return ERR_BAD_VALUE;
  if (!isUint(m.flags, 0xff)) return ERR_BAD_VALUE;
  if (!unitInterval(m.beta1) || !unitInterval(m.beta2)) return ERR_BAD_VALUE;
  if (!(finite(m.epsilon) && m.epsilon > 0)) return ERR_BAD_VALUE;
  if (!(finite(m.weightDecay) && m.weightDecay >= 0)) return ERR_BAD_VALUE;
  if (!(finite(m.gradClip) && m.gradClip >= 0)) return ERR_BAD_VALUE;
  if ((m.flags & CONFIG_FLAG_FROZEN) !== 0 && !isUint(m.frozen, 0xffff)) return ERR_BAD_VALUE;
  return ERR_OK;
}

/** Payload length of a CONFIG: CONFIG_SIZE, or CONFIG_SIZE_FROZEN with flag CONFIG_FLAG_FROZEN. */
export function configLength(m: Config): number {
  return (m.flags & CONFIG_FLAG_FROZEN) !== 0 ? CONFIG_SIZE_FROZEN : CONFIG_SIZE;
}

export function encodeConfig(view: DataView, off: number, cap: number, m: Config): number {
  const size = configLength(m);
  if (cap < size) return -ERR_TOO_LARGE;
  const err = configError(m);
  if (err !== ERR_OK) return -err;
  writeFields(view, off, CONFIG_LAYOUT, m);
  if (size === CONFIG_SIZE_FROZEN) {
    view.setUint16(off + CONFIG_FROZEN, m.frozen, true);
    view.setUint16(off + CONFIG_FROZEN + 2, 0, true);
  }
  // Rounding to float32 can push a value out of range (beta 0.99999999 -> 1, tiny lr -> 0): re-check.
  return decodeConfig(view, off, size, SCRATCH_CONFIG) === ERR_OK ? size : -ERR_BAD_VALUE;
}
const SCRATCH_CONFIG = new Config();

export function decodeConfig(view: DataView, off: number, len: number, out: Config): number {
  if (len < CONFIG_SIZE) return ERR_BAD_LENGTH;
  out.flags = view.getUint8(off + CONFIG_FLAGS); // says whether the frozen tail follows
  out.learningRate = view.getFloat32(off + CONFIG_LR, true);
  out.batchSize = view.getUint16(off + CONFIG_BATCH_SIZE, true);
  out.optimizer = view.getUint8(off + CONFIG_OPTIMIZER);
  out.beta1 = view.getFloat32(off + CONFIG_BETA1, true);
  out.beta2 = view.getFloat32(off + CONFIG_BETA2, true);
  out.epsilon = view.getFloat32(off + CONFIG_EPSILON, true);
  out.weightDecay = view.getFloat32(off + CONFIG_WEIGHT_DECAY, true);
  out.gradClip = view.getFloat32(off + CONFIG_GRAD_CLIP, true);
  out.frozen = 0;
  if ((out.flags & CONFIG_FLAG_FROZEN) !== 0) {
    if (len < CONFIG_SIZE_FROZEN) return ERR_BAD_LENGTH;
    out.frozen = view.getUint16(off + CONFIG_FROZEN, true);
  }
  return configError(out);
}

// ---- SAMPLE_BATCH and PREDICT_REQ

/** Checks id/count/dtype/shape of `m` and sets elementsPerSample. */
function tensorHeaderError(m: TensorMsg, minId: number, maxId: number): number {
  if (!(isUint(m.id, maxId) && m.id >= minId)) return ERR_BAD_VALUE;
  if (!(isUint(m.count, 0xffff) && m.count >= 1)) return ERR_BAD_VALUE;
  if (dtypeSize(m.dtype) === 0) return ERR_BAD_VALUE;
  m.elementsPerSample = shapeElements(m.rank, m.dims);
  return m.elementsPerSample === 0 ? ERR_SHAPE_MISMATCH : ERR_OK;
}

function readTensor(view: DataView, off: number, len: number, out: TensorMsg, minId: number, maxId: number,
  labelBytes: number): number {
  if (len < TENSOR_HEADER_SIZE) return ERR_BAD_LENGTH;
  out.id = view.getUint32(off + TENSOR_ID, true);
  out.count = view.getUint16(off + TENSOR_COUNT, true);
  out.dtype = view.getUint8(off + TENSOR_DTYPE);
  out.rank = view.getUint8(off + TENSOR_RANK);
  for (let i = 0; i < MAX_RANK; i++) out.dims[i] = view.getUint16(off + TENSOR_DIMS + 2 * i, true);
  out.elementsPerSample = 0;
  out.labelsOffset = off + TENSOR_HEADER_SIZE;
  out.dataOffset = 0;
  out.dataBytes = 0;
  const err = tensorHeaderError(out, minId, maxId);
  if (err !== ERR_OK) return err;
  const dataAt = align4(TENSOR_HEADER_SIZE + labelBytes);
  // Bail out before multiplying counts a liar may have inflated.
  if (dataAt > len || out.elementsPerSample > len) return ERR_BAD_LENGTH;
  const bytes = out.count * out.elementsPerSample * dtypeSize(out.dtype);
  if (bytes !== len - dataAt) return ERR_BAD_LENGTH;
  out.dataOffset = off + dataAt;
  out.dataBytes = bytes;
  if (out.dtype === DTYPE_F32 && hasNonFiniteF32(view, out.dataOffset, bytes >> 2)) return ERR_BAD_VALUE;
  return ERR_OK;
}

/** Payload length a batch or predict request with this header will have (labels: true for a batch). */
export function tensorPayloadLength(m: TensorMsg, labels: boolean): number {
  if (tensorHeaderError(m, 0, 0xffffffff) !== ERR_OK) return -1;
  return align4(TENSOR_HEADER_SIZE + (labels ? m.count : 0)) + m.count * m.elementsPerSample * dtypeSize(m.dtype);
}

function writeTensor(view: DataView, off: number, cap: number, m: TensorMsg, minId: number, maxId: number,
  labels: ArrayLike<number> | null, data: Uint8Array): number {
  const err = tensorHeaderError(m, minId, maxId);
  if (err !== ERR_OK) return -err;
  const labelBytes = labels === null ? 0 : m.count;
  if (labels !== null && labels.length !== m.count) return -ERR_BAD_LENGTH;
  const dataAt = align4(TENSOR_HEADER_SIZE + labelBytes);
  const bytes = m.count * m.elementsPerSample * dtypeSize(m.dtype);
  if (data.length !== bytes) return -ERR_BAD_LENGTH;
  if (dataAt + bytes > cap) return -ERR_TOO_LARGE;
  writeFields(view, off, TENSOR_LAYOUT, m);
  writeU16s(view, off + TENSOR_DIMS, MAX_RANK, m.dims);
  for (let i = 0; i < labelBytes; i++) {
    const l = (labels as ArrayLike<number>)[i];
    if (!isUint(l, MAX_CLASSES - 1)) return -ERR_BAD_LABEL;
    view.setUint8(off + TENSOR_HEADER_SIZE + i, l);
  }
  for (let i = TENSOR_HEADER_SIZE + labelBytes; i < dataAt; i++) view.setUint8(off + i, 0);
  for (let i = 0; i < bytes; i++) view.setUint8(off + dataAt + i, data[i]);
  if (m.dtype === DTYPE_F32 && hasNonFiniteF32(view, off + dataAt, bytes >> 2)) return -ERR_BAD_VALUE;
  return dataAt + bytes;
}

/**
 * SAMPLE_BATCH. `data` holds count * elementsPerSample elements as little-endian bytes (on a
 * little-endian host: new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength)).
 */
export function encodeSampleBatch(view: DataView, off: number, cap: number, m: TensorMsg,
  labels: ArrayLike<number>, data: Uint8Array): number {
  return writeTensor(view, off, cap, m, 1, MAX_BATCH_ID, labels, data);
}

/**
 * SAMPLE_BATCH: checks the payload's own consistency (the id is 1..MAX_BATCH_ID: a batch 2^32 - 1 would leave
 * no next id); checkTensorForModel() checks it against CAPS.
 */
export function decodeSampleBatch(view: DataView, off: number, len: number, out: TensorMsg): number {
  if (len < TENSOR_HEADER_SIZE) return ERR_BAD_LENGTH;
  return readTensor(view, off, len, out, 1, MAX_BATCH_ID, view.getUint16(off + TENSOR_COUNT, true));
}

export function encodePredictRequest(view: DataView, off: number, cap: number, m: TensorMsg,
  data: Uint8Array): number {
  return writeTensor(view, off, cap, m, 0, 0xffffffff, null, data);
}

export function decodePredictRequest(view: DataView, off: number, len: number, out: TensorMsg): number {
  return readTensor(view, off, len, out, 0, 0xffffffff, 0);
}

/** A decoded batch or predict request (labels: true for a batch) against the device's model. */
export function checkTensorForModel(view: DataView, m: TensorMsg, caps: Caps, labels: boolean): number {
  if (m.dtype !== caps.inputDtype) return ERR_DTYPE_MISMATCH;
  if (m.rank !== caps.inputRank || m.dims[0] !== caps.inputDims[0] || m.dims[1] !== caps.inputDims[1] ||
    m.dims[2] !== caps.inputDims[2]) return ERR_SHAPE_MISMATCH;
  if (labels) {
    for (let i = 0; i < m.count; i++) if (view.getUint8(m.labelsOffset + i) >= caps.classes) return ERR_BAD_LABEL;
  }
  return ERR_OK;
}

// ---- REPORT

function reportError(m: Report): number {
  if (!isUint(m.step, 0xffffffff) || !isUint(m.batchId, 0xffffffff) || !isUint(m.stepMicros, 0xffffffff) ||
    !isUint(m.freeBytes, 0xffffffff)) return ERR_BAD_VALUE;
  // Loss may be NaN/Inf (a diverged run must be reportable); accuracy is a fraction.
  if (!(m.accuracy >= 0 && m.accuracy <= 1)) return ERR_BAD_VALUE;
  return ERR_OK;
}

export function encodeReport(view: DataView, off: number, cap: number, m: Report): number {
  if (cap < REPORT_SIZE) return -ERR_TOO_LARGE;
  const err = reportError(m);
  if (err !== ERR_OK) return -err;
  view.setUint32(off + REPORT_STEP, m.step, true);
  view.setUint32(off + REPORT_BATCH_ID, m.batchId, true);
  view.setFloat32(off + REPORT_LOSS, m.loss, true);
  view.setFloat32(off + REPORT_ACCURACY, m.accuracy, true);
  view.setUint32(off + REPORT_STEP_MICROS, m.stepMicros, true);
  view.setUint32(off + REPORT_FREE_BYTES, m.freeBytes, true);
  return REPORT_SIZE;
}

export function decodeReport(view: DataView, off: number, len: number, out: Report): number {
  const err = decodeFixed(view, off, len, REPORT_LAYOUT, out);
  return err !== ERR_OK ? err : reportError(out);
}

// ---- PREDICT_RESULT

/** `scores`: count * classes values, sample-major; all must be finite. */
export function encodePredictResult(view: DataView, off: number, cap: number, m: PredictResult,
  scores: ArrayLike<number>): number {
  if (!isUint(m.requestId, 0xffffffff) || !isUint(m.count, 0xffff) || m.count < 1 ||
    !(m.classes >= 1 && m.classes <= MAX_CLASSES && Number.isInteger(m.classes))) return -ERR_BAD_VALUE;
  const n = m.count * m.classes;
  if (scores.length !== n) return -ERR_BAD_LENGTH;
  if (RESULT_SCORES + 4 * n > cap) return -ERR_TOO_LARGE;
  for (let i = 0; i < n; i++) if (!finite(scores[i])) return -ERR_BAD_VALUE;
  view.setUint32(off + RESULT_REQUEST_ID, m.requestId, true);
  view.setUint16(off + RESULT_COUNT, m.count, true);
  view.setUint16(off + RESULT_CLASSES, m.classes, true);
  for (let i = 0; i < n; i++) view.setFloat32(off + RESULT_SCORES + 4 * i, scores[i], true);
  // A finite double can overflow float32 to Infinity.
  if (hasNonFiniteF32(view, off + RESULT_SCORES, n)) return -ERR_BAD_VALUE;
  return RESULT_SCORES + 4 * n;
}

export function decodePredictResult(view: DataView, off: number, len: number, out: PredictResult): number {
  if (len < RESULT_SCORES) return ERR_BAD_LENGTH;
  readFields(view, off, RESULT_LAYOUT, out);
  out.scoresOffset = off + RESULT_SCORES;
  if (out.count < 1 || out.classes < 1 || out.classes > MAX_CLASSES) return ERR_BAD_VALUE;
  if (out.count > len || RESULT_SCORES + 4 * out.count * out.classes !== len) return ERR_BAD_LENGTH;
  if (hasNonFiniteF32(view, out.scoresOffset, out.count * out.classes)) return ERR_BAD_VALUE;
  return ERR_OK;
}
