// Frame layer: 0x00 | COBS(header | payload | crc32) | 0x00. See docs/protocol.md, section 1.
// Device code: the decoder and encoder allocate their buffers once, in the constructor; push() and
// encode() allocate nothing (no arrays, objects, closures or strings per byte or per frame).

import { crc32Update, CRC32_INIT } from "../util/crc32.js";
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from "./cobs.js";

export const PROTOCOL_VERSION = 2;

// Header layout (decoded frame offsets, little-endian).
export const HDR_VERSION = 0; // u8
export const HDR_TYPE = 1; // u8
export const HDR_SEQ = 2; // u16
export const HDR_ACK = 4; // u16
export const HDR_LENGTH = 6; // u16 payload length
/** u32: the sender's wire position of this frame's leading 0x00 (host frames; the device's credit anchor). */
export const HDR_POS = 8;
export const HEADER_SIZE = 12;
export const PAYLOAD_OFFSET = HEADER_SIZE; // 4-byte aligned, so payload data can be viewed in place
export const CRC_SIZE = 4;
export const FRAME_OVERHEAD = HEADER_SIZE + CRC_SIZE;
export const MAX_PAYLOAD = 0xffff;
/** Largest decoded frame the format can express. */
export const MAX_FRAME = FRAME_OVERHEAD + MAX_PAYLOAD;
export const DELIMITER = 0;

/** Worst-case wire bytes for a frame with this payload length, both delimiters included. */
export function maxWireLength(payloadLength: number): number {
  return cobsMaxEncodedLength(FRAME_OVERHEAD + payloadLength) + 2;
}

// ---- 16-bit sequence arithmetic (RFC 1982 style). Valid while fewer than 32768 frames are in flight.

export const SEQ_MASK = 0xffff;

/** (a + n) mod 2^16. */
export function seqAdd(a: number, n: number): number {
  return (a + n) & SEQ_MASK;
}

/** Signed distance a - b in -32768..32767, accounting for wrap-around. */
export function seqDiff(a: number, b: number): number {
  return ((a - b) << 16) >> 16;
}

/** True if a comes before b. */
export function seqLt(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

/** True if a comes before or is b. */
export function seqLe(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

/** True if lo <= x <= hi in sequence order (lo..hi must span less than 32768). */
export function seqInRange(x: number, lo: number, hi: number): boolean {
  return seqDiff(x, lo) >= 0 && seqDiff(hi, x) >= 0;
}

// ---- Decoder

/**
 * Called once per accepted frame. `view` is the decoder's single DataView over its buffer; the payload is
 * view bytes [offset, offset + length). It stays valid until the decoder is given more bytes, so copy or
 * use it before returning, or call pause(). The handler must not call push() itself.
 */
export type FrameHandler = (
  type: number, seq: number, ack: number, view: DataView, offset: number, length: number,
) => void;

function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

function clampFrame(maxFrame: number): number {
  return Math.min(MAX_FRAME, Math.max(FRAME_OVERHEAD, maxFrame | 0));
}

export class FrameDecoder {
  /** The one buffer; decoded frames start at offset 0, so payloads start 4-byte aligned. */
  readonly buffer: ArrayBuffer;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Largest decoded frame (header + payload + CRC) this decoder accepts. */
  readonly maxFrame: number;

  // Counters (monotonic; the app may reset them).
  frames = 0;
  crcErrors = 0;
  lengthErrors = 0;
  cobsErrors = 0;
  versionErrors = 0;
  overruns = 0;
  /** Bytes (delimiters excluded) that were not part of an accepted frame. */
  garbageBytes = 0;

  private readonly onFrame: FrameHandler;
  private readonly capacity: number; // encoded bytes that fit
  private len = 0; // encoded bytes of the current frame collected so far
  private dropped = 0; // bytes dropped because the current frame overflowed the buffer
  private paused = false;
  /**
   * Wire bytes of the frame being delivered, both delimiters included (COBS length + 2): with the header's
   * `pos` it gives the sender's position just after the frame. Valid inside onFrame.
   */
  wireLength = 0;

  constructor(maxFrame: number, onFrame: FrameHandler) {
    this.maxFrame = clampFrame(maxFrame);
    this.capacity = cobsMaxEncodedLength(this.maxFrame);
    // A multiple of 8 so Float32Array/Float64Array views over the whole buffer are possible.
    this.buffer = new ArrayBuffer(roundUp8(this.capacity));
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.onFrame = onFrame;
  }

  /** Stop consuming input after the frame being delivered; call from inside onFrame. */
  pause(): void {
    this.paused = true;
  }

  /** Allow push() to consume input again (the held frame's payload is then overwritten). */
  resume(): void {
    this.paused = false;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Forget a partly received frame (e.g. after the serial port was reopened). */
  reset(): void {
    this.garbageBytes += this.len + this.dropped;
    this.len = 0;
    this.dropped = 0;
  }

  /**
   * Feeds bytes[start, end). Any chunking works; `bytes` may be a view into a larger (shared) buffer.
   * Returns the number of bytes consumed: all of them unless onFrame called pause(), in which case
   * consumption stops right after the delimiter of the delivered frame. Never throws on any input (an
   * exception thrown by onFrame propagates, with the decoder already in a consistent state).
   */
  push(bytes: Uint8Array, start = 0, end = bytes.length): number {
    if (start < 0) start = 0;
    if (end > bytes.length) end = bytes.length;
    const buf = this.bytes;
    const cap = this.capacity;
    // Hot loop: state lives in locals and is written back before any callback.
    let len = this.len;
    let i = start;
    while (i < end && !this.paused) {
      const b = bytes[i++];
      if (b !== DELIMITER) {
        if (len < cap) buf[len++] = b;
        else this.dropped++; // overflow: drop until the next delimiter
        continue;
      }
      // Delimiter: the bytes collected since the previous one form a candidate frame.
      if (this.dropped > 0) {
        this.overruns++;
        this.garbageBytes += len + this.dropped;
        this.dropped = 0;
        len = 0;
      } else if (len > 0) {
        const n = len;
        len = 0;
        this.len = 0; // before the callback, so a throwing handler leaves a clean state
        this.finishFrame(n);
      }
      // len == 0: the empty frame between two delimiters, normal between back-to-back frames.
    }
    this.len = len;
    return i - start;
  }

  private finishFrame(encodedLength: number): void {
    const buf = this.bytes;
    const n = cobsDecode(buf, 0, encodedLength, buf, 0, this.capacity);
    if (n < 0) {
      this.cobsErrors++;
      this.garbageBytes += encodedLength;
      return;
    }
    const view = this.view;
    // Size first, then CRC, then version, then the length field: the version byte (offset 0) and the CRC
    // (last 4 bytes) are where they are in every version, so a frame of another version is recognised as
    // such (versionErrors) whatever its header layout.
    if (n < FRAME_OVERHEAD || n > this.maxFrame) {
      this.lengthErrors++;
      this.garbageBytes += encodedLength;
      return;
    }
    const crcAt = n - CRC_SIZE;
    if (~crc32Update(CRC32_INIT, buf, 0, crcAt) !== view.getInt32(crcAt, true)) {
      this.crcErrors++;
      this.garbageBytes += encodedLength;
      return;
    }
    if (buf[HDR_VERSION] !== PROTOCOL_VERSION) {
      this.versionErrors++;
      this.garbageBytes += encodedLength;
      return;
    }
    if (view.getUint16(HDR_LENGTH, true) !== n - FRAME_OVERHEAD) {
      this.lengthErrors++;
      this.garbageBytes += encodedLength;
      return;
    }
    this.wireLength = encodedLength + 2;
    this.frames++;
    this.onFrame(buf[HDR_TYPE], view.getUint16(HDR_SEQ, true), view.getUint16(HDR_ACK, true), view,
      PAYLOAD_OFFSET, n - FRAME_OVERHEAD);
  }
}

// ---- Encoder

export class FrameEncoder {
  /** Scratch frame: write the payload at PAYLOAD_OFFSET through `view` or `bytes`, then call encode(). */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Largest decoded frame this encoder produces (set it to the peer's announced limit or less). */
  readonly maxFrame: number;
  readonly maxPayload: number;
  /**
   * Written into every frame's `pos` field (u32, wraps): the host sets it to its wire position of the
   * frame's leading 0x00 before each encode(); the device leaves it 0.
   */
  position = 0;

  constructor(maxFrame: number) {
    this.maxFrame = clampFrame(maxFrame);
    this.maxPayload = this.maxFrame - FRAME_OVERHEAD;
    const buffer = new ArrayBuffer(roundUp8(this.maxFrame));
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
  }

  /**
   * Completes the frame whose payload (payloadLength bytes) is already at PAYLOAD_OFFSET: writes the
   * header and CRC, then `00 COBS(frame) 00` into out[outOffset, outEnd). Returns the number of wire
   * bytes written, or -1 if the payload is too long or `out` too small.
   */
  encode(type: number, seq: number, ack: number, payloadLength: number,
    out: Uint8Array, outOffset = 0, outEnd = out.length): number {
    if (!(payloadLength >= 0 && payloadLength <= this.maxPayload)) return -1;
    if (!(type >= 1 && type <= 0xff)) return -1; // 0 is never a valid type; more would not fit the byte
    const buf = this.bytes;
    const view = this.view;
    buf[HDR_VERSION] = PROTOCOL_VERSION;
    buf[HDR_TYPE] = type;
    view.setUint16(HDR_SEQ, seq & SEQ_MASK, true);
    view.setUint16(HDR_ACK, ack & SEQ_MASK, true);
    view.setUint16(HDR_LENGTH, payloadLength, true);
    view.setInt32(HDR_POS, this.position | 0, true);
    const crcAt = PAYLOAD_OFFSET + payloadLength;
    view.setInt32(crcAt, ~crc32Update(CRC32_INIT, buf, 0, crcAt), true);
    if (outOffset + 2 > outEnd) return -1;
    out[outOffset] = DELIMITER;
    const n = cobsEncode(buf, 0, crcAt + CRC_SIZE, out, outOffset + 1, outEnd - 1);
    if (n < 0) return -1;
    out[outOffset + 1 + n] = DELIMITER;
    return n + 2;
  }

  /** Host convenience: copies `payload` into the scratch frame, then encode(). */
  encodeBytes(type: number, seq: number, ack: number, payload: Uint8Array,
    out: Uint8Array, outOffset = 0, outEnd = out.length): number {
    if (payload.length > this.maxPayload) return -1;
    this.bytes.set(payload, PAYLOAD_OFFSET);
    return this.encode(type, seq, ack, payload.length, out, outOffset, outEnd);
  }
}
