// Consistent Overhead Byte Stuffing: removes every 0x00 from a block so 0x00 can delimit frames.
// Each run of up to 254 non-zero bytes is preceded by a code byte (run length + 1). A code below 0xFF
// implies a zero after the run, except at the very end; a 0xFF run implies none. A trailing 254-byte run
// gets no extra code byte (the variant used by the published examples).
// Both functions work on caller-provided buffers, allocate nothing and return -1 instead of throwing.

/** Largest encoded size for n input bytes (without delimiters). */
export function cobsMaxEncodedLength(n: number): number {
  return n + ((n / 254) | 0) + 1;
}

/**
 * Encodes src[srcStart, srcEnd) into dst starting at dstStart, never writing at or beyond dstEnd.
 * Returns the number of bytes written, or -1 if dst is too small.
 */
export function cobsEncode(
  src: Uint8Array, srcStart: number, srcEnd: number,
  dst: Uint8Array, dstStart: number, dstEnd: number = dst.length,
): number {
  let codeAt = dstStart; // where the current run's code byte goes
  let w = dstStart + 1;
  let code = 1;
  if (codeAt >= dstEnd) return -1;
  for (let i = srcStart; i < srcEnd; i++) {
    const b = src[i];
    if (b === 0) {
      dst[codeAt] = code;
      codeAt = w++;
      code = 1;
      if (codeAt >= dstEnd) return -1;
    } else {
      if (w >= dstEnd) return -1;
      dst[w++] = b;
      code++;
      if (code === 0xff) {
        dst[codeAt] = code;
        code = 1;
        // A full run at the very end needs no further code byte.
        if (i + 1 === srcEnd) return w - dstStart;
        codeAt = w++;
        if (codeAt >= dstEnd) return -1;
      }
    }
  }
  dst[codeAt] = code;
  return w - dstStart;
}

/**
 * Decodes src[srcStart, srcEnd) (no delimiters) into dst starting at dstStart, never writing at or
 * beyond dstEnd. Returns the decoded length, or -1 if the input is malformed (a 0x00 inside, or a code
 * pointing past the end) or dst is too small.
 * In-place decoding (dst === src, dstStart <= srcStart) is safe: the write position never passes the
 * read position.
 */
export function cobsDecode(
  src: Uint8Array, srcStart: number, srcEnd: number,
  dst: Uint8Array, dstStart: number, dstEnd: number = dst.length,
): number {
  let r = srcStart;
  let w = dstStart;
  while (r < srcEnd) {
    const code = src[r++];
    if (code === 0) return -1;
    const runEnd = r + code - 1;
    if (runEnd > srcEnd) return -1;
    if (w + (runEnd - r) > dstEnd) return -1;
    while (r < runEnd) {
      const b = src[r++];
      if (b === 0) return -1;
      dst[w++] = b;
    }
    if (code !== 0xff && r < srcEnd) {
      if (w >= dstEnd) return -1;
      dst[w++] = 0;
    }
  }
  return w - dstStart;
}
