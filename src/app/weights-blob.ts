// The device's weights blob (protocol WEIGHTS_GET/PUT, docs/protocol.md section 3): everything needed so
// that a model restored from it continues training bit-identically.
//
// Layout, little-endian (byte copies of the arena on a little-endian CPU, as the ESP32 and x86 are):
//   0  u32  magic 0x31575054 ("TPW1")
//   4  u32  completed optimizer steps (model.step)
//   8  f32  parameters, model.parameters order (W_0 b_0 W_1 b_1 ...)
//   .. f32  optimizer state arrays in plan order (momentum velocity; or Adam m then v), may be empty
// Views over the model's arena are created once here, so write()/read() allocate nothing.
import type { Model } from "../engine/model";

export const BLOB_MAGIC = 0x31575054;
export const BLOB_HEADER = 8;

export class WeightsBlob {
  readonly byteLength: number;
  private readonly model: Model;
  private readonly parts: Uint8Array[];

  constructor(model: Model) {
    this.model = model;
    const plan = model.plan;
    const parts = [new Uint8Array(model.arena, 0, plan.parameterCount * 4)];
    for (const s of plan.optimizerState) parts.push(new Uint8Array(model.arena, s.offset, s.length * 4));
    this.parts = parts;
    let n = BLOB_HEADER;
    for (const p of parts) n += p.length;
    this.byteLength = n;
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
   * Checks a blob in src[0, byteLength) without touching the model: the magic, and that every float is
   * finite (integer test on the exponent bits). Returns true when it can be loaded.
   */
  check(view: DataView): boolean {
    if (view.byteLength < this.byteLength || view.getUint32(0, true) !== BLOB_MAGIC) return false;
    for (let at = BLOB_HEADER; at < this.byteLength; at += 4) {
      if ((view.getInt32(at, true) & 0x7f800000) === 0x7f800000) return false;
    }
    return true;
  }

  /** Loads a blob that passed check() into the model. */
  read(src: Uint8Array, view: DataView): void {
    let at = BLOB_HEADER;
    const parts = this.parts;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      for (let i = 0; i < p.length; i++) p[i] = src[at + i];
      at += p.length;
    }
    const model = this.model;
    const step = view.getUint32(4, true);
    model.step = step;
    // Adam's bias correction keeps beta^t by repeated multiplication (private to the engine); rebuild it
    // the same way so a restored model continues bit-identically.
    const r = model.config;
    const internals = model as unknown as { beta1Power?: number; beta2Power?: number };
    if (typeof internals.beta1Power === "number") {
      let p1 = 1, p2 = 1;
      if (r.optimizer === 2) {
        for (let i = 0; i < step; i++) {
          p1 *= r.beta1;
          p2 *= r.beta2;
        }
      }
      internals.beta1Power = p1;
      internals.beta2Power = p2;
    }
  }
}
