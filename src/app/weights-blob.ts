// The device's weights blob (protocol WEIGHTS_GET/PUT, docs/protocol.md section 3): everything needed so
// that a model restored from it continues training bit-identically.
//
// Layout, little-endian (byte copies of the arena on a little-endian CPU, as the ESP32 and x86 are):
//   0  u32  magic 0x31575054 ("TPW1")
//   4  u32  completed optimizer steps (model.step)
//   8  ...  parameters, model.parameters order (W_0 b_0 W_1 b_1 ...): f32, or int16 for a fixed-point model
//   .. ...  optimizer state arrays in plan order (momentum velocity; or Adam m then v), same element type
// Views over the model's arena are created once here, so write()/read() allocate nothing.
import type { DenseModel } from "../engine/model-api";
import { Opt } from "../engine/codes";

export const BLOB_MAGIC = 0x31575054;
export const BLOB_HEADER = 8;

export class WeightsBlob {
  readonly byteLength: number;
  private readonly model: DenseModel;
  private readonly parts: Uint8Array[];
  /** Bytes per value: 4 (float32) or 2 (int16). */
  private readonly width: number;
  /** Byte range of Adam's second moment v in the blob (must be >= 0), or 0..0. */
  private readonly adamVFrom: number;
  private readonly adamVTo: number;

  constructor(model: DenseModel) {
    this.model = model;
    const plan = model.plan;
    const width = model.parameters.BYTES_PER_ELEMENT;
    const parts = [new Uint8Array(model.arena, 0, plan.parameterCount * width)];
    for (const s of plan.optimizerState) parts.push(new Uint8Array(model.arena, s.offset, s.length * width));
    this.parts = parts;
    this.width = width;
    let n = BLOB_HEADER;
    for (const p of parts) n += p.length;
    this.byteLength = n;
    const adam = model.config.optimizer === Opt.Adam;
    this.adamVTo = adam ? n : 0;
    this.adamVFrom = adam ? n - parts[2].length : 0;
  }

  /** Serializes the model into dst[0, byteLength). */
  write(dst: Uint8Array, view: DataView): void {
    view.setUint32(0, BLOB_MAGIC, true);
    view.setUint32(4, this.model.step >>> 0, true);
    let at = BLOB_HEADER;
    const parts = this.parts;
    for (let k = 0; k < parts.length; k++) {
      dst.set(parts[k], at);
      at += parts[k].length;
    }
  }

  /**
   * Checks a blob in src[0, byteLength) without touching the model: the magic, and that every value is one
   * the engine accepts: finite floats (integer test on the exponent bits) and Adam's v >= 0, or int16 values
   * other than -32768. Returns true when it can be loaded.
   */
  check(view: DataView): boolean {
    if (view.byteLength < this.byteLength || view.getUint32(0, true) !== BLOB_MAGIC) return false;
    if (this.width === 2) {
      for (let at = BLOB_HEADER; at < this.byteLength; at += 2) if (view.getInt16(at, true) === -32768) return false;
      return true;
    }
    for (let at = BLOB_HEADER; at < this.byteLength; at += 4) {
      if ((view.getInt32(at, true) & 0x7f800000) === 0x7f800000) return false;
    }
    for (let at = this.adamVFrom; at < this.adamVTo; at += 4) if (view.getFloat32(at, true) < 0) return false;
    return true;
  }

  /** Loads a blob that passed check() into the model. Adam's bias correction follows from the step. */
  read(src: Uint8Array, view: DataView): void {
    let at = BLOB_HEADER;
    const parts = this.parts;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      for (let i = 0; i < p.length; i++) p[i] = src[at + i];
      at += p.length;
    }
    this.model.step = view.getUint32(4, true);
    this.model.weightsChanged();
  }
}
