// Messages of the board's own signal pipeline and sensor (docs/protocol.md section 3, "Pipeline and
// sensor"): the host installs or reads the PIPELINE (.tpm section 5 payload), raw windows travel as
// SAMPLE_BATCH with dtype int16 and shape [window rows, columns] (a "raw batch"), and the host chooses what
// the board does with its own sensor (SENSOR_MODE); the board answers with recorded windows
// (SENSOR_WINDOW) and per-window results (SENSOR_RESULT). Codecs never throw or allocate.
import { ERR_BAD_LENGTH, ERR_BAD_VALUE, ERR_OK, ERR_TOO_LARGE } from "./codes.js";
import { F32, U16, U16_SAT, U32, U8, decodeFixed, layout, readFields, writeFields } from "./layout.js";

// The family's message types, isSensorType and CAPS flags live with all the others in codes.ts.
export {
  CAPS_FLAG_PIPELINE, CAPS_FLAG_SENSOR, MSG_PIPELINE, MSG_PIPELINE_GET, MSG_PIPELINE_PUT, MSG_SENSOR_MODE,
  MSG_SENSOR_RESULT, MSG_SENSOR_WINDOW, isSensorType,
} from "./codes.js";

export const MODE_IDLE = 0;
export const MODE_RECORD = 1;
export const MODE_LEARN = 2;
export const MODE_INFER = 3;

/** SENSOR_MODE: mode u8, label u8, count u16 (windows; 0 = until the next SENSOR_MODE). */
export const SMODE_MODE = 0, SMODE_LABEL = 1, SMODE_COUNT = 2, SMODE_SIZE = 4;
/** SENSOR_WINDOW: window u32, label u8, columns u8, first row u16, rows u16, window rows u16, then int16 rows. */
export const SWIN_WINDOW = 0, SWIN_LABEL = 4, SWIN_COLUMNS = 5, SWIN_FIRST_ROW = 6, SWIN_ROWS = 8, SWIN_WINDOW_ROWS = 10;
export const SWIN_DATA = 12;
/**
 * SENSOR_RESULT: mode u8, class u8, flags u8, reserved u8, window u32, confidence f32, loss f32, remaining u16,
 * dropped u16 (results not sent because the link was busy, since the last one sent), clipped u32 (samples
 * beyond a column's range since the mode began, stored as the range's limit), clippedFeatures u32 (normalised
 * model inputs beyond ±clip since the mode began, given to the model as ±clip). Older boards send the first
 * SRES_BASE_SIZE or SRES_CLIPPED_SIZE bytes only: the fields they lack decode as 0 (and older hosts read
 * the prefix they know).
 */
export const SRES_MODE = 0, SRES_CLASS = 1, SRES_FLAGS = 2, SRES_WINDOW = 4, SRES_CONFIDENCE = 8, SRES_LOSS = 12;
export const SRES_REMAINING = 16, SRES_DROPPED = 18, SRES_BASE_SIZE = 20, SRES_CLIPPED = 20, SRES_CLIPPED_SIZE = 24;
export const SRES_CLIPPED_FEATURES = 24, SRES_SIZE = 28;
/** SENSOR_RESULT flag: the mode's window count is reached; the board is idle again. */
export const SRES_DONE = 1;

export class SensorMode { mode = MODE_IDLE; label = 0; count = 0; }
export class SensorWindow { window = 0; label = 0; columns = 0; firstRow = 0; rows = 0; windowRows = 0; dataOffset = 0; }
export class SensorResult { mode = MODE_IDLE; classIndex = 0; flags = 0; window = 0; confidence = 0; loss = 0; remaining = 0; dropped = 0; clipped = 0; clippedFeatures = 0; }

// The layouts. The device's side (decoding SENSOR_MODE, encoding SENSOR_WINDOW headers and SENSOR_RESULT, once
// per window) is written out field by field, as cheap under XS as before the tables (layout.ts); the host's
// side reads and writes the tables. Exported for test/protocol-fast-paths.test.ts, which holds the two together.
export const SENSOR_MODE_LAYOUT = layout<SensorMode>(SMODE_SIZE, [[U8, SMODE_MODE, "mode"], [U8, SMODE_LABEL, "label"], [U16, SMODE_COUNT, "count"]]);
/** The window's header; rows * columns int16 follow at SWIN_DATA. */
export const SENSOR_WINDOW_LAYOUT = layout<SensorWindow>(SWIN_DATA, [
  [U32, SWIN_WINDOW, "window"], [U8, SWIN_LABEL, "label"], [U8, SWIN_COLUMNS, "columns"], [U16, SWIN_FIRST_ROW, "firstRow"],
  [U16, SWIN_ROWS, "rows"], [U16, SWIN_WINDOW_ROWS, "windowRows"],
]);
const SENSOR_RESULT_BASE_FIELDS = [
  [U8, SRES_MODE, "mode"], [U8, SRES_CLASS, "classIndex"], [U8, SRES_FLAGS, "flags"], [U32, SRES_WINDOW, "window"],
  [F32, SRES_CONFIDENCE, "confidence"], [F32, SRES_LOSS, "loss"], [U16_SAT, SRES_REMAINING, "remaining"],
  [U16_SAT, SRES_DROPPED, "dropped"],
] as const;
export const SENSOR_RESULT_LAYOUT = layout<SensorResult>(SRES_SIZE, [...SENSOR_RESULT_BASE_FIELDS, [U32, SRES_CLIPPED, "clipped"],
  [U32, SRES_CLIPPED_FEATURES, "clippedFeatures"]]);
/** Results from boards before the clipped fields: without either, and with clipped samples only. */
const SENSOR_RESULT_BASE_LAYOUT = layout<SensorResult>(SRES_BASE_SIZE, [...SENSOR_RESULT_BASE_FIELDS]);
const SENSOR_RESULT_CLIPPED_LAYOUT = layout<SensorResult>(SRES_CLIPPED_SIZE, [...SENSOR_RESULT_BASE_FIELDS, [U32, SRES_CLIPPED, "clipped"]]);

export function encodeSensorMode(view: DataView, off: number, cap: number, m: SensorMode): number {
  if (cap < SMODE_SIZE) return -ERR_TOO_LARGE;
  if (!(m.mode >= MODE_IDLE && m.mode <= MODE_INFER) || !(m.label >= 0 && m.label <= 255) || !(m.count >= 0 && m.count <= 0xffff)) return -ERR_BAD_VALUE;
  writeFields(view, off, SENSOR_MODE_LAYOUT, m);
  return SMODE_SIZE;
}

/** A mode this version does not know is BAD_VALUE (SENSOR_MODE and SENSOR_RESULT). */
export function decodeSensorMode(view: DataView, off: number, len: number, out: SensorMode): number {
  if (len < SMODE_SIZE) return ERR_BAD_LENGTH;
  out.mode = view.getUint8(off + SMODE_MODE);
  out.label = view.getUint8(off + SMODE_LABEL);
  out.count = view.getUint16(off + SMODE_COUNT, true);
  return out.mode <= MODE_INFER ? ERR_OK : ERR_BAD_VALUE;
}

/** Header of a SENSOR_WINDOW; the caller writes rows * columns int16 (little-endian) at SWIN_DATA. */
export function encodeSensorWindowHeader(view: DataView, off: number, cap: number, m: SensorWindow): number {
  const n = SWIN_DATA + 2 * m.rows * m.columns;
  if (n > cap) return -ERR_TOO_LARGE;
  if (m.columns < 1 || m.columns > 255 || m.rows < 1 || m.firstRow + m.rows > m.windowRows || m.windowRows > 0xffff) return -ERR_BAD_VALUE;
  view.setUint32(off + SWIN_WINDOW, m.window, true);
  view.setUint8(off + SWIN_LABEL, m.label);
  view.setUint8(off + SWIN_COLUMNS, m.columns);
  view.setUint16(off + SWIN_FIRST_ROW, m.firstRow, true);
  view.setUint16(off + SWIN_ROWS, m.rows, true);
  view.setUint16(off + SWIN_WINDOW_ROWS, m.windowRows, true);
  return n;
}

export function decodeSensorWindow(view: DataView, off: number, len: number, out: SensorWindow): number {
  if (len < SWIN_DATA) return ERR_BAD_LENGTH;
  readFields(view, off, SENSOR_WINDOW_LAYOUT, out);
  out.dataOffset = off + SWIN_DATA;
  if (out.columns < 1 || out.rows < 1 || out.firstRow + out.rows > out.windowRows) return ERR_BAD_VALUE;
  return SWIN_DATA + 2 * out.rows * out.columns === len ? ERR_OK : ERR_BAD_LENGTH;
}

/** Never refuses a result: counts above 0xffff are sent as 0xffff. */
export function encodeSensorResult(view: DataView, off: number, cap: number, m: SensorResult): number {
  if (cap < SRES_SIZE) return -ERR_TOO_LARGE;
  view.setUint8(off + SRES_MODE, m.mode);
  view.setUint8(off + SRES_CLASS, m.classIndex);
  view.setUint8(off + SRES_FLAGS, m.flags);
  view.setUint8(off + SRES_FLAGS + 1, 0); // reserved
  view.setUint32(off + SRES_WINDOW, m.window, true);
  view.setFloat32(off + SRES_CONFIDENCE, m.confidence, true);
  view.setFloat32(off + SRES_LOSS, m.loss, true);
  view.setUint16(off + SRES_REMAINING, m.remaining > 0xffff ? 0xffff : m.remaining, true);
  view.setUint16(off + SRES_DROPPED, m.dropped > 0xffff ? 0xffff : m.dropped, true);
  view.setUint32(off + SRES_CLIPPED, m.clipped >= 0xffffffff ? 0xffffffff : m.clipped >>> 0, true);
  view.setUint32(off + SRES_CLIPPED_FEATURES, m.clippedFeatures >= 0xffffffff ? 0xffffffff : m.clippedFeatures >>> 0, true);
  return SRES_SIZE;
}

export function decodeSensorResult(view: DataView, off: number, len: number, out: SensorResult): number {
  // Boards before the clipped fields send SRES_BASE_SIZE or SRES_CLIPPED_SIZE bytes: the rest read as 0.
  out.clipped = 0;
  out.clippedFeatures = 0;
  const layout = len >= SRES_SIZE ? SENSOR_RESULT_LAYOUT : len >= SRES_CLIPPED_SIZE ? SENSOR_RESULT_CLIPPED_LAYOUT : SENSOR_RESULT_BASE_LAYOUT;
  const err = decodeFixed(view, off, len, layout, out);
  if (err !== ERR_OK) return err;
  return out.mode <= MODE_INFER ? ERR_OK : ERR_BAD_VALUE;
}
