// The protocol's numbers: message types (all of them, the sensor family's included, so that isSequenced
// names every sequenced type), error codes, element types, optimizer codes, ACK flags, CAPS flags and the
// limits both sides check. A leaf module: every codec file imports it and it imports nothing.
// Layouts: docs/protocol.md, section 3.

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
/** RAW_SLICE (H->D): rows of a raw batch's windows, for windows longer than the line carries well in one frame. */
export const MSG_RAW_SLICE = 0x15;
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
// Pipeline and sensor family (codecs in sensor.ts): docs/protocol.md section 3, "Pipeline and sensor".
/** PIPELINE_PUT (H->D): a .tpm PIPELINE section payload; answered by ERROR (OK or the refusal). */
export const MSG_PIPELINE_PUT = 0x30;
/** PIPELINE_GET (H->D, empty): answered by PIPELINE, or ERROR BAD_STATE when the board has none. */
export const MSG_PIPELINE_GET = 0x31;
/** PIPELINE (D->H): the board's PIPELINE section payload. */
export const MSG_PIPELINE = 0x32;
/** SENSOR_MODE (H->D): what the board does with its sensor's windows; answered by ERROR. */
export const MSG_SENSOR_MODE = 0x33;
/** SENSOR_WINDOW (D->H): rows of a window the board recorded (a window may take several messages). */
export const MSG_SENSOR_WINDOW = 0x34;
/** SENSOR_RESULT (D->H): one window learned or classified, or a mode that ended. */
export const MSG_SENSOR_RESULT = 0x35;

/** The pipeline and sensor messages (0x30..0x35, all sequenced). */
export function isSensorType(type: number): boolean {
  return type >= MSG_PIPELINE_PUT && type <= MSG_SENSOR_RESULT;
}

/** Sequenced types consume a sequence number and are retransmitted until acked (go-back-N). */
export function isSequenced(type: number): boolean {
  return type === MSG_ERROR || (type >= MSG_CONFIG && type <= MSG_RAW_SLICE) ||
    (type >= MSG_WEIGHTS_GET && type <= MSG_MODEL_DATA) || (type >= MSG_PIPELINE_PUT && type <= MSG_SENSOR_RESULT);
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

/**
 * Largest batch id (SAMPLE_BATCH, WEIGHTS_COMMIT, lastCommittedBatchId): 2^32 - 2, so that the next batch
 * id, lastCommittedBatchId + 1, is still a u32. Ids do not wrap around: a run that reaches the limit
 * starts over with WEIGHTS_COMMIT of a smaller id.
 */
export const MAX_BATCH_ID = 0xfffffffe;

// ---- CAPS flags (what the device supports; CAPS_FLAGS of the CAPS payload).
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
/** CAPS flag bit 5: the board takes PIPELINE_PUT/GET and raw batches. */
export const CAPS_FLAG_PIPELINE = 32;
/** CAPS flag bit 6: the board has a sensor and takes SENSOR_MODE. */
export const CAPS_FLAG_SENSOR = 64;
/** CAPS flag bit 7: the board takes raw batches in slices of rows (RAW_SLICE), not only whole windows. */
export const CAPS_FLAG_RAW_SLICES = 128;
