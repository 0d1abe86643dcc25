// Crash-safe checkpoints in flash: two slots written alternately; see docs/model-format.md ("Checkpoints
// on the device"). A power cut at any byte of a save leaves the previous checkpoint usable.
//
// Storage is Moddable's `flash` module (new Flash("partition")): only the members in FlashLike are used,
// so the host simulator's file-backed stand-in (host-sim/sim/flash.ts) and tests can take its place.
import type { DenseModel } from "../engine/model-api";
import { loadInto, modelFileSize } from "../modelfile/format";
import { fileSizeWithSection, saveWithSectionInto } from "../modelfile/pipeline-section";
import { crc32Update, CRC32_INIT } from "../util/crc32";

/** The subset of Moddable's `flash` module (typings: @moddable/typings/flash.d.ts) that checkpoints use. */
export interface FlashLike {
  /** Erase sector (index, not byte offset) to 0xFF. */
  erase(sector: number): void;
  /** Read bytes; returns a new ArrayBuffer. */
  read(offset: number, byteLength: number): ArrayBuffer;
  /** Program bytes (NOR: can only clear bits; erase first). Writes `byteLength` bytes from the start of buffer. */
  write(offset: number, byteLength: number, buffer: ArrayBuffer): void;
  readonly blockSize: number;
  readonly byteLength: number;
}

/** 'T' 'P' 'C' 'K' read as a little-endian u32. */
const SLOT_MAGIC = 0x4b435054;
export const SLOT_HEADER = 20;
/** Bytes per flash read while verifying or loading a slot. */
const CHUNK = 512;

export interface RestoreResult {
  /** The last committed batch id stored with the checkpoint. */
  lastBatchId: number;
  step: number;
  /** Which slot (0 or 1) and its sequence number. */
  slot: number;
  sequence: number;
}

export interface SaveResult {
  slot: number;
  sequence: number;
  bytes: number;
}

/** a is newer than b, with wrap-around u32 sequence numbers. */
function newer(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export class CheckpointStore {
  readonly flash: FlashLike;
  /** Bytes per slot (whole sectors). */
  readonly slotBytes: number;
  /** Reused for every save and restore; allocated at the size of the model's checkpoint. */
  private buffer: Uint8Array | null = null;
  private readonly header = new Uint8Array(SLOT_HEADER);
  private readonly headerView = new DataView(this.header.buffer);
  /** Slot holding the newest valid checkpoint (-1: none) and its sequence; -2 = not scanned yet. */
  private current = -2;
  private sequence = 0;

  constructor(flash: FlashLike) {
    this.flash = flash;
    const sectors = Math.floor(flash.byteLength / flash.blockSize);
    if (sectors < 2) throw new Error(`checkpoint: the flash partition has ${sectors} sector(s), needs at least 2`);
    this.slotBytes = Math.floor(sectors / 2) * flash.blockSize;
  }

  /** Largest checkpoint file that fits in a slot. */
  get capacity(): number {
    return this.slotBytes - SLOT_HEADER;
  }

  /**
   * Save the model (spec, weights, optimizer state, step) with the last committed batch id and its PIPELINE
   * payload (input description and class names; null: none) into the slot that does not hold the newest
   * valid checkpoint. Header written last: it is the commit.
   */
  save(model: DenseModel, lastBatchId: number, pipelineBytes: Uint8Array | null = null): SaveResult {
    const size = fileSizeWithSection(model, { lastBatchId }, pipelineBytes);
    if (size > this.capacity) throw new Error(`checkpoint: the model needs ${size} bytes, a slot holds ${this.capacity}`);
    const buf = this.bufferFor(size);
    saveWithSectionInto(model, buf, { lastBatchId }, pipelineBytes);
    if (this.current === -2) this.scan();
    const slot = this.current === 0 ? 1 : 0;
    const sequence = this.current < 0 ? 1 : (this.sequence + 1) >>> 0;
    const base = slot * this.slotBytes;
    const bs = this.flash.blockSize;
    const first = base / bs, sectors = Math.ceil((SLOT_HEADER + size) / bs);
    // From the first erase until the header is complete this slot is invalid; the other is untouched.
    this.current = -2; // a throw below (power cut, flash error) means: rescan before trusting the cache
    for (let s = 0; s < sectors; s++) this.flash.erase(first + s);
    this.flash.write(base + SLOT_HEADER, size, buf.buffer as ArrayBuffer);
    const v = this.headerView;
    v.setUint32(0, SLOT_MAGIC, true);
    v.setUint32(4, sequence, true);
    v.setUint32(8, size, true);
    v.setInt32(12, ~crc32Update(CRC32_INIT, buf, 0, size), true);
    v.setInt32(16, ~crc32Update(CRC32_INIT, this.header, 0, 16), true);
    this.flash.write(base, SLOT_HEADER, this.header.buffer as ArrayBuffer);
    this.current = slot;
    this.sequence = sequence;
    return { slot, sequence, bytes: size };
  }

  /**
   * Load the newest valid checkpoint into the model (weights, optimizer state, step). Falls back to the
   * other slot if the newest cannot be loaded. Returns null, with the model untouched, when neither can.
   */
  restore(model: DenseModel): RestoreResult | null {
    const a = this.readHeader(0), seqA = this.sequence;
    const b = this.readHeader(1), seqB = this.sequence;
    const order = a >= 0 && (b < 0 || newer(seqA, seqB)) ? [0, 1] : [1, 0];
    const size = modelFileSize(model, { lastBatchId: 0 });
    for (let k = 0; k < 2; k++) {
      const slot = order[k];
      const length = slot === 0 ? a : b;
      if (length !== size) continue; // invalid header, or a checkpoint of another model
      const seq = slot === 0 ? seqA : seqB;
      const buf = this.bufferFor(size);
      if (!this.readPayload(slot, length, buf)) continue;
      try {
        const r = loadInto(model, buf.subarray(0, length), { state: "require" });
        if (r.lastBatchId < 0) continue;
        this.current = slot;
        this.sequence = seq;
        return { lastBatchId: r.lastBatchId, step: r.step, slot, sequence: seq };
      } catch {
        // not loadable into this model: try the other slot
      }
    }
    this.scan();
    return null;
  }

  /**
   * The newest checkpoint whatever its model: each valid slot, newest first, is handed to `open` (which
   * builds a model from the file, e.g. model-install.ts modelFromBytes, and throws when it cannot) until one
   * opens. Returns open's result with the slot's identity, or null. The boot uses it: the checkpoint's spec,
   * not the firmware's, decides the model.
   */
  restoreFile<T>(open: (file: Uint8Array) => T): { value: T; slot: number; sequence: number } | null {
    const a = this.readHeader(0), seqA = this.sequence;
    const b = this.readHeader(1), seqB = this.sequence;
    const order = a >= 0 && (b < 0 || newer(seqA, seqB)) ? [0, 1] : [1, 0];
    for (let k = 0; k < 2; k++) {
      const slot = order[k];
      const length = slot === 0 ? a : b;
      if (length < 0) continue;
      const buf = new Uint8Array(length);
      if (!this.readPayload(slot, length, buf)) continue;
      try {
        const value = open(buf);
        this.current = slot;
        this.sequence = slot === 0 ? seqA : seqB;
        return { value, slot, sequence: this.sequence };
      } catch {
        // not loadable (another firmware's format, over the budget): try the other slot
      }
    }
    this.scan();
    return null;
  }

  /**
   * Frozen layer count recorded in the newest valid checkpoint's spec, or -1 without one. The device builds
   * its model with it before restore(), so a board fine-tuning with frozen layers keeps them after a reboot.
   */
  storedFrozen(): number {
    this.scan();
    if (this.current < 0) return -1;
    // .tpm: 16-byte file header, 8-byte SPEC section header, frozen at SPEC payload offset 16.
    const at = this.current * this.slotBytes + SLOT_HEADER + 16 + 8 + 16;
    return new DataView(this.flash.read(at, 4)).getUint32(0, true);
  }

  /** Both slots' state, for diagnostics: payload length and sequence, or null when invalid. */
  inspect(): ({ bytes: number; sequence: number } | null)[] {
    const out: ({ bytes: number; sequence: number } | null)[] = [];
    for (let slot = 0; slot < 2; slot++) {
      const n = this.readHeader(slot);
      out.push(n >= 0 && this.payloadValid(slot, n) ? { bytes: n, sequence: this.sequence } : null);
    }
    return out;
  }

  /** Erase both slots' first sectors: no checkpoint remains. */
  clear(): void {
    this.flash.erase(0);
    this.flash.erase(this.slotBytes / this.flash.blockSize);
    this.current = -1;
  }

  // --- internals -------------------------------------------------------------------------------------

  private bufferFor(size: number): Uint8Array {
    if (this.buffer === null || this.buffer.length !== size) this.buffer = new Uint8Array(size);
    return this.buffer;
  }

  /** Find the newest fully valid slot (header and payload CRC) and cache it in current/sequence. */
  private scan(): void {
    let best = -1, bestSeq = 0;
    for (let slot = 0; slot < 2; slot++) {
      const n = this.readHeader(slot);
      if (n < 0) continue;
      const seq = this.sequence;
      if (!this.payloadValid(slot, n)) continue;
      if (best < 0 || newer(seq, bestSeq)) {
        best = slot;
        bestSeq = seq;
      }
    }
    this.current = best;
    this.sequence = bestSeq;
  }

  /** Payload length if the slot header is intact (magic, header CRC, length in range), else -1. Sets sequence. */
  private readHeader(slot: number): number {
    const h = new Uint8Array(this.flash.read(slot * this.slotBytes, SLOT_HEADER));
    const v = new DataView(h.buffer);
    if (v.getUint32(0, true) !== SLOT_MAGIC) return -1;
    if (~crc32Update(CRC32_INIT, h, 0, 16) !== v.getInt32(16, true)) return -1;
    const n = v.getUint32(8, true);
    if (n < 1 || n > this.capacity) return -1;
    this.sequence = v.getUint32(4, true);
    return n;
  }

  /** Verify the payload CRC by chunks, without a payload-sized allocation. */
  private payloadValid(slot: number, n: number): boolean {
    const h = new DataView(this.flash.read(slot * this.slotBytes, SLOT_HEADER));
    const base = slot * this.slotBytes + SLOT_HEADER;
    let crc = CRC32_INIT;
    for (let at = 0; at < n; at += CHUNK) {
      const len = n - at < CHUNK ? n - at : CHUNK;
      crc = crc32Update(crc, new Uint8Array(this.flash.read(base + at, len)), 0, len);
    }
    return ~crc === h.getInt32(12, true);
  }

  /** Copy the payload into buf by chunks and check its CRC. */
  private readPayload(slot: number, n: number, buf: Uint8Array): boolean {
    const h = new DataView(this.flash.read(slot * this.slotBytes, SLOT_HEADER));
    const base = slot * this.slotBytes + SLOT_HEADER;
    for (let at = 0; at < n; at += CHUNK) {
      const len = n - at < CHUNK ? n - at : CHUNK;
      buf.set(new Uint8Array(this.flash.read(base + at, len)), at);
    }
    return ~crc32Update(CRC32_INIT, buf, 0, n) === h.getInt32(12, true);
  }
}
