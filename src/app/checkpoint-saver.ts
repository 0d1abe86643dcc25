// When the device saves checkpoints and what it says about them (docs/protocol.md section 3): every
// `saveEvery` batches, after a WEIGHTS_COMMIT or an install (the service asks), and on CHECKPOINT_SAVE (the
// end of a run) unless the newest checkpoint already holds these weights; CHECKPOINT_GET/SAVE are answered
// with CHECKPOINT_STATE. The bytes go to a CheckpointSink (src/main.ts wraps checkpoint.ts's store).
import type { DenseModel } from "../engine/model-api";
import { PAYLOAD_OFFSET } from "../protocol/frame";
import * as M from "../protocol/messages";
import type { Replies } from "./weights-transfer";

/** Where checkpoints go (src/main.ts wraps a CheckpointStore on the flash partition). */
export interface CheckpointSink {
  /** Persist the model, the batch id its weights reflect and its PIPELINE payload (null: none). Throws on failure. */
  save(model: DenseModel, lastBatchId: number, pipelineBytes: Uint8Array | null): void;
  /** Size of the storage partition in bytes. */
  readonly partitionBytes: number;
  /** Batch id of the checkpoint restored at boot, or -1 when none was. */
  readonly restoredBatchId: number;
}

export class CheckpointSaver {
  /** Save every this many committed batches (0: never; the service checks it after each batch). */
  readonly saveEvery: number;
  private readonly sink: CheckpointSink | undefined;
  private readonly state = new M.CheckpointState();
  private readonly log: (text: string) => void;

  /** `sink`: absent when the board has no storage (CAPS and CHECKPOINT_STATE say so). */
  constructor(sink: CheckpointSink | undefined, saveEvery: number, log: (text: string) => void) {
    this.sink = sink;
    this.saveEvery = saveEvery;
    this.log = log;
    const st = this.state;
    st.every = saveEvery > 0xffff ? 0xffff : saveEvery;
    if (sink !== undefined) {
      st.flags = M.CKPT_ON;
      st.partitionBytes = sink.partitionBytes >>> 0;
      if (sink.restoredBatchId >= 0) {
        st.flags |= M.CKPT_SAVED;
        st.savedBatchId = sink.restoredBatchId >>> 0;
      }
    }
  }

  /** The board has storage for checkpoints. */
  get enabled(): boolean {
    return this.sink !== undefined;
  }

  /** Save now; a failure is recorded in CHECKPOINT_STATE's flags and logged, never thrown. */
  save(model: DenseModel, lastBatchId: number, pipelineBytes: Uint8Array | null): void {
    const sink = this.sink;
    if (sink === undefined) return;
    const st = this.state;
    try {
      sink.save(model, lastBatchId, pipelineBytes);
      st.flags = (st.flags | M.CKPT_SAVED) & ~M.CKPT_SAVE_FAILED;
      st.savedBatchId = lastBatchId >>> 0;
      st.saves++;
    } catch (e) {
      st.flags |= M.CKPT_SAVE_FAILED;
      this.log("checkpoint save failed");
    }
  }

  /** The newest checkpoint holds the weights of batch `lastBatchId` (CHECKPOINT_SAVE need not save again). */
  holds(lastBatchId: number): boolean {
    return this.state.savedBatchId === lastBatchId && (this.state.flags & M.CKPT_SAVED) !== 0;
  }

  /** The board trained outside the batch sequence (sensor learn mode): the next CHECKPOINT_SAVE saves. */
  trainedOnBoard(): void {
    this.state.flags &= ~M.CKPT_SAVED;
  }

  /**
   * CHECKPOINT_STATE: storage on/off, partition and checkpoint sizes, the batch id of the last save.
   * `checkpointBytes`: the size a checkpoint of the current model has (0 without storage).
   */
  sendState(out: Replies, lastBatchId: number, checkpointBytes: number): number {
    const st = this.state;
    st.lastCommittedBatchId = lastBatchId >>> 0;
    st.checkpointBytes = checkpointBytes;
    const plen = M.encodeCheckpointState(out.view, PAYLOAD_OFFSET, out.payloadCap, st);
    if (plen < 0) return -plen;
    out.sendSequenced(M.MSG_CHECKPOINT_STATE, plen);
    return M.ERR_OK;
  }
}
