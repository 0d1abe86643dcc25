// Transfer and storage messages: WEIGHTS_GET / DATA / PUT / COMMIT (the weight blob in chunks; MODEL_GET /
// DATA / PUT / COMMIT reuse these layouts for whole .tpm files), the MODEL_SPEC answer's layout and
// CHECKPOINT_STATE. Layouts: docs/protocol.md section 3; conventions of every codec: messages.ts.

import { ERR_BAD_LENGTH, ERR_BAD_VALUE, ERR_BLOB_RANGE, ERR_OK, ERR_TOO_LARGE, MAX_BATCH_ID } from "./codes.js";
import {
  U16, U32, U8, decodeFixed, fieldsInRange, fixedCodec, layout, readFields, writeFields, type Layout,
} from "./layout.js";

// ---- Payload layouts (offsets relative to the payload start).
export const WGET_OFFSET = 0, WGET_LENGTH = 4, WGET_SIZE = 8;
export const WDATA_OFFSET = 0, WDATA_TOTAL = 4, WDATA_BLOB_CRC = 8, WDATA_BATCH_ID = 12, WDATA_BYTES = 16;
export const WPUT_OFFSET = 0, WPUT_TOTAL = 4, WPUT_BYTES = 8;
export const WCOMMIT_TOTAL = 0, WCOMMIT_BLOB_CRC = 4, WCOMMIT_BATCH_ID = 8, WCOMMIT_SIZE = 12;
/** MODEL_SPEC payload: blob and plan sizes of the current model, then the .tpm SPEC section payload. */
export const MSPEC_STATE_BYTES = 0, MSPEC_PLAN_BYTES = 4, MSPEC_LAST_COMMITTED = 8, MSPEC_BUDGET = 12, MSPEC_SPEC = 16;
/** CHECKPOINT_STATE: flags u8, reserved u8, every u16, lastCommitted u32, saved u32, partition u32, checkpoint bytes u32, saves u32. */
export const CKPT_FLAGS = 0, CKPT_EVERY = 2, CKPT_LAST_COMMITTED = 4, CKPT_SAVED_BATCH = 8, CKPT_PARTITION_BYTES = 12;
export const CKPT_CHECKPOINT_BYTES = 16, CKPT_SAVES = 20, CKPT_SIZE = 24;
/** CHECKPOINT_STATE flags: storage present; the last save attempt failed; savedBatchId names a checkpoint. */
export const CKPT_ON = 1, CKPT_SAVE_FAILED = 2, CKPT_SAVED = 4;

// ---- Message objects: allocate once, reuse for every decode.

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

// ---- Field layouts (the reserved bytes between fields are written as 0).

const WGET = layout<WeightsGet>(WGET_SIZE, [[U32, WGET_OFFSET, "offset"], [U16, WGET_LENGTH, "length"]]);
/** The chunk headers; the chunk's bytes follow. */
const WDATA = layout<WeightsChunk>(WDATA_BYTES, [
  [U32, WDATA_OFFSET, "offset"], [U32, WDATA_TOTAL, "total"], [U32, WDATA_BLOB_CRC, "blobCrc"], [U32, WDATA_BATCH_ID, "batchId"],
]);
const WPUT = layout<WeightsChunk>(WPUT_BYTES, [[U32, WPUT_OFFSET, "offset"], [U32, WPUT_TOTAL, "total"]]);
const WCOMMIT = layout<WeightsCommit>(WCOMMIT_SIZE, [
  [U32, WCOMMIT_TOTAL, "total"], [U32, WCOMMIT_BLOB_CRC, "blobCrc"], [U32, WCOMMIT_BATCH_ID, "batchId"],
]);
const CKPT = layout<CheckpointState>(CKPT_SIZE, [
  [U8, CKPT_FLAGS, "flags"], [U16, CKPT_EVERY, "every"], [U32, CKPT_LAST_COMMITTED, "lastCommittedBatchId"],
  [U32, CKPT_SAVED_BATCH, "savedBatchId"], [U32, CKPT_PARTITION_BYTES, "partitionBytes"],
  [U32, CKPT_CHECKPOINT_BYTES, "checkpointBytes"], [U32, CKPT_SAVES, "saves"],
]);

// ---- WEIGHTS_GET

export function encodeWeightsGet(view: DataView, off: number, cap: number, m: WeightsGet): number {
  if (cap < WGET_SIZE) return -ERR_TOO_LARGE;
  if (!fieldsInRange(WGET, m) || m.length < 1) return -ERR_BAD_VALUE;
  writeFields(view, off, WGET, m);
  return WGET_SIZE;
}

export function decodeWeightsGet(view: DataView, off: number, len: number, out: WeightsGet): number {
  const err = decodeFixed(view, off, len, WGET, out);
  if (err !== ERR_OK) return err;
  return out.length >= 1 ? ERR_OK : ERR_BAD_VALUE;
}

// ---- WEIGHTS_DATA and WEIGHTS_PUT: a header, then `n` bytes of the blob at blob offset m.offset.

/** Every header field (a PUT's blobCrc and batchId included) is a u32, and the chunk ends within the blob. */
function chunkError(m: WeightsChunk, n: number): number {
  if (!fieldsInRange(WDATA, m)) return ERR_BAD_VALUE;
  return m.offset + n <= m.total ? ERR_OK : ERR_BLOB_RANGE;
}

function writeChunk(view: DataView, off: number, cap: number, header: Layout<WeightsChunk>, m: WeightsChunk,
  src: Uint8Array, srcStart: number, length: number): number {
  if (!(length >= 0 && srcStart >= 0 && srcStart + length <= src.length)) return -ERR_BAD_LENGTH;
  const err = chunkError(m, length);
  if (err !== ERR_OK) return -err;
  if (header.size + length > cap) return -ERR_TOO_LARGE;
  writeFields(view, off, header, m);
  for (let i = 0; i < length; i++) view.setUint8(off + header.size + i, src[srcStart + i]);
  return header.size + length;
}

function readChunk(view: DataView, off: number, len: number, header: Layout<WeightsChunk>, out: WeightsChunk): number {
  if (len < header.size) return ERR_BAD_LENGTH;
  out.blobCrc = 0; // a PUT header has neither
  out.batchId = 0;
  readFields(view, off, header, out);
  out.dataOffset = off + header.size;
  out.dataLength = len - header.size;
  return chunkError(out, out.dataLength);
}

/** WEIGHTS_DATA: bytes src[srcStart, srcStart + length) of the blob, at blob offset m.offset. */
export function encodeWeightsData(view: DataView, off: number, cap: number, m: WeightsChunk,
  src: Uint8Array, srcStart: number, length: number): number {
  return writeChunk(view, off, cap, WDATA, m, src, srcStart, length);
}

export function decodeWeightsData(view: DataView, off: number, len: number, out: WeightsChunk): number {
  return readChunk(view, off, len, WDATA, out);
}

/** WEIGHTS_PUT: bytes src[srcStart, srcStart + length) of the blob, at blob offset m.offset. */
export function encodeWeightsPut(view: DataView, off: number, cap: number, m: WeightsChunk,
  src: Uint8Array, srcStart: number, length: number): number {
  return writeChunk(view, off, cap, WPUT, m, src, srcStart, length);
}

export function decodeWeightsPut(view: DataView, off: number, len: number, out: WeightsChunk): number {
  return readChunk(view, off, len, WPUT, out);
}

// ---- WEIGHTS_COMMIT

export function encodeWeightsCommit(view: DataView, off: number, cap: number, m: WeightsCommit): number {
  if (cap < WCOMMIT_SIZE) return -ERR_TOO_LARGE;
  if (!fieldsInRange(WCOMMIT, m) || m.batchId > MAX_BATCH_ID) return -ERR_BAD_VALUE;
  writeFields(view, off, WCOMMIT, m);
  return WCOMMIT_SIZE;
}

export function decodeWeightsCommit(view: DataView, off: number, len: number, out: WeightsCommit): number {
  const err = decodeFixed(view, off, len, WCOMMIT, out);
  if (err !== ERR_OK) return err;
  return out.batchId <= MAX_BATCH_ID ? ERR_OK : ERR_BAD_VALUE;
}

// ---- CHECKPOINT_STATE

export const { encode: encodeCheckpointState, decode: decodeCheckpointState } = fixedCodec(CKPT);
