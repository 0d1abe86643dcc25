// CRC-32 (IEEE 802.3): reflected, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF.
//
// The running value is kept as a signed int32 on purpose: under XS, a number above 2^31-1 becomes a
// (software-emulated) double on the ESP32, while int32 values stay in integer slots. Table entries are
// therefore stored in an Int32Array, and `>>> 8` is only applied where the result fits in 24 bits.

const POLY = 0xedb88320 | 0;

/** 256-entry lookup table, built once at module load. */
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c | 0;
}

/** Initial register value for the incremental form. */
export const CRC32_INIT = -1; // 0xFFFFFFFF as int32

/** Feeds bytes[start, end) into a running register value (from CRC32_INIT or a previous update). */
export function crc32Update(crc: number, bytes: Uint8Array, start: number, end: number): number {
  let c = crc | 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return c;
}

/** Final xor, as a signed int32: compare directly with DataView.getInt32() of a stored CRC. */
export function crc32FinalInt(crc: number): number {
  return ~crc;
}

/** Final xor, as the usual unsigned value (0..2^32-1). May be a double under XS; use off the hot path. */
export function crc32Final(crc: number): number {
  return ~crc >>> 0;
}

/** One-shot CRC-32 of bytes[start, end), unsigned. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32Final(crc32Update(CRC32_INIT, bytes, start, end));
}
