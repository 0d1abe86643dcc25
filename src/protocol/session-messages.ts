// Session and link-control messages: HELLO and CAPS (the handshake), ACK (acks and credit), PING and
// PONG, ERROR and LOG. Layouts: docs/protocol.md section 3; conventions of every codec: messages.ts.

import { MAX_FRAME, PROTOCOL_VERSION } from "./frame.js";
import {
  DTYPE_F32, dtypeSize, ERR_BAD_LENGTH, ERR_BAD_VALUE, ERR_OK, ERR_SHAPE_MISMATCH, ERR_TOO_LARGE,
  ERR_UNSUPPORTED_VERSION, MAX_CLASSES, MAX_LAYERS, MAX_RANK, MIN_FRAME_LIMIT, RX_SAFE,
} from "./codes.js";
import {
  FRAME_LIMIT, I32, U16, U32, U8, VERSION, encodeFixed, fieldsInRange, fixedCodec, isUint, layout, readFields,
  readU16s, shapeElements, writeFields, writeU16s,
} from "./layout.js";

// ---- Payload layouts (offsets relative to the payload start).
export const HELLO_MAJOR = 0, HELLO_MINOR = 1, HELLO_FLAGS = 2, HELLO_NONCE = 4, HELLO_MAX_FRAME = 8;
export const HELLO_SIZE = 12;

export const CAPS_MAJOR = 0, CAPS_MINOR = 1, CAPS_FLAGS = 2, CAPS_BOOT_NONCE = 4, CAPS_HOST_NONCE = 8;
export const CAPS_MAX_FRAME = 12, CAPS_RX_WINDOW = 14, CAPS_LAST_COMMITTED = 16, CAPS_PLAN_BYTES = 20;
export const CAPS_STATE_BYTES = 24, CAPS_INPUT_DTYPE = 28, CAPS_INPUT_RANK = 29, CAPS_CLASSES = 30;
export const CAPS_INPUT_DIMS = 32, CAPS_LAYER_COUNT = 38, CAPS_MODEL_DTYPE = 39, CAPS_LAYERS = 40;

/** ACK: `read` u32 (host byte space), `window` u16, `flags` u8, `token` u8. */
export const ACK_READ = 0, ACK_WINDOW = 4, ACK_FLAGS = 6, ACK_TOKEN = 7, ACK_SIZE = 8;
export const PING_TOKEN = 0, PING_SIZE = 4;
export const PONG_TOKEN = 0, PONG_UPTIME = 4, PONG_SIZE = 8;
export const ERROR_CODE = 0, ERROR_REF_SEQ = 2, ERROR_REF_TYPE = 4, ERROR_DETAIL = 8, ERROR_SIZE = 12;
export const LOG_LEVEL = 0, LOG_TEXT = 2;

// ---- Message objects: allocate once, reuse for every decode.

export class Hello {
  major = PROTOCOL_VERSION; minor = 0; flags = 0; hostNonce = 0; maxFrame = MAX_FRAME;
}

export class Caps {
  major = PROTOCOL_VERSION; minor = 0; flags = 0; bootNonce = 0; hostNonce = 0;
  maxFrame = MAX_FRAME; rxWindow = RX_SAFE; lastCommittedBatchId = 0; planBytes = 0; stateBytes = 0;
  inputDtype = DTYPE_F32; inputRank = 1; classes = 1;
  readonly inputDims: number[] = [1, 0, 0];
  layerCount = 1; modelDtype = DTYPE_F32;
  readonly layerSizes: number[] = new Array<number>(MAX_LAYERS).fill(0);
}

export class Ack {
  /**
   * Position in the host's byte space up to which the device has read (u32, wraps; 0 from the host). Decoded
   * signed, so it stays an integer in XS: compare it modulo 2^32.
   */
  read = 0;
  /** Bytes beyond `read` the host may write (CREDIT_UNLIMITED from the host). */
  window = 0;
  flags = 0;
  token = 0;
}
export class Ping { token = 0; }
export class Pong { token = 0; uptimeMs = 0; }
export class ErrorMsg { code = 0; refSeq = 0; refType = 0; detail = 0; }
/** Decoded LOG: the text is view bytes [textOffset, textOffset + textLength), UTF-8. */
export class Log { level = 0; textOffset = 0; textLength = 0; }

// ---- Field layouts (the reserved bytes between fields are written as 0).

const HELLO = layout<Hello>(HELLO_SIZE, [
  [VERSION, HELLO_MAJOR, "major"], [U8, HELLO_MINOR, "minor"], [U16, HELLO_FLAGS, "flags"],
  [U32, HELLO_NONCE, "hostNonce"], [FRAME_LIMIT, HELLO_MAX_FRAME, "maxFrame"],
]);
/** The fixed part; the input dims (CAPS_INPUT_DIMS, 3 u16) and the layer sizes (CAPS_LAYERS, layerCount u16) are arrays. */
const CAPS = layout<Caps>(CAPS_LAYERS, [
  [VERSION, CAPS_MAJOR, "major"], [U8, CAPS_MINOR, "minor"], [U16, CAPS_FLAGS, "flags"],
  [U32, CAPS_BOOT_NONCE, "bootNonce"], [U32, CAPS_HOST_NONCE, "hostNonce"], [FRAME_LIMIT, CAPS_MAX_FRAME, "maxFrame"],
  [U16, CAPS_RX_WINDOW, "rxWindow"], [U32, CAPS_LAST_COMMITTED, "lastCommittedBatchId"],
  [U32, CAPS_PLAN_BYTES, "planBytes"], [U32, CAPS_STATE_BYTES, "stateBytes"], [U8, CAPS_INPUT_DTYPE, "inputDtype"],
  [U8, CAPS_INPUT_RANK, "inputRank"], [U16, CAPS_CLASSES, "classes"], [U8, CAPS_LAYER_COUNT, "layerCount"],
  [U8, CAPS_MODEL_DTYPE, "modelDtype"],
]);
// Exported for test/protocol-fast-paths.test.ts: the device's written-out codecs of these are held to them.
export const ACK_LAYOUT = layout<Ack>(ACK_SIZE, [
  [I32, ACK_READ, "read"], [U16, ACK_WINDOW, "window"], [U8, ACK_FLAGS, "flags"], [U8, ACK_TOKEN, "token"],
]);
export const PING_LAYOUT = layout<Ping>(PING_SIZE, [[U32, PING_TOKEN, "token"]]);
export const PONG_LAYOUT = layout<Pong>(PONG_SIZE, [[U32, PONG_TOKEN, "token"], [U32, PONG_UPTIME, "uptimeMs"]]);
/** refType is a u8 followed by 3 reserved bytes. */
export const ERROR_LAYOUT = layout<ErrorMsg>(ERROR_SIZE, [
  [U16, ERROR_CODE, "code"], [U16, ERROR_REF_SEQ, "refSeq"], [U8, ERROR_REF_TYPE, "refType"], [U32, ERROR_DETAIL, "detail"],
]);
// ---- HELLO

export function encodeHello(view: DataView, off: number, cap: number, m: Hello): number {
  return encodeFixed(view, off, cap, HELLO, m);
}

export function decodeHello(view: DataView, off: number, len: number, out: Hello): number {
  if (len < HELLO_SIZE) return ERR_BAD_LENGTH;
  readFields(view, off, HELLO, out);
  // The limit first: a peer of another version must not open a session in which nothing fits.
  if (out.maxFrame < MIN_FRAME_LIMIT) return ERR_BAD_VALUE;
  if (out.major !== PROTOCOL_VERSION) return ERR_UNSUPPORTED_VERSION;
  return ERR_OK;
}

// ---- CAPS

function capsError(m: Caps): number {
  if (!fieldsInRange(CAPS, m)) return ERR_BAD_VALUE;
  if (dtypeSize(m.inputDtype) === 0 || dtypeSize(m.modelDtype) === 0) return ERR_BAD_VALUE;
  if (!(m.classes >= 1 && m.classes <= MAX_CLASSES)) return ERR_BAD_VALUE;
  if (shapeElements(m.inputRank, m.inputDims) === 0) return ERR_SHAPE_MISMATCH;
  if (!(m.layerCount >= 1 && m.layerCount <= MAX_LAYERS)) return ERR_BAD_VALUE;
  for (let i = 0; i < m.layerCount; i++) if (!(isUint(m.layerSizes[i], 0xffff) && m.layerSizes[i] >= 1)) return ERR_BAD_VALUE;
  return ERR_OK;
}

export function encodeCaps(view: DataView, off: number, cap: number, m: Caps): number {
  const err = capsError(m);
  if (err !== ERR_OK) return -err;
  const size = CAPS_LAYERS + 2 * m.layerCount;
  if (cap < size) return -ERR_TOO_LARGE;
  writeFields(view, off, CAPS, m);
  writeU16s(view, off + CAPS_INPUT_DIMS, MAX_RANK, m.inputDims);
  writeU16s(view, off + CAPS_LAYERS, m.layerCount, m.layerSizes);
  return size;
}

export function decodeCaps(view: DataView, off: number, len: number, out: Caps): number {
  if (len < CAPS_LAYERS) return ERR_BAD_LENGTH;
  readFields(view, off, CAPS, out);
  readU16s(view, off + CAPS_INPUT_DIMS, MAX_RANK, out.inputDims);
  if (out.major !== PROTOCOL_VERSION) return ERR_UNSUPPORTED_VERSION;
  if (out.layerCount < 1 || out.layerCount > MAX_LAYERS) return ERR_BAD_VALUE;
  if (len < CAPS_LAYERS + 2 * out.layerCount) return ERR_BAD_LENGTH;
  readU16s(view, off + CAPS_LAYERS, out.layerCount, out.layerSizes);
  for (let i = out.layerCount; i < MAX_LAYERS; i++) out.layerSizes[i] = 0;
  return capsError(out);
}

// ---- ACK, PING, PONG, ERROR: fixed layouts, any field value that fits its width is valid. What the device
// runs with every few frames (ACK both ways, PING in, PONG and ERROR out) is written out field by field, as
// cheap under XS as before the layout tables (layout.ts); the host's side goes through the tables.

export function encodeAck(view: DataView, off: number, cap: number, m: Ack): number {
  if (cap < ACK_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.window, 0xffff) || !isUint(m.flags, 0xff) || !isUint(m.token, 0xff)) return -ERR_BAD_VALUE;
  view.setInt32(off + ACK_READ, m.read | 0, true);
  view.setUint16(off + ACK_WINDOW, m.window, true);
  view.setUint8(off + ACK_FLAGS, m.flags);
  view.setUint8(off + ACK_TOKEN, m.token);
  return ACK_SIZE;
}

export function decodeAck(view: DataView, off: number, len: number, out: Ack): number {
  if (len < ACK_SIZE) return ERR_BAD_LENGTH;
  out.read = view.getInt32(off + ACK_READ, true);
  out.window = view.getUint16(off + ACK_WINDOW, true);
  out.flags = view.getUint8(off + ACK_FLAGS);
  out.token = view.getUint8(off + ACK_TOKEN);
  return ERR_OK;
}

export const { encode: encodePing } = fixedCodec(PING_LAYOUT);

export function decodePing(view: DataView, off: number, len: number, out: Ping): number {
  if (len < PING_SIZE) return ERR_BAD_LENGTH;
  out.token = view.getUint32(off + PING_TOKEN, true);
  return ERR_OK;
}

export function encodePong(view: DataView, off: number, cap: number, m: Pong): number {
  if (cap < PONG_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.token, 0xffffffff) || !isUint(m.uptimeMs, 0xffffffff)) return -ERR_BAD_VALUE;
  view.setUint32(off + PONG_TOKEN, m.token, true);
  view.setUint32(off + PONG_UPTIME, m.uptimeMs, true);
  return PONG_SIZE;
}

export const { decode: decodePong } = fixedCodec(PONG_LAYOUT);

export function encodeError(view: DataView, off: number, cap: number, m: ErrorMsg): number {
  if (cap < ERROR_SIZE) return -ERR_TOO_LARGE;
  if (!isUint(m.code, 0xffff) || !isUint(m.refSeq, 0xffff) || !isUint(m.refType, 0xff) ||
    !isUint(m.detail, 0xffffffff)) return -ERR_BAD_VALUE;
  view.setUint16(off + ERROR_CODE, m.code, true);
  view.setUint16(off + ERROR_REF_SEQ, m.refSeq, true);
  view.setUint32(off + ERROR_REF_TYPE, m.refType, true); // refType u8 and its 3 reserved zero bytes
  view.setUint32(off + ERROR_DETAIL, m.detail, true);
  return ERROR_SIZE;
}

export const { decode: decodeError } = fixedCodec(ERROR_LAYOUT);

// ---- LOG

/**
 * LOG with `text` encoded as UTF-8 (charCodeAt per character, no TextEncoder and no allocation);
 * text that does not fit is truncated at a character boundary.
 */
export function encodeLog(view: DataView, off: number, cap: number, level: number, text: string): number {
  if (cap < LOG_TEXT) return -ERR_TOO_LARGE;
  if (!isUint(level, 0xff)) return -ERR_BAD_VALUE;
  view.setUint8(off + LOG_LEVEL, level);
  view.setUint8(off + LOG_LEVEL + 1, 0);
  let w = off + LOG_TEXT;
  const end = off + cap;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (w + n > end) break;
    if (n === 1) view.setUint8(w, c);
    else if (n === 2) {
      view.setUint8(w, 0xc0 | (c >> 6));
      view.setUint8(w + 1, 0x80 | (c & 0x3f));
    } else if (n === 3) {
      view.setUint8(w, 0xe0 | (c >> 12));
      view.setUint8(w + 1, 0x80 | ((c >> 6) & 0x3f));
      view.setUint8(w + 2, 0x80 | (c & 0x3f));
    } else {
      view.setUint8(w, 0xf0 | (c >> 18));
      view.setUint8(w + 1, 0x80 | ((c >> 12) & 0x3f));
      view.setUint8(w + 2, 0x80 | ((c >> 6) & 0x3f));
      view.setUint8(w + 3, 0x80 | (c & 0x3f));
    }
    w += n;
  }
  return w - off;
}

export function decodeLog(view: DataView, off: number, len: number, out: Log): number {
  if (len < LOG_TEXT) return ERR_BAD_LENGTH;
  out.level = view.getUint8(off + LOG_LEVEL);
  out.textOffset = off + LOG_TEXT;
  out.textLength = len - LOG_TEXT;
  return ERR_OK;
}
