// MODEL_PUT / MODEL_COMMIT / MODEL_GET on the device (docs/protocol.md, "Installing a model"): the whole
// model as .tpm bytes, in the chunk layouts of the weights transfer (weights-transfer.ts), with its rules
// (PUT from offset 0 without holes, a CRC over the whole file at COMMIT, GET snapshots at offset 0).
// The file buffer is allocated when a transfer starts (a PUT is bounded by the model budget before any
// allocation) and reused while the size stays the same. Building and swapping the model is the caller's
// (model-service.ts): this class only stages and serves bytes.
import { PAYLOAD_OFFSET } from "../protocol/frame";
import { crc32Update, CRC32_INIT } from "../util/crc32";
import * as M from "../protocol/messages";
import { checkStaged, stageChunk, type Replies } from "./weights-transfer";

const NONE = 0, SNAPSHOT = 1, PUT = 2;

export class ModelTransfer {
  private file = new Uint8Array(0);
  private mode = NONE;
  /** Bytes of the file (staged, or snapshot). */
  private length = 0;
  private filled = 0;
  private snapshotCrc = 0;
  private snapshotBatchId = 0;
  private readonly wget = new M.WeightsGet();
  private readonly chunk = new M.WeightsChunk();
  private readonly commitMsg = new M.WeightsCommit();
  /** Why the last PUT from offset 0 was refused (0: it was not): COMMIT reports it, `refusedDetail` the size. */
  private refused = 0;
  refusedDetail = 0;

  /** A new model is half staged: the current one must not be trained on or replaced meanwhile. */
  get putInProgress(): boolean {
    return this.mode === PUT;
  }

  reset(): void {
    this.mode = NONE;
  }

  /** Drops the file buffer (after an install, so the old and new models' bytes are not all kept). */
  release(): void {
    this.mode = NONE;
    this.file = new Uint8Array(0);
  }

  private room(n: number): void {
    if (this.file.length !== n) this.file = new Uint8Array(n);
  }

  /**
   * MODEL_GET: at offset 0, `snapshot(buffer)` writes the current model's file into a buffer of `size` bytes;
   * then chunks of it are served as MODEL_DATA. Returns an ERR_* code.
   */
  get(view: DataView, off: number, len: number, size: number, snapshot: (out: Uint8Array) => number,
    batchId: number, out: Replies): number {
    const g = this.wget;
    const code = M.decodeWeightsGet(view, off, len, g);
    if (code !== M.ERR_OK) return code;
    if (g.offset === 0) {
      if (this.mode === PUT) return M.ERR_BAD_STATE;
      this.room(size);
      this.length = snapshot(this.file);
      this.snapshotCrc = ~crc32Update(CRC32_INIT, this.file, 0, this.length) >>> 0;
      this.snapshotBatchId = batchId;
      this.mode = SNAPSHOT;
    } else if (this.mode !== SNAPSHOT) {
      return M.ERR_BAD_STATE;
    }
    const total = this.length;
    if (g.offset > total) return M.ERR_BLOB_RANGE;
    let n = g.length;
    if (n > total - g.offset) n = total - g.offset;
    const room = out.payloadCap - M.WDATA_BYTES;
    if (n > room) n = room;
    const c = this.chunk;
    c.offset = g.offset;
    c.total = total;
    c.blobCrc = this.snapshotCrc;
    c.batchId = this.snapshotBatchId;
    const plen = M.encodeWeightsData(out.view, PAYLOAD_OFFSET, out.payloadCap, c, this.file, g.offset, n);
    if (plen < 0) return -plen;
    out.sendSequenced(M.MSG_MODEL_DATA, plen);
    return M.ERR_OK;
  }

  /**
   * MODEL_PUT: stages one chunk. A file larger than `limit` bytes is refused (OVER_BUDGET) before its buffer
   * is allocated. Returns an ERR_* code; `refusedBytes` then holds the offending size.
   */
  put(view: DataView, off: number, len: number, limit: number): number {
    const c = this.chunk;
    const code = M.decodeWeightsPut(view, off, len, c);
    if (code !== M.ERR_OK) return code;
    if (this.mode !== PUT || c.offset === 0) {
      if (c.offset !== 0) return M.ERR_BLOB_RANGE;
      this.mode = NONE;
      this.refused = M.ERR_OK;
      if (c.total < 16) return M.ERR_BLOB_RANGE;
      if (limit > 0 && c.total > limit) {
        // PUT chunks are answered only when refused, and the host may not match that answer to a chunk it
        // already counts as delivered: the COMMIT repeats the reason.
        this.refused = M.ERR_OVER_BUDGET;
        this.refusedDetail = c.total;
        return M.ERR_OVER_BUDGET;
      }
      this.room(c.total);
      this.mode = PUT;
      this.length = c.total;
      this.filled = 0;
    }
    if (c.total !== this.length) return M.ERR_BLOB_RANGE;
    const filled = stageChunk(c, view, this.file, this.filled);
    if (filled < 0) return M.ERR_BLOB_RANGE;
    this.filled = filled;
    return M.ERR_OK;
  }

  /**
   * MODEL_COMMIT: checks the staged file's length and CRC. Returns an ERR_* code; on OK, `staged` is the
   * file and `committedBatchId` the batch id the host names, and the transfer is idle again.
   */
  commit(view: DataView, off: number, len: number): number {
    const m = this.commitMsg;
    const code = M.decodeWeightsCommit(view, off, len, m);
    if (code !== M.ERR_OK) return code;
    if (this.mode !== PUT) return this.refused !== M.ERR_OK ? this.refused : M.ERR_BAD_STATE;
    this.mode = NONE;
    return checkStaged(m, this.file, this.length, this.filled);
  }

  /** The file of the last successful commit (valid until the next transfer). */
  get staged(): Uint8Array {
    return this.file.subarray(0, this.length);
  }

  get committedBatchId(): number {
    return this.commitMsg.batchId;
  }
}
