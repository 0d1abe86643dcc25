// WEIGHTS_GET / WEIGHTS_PUT / WEIGHTS_COMMIT on the device (docs/protocol.md section 3, "Weights").
// GET snapshots the model into a staging buffer at offset 0 and serves chunks of that snapshot; PUT fills
// the staging buffer without holes; COMMIT checks the whole-blob CRC and the contents before copying into
// the model, so the model is never half written. One staging buffer, the size of the blob, serves both.
import { PAYLOAD_OFFSET } from "../protocol/frame";
import { crc32Update, CRC32_INIT } from "../util/crc32";
import * as M from "../protocol/messages";
import type { WeightsBlob } from "./weights-blob";

/** How a message handler answers (implemented by DeviceTransport). */
export interface Replies {
  /** Reply payloads are written here from PAYLOAD_OFFSET, at most payloadCap bytes. */
  readonly view: DataView;
  readonly payloadCap: number;
  sendSequenced(type: number, plen: number): void;
  sendError(code: number, refSeq: number, refType: number, detail: number): void;
}

const STAGE_NONE = 0, STAGE_SNAPSHOT = 1, STAGE_PUT = 2;

export class WeightsTransfer {
  private blob: WeightsBlob;
  private staging: Uint8Array;
  private stagingView: DataView;
  private mode = STAGE_NONE;
  private snapshotCrc = 0;
  private snapshotBatchId = 0;
  private putFilled = 0;
  private readonly wget = new M.WeightsGet();
  private readonly chunk = new M.WeightsChunk();
  private readonly commitMsg = new M.WeightsCommit();

  constructor(blob: WeightsBlob) {
    this.blob = blob;
    this.staging = new Uint8Array(blob.byteLength);
    this.stagingView = new DataView(this.staging.buffer);
  }

  /** A replacement is half staged: the model must not be trained on, read or rebuilt meanwhile. */
  get putInProgress(): boolean {
    return this.mode === STAGE_PUT;
  }

  /** Forget any snapshot or half-staged PUT (a new session, or a model whose weights changed shape). */
  reset(): void {
    this.mode = STAGE_NONE;
  }

  /**
   * The model was replaced by one with the same weights and this blob. A staged blob of the same size
   * stays (the caller resets when the layout changed).
   */
  rebind(blob: WeightsBlob): void {
    if (blob.byteLength !== this.blob.byteLength) {
      this.staging = new Uint8Array(blob.byteLength);
      this.stagingView = new DataView(this.staging.buffer);
      this.mode = STAGE_NONE;
    }
    this.blob = blob;
  }

  /** WEIGHTS_GET: answers WEIGHTS_DATA (possibly shorter than asked). Returns an ERR_* code. */
  get(view: DataView, off: number, len: number, lastCommittedBatchId: number, out: Replies): number {
    const g = this.wget;
    const code = M.decodeWeightsGet(view, off, len, g);
    if (code !== M.ERR_OK) return code;
    const total = this.blob.byteLength;
    if (g.offset === 0) {
      this.blob.write(this.staging, this.stagingView);
      this.snapshotCrc = ~crc32Update(CRC32_INIT, this.staging, 0, total) >>> 0;
      this.snapshotBatchId = lastCommittedBatchId;
      this.mode = STAGE_SNAPSHOT;
    } else if (this.mode !== STAGE_SNAPSHOT) {
      return M.ERR_BAD_STATE;
    }
    if (g.offset > total) return M.ERR_BLOB_RANGE;
    let n = g.length;
    if (n > total - g.offset) n = total - g.offset;
    const cap = out.payloadCap;
    const room = cap - M.WDATA_BYTES;
    if (n > room) n = room; // a short chunk: the host continues at offset + the length it got
    const c = this.chunk;
    c.offset = g.offset;
    c.total = total;
    c.blobCrc = this.snapshotCrc;
    c.batchId = this.snapshotBatchId;
    const plen = M.encodeWeightsData(out.view, PAYLOAD_OFFSET, cap, c, this.staging, g.offset, n);
    if (plen < 0) return -plen;
    out.sendSequenced(M.MSG_WEIGHTS_DATA, plen);
    return M.ERR_OK;
  }

  /** WEIGHTS_PUT: stages one chunk (answered only when refused). */
  put(view: DataView, off: number, len: number): number {
    const c = this.chunk;
    const code = M.decodeWeightsPut(view, off, len, c);
    if (code !== M.ERR_OK) return code;
    if (c.total !== this.blob.byteLength) return M.ERR_BLOB_RANGE;
    if (this.mode !== STAGE_PUT) {
      if (c.offset !== 0) return M.ERR_BLOB_RANGE;
      this.mode = STAGE_PUT;
      this.putFilled = 0;
    }
    const filled = stageChunk(c, view, this.staging, this.putFilled);
    if (filled < 0) return M.ERR_BLOB_RANGE;
    this.putFilled = filled;
    return M.ERR_OK;
  }

  /**
   * WEIGHTS_COMMIT: checks the staged blob and loads it into the model. Returns an ERR_* code; on success
   * `committedBatchId` is the batch id the new weights reflect.
   */
  commit(view: DataView, off: number, len: number): number {
    const m = this.commitMsg;
    const code = M.decodeWeightsCommit(view, off, len, m);
    if (code !== M.ERR_OK) return code;
    if (this.mode !== STAGE_PUT) return M.ERR_BAD_STATE;
    this.mode = STAGE_NONE;
    const staged = checkStaged(m, this.staging, this.blob.byteLength, this.putFilled);
    if (staged !== M.ERR_OK) return staged;
    if (!this.blob.check(this.stagingView)) return M.ERR_BAD_VALUE;
    this.blob.read(this.staging, this.stagingView);
    return M.ERR_OK;
  }

  /** Batch id of the last successful commit's message. */
  get committedBatchId(): number {
    return this.commitMsg.batchId;
  }
}

/**
 * Copies a WEIGHTS_PUT / MODEL_PUT chunk into `dst` at its offset. Chunks may repeat (a resend) but not skip
 * ahead: returns the new fill mark, or -1 for a chunk past `filled` (a hole would stay unwritten).
 */
export function stageChunk(c: M.WeightsChunk, view: DataView, dst: Uint8Array, filled: number): number {
  if (c.offset > filled) return -1;
  for (let i = 0; i < c.dataLength; i++) dst[c.offset + i] = view.getUint8(c.dataOffset + i);
  return c.offset + c.dataLength > filled ? c.offset + c.dataLength : filled;
}

/** A COMMIT's checks of what was staged: the host's length, all of it filled, its CRC. Returns an ERR_* code. */
export function checkStaged(m: M.WeightsCommit, staged: Uint8Array, length: number, filled: number): number {
  if (m.total !== length || filled !== length) return M.ERR_BLOB_RANGE;
  const crc = ~crc32Update(CRC32_INIT, staged, 0, length) >>> 0;
  return crc === m.blobCrc ? M.ERR_OK : M.ERR_BLOB_CRC;
}
