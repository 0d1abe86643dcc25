// Message types and payload codecs. Layouts: docs/protocol.md, section 3.
//
// Every codec works on a DataView at explicit offsets and never throws or allocates:
//  - decodeX(view, off, len, out) fills the caller-owned `out` and returns ERR_OK or an ERR_* code;
//  - encodeX(view, off, cap, msg, ...) writes at most `cap` bytes and returns the payload length, or
//    -ERR_* (negative) when the message is invalid or does not fit.
// The validation is the same on both sides, so a host cannot send what the device would refuse.
// Fixed-layout payloads may be longer than their layout (fields appended by later minor versions).
// Over 400 lines: the layout constants and the encode/decode pair of every message, kept together so that
// each pair can be read against docs/protocol.md section 3; split by message group when it grows further.

import { FRAME_OVERHEAD, MAX_FRAME, PROTOCOL_VERSION } from "./frame.js";

// ---- Message types (header byte 1). 0 is never valid.
export const MSG_HELLO = 0x01;
export const MSG_CAPS = 0x02;
export const MSG_ACK = 0x03;
export const MSG_PING = 0x04;
export const MSG_PONG = 0x05;
export const MSG_ERROR = 0x06;
export const MSG_LOG = 0x07;
export const MSG_CONFIG = 0x10;
export const MSG_SAMPLE_BATCH = 0x11;
export const MSG_REPORT = 0x12;
export const MSG_PREDICT_REQ = 0x13;
export const MSG_PREDICT_RESULT = 0x14;
export const MSG_WEIGHTS_GET = 0x20;
export const MSG_WEIGHTS_DATA = 0x21;
export const MSG_WEIGHTS_PUT = 0x22;
export const MSG_WEIGHTS_COMMIT = 0x23;
/** Model spec request (H->D, empty payload) and answer (D->H): docs/protocol.md, "MODEL_SPEC". */
export const MSG_MODEL_SPEC_GET = 0x24;
export const MSG_MODEL_SPEC = 0x25;
/** Checkpoint state request (H->D, empty), forced save (H->D, empty) and the answer to both (D->H). */
export const MSG_CHECKPOINT_GET = 0x26;
export const MSG_CHECKPOINT_SAVE = 0x27;
export const MSG_CHECKPOINT_STATE = 0x28;
/**
 * Whole-model transfer (docs/protocol.md, "Installing a model"): MODEL_PUT chunks of a .tpm file (the
 * WEIGHTS_PUT layout), MODEL_COMMIT (the WEIGHTS_COMMIT layout) installs it, MODEL_GET (the WEIGHTS_GET
 * layout) reads the current model as a .tpm in MODEL_DATA chunks (the WEIGHTS_DATA layout).
 */
export const MSG_MODEL_PUT = 0x29;
export const MSG_MODEL_COMMIT = 0x2a;
export const MSG_MODEL_GET = 0x2b;
export const MSG_MODEL_DATA = 0x2c;

/** Sequenced types consume a sequence number and are retransmitted until acked (go-back-N). */
export function isSequenced(type: number): boolean {
  return type === MSG_ERROR || (type >= MSG_CONFIG && type <= MSG_PREDICT_RESULT) ||
    (type >= MSG_WEIGHTS_GET && type <= MSG_MODEL_DATA) ||
    (type >= 0x30 && type <= 0x35); // 0x30..0x35: sensor.ts
}

// ---- Error codes (ERROR message and codec results).
export const ERR_OK = 0;
export const ERR_UNKNOWN_TYPE = 1;
export const ERR_BAD_LENGTH = 2;
export const ERR_BAD_VALUE = 3;
export const ERR_DTYPE_MISMATCH = 4;
export const ERR_SHAPE_MISMATCH = 5;
export const ERR_BAD_LABEL = 6;
export const ERR_BATCH_DUPLICATE = 7;
export const ERR_BATCH_GAP = 8;
export const ERR_BAD_STATE = 9;
export const ERR_BLOB_RANGE = 10;
export const ERR_BLOB_CRC = 11;
export const ERR_NO_MEMORY = 12;
export const ERR_UNSUPPORTED_VERSION = 13;
export const ERR_TOO_LARGE = 14;
/** A model (MODEL_PUT/COMMIT) needs more memory than the board's model budget; detail: the bytes it needs. */
export const ERR_OVER_BUDGET = 15;

// ---- Element types.
export const DTYPE_F32 = 1;
export const DTYPE_I16 = 2;
export const DTYPE_I8 = 3;
export const DTYPE_U8 = 4;

/** Bytes per element, or 0 for an unknown dtype. */
export function dtypeSize(dtype: number): number {
  switch (dtype) {
    case DTYPE_F32: return 4;
    case DTYPE_I16: return 2;
    case DTYPE_I8: case DTYPE_U8: return 1;
    default: return 0;
  }
}

// ---- Optimizers (CONFIG).
export const OPT_SGD = 0;
export const OPT_MOMENTUM = 1;
export const OPT_ADAM = 2;

// ---- ACK flags.
export const ACK_GAP = 1; // receiver saw a frame after a missing one: resend from ack + 1
export const ACK_PAUSE = 2; // device withdraws credit: host stops and confirms
export const ACK_PAUSE_CONFIRM = 4; // host stopped; nothing it sent earlier is still in flight after this
/** ACK window value meaning "no limit" (sent by the host). */
export const CREDIT_UNLIMITED = 0xffff;
/** Device FIFO bytes that credit may leave outstanding while the device is not reading. */
export const RX_FIFO_BYTES = 128;
export const RX_SAFE = 112;

/** Smallest receive limit a side may announce: CAPS with 16 layers must fit. */
export const MIN_FRAME_LIMIT = 128;
export const MAX_LAYERS = 16;
export const MAX_RANK = 3;
export const MAX_CLASSES = 256;

// ---- Payload layouts (offsets relative to the payload start).
export const HELLO_MAJOR = 0, HELLO_MINOR = 1, HELLO_FLAGS = 2, HELLO_NONCE = 4, HELLO_MAX_FRAME = 8;
export const HELLO_SIZE = 12;

export const CAPS_MAJOR = 0, CAPS_MINOR = 1, CAPS_FLAGS = 2, CAPS_BOOT_NONCE = 4, CAPS_HOST_NONCE = 8;
export const CAPS_MAX_FRAME = 12, CAPS_RX_WINDOW = 14, CAPS_LAST_COMMITTED = 16, CAPS_PLAN_BYTES = 20;
export const CAPS_STATE_BYTES = 24, CAPS_INPUT_DTYPE = 28, CAPS_INPUT_RANK = 29, CAPS_CLASSES = 30;
export const CAPS_INPUT_DIMS = 32, CAPS_LAYER_COUNT = 38, CAPS_MODEL_DTYPE = 39, CAPS_LAYERS = 40;

/** ACK: `read` u32 (host byte space), `window` u16, `flags` u8, `token` u8. */
export const ACK_READ = 0, ACK_WINDOW = 4, ACK_FLAGS = 6, ACK_TOKEN = 7, ACK_SIZE = 8;
export const PING_TOKEN = 0, PING_SIZE = 4;
export const PONG_TOKEN = 0, PONG_UPTIME = 4, PONG_SIZE = 8;
export const ERROR_CODE = 0, ERROR_REF_SEQ = 2, ERROR_REF_TYPE = 4, ERROR_DETAIL = 8, ERROR_SIZE = 12;
export const LOG_LEVEL = 0, LOG_TEXT = 2;

export const CONFIG_LR = 0, CONFIG_BATCH_SIZE = 4, CONFIG_OPTIMIZER = 6, CONFIG_FLAGS = 7;
export const CONFIG_BETA1 = 8, CONFIG_BETA2 = 12, CONFIG_EPSILON = 16, CONFIG_WEIGHT_DECAY = 20;
export const CONFIG_GRAD_CLIP = 24, CONFIG_SIZE = 28;
/** CONFIG flag bit 0: the payload has the 4-byte tail `frozen u16, reserved u16` (CONFIG_SIZE_FROZEN bytes). */
export const CONFIG_FLAG_FROZEN = 1;
export const CONFIG_FROZEN = 28, CONFIG_SIZE_FROZEN = 32;
/** CAPS flag bit 0: the device answers MODEL_SPEC_GET and honours CONFIG's frozen field. */
export const CAPS_FLAG_MODEL_SPEC = 1;
/**
 * CAPS flag bit 1: the device's UART has a receive buffer that its interrupt fills while the app is busy,
 * and `rxWindow` fits in it: host rule 2 (RX_SAFE past a frame end) does not apply (docs/protocol.md 5).
 */
export const CAPS_FLAG_RX_BUFFER = 2;
/** CAPS flag bit 2: the device answers CHECKPOINT_GET and CHECKPOINT_SAVE. */
export const CAPS_FLAG_CHECKPOINT_MSGS = 4;
/** CAPS flag bit 3: the device has checkpoint storage (its training survives a power cycle). */
export const CAPS_FLAG_CHECKPOINTS_ON = 8;
/**
 * CAPS flag bit 4: the device installs whole models (MODEL_PUT/COMMIT, MODEL_GET) and its MODEL_SPEC
 * carries the model budget (offset 12) and the free memory (after the SPEC payload).
 */
export const CAPS_FLAG_MODEL_INSTALL = 16;
/**
 * Largest batch id (SAMPLE_BATCH, WEIGHTS_COMMIT, lastCommittedBatchId): 2^32 - 2, so that the next batch
 * id, lastCommittedBatchId + 1, is still a u32. Ids do not wrap around: a run that reaches the limit
 * starts over with WEIGHTS_COMMIT of a smaller id.
 */
export const MAX_BATCH_ID = 0xfffffffe;
/** MODEL_SPEC payload: blob and plan sizes of the current model, then the .tpm SPEC section payload. */
export const MSPEC_STATE_BYTES = 0, MSPEC_PLAN_BYTES = 4, MSPEC_LAST_COMMITTED = 8, MSPEC_BUDGET = 12, MSPEC_SPEC = 16;

// Shared by SAMPLE_BATCH and PREDICT_REQ: id, count, dtype, rank, dims.
export const TENSOR_ID = 0, TENSOR_COUNT = 4, TENSOR_DTYPE = 6, TENSOR_RANK = 7, TENSOR_DIMS = 8;
export const TENSOR_HEADER_SIZE = 16; // 14 bytes of fields + 2 reserved
export const BATCH_LABELS = TENSOR_HEADER_SIZE;
export const PREDICT_DATA = TENSOR_HEADER_SIZE;

export const REPORT_STEP = 0, REPORT_BATCH_ID = 4, REPORT_LOSS = 8, REPORT_ACCURACY = 12;
export const REPORT_STEP_MICROS = 16, REPORT_FREE_BYTES = 20, REPORT_SIZE = 24;

export const RESULT_REQUEST_ID = 0, RESULT_COUNT = 4, RESULT_CLASSES = 6, RESULT_SCORES = 8;

export const WGET_OFFSET = 0, WGET_LENGTH = 4, WGET_SIZE = 8;
export const WDATA_OFFSET = 0, WDATA_TOTAL = 4, WDATA_BLOB_CRC = 8, WDATA_BATCH_ID = 12, WDATA_BYTES = 16;
export const WPUT_OFFSET = 0, WPUT_TOTAL = 4, WPUT_BYTES = 8;
export const WCOMMIT_TOTAL = 0, WCOMMIT_BLOB_CRC = 4, WCOMMIT_BATCH_ID = 8, WCOMMIT_SIZE = 12;
/** CHECKPOINT_STATE: flags u8, reserved u8, every u16, lastCommitted u32, saved u32, partition u32, checkpoint bytes u32, saves u32. */
export const CKPT_FLAGS = 0, CKPT_EVERY = 2, CKPT_LAST_COMMITTED = 4, CKPT_SAVED_BATCH = 8, CKPT_PARTITION_BYTES = 12;
export const CKPT_CHECKPOINT_BYTES = 16, CKPT_SAVES = 20, CKPT_SIZE = 24;
/** CHECKPOINT_STATE flags: storage present; the last save attempt failed; savedBatchId names a checkpoint. */
export const CKPT_ON = 1, CKPT_SAVE_FAILED = 2, CKPT_SAVED = 4;

// ---- Message objects: allocate once, reuse for every decode.

export class Hello {
  major = PROTOCOL_VERSION; minor = 0; flags = 0; hostNonce = 0; maxFrame = MAX_FRAME;
}

export class Caps {
  major = PROTOCOL_VERSION; minor = 0; flags = 0; bootNonce = 0; hostNonce = 0;
  maxFrame = MAX_FRAME; rxWindow = RX_SAFE; lastCommittedBatchId = 0; planBytes = 0; stateBytes = 0;
  inputDtype = DTYPE_F32; inputRank = 1; classes = 1;
  readonly inputDims: number[] = [1, 0, 0];
  layerCount = 1; modelDtype = DTYPE_F32;
  readonly layerSizes: number[] = new Array<number>(MAX_LAYERS).fill(0);
}

export class Ack {
  /** Position in the host's byte space up to which the device has read (u32, wraps; 0 from the host). */
  read = 0;
  /** Bytes beyond `read` the host may write (CREDIT_UNLIMITED from the host). */
  window = 0;
  flags = 0;
  token = 0;
}
export class Ping { token = 0; }
export class Pong { token = 0; uptimeMs = 0; }
export class ErrorMsg { code = 0; refSeq = 0; refType = 0; detail = 0; }
/** Decoded LOG: the text is view bytes [textOffset, textOffset + textLength), UTF-8. */
export class Log { level = 0; textOffset = 0; textLength = 0; }

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

export class WeightsGet { offset = 0; length = 0; }
/** WEIGHTS_DATA and WEIGHTS_PUT; blobCrc/batchId are 0 for PUT. dataOffset is absolute. */
export class WeightsChunk { offset = 0; total = 0; blobCrc = 0; batchId = 0; dataOffset = 0; dataLength = 0; }
export class WeightsCommit { total = 0; blobCrc = 0; batchId = 0; }

/** CHECKPOINT_STATE: whether the board checkpoints, where it stands, and the batch id of its last save. */
export class CheckpointState {
  flags = 0;
  /** Batches between automatic saves (0: only on WEIGHTS_COMMIT and CHECKPOINT_SAVE). */
  every = 0;
  lastCommittedBatchId = 0;
  /** Batch id of the newest checkpoint written or restored since boot (valid with flag CKPT_SAVED). */
  savedBatchId = 0;
  /** Size of the flash partition (0 without one). */
  partitionBytes = 0;
  /** Size of one checkpoint of the current model. */
  checkpointBytes = 0;
  /** Checkpoints written since boot. */
  saves = 0;
}

// ---- Helpers

function isUint(x: number, max: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= max;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** rank 1..3; used dims >= 1; unused dims 0. Returns elements per sample, or 0 if invalid. */
function shapeElements(rank: number, d0: number, d1: number, d2: number): number {
  if (rank < 1 || rank > MAX_RANK) return 0;
  if (d0 < 1 || (rank >= 2 ? d1 < 1 : d1 !== 0) || (rank >= 3 ? d2 < 1 : d2 !== 0)) return 0;
  return d0 * (rank >= 2 ? d1 : 1) * (rank >= 3 ? d2 : 1);
}

/** Any float32 element (little-endian) NaN or +-Infinity? Integer ops only: exponent bits all ones. */
function hasNonFiniteF32(view: DataView, off: number, count: number): boolean {
  for (let i = 0; i < count; i++) {
    if ((view.getInt32(off + 4 * i, true) & 0x7f800000) === 0x7f800000) return true;
  }
  return false;
}

function finite(x: number): boolean {
  return Number.isFinite(x);
}

/** [0, 1) */
function unitInterval(x: number): boolean {
  return x >= 0 && x < 1;
}

// ---- HELLO

export function encodeHello(view: DataView, off: number, cap: number, m: Hello): number {
  if (cap < HELLO_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.minor, 0xff) || !isUint(m.flags, 0xffff) || !isUint(m.hostNonce, 0xffffffff) ||
    !(m.maxFrame >= MIN_FRAME_LIMIT && m.maxFrame <= MAX_FRAME)) return -ERR_BAD_VALUE;
  view.setUint8(off + HELLO_MAJOR, PROTOCOL_VERSION);
  view.setUint8(off + HELLO_MINOR, m.minor);
  view.setUint16(off + HELLO_FLAGS, m.flags, true);
  view.setUint32(off + HELLO_NONCE, m.hostNonce, true);
  view.setUint16(off + HELLO_MAX_FRAME, m.maxFrame > 0xffff ? 0 : m.maxFrame, true);
  view.setUint16(off + HELLO_MAX_FRAME + 2, 0, true);
  return HELLO_SIZE;
}

export function decodeHello(view: DataView, off: number, len: number, out: Hello): number {
  if (len < HELLO_SIZE) return ERR_BAD_LENGTH;
  out.major = view.getUint8(off + HELLO_MAJOR);
  out.minor = view.getUint8(off + HELLO_MINOR);
  out.flags = view.getUint16(off + HELLO_FLAGS, true);
  out.hostNonce = view.getUint32(off + HELLO_NONCE, true);
  const mf = view.getUint16(off + HELLO_MAX_FRAME, true);
  out.maxFrame = mf === 0 ? MAX_FRAME : mf;
  // The limit first: a peer of another version must not open a session in which nothing fits.
  if (out.maxFrame < MIN_FRAME_LIMIT) return ERR_BAD_VALUE;
  if (out.major !== PROTOCOL_VERSION) return ERR_UNSUPPORTED_VERSION;
  return ERR_OK;
}

// ---- CAPS

function capsError(m: Caps): number {
  if (!isUint(m.minor, 0xff) || !isUint(m.flags, 0xffff) || !isUint(m.bootNonce, 0xffffffff) ||
    !isUint(m.hostNonce, 0xffffffff) || !(m.maxFrame >= MIN_FRAME_LIMIT && m.maxFrame <= MAX_FRAME) ||
    !isUint(m.rxWindow, 0xffff) || !isUint(m.lastCommittedBatchId, 0xffffffff) ||
    !isUint(m.planBytes, 0xffffffff) || !isUint(m.stateBytes, 0xffffffff)) return ERR_BAD_VALUE;
  if (dtypeSize(m.inputDtype) === 0 || dtypeSize(m.modelDtype) === 0) return ERR_BAD_VALUE;
  if (!(m.classes >= 1 && m.classes <= MAX_CLASSES)) return ERR_BAD_VALUE;
  const d = m.inputDims;
  if (!isUint(d[0], 0xffff) || !isUint(d[1], 0xffff) || !isUint(d[2], 0xffff) ||
    shapeElements(m.inputRank, d[0], d[1], d[2]) === 0) return ERR_SHAPE_MISMATCH;
  if (!(m.layerCount >= 1 && m.layerCount <= MAX_LAYERS)) return ERR_BAD_VALUE;
  for (let i = 0; i < m.layerCount; i++) if (!(isUint(m.layerSizes[i], 0xffff) && m.layerSizes[i] >= 1)) return ERR_BAD_VALUE;
  return ERR_OK;
}

export function encodeCaps(view: DataView, off: number, cap: number, m: Caps): number {
  const err = capsError(m);
  if (err !== ERR_OK) return -err;
  const size = CAPS_LAYERS + 2 * m.layerCount;
  if (cap < size) return -ERR_TOO_LARGE;
  view.setUint8(off + CAPS_MAJOR, PROTOCOL_VERSION);
  view.setUint8(off + CAPS_MINOR, m.minor);
  view.setUint16(off + CAPS_FLAGS, m.flags, true);
  view.setUint32(off + CAPS_BOOT_NONCE, m.bootNonce, true);
  view.setUint32(off + CAPS_HOST_NONCE, m.hostNonce, true);
  view.setUint16(off + CAPS_MAX_FRAME, m.maxFrame > 0xffff ? 0 : m.maxFrame, true);
  view.setUint16(off + CAPS_RX_WINDOW, m.rxWindow, true);
  view.setUint32(off + CAPS_LAST_COMMITTED, m.lastCommittedBatchId, true);
  view.setUint32(off + CAPS_PLAN_BYTES, m.planBytes, true);
  view.setUint32(off + CAPS_STATE_BYTES, m.stateBytes, true);
  view.setUint8(off + CAPS_INPUT_DTYPE, m.inputDtype);
  view.setUint8(off + CAPS_INPUT_RANK, m.inputRank);
  view.setUint16(off + CAPS_CLASSES, m.classes, true);
  for (let i = 0; i < MAX_RANK; i++) view.setUint16(off + CAPS_INPUT_DIMS + 2 * i, m.inputDims[i], true);
  view.setUint8(off + CAPS_LAYER_COUNT, m.layerCount);
  view.setUint8(off + CAPS_MODEL_DTYPE, m.modelDtype);
  for (let i = 0; i < m.layerCount; i++) view.setUint16(off + CAPS_LAYERS + 2 * i, m.layerSizes[i], true);
  return size;
}

export function decodeCaps(view: DataView, off: number, len: number, out: Caps): number {
  if (len < CAPS_LAYERS) return ERR_BAD_LENGTH;
  out.major = view.getUint8(off + CAPS_MAJOR);
  out.minor = view.getUint8(off + CAPS_MINOR);
  out.flags = view.getUint16(off + CAPS_FLAGS, true);
  out.bootNonce = view.getUint32(off + CAPS_BOOT_NONCE, true);
  out.hostNonce = view.getUint32(off + CAPS_HOST_NONCE, true);
  const mf = view.getUint16(off + CAPS_MAX_FRAME, true);
  out.maxFrame = mf === 0 ? MAX_FRAME : mf;
  out.rxWindow = view.getUint16(off + CAPS_RX_WINDOW, true);
  out.lastCommittedBatchId = view.getUint32(off + CAPS_LAST_COMMITTED, true);
  out.planBytes = view.getUint32(off + CAPS_PLAN_BYTES, true);
  out.stateBytes = view.getUint32(off + CAPS_STATE_BYTES, true);
  out.inputDtype = view.getUint8(off + CAPS_INPUT_DTYPE);
  out.inputRank = view.getUint8(off + CAPS_INPUT_RANK);
  out.classes = view.getUint16(off + CAPS_CLASSES, true);
  for (let i = 0; i < MAX_RANK; i++) out.inputDims[i] = view.getUint16(off + CAPS_INPUT_DIMS + 2 * i, true);
  out.layerCount = view.getUint8(off + CAPS_LAYER_COUNT);
  out.modelDtype = view.getUint8(off + CAPS_MODEL_DTYPE);
  if (out.major !== PROTOCOL_VERSION) return ERR_UNSUPPORTED_VERSION;
  if (out.layerCount < 1 || out.layerCount > MAX_LAYERS) return ERR_BAD_VALUE;
  if (len < CAPS_LAYERS + 2 * out.layerCount) return ERR_BAD_LENGTH;
  for (let i = 0; i < out.layerCount; i++) out.layerSizes[i] = view.getUint16(off + CAPS_LAYERS + 2 * i, true);
  for (let i = out.layerCount; i < MAX_LAYERS; i++) out.layerSizes[i] = 0;
  return capsError(out);
}

// ---- ACK, PING, PONG

export function encodeAck(view: DataView, off: number, cap: number, m: Ack): number {
  if (cap < ACK_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.window, 0xffff) || !isUint(m.flags, 0xff) || !isUint(m.token, 0xff)) return -ERR_BAD_VALUE;
  view.setInt32(off + ACK_READ, m.read | 0, true);
  view.setUint16(off + ACK_WINDOW, m.window, true);
  view.setUint8(off + ACK_FLAGS, m.flags);
  view.setUint8(off + ACK_TOKEN, m.token);
  return ACK_SIZE;
}

export function decodeAck(view: DataView, off: number, len: number, out: Ack): number {
  if (len < ACK_SIZE) return ERR_BAD_LENGTH;
  out.read = view.getInt32(off + ACK_READ, true); // signed: stays an integer in XS; compare modulo 2^32
  out.window = view.getUint16(off + ACK_WINDOW, true);
  out.flags = view.getUint8(off + ACK_FLAGS);
  out.token = view.getUint8(off + ACK_TOKEN);
  return ERR_OK;
}

export function encodePing(view: DataView, off: number, cap: number, m: Ping): number {
  if (cap < PING_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.token, 0xffffffff)) return -ERR_BAD_VALUE;
  view.setUint32(off + PING_TOKEN, m.token, true);
  return PING_SIZE;
}

export function decodePing(view: DataView, off: number, len: number, out: Ping): number {
  if (len < PING_SIZE) return ERR_BAD_LENGTH;
  out.token = view.getUint32(off + PING_TOKEN, true);
  return ERR_OK;
}

export function encodePong(view: DataView, off: number, cap: number, m: Pong): number {
  if (cap < PONG_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.token, 0xffffffff) || !isUint(m.uptimeMs, 0xffffffff)) return -ERR_BAD_VALUE;
  view.setUint32(off + PONG_TOKEN, m.token, true);
  view.setUint32(off + PONG_UPTIME, m.uptimeMs, true);
  return PONG_SIZE;
}

export function decodePong(view: DataView, off: number, len: number, out: Pong): number {
  if (len < PONG_SIZE) return ERR_BAD_LENGTH;
  out.token = view.getUint32(off + PONG_TOKEN, true);
  out.uptimeMs = view.getUint32(off + PONG_UPTIME, true);
  return ERR_OK;
}

// ---- ERROR, LOG

export function encodeError(view: DataView, off: number, cap: number, m: ErrorMsg): number {
  if (cap < ERROR_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.code, 0xffff) || !isUint(m.refSeq, 0xffff) || !isUint(m.refType, 0xff) ||
    !isUint(m.detail, 0xffffffff)) return -ERR_BAD_VALUE;
  view.setUint16(off + ERROR_CODE, m.code, true);
  view.setUint16(off + ERROR_REF_SEQ, m.refSeq, true);
  view.setUint32(off + ERROR_REF_TYPE, m.refType, true); // refType u8 + 3 reserved zero bytes
  view.setUint32(off + ERROR_DETAIL, m.detail, true);
  return ERROR_SIZE;
}

export function decodeError(view: DataView, off: number, len: number, out: ErrorMsg): number {
  if (len < ERROR_SIZE) return ERR_BAD_LENGTH;
  out.code = view.getUint16(off + ERROR_CODE, true);
  out.refSeq = view.getUint16(off + ERROR_REF_SEQ, true);
  out.refType = view.getUint8(off + ERROR_REF_TYPE);
  out.detail = view.getUint32(off + ERROR_DETAIL, true);
  return ERR_OK;
}

/**
 * LOG with `text` encoded as UTF-8 (charCodeAt per character, no TextEncoder and no allocation);
 * text that does not fit is truncated at a character boundary.
 */
export function encodeLog(view: DataView, off: number, cap: number, level: number, text: string): number {
  if (cap < LOG_TEXT) return -ERR_TOO_LARGE;
  if (!isUint(level, 0xff)) return -ERR_BAD_VALUE;
  view.setUint8(off + LOG_LEVEL, level);
  view.setUint8(off + LOG_LEVEL + 1, 0);
  let w = off + LOG_TEXT;
  const end = off + cap;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (w + n > end) break;
    if (n === 1) view.setUint8(w, c);
    else if (n === 2) {
      view.setUint8(w, 0xc0 | (c >> 6));
      view.setUint8(w + 1, 0x80 | (c & 0x3f));
    } else if (n === 3) {
      view.setUint8(w, 0xe0 | (c >> 12));
      view.setUint8(w + 1, 0x80 | ((c >> 6) & 0x3f));
      view.setUint8(w + 2, 0x80 | (c & 0x3f));
    } else {
      view.setUint8(w, 0xf0 | (c >> 18));
      view.setUint8(w + 1, 0x80 | ((c >> 12) & 0x3f));
      view.setUint8(w + 2, 0x80 | ((c >> 6) & 0x3f));
      view.setUint8(w + 3, 0x80 | (c & 0x3f));
    }
    w += n;
  }
  return w - off;
}

export function decodeLog(view: DataView, off: number, len: number, out: Log): number {
  if (len < LOG_TEXT) return ERR_BAD_LENGTH;
  out.level = view.getUint8(off + LOG_LEVEL);
  out.textOffset = off + LOG_TEXT;
  out.textLength = len - LOG_TEXT;
  return ERR_OK;
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
  view.setFloat32(off + CONFIG_LR, m.learningRate, true);
  view.setUint16(off + CONFIG_BATCH_SIZE, m.batchSize, true);
  view.setUint8(off + CONFIG_OPTIMIZER, m.optimizer);
  view.setUint8(off + CONFIG_FLAGS, m.flags);
  view.setFloat32(off + CONFIG_BETA1, m.beta1, true);
  view.setFloat32(off + CONFIG_BETA2, m.beta2, true);
  view.setFloat32(off + CONFIG_EPSILON, m.epsilon, true);
  view.setFloat32(off + CONFIG_WEIGHT_DECAY, m.weightDecay, true);
  view.setFloat32(off + CONFIG_GRAD_CLIP, m.gradClip, true);
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
  out.learningRate = view.getFloat32(off + CONFIG_LR, true);
  out.batchSize = view.getUint16(off + CONFIG_BATCH_SIZE, true);
  out.optimizer = view.getUint8(off + CONFIG_OPTIMIZER);
  out.flags = view.getUint8(off + CONFIG_FLAGS);
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

function writeTensorHeader(view: DataView, off: number, m: TensorMsg): void {
  view.setUint32(off + TENSOR_ID, m.id, true);
  view.setUint16(off + TENSOR_COUNT, m.count, true);
  view.setUint8(off + TENSOR_DTYPE, m.dtype);
  view.setUint8(off + TENSOR_RANK, m.rank);
  for (let i = 0; i < MAX_RANK; i++) view.setUint16(off + TENSOR_DIMS + 2 * i, m.dims[i], true);
  view.setUint16(off + TENSOR_DIMS + 2 * MAX_RANK, 0, true);
}

/** Checks id/count/dtype/shape of `m` and sets elementsPerSample. */
function tensorHeaderError(m: TensorMsg, minId: number, maxId: number): number {
  if (!(isUint(m.id, maxId) && m.id >= minId)) return ERR_BAD_VALUE;
  if (!(isUint(m.count, 0xffff) && m.count >= 1)) return ERR_BAD_VALUE;
  if (dtypeSize(m.dtype) === 0) return ERR_BAD_VALUE;
  const d = m.dims;
  if (!isUint(d[0], 0xffff) || !isUint(d[1], 0xffff) || !isUint(d[2], 0xffff)) return ERR_SHAPE_MISMATCH;
  m.elementsPerSample = shapeElements(m.rank, d[0], d[1], d[2]);
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
  writeTensorHeader(view, off, m);
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
  if (len < REPORT_SIZE) return ERR_BAD_LENGTH;
  out.step = view.getUint32(off + REPORT_STEP, true);
  out.batchId = view.getUint32(off + REPORT_BATCH_ID, true);
  out.loss = view.getFloat32(off + REPORT_LOSS, true);
  out.accuracy = view.getFloat32(off + REPORT_ACCURACY, true);
  out.stepMicros = view.getUint32(off + REPORT_STEP_MICROS, true);
  out.freeBytes = view.getUint32(off + REPORT_FREE_BYTES, true);
  return reportError(out);
}

// ---- PREDICT_RESULT

/** `scores`: count * classes values, sample-major; all must be finite. */
export function encodePredictResult(view: DataView, off: number, cap: number, m: PredictResult,
  scores: ArrayLike<number>): number {
  if (!isUint(m.requestId, 0xffffffff) || !(isUint(m.count, 0xffff) && m.count >= 1) ||
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
  out.requestId = view.getUint32(off + RESULT_REQUEST_ID, true);
  out.count = view.getUint16(off + RESULT_COUNT, true);
  out.classes = view.getUint16(off + RESULT_CLASSES, true);
  out.scoresOffset = off + RESULT_SCORES;
  if (out.count < 1 || out.classes < 1 || out.classes > MAX_CLASSES) return ERR_BAD_VALUE;
  if (out.count > len || RESULT_SCORES + 4 * out.count * out.classes !== len) return ERR_BAD_LENGTH;
  if (hasNonFiniteF32(view, out.scoresOffset, out.count * out.classes)) return ERR_BAD_VALUE;
  return ERR_OK;
}

// ---- WEIGHTS_GET / DATA / PUT / COMMIT

export function encodeWeightsGet(view: DataView, off: number, cap: number, m: WeightsGet): number {
  if (cap < WGET_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.offset, 0xffffffff) || !(isUint(m.length, 0xffff) && m.length >= 1)) return -ERR_BAD_VALUE;
  view.setUint32(off + WGET_OFFSET, m.offset, true);
  view.setUint16(off + WGET_LENGTH, m.length, true);
  view.setUint16(off + WGET_LENGTH + 2, 0, true);
  return WGET_SIZE;
}

export function decodeWeightsGet(view: DataView, off: number, len: number, out: WeightsGet): number {
  if (len < WGET_SIZE) return ERR_BAD_LENGTH;
  out.offset = view.getUint32(off + WGET_OFFSET, true);
  out.length = view.getUint16(off + WGET_LENGTH, true);
  return out.length >= 1 ? ERR_OK : ERR_BAD_VALUE;
}

function chunkError(m: WeightsChunk, n: number): number {
  if (!isUint(m.offset, 0xffffffff) || !isUint(m.total, 0xffffffff) || !isUint(m.blobCrc, 0xffffffff) ||
    !isUint(m.batchId, 0xffffffff)) return ERR_BAD_VALUE;
  return m.offset + n <= m.total ? ERR_OK : ERR_BLOB_RANGE;
}

function writeChunk(view: DataView, off: number, cap: number, headerSize: number, m: WeightsChunk,
  src: Uint8Array, srcStart: number, length: number): number {
  if (!(length >= 0 && srcStart >= 0 && srcStart + length <= src.length)) return -ERR_BAD_LENGTH;
  const err = chunkError(m, length);
  if (err !== ERR_OK) return -err;
  if (headerSize + length > cap) return -ERR_TOO_LARGE;
  for (let i = 0; i < length; i++) view.setUint8(off + headerSize + i, src[srcStart + i]);
  return headerSize + length;
}

/** WEIGHTS_DATA: bytes src[srcStart, srcStart + length) of the blob, at blob offset m.offset. */
export function encodeWeightsData(view: DataView, off: number, cap: number, m: WeightsChunk,
  src: Uint8Array, srcStart: number, length: number): number {
  const n = writeChunk(view, off, cap, WDATA_BYTES, m, src, srcStart, length);
  if (n < 0) return n;
  view.setUint32(off + WDATA_OFFSET, m.offset, true);
  view.setUint32(off + WDATA_TOTAL, m.total, true);
  view.setUint32(off + WDATA_BLOB_CRC, m.blobCrc, true);
  view.setUint32(off + WDATA_BATCH_ID, m.batchId, true);
  return n;
}

export function decodeWeightsData(view: DataView, off: number, len: number, out: WeightsChunk): number {
  if (len < WDATA_BYTES) return ERR_BAD_LENGTH;
  out.offset = view.getUint32(off + WDATA_OFFSET, true);
  out.total = view.getUint32(off + WDATA_TOTAL, true);
  out.blobCrc = view.getUint32(off + WDATA_BLOB_CRC, true);
  out.batchId = view.getUint32(off + WDATA_BATCH_ID, true);
  out.dataOffset = off + WDATA_BYTES;
  out.dataLength = len - WDATA_BYTES;
  return chunkError(out, out.dataLength);
}

/** WEIGHTS_PUT: bytes src[srcStart, srcStart + length) of the blob, at blob offset m.offset. */
export function encodeWeightsPut(view: DataView, off: number, cap: number, m: WeightsChunk,
  src: Uint8Array, srcStart: number, length: number): number {
  const n = writeChunk(view, off, cap, WPUT_BYTES, m, src, srcStart, length);
  if (n < 0) return n;
  view.setUint32(off + WPUT_OFFSET, m.offset, true);
  view.setUint32(off + WPUT_TOTAL, m.total, true);
  return n;
}

export function decodeWeightsPut(view: DataView, off: number, len: number, out: WeightsChunk): number {
  if (len < WPUT_BYTES) return ERR_BAD_LENGTH;
  out.offset = view.getUint32(off + WPUT_OFFSET, true);
  out.total = view.getUint32(off + WPUT_TOTAL, true);
  out.blobCrc = 0;
  out.batchId = 0;
  out.dataOffset = off + WPUT_BYTES;
  out.dataLength = len - WPUT_BYTES;
  return chunkError(out, out.dataLength);
}

export function encodeWeightsCommit(view: DataView, off: number, cap: number, m: WeightsCommit): number {
  if (cap < WCOMMIT_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.total, 0xffffffff) || !isUint(m.blobCrc, 0xffffffff) || !isUint(m.batchId, MAX_BATCH_ID)) {
    return -ERR_BAD_VALUE;
  }
  view.setUint32(off + WCOMMIT_TOTAL, m.total, true);
  view.setUint32(off + WCOMMIT_BLOB_CRC, m.blobCrc, true);
  view.setUint32(off + WCOMMIT_BATCH_ID, m.batchId, true);
  return WCOMMIT_SIZE;
}

export function decodeWeightsCommit(view: DataView, off: number, len: number, out: WeightsCommit): number {
  if (len < WCOMMIT_SIZE) return ERR_BAD_LENGTH;
  out.total = view.getUint32(off + WCOMMIT_TOTAL, true);
  out.blobCrc = view.getUint32(off + WCOMMIT_BLOB_CRC, true);
  out.batchId = view.getUint32(off + WCOMMIT_BATCH_ID, true);
  return out.batchId <= MAX_BATCH_ID ? ERR_OK : ERR_BAD_VALUE;
}

// ---- CHECKPOINT_STATE

export function encodeCheckpointState(view: DataView, off: number, cap: number, m: CheckpointState): number {
  if (cap < CKPT_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.flags, 0xff) || !isUint(m.every, 0xffff) || !isUint(m.lastCommittedBatchId, 0xffffffff) ||
    !isUint(m.savedBatchId, 0xffffffff) || !isUint(m.partitionBytes, 0xffffffff) ||
    !isUint(m.checkpointBytes, 0xffffffff) || !isUint(m.saves, 0xffffffff)) return -ERR_BAD_VALUE;
  view.setUint8(off + CKPT_FLAGS, m.flags);
  view.setUint8(off + CKPT_FLAGS + 1, 0);
  view.setUint16(off + CKPT_EVERY, m.every, true);
  view.setUint32(off + CKPT_LAST_COMMITTED, m.lastCommittedBatchId, true);
  view.setUint32(off + CKPT_SAVED_BATCH, m.savedBatchId, true);
  view.setUint32(off + CKPT_PARTITION_BYTES, m.partitionBytes, true);
  view.setUint32(off + CKPT_CHECKPOINT_BYTES, m.checkpointBytes, true);
  view.setUint32(off + CKPT_SAVES, m.saves, true);
  return CKPT_SIZE;
}

export function decodeCheckpointState(view: DataView, off: number, len: number, out: CheckpointState): number {
  if (len < CKPT_SIZE) return ERR_BAD_LENGTH;
  out.flags = view.getUint8(off + CKPT_FLAGS);
  out.every = view.getUint16(off + CKPT_EVERY, true);
  out.lastCommittedBatchId = view.getUint32(off + CKPT_LAST_COMMITTED, true);
  out.savedBatchId = view.getUint32(off + CKPT_SAVED_BATCH, true);
  out.partitionBytes = view.getUint32(off + CKPT_PARTITION_BYTES, true);
  out.checkpointBytes = view.getUint32(off + CKPT_CHECKPOINT_BYTES, true);
  out.saves = view.getUint32(off + CKPT_SAVES, true);
  return ERR_OK;
}
