// PIPELINE_PUT / PIPELINE_GET on the board (docs/protocol.md, "Pipeline and sensor"): the model's input
// pipeline (a .tpm PIPELINE section payload) arrives and leaves in frame-sized chunks. The last PUT chunk
// decodes it and hands it to the model service, which installs and checkpoints it.
import { decodePipeline } from "../modelfile/pipeline-section";
import type { PipelineSpec } from "../features/spec";
import { PAYLOAD_OFFSET } from "../protocol/frame";
import * as M from "../protocol/messages";
import * as S from "../protocol/sensor";
import type { ModelService } from "./model-service";

/** Where PIPELINE answers go (the transport). */
export interface PipelineReplies {
  readonly view: DataView;
  readonly payloadCap: number;
  sendSequenced(type: number, plen: number): void;
}

/** Largest PIPELINE section accepted (a few hundred features with their normalisation). */
export const MAX_PIPELINE_BYTES = 16384;

export class PipelineTransfer {
  /** The last put() installed a pipeline. */
  installed = false;
  private staging: Uint8Array | null = null;
  private stagedBytes = 0;

  constructor(private readonly models: ModelService, private readonly out: PipelineReplies, private readonly log: (text: string) => void) {}

  /** A new session: a half-sent pipeline is forgotten. */
  reset(): void {
    this.staging = null;
    this.stagedBytes = 0;
  }

  /**
   * total u32, offset u32, bytes: chunks in order from 0; the last one installs the pipeline. Returns an
   * ERR_* code; `installed` is true after the call whose chunk installed a pipeline.
   */
  put(view: DataView, off: number, len: number): number {
    this.installed = false;
    if (len < 8) return M.ERR_BAD_LENGTH;
    const total = view.getUint32(off, true), at = view.getUint32(off + 4, true), n = len - 8;
    if (total < 1 || total > MAX_PIPELINE_BYTES) return M.ERR_TOO_LARGE;
    if (at === 0) {
      this.staging = new Uint8Array(total);
      this.stagedBytes = 0;
    }
    const st = this.staging;
    if (st === null || st.length !== total || at !== this.stagedBytes || at + n > total) return M.ERR_BLOB_RANGE;
    for (let i = 0; i < n; i++) st[at + i] = view.getUint8(off + 8 + i);
    this.stagedBytes += n;
    if (this.stagedBytes < total) return M.ERR_OK;
    this.staging = null;
    let spec: PipelineSpec;
    try {
      spec = decodePipeline(st);
    } catch (e) {
      this.log(String(e));
      return M.ERR_BAD_VALUE;
    }
    const code = this.models.installPipeline(spec);
    if (code === M.ERR_OK) {
      this.installed = true;
      this.log("pipeline installed: " + spec.columns.length + " columns, window " + spec.window);
    }
    return code;
  }

  /** offset u32 -> PIPELINE: total u32, offset u32, as many bytes from `offset` as fit. */
  get(view: DataView, off: number, len: number): number {
    const bytes = this.models.pipelineBytes;
    if (bytes === null) return M.ERR_BAD_STATE;
    const at = len >= 4 ? view.getUint32(off, true) : 0;
    if (at > bytes.length) return M.ERR_BLOB_RANGE;
    let n = bytes.length - at;
    if (n > this.out.payloadCap - 8) n = this.out.payloadCap - 8;
    const v = this.out.view;
    v.setUint32(PAYLOAD_OFFSET, bytes.length, true);
    v.setUint32(PAYLOAD_OFFSET + 4, at, true);
    for (let i = 0; i < n; i++) v.setUint8(PAYLOAD_OFFSET + 8 + i, bytes[at + i]);
    this.out.sendSequenced(S.MSG_PIPELINE, 8 + n);
    return M.ERR_OK;
  }
}
