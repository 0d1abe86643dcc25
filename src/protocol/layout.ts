// Field layouts: each fixed-layout payload is stated once, as rows of (kind, offset, field name) that read
// like its table in docs/protocol.md section 3, and one loop reads it into a message object, one writes it
// and one checks that every integer field fits its width. Also the byte-level checks several message
// families share (shapes, float32 payloads).
// Device code: layouts are built once, when the module loads; readFields, writeFields and fieldsInRange
// allocate nothing (the field names are the layout's own strings, the loops keep their state in locals;
// test/protocol-xs-costs.test.ts counts it under XS). The loop costs several times the bytecodes of one
// statement per field, so the codecs the device runs with every few frames are written out field by field in
// their family file (the other side of the same messages keeps the table; test/protocol-fast-paths.test.ts
// holds the written-out codecs to their tables). XS meter units per call (resetMeter, stock worker), before
// the tables (41ed3d2) -> all tables (acee963) -> now:
//   decode ACK 89 -> 426 -> 89, PING 49 -> 219 -> 49, CONFIG 535 -> 1200 -> 535,
//          SAMPLE_BATCH of 1x30 features 1707 -> 2010 -> 1696, of 2 raw 4-column rows 1069 -> 1372 -> 1058;
//   encode ACK 230 -> 793 -> 230, PONG 153 -> 551 -> 153, ERROR 276 -> 926 -> 276, REPORT 349 -> 1178 -> 349,
//          PREDICT_RESULT (3 scores) 596 -> 1071 -> 596, SENSOR_WINDOW header 179 -> 584 -> 177, SENSOR_RESULT
//          185 -> 745 -> 183; decode SENSOR_MODE 81 -> 385 -> 81.
// Whole frames as the device handles them (FrameDecoder.push with the payload decode; payload encode with
// FrameEncoder.encode): ACK in 4067 -> 4404 -> 4067, ACK out 2574 -> 3137 -> 2574, REPORT out 4039 -> 4868 ->
// 4039, SAMPLE_BATCH 1x30 in 24165 -> 24468 -> 24154. Still through the tables (before -> now):
// HELLO, CAPS (decode 1698 -> 3602, once per session), the host's side (decode REPORT 328 -> 863, PONG
// 63 -> 302, ERROR 90 -> 427; encode CONFIG 1140 -> 1795, SAMPLE_BATCH 1x30 7221 -> 7723), and WEIGHTS_* and
// CHECKPOINT_STATE on both sides (device: decode WEIGHTS_PUT 297 -> 775, encode WEIGHTS_DATA header 959 ->
// 1548 with a 16-byte chunk, CHECKPOINT_STATE 475 -> 1400; once per chunk or save, not per batch).

import { MAX_FRAME, PROTOCOL_VERSION } from "./frame.js";
import { ERR_BAD_LENGTH, ERR_BAD_VALUE, ERR_OK, ERR_TOO_LARGE, MAX_RANK, MIN_FRAME_LIMIT } from "./codes.js";

/** Field kinds. All multi-byte fields are little-endian. */
export const U8 = 0, U16 = 1, U32 = 2, F32 = 3;
/** int32 on the wire (a u32 position read signed, so it stays an integer in XS); written as `value | 0`. */
export const I32 = 4;
/** The protocol version byte: written as PROTOCOL_VERSION whatever the message holds, read as a u8. */
export const VERSION = 5;
/** A frame size limit: a u16 in which 0 stands for MAX_FRAME (which does not fit 16 bits). */
export const FRAME_LIMIT = 6;
/** A u16 count that saturates: values above 0xffff are written as 0xffff. */
export const U16_SAT = 7;

const WIDTH = [1, 2, 4, 4, 4, 1, 2, 2];

/** The names of T's number fields: what a layout row may name. */
export type NumberField<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T] & string;
export type FieldRow<T> = readonly [kind: number, offset: number, name: NumberField<T>];

export interface Layout<T> {
  /** Bytes from the payload start to the end of the fixed part, reserved bytes included. */
  readonly size: number;
  readonly kinds: Uint8Array;
  readonly offsets: Uint16Array;
  readonly names: readonly NumberField<T>[];
  /** Offsets of the bytes no field covers: reserved, written as 0. */
  readonly reserved: Uint16Array;
}

/** A layout of `size` bytes; throws when a row overlaps another or ends past `size` (a mistake in a table). */
export function layout<T>(size: number, rows: readonly FieldRow<T>[]): Layout<T> {
  const covered = new Uint8Array(size);
  const kinds = new Uint8Array(rows.length), offsets = new Uint16Array(rows.length);
  const names: NumberField<T>[] = [];
  for (let i = 0; i < rows.length; i++) {
    const [kind, at, name] = rows[i];
    const width = WIDTH[kind];
    if (width === undefined || at + width > size) throw new RangeError(`layout field ${name} does not fit ${size} bytes`);
    for (let b = at; b < at + width; b++) {
      if (covered[b] !== 0) throw new RangeError(`layout field ${name} overlaps another at byte ${b}`);
      covered[b] = 1;
    }
    kinds[i] = kind;
    offsets[i] = at;
    names.push(name);
  }
  const reserved: number[] = [];
  for (let b = 0; b < size; b++) if (covered[b] === 0) reserved.push(b);
  return { size, kinds, offsets, names, reserved: Uint16Array.from(reserved) };
}

/** Reads every field of `l` at payload offset `off` into `out` (the caller has checked len >= l.size). */
export function readFields<T>(view: DataView, off: number, l: Layout<T>, out: T): void {
  const o = out as unknown as Record<string, number>;
  const kinds = l.kinds, offsets = l.offsets, names = l.names;
  for (let i = 0; i < kinds.length; i++) {
    const at = off + offsets[i];
    let v: number;
    switch (kinds[i]) {
      case U8: case VERSION: v = view.getUint8(at); break;
      case U16: case U16_SAT: v = view.getUint16(at, true); break;
      case U32: v = view.getUint32(at, true); break;
      case F32: v = view.getFloat32(at, true); break;
      case I32: v = view.getInt32(at, true); break;
      default: v = view.getUint16(at, true); if (v === 0) v = MAX_FRAME; // FRAME_LIMIT
    }
    o[names[i]] = v;
  }
}

/** Writes every field of `m` and zeros in the reserved bytes: l.size bytes at `off` (the caller checked cap). */
export function writeFields<T>(view: DataView, off: number, l: Layout<T>, m: T): void {
  const o = m as unknown as Record<string, number>;
  const kinds = l.kinds, offsets = l.offsets, names = l.names, reserved = l.reserved;
  for (let i = 0; i < reserved.length; i++) view.setUint8(off + reserved[i], 0);
  for (let i = 0; i < kinds.length; i++) {
    const at = off + offsets[i];
    const v = o[names[i]];
    switch (kinds[i]) {
      case U8: view.setUint8(at, v); break;
      case VERSION: view.setUint8(at, PROTOCOL_VERSION); break;
      case U16: view.setUint16(at, v, true); break;
      case U16_SAT: view.setUint16(at, v > 0xffff ? 0xffff : v, true); break;
      case U32: view.setUint32(at, v, true); break;
      case F32: view.setFloat32(at, v, true); break;
      case I32: view.setInt32(at, v | 0, true); break;
      default: view.setUint16(at, v > 0xffff ? 0 : v, true); // FRAME_LIMIT
    }
  }
}

/**
 * Does every u8/u16/u32 field of `m` hold an integer that fits its width, and every frame limit lie in
 * MIN_FRAME_LIMIT..MAX_FRAME? (float32, int32, version and saturating fields are not checked here.)
 */
export function fieldsInRange<T>(l: Layout<T>, m: T): boolean {
  const o = m as unknown as Record<string, number>;
  const kinds = l.kinds, names = l.names;
  for (let i = 0; i < kinds.length; i++) {
    const v = o[names[i]];
    switch (kinds[i]) {
      case U8: if (!isUint(v, 0xff)) return false; break;
      case U16: if (!isUint(v, 0xffff)) return false; break;
      case U32: if (!isUint(v, 0xffffffff)) return false; break;
      case FRAME_LIMIT: if (!(v >= MIN_FRAME_LIMIT && v <= MAX_FRAME)) return false; break;
      default: break;
    }
  }
  return true;
}

/** The codec of a payload that is its layout alone and valid whenever fieldsInRange: its length, or -ERR_*. */
export function encodeFixed<T>(view: DataView, off: number, cap: number, l: Layout<T>, m: T): number {
  if (cap < l.size) return -ERR_TOO_LARGE;
  if (!fieldsInRange(l, m)) return -ERR_BAD_VALUE;
  writeFields(view, off, l, m);
  return l.size;
}

/** Decoder of such a payload (longer payloads are accepted: fields appended by later minor versions). */
export function decodeFixed<T>(view: DataView, off: number, len: number, l: Layout<T>, out: T): number {
  if (len < l.size) return ERR_BAD_LENGTH;
  readFields(view, off, l, out);
  return ERR_OK;
}

/** A decoder as every message family exports them: ERR_OK or an ERR_* code. */
export type Decoder<T> = (view: DataView, off: number, len: number, out: T) => number;
/** An encoder as every message family exports them: the payload length, or -ERR_*. */
export type Encoder<T> = (view: DataView, off: number, cap: number, m: T) => number;

/** The encoder and decoder of a payload that is its layout alone (encodeFixed, decodeFixed), made once at load. */
export function fixedCodec<T>(l: Layout<T>): { encode: Encoder<T>; decode: Decoder<T> } {
  return {
    encode: (view, off, cap, m) => encodeFixed(view, off, cap, l, m),
    decode: (view, off, len, out) => decodeFixed(view, off, len, l, out),
  };
}

export function isUint(x: number, max: number): boolean {
  return Number.isInteger(x) && x >= 0 && x <= max;
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Reads `count` u16 values at `off` into out[0..count). */
export function readU16s(view: DataView, off: number, count: number, out: number[]): void {
  for (let i = 0; i < count; i++) out[i] = view.getUint16(off + 2 * i, true);
}

/** Writes values[0..count) as u16 at `off`. */
export function writeU16s(view: DataView, off: number, count: number, values: readonly number[]): void {
  for (let i = 0; i < count; i++) view.setUint16(off + 2 * i, values[i], true);
}

/** Elements per sample of a shape (rank 1..3; used dims >= 1, unused dims 0, all u16), or 0 if invalid. */
export function shapeElements(rank: number, dims: readonly number[]): number {
  const d0 = dims[0], d1 = dims[1], d2 = dims[2];
  if (!isUint(d0, 0xffff) || !isUint(d1, 0xffff) || !isUint(d2, 0xffff)) return 0;
  if (rank < 1 || rank > MAX_RANK) return 0;
  if (d0 < 1 || (rank >= 2 ? d1 < 1 : d1 !== 0) || (rank >= 3 ? d2 < 1 : d2 !== 0)) return 0;
  return d0 * (rank >= 2 ? d1 : 1) * (rank >= 3 ? d2 : 1);
}

/** Any float32 element (little-endian) NaN or +-Infinity? Integer ops only: exponent bits all ones. */
export function hasNonFiniteF32(view: DataView, off: number, count: number): boolean {
  for (let i = 0; i < count; i++) {
    if ((view.getInt32(off + 4 * i, true) & 0x7f800000) === 0x7f800000) return true;
  }
  return false;
}
