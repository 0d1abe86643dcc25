// RAW_SLICE (docs/protocol.md section 3, "Raw batches in slices"): a raw batch whose windows are longer
// than the line carries well in one frame travels as several frames of rows. The batch's `count` windows
// of `windowRows` rows are one stream of count x windowRows rows; a slice carries rows
// [firstRow, firstRow + rows) of it (they may run on from one window into the next), and the batch's
// labels, so that every slice can be checked on its own. The device trains the batch when its last row
// arrives. Written out field by field: the device decodes one per frame (layout.ts says why not tables).
import { ERR_BAD_LABEL, ERR_BAD_LENGTH, ERR_BAD_VALUE, ERR_OK, ERR_TOO_LARGE, MAX_BATCH_ID, MAX_CLASSES } from "./codes.js";
import { align4, isUint } from "./layout.js";

export const SLICE_BATCH_ID = 0, SLICE_COUNT = 4, SLICE_COLUMNS = 6, SLICE_WINDOW_ROWS = 8, SLICE_ROWS = 10;
export const SLICE_FIRST_ROW = 12, SLICE_LABELS = 16;

/** A decoded RAW_SLICE; labelsOffset and dataOffset are absolute in the view's buffer (data 4-byte aligned). */
export class RawSlice {
  batchId = 0; count = 0; columns = 0; windowRows = 0; rows = 0; firstRow = 0;
  labelsOffset = 0; dataOffset = 0;
}

/** Payload length of a slice of `rows` rows of `columns` in a batch of `count` windows. */
export function rawSliceLength(count: number, rows: number, columns: number): number {
  return align4(SLICE_LABELS + count) + 2 * rows * columns;
}

function sliceError(m: RawSlice): number {
  if (!(isUint(m.batchId, MAX_BATCH_ID) && m.batchId >= 1)) return ERR_BAD_VALUE;
  if (!(isUint(m.count, 0xffff) && m.count >= 1) || !(isUint(m.columns, 0xff) && m.columns >= 1)) return ERR_BAD_VALUE;
  if (!(isUint(m.windowRows, 0xffff) && m.windowRows >= 1) || !(isUint(m.rows, 0xffff) && m.rows >= 1)) return ERR_BAD_VALUE;
  // count * windowRows < 2^32: exact in doubles, so a lying firstRow cannot wrap past the end.
  if (!isUint(m.firstRow, 0xffffffff) || m.firstRow + m.rows > m.count * m.windowRows) return ERR_BAD_VALUE;
  return ERR_OK;
}

/**
 * RAW_SLICE: `labels` (count class indices) and `data` (rows x columns int16 counts, row-major) of rows
 * [firstRow, firstRow + rows) of the batch.
 */
export function encodeRawSlice(view: DataView, off: number, cap: number, m: RawSlice, labels: ArrayLike<number>,
  data: Int16Array): number {
  const err = sliceError(m);
  if (err !== ERR_OK) return -err;
  if (labels.length !== m.count || data.length !== m.rows * m.columns) return -ERR_BAD_LENGTH;
  const dataAt = align4(SLICE_LABELS + m.count);
  const n = dataAt + 2 * data.length;
  if (n > cap) return -ERR_TOO_LARGE;
  view.setUint32(off + SLICE_BATCH_ID, m.batchId, true);
  view.setUint16(off + SLICE_COUNT, m.count, true);
  view.setUint8(off + SLICE_COLUMNS, m.columns);
  view.setUint8(off + SLICE_COLUMNS + 1, 0); // reserved
  view.setUint16(off + SLICE_WINDOW_ROWS, m.windowRows, true);
  view.setUint16(off + SLICE_ROWS, m.rows, true);
  view.setUint32(off + SLICE_FIRST_ROW, m.firstRow, true);
  for (let i = 0; i < m.count; i++) {
    const l = labels[i];
    if (!isUint(l, MAX_CLASSES - 1)) return -ERR_BAD_LABEL;
    view.setUint8(off + SLICE_LABELS + i, l);
  }
  for (let i = SLICE_LABELS + m.count; i < dataAt; i++) view.setUint8(off + i, 0);
  for (let i = 0; i < data.length; i++) view.setInt16(off + dataAt + 2 * i, data[i], true);
  return n;
}

/** RAW_SLICE: the payload's own consistency (the device checks it against its pipeline and model). */
export function decodeRawSlice(view: DataView, off: number, len: number, out: RawSlice): number {
  if (len < SLICE_LABELS) return ERR_BAD_LENGTH;
  out.batchId = view.getUint32(off + SLICE_BATCH_ID, true);
  out.count = view.getUint16(off + SLICE_COUNT, true);
  out.columns = view.getUint8(off + SLICE_COLUMNS);
  out.windowRows = view.getUint16(off + SLICE_WINDOW_ROWS, true);
  out.rows = view.getUint16(off + SLICE_ROWS, true);
  out.firstRow = view.getUint32(off + SLICE_FIRST_ROW, true);
  out.labelsOffset = off + SLICE_LABELS;
  out.dataOffset = 0;
  const err = sliceError(out);
  if (err !== ERR_OK) return err;
  const dataAt = align4(SLICE_LABELS + out.count);
  if (dataAt + 2 * out.rows * out.columns !== len) return ERR_BAD_LENGTH;
  out.dataOffset = off + dataAt;
  return ERR_OK;
}
