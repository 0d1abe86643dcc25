import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  cobsDecode, cobsEncode, cobsMaxEncodedLength, crc32, crc32Final, crc32Update, CRC32_INIT,
} from "../src/protocol/index.js";

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const hex = (a: Uint8Array) => Array.from(a, (b) => b.toString(16).padStart(2, "0")).join(" ");
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);
const cat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

function enc(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(src.length));
  const n = cobsEncode(src, 0, src.length, out, 0);
  expect(n).toBeGreaterThan(0);
  return out.subarray(0, n);
}

function dec(src: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(src.length);
  const n = cobsDecode(src, 0, src.length, out, 0);
  return n < 0 ? null : out.subarray(0, n);
}

describe("CRC-32 (IEEE, reflected)", () => {
  it("matches the standard check value and other published values", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
    expect(crc32(ascii("a"))).toBe(0xe8b7be43);
  });

  it("is the same computed incrementally over any split, and honours start/end", () => {
    const data = ascii("123456789");
    for (let cut = 0; cut <= data.length; cut++) {
      const c = crc32Update(crc32Update(CRC32_INIT, data, 0, cut), data, cut, data.length);
      expect(crc32Final(c)).toBe(0xcbf43926);
    }
    const padded = cat([0xaa, 0xbb], data, [0xcc]);
    expect(crc32(padded, 2, 11)).toBe(0xcbf43926);
    expect(crc32(padded.subarray(2, 11))).toBe(0xcbf43926); // a view with a byteOffset
  });
});

describe("COBS", () => {
  // The examples published on Wikipedia's COBS page (encoded form without the trailing 0x00).
  const vectors: [string, Uint8Array, Uint8Array][] = [
    ["00", cat([0x00]), cat([0x01, 0x01])],
    ["00 00", cat([0x00, 0x00]), cat([0x01, 0x01, 0x01])],
    ["00 11 00", cat([0x00, 0x11, 0x00]), cat([0x01, 0x02, 0x11, 0x01])],
    ["11 22 00 33", cat([0x11, 0x22, 0x00, 0x33]), cat([0x03, 0x11, 0x22, 0x02, 0x33])],
    ["11 22 33 44", cat([0x11, 0x22, 0x33, 0x44]), cat([0x05, 0x11, 0x22, 0x33, 0x44])],
    ["11 00 00 00", cat([0x11, 0x00, 0x00, 0x00]), cat([0x02, 0x11, 0x01, 0x01, 0x01])],
    ["01..FE (254 bytes)", range(1, 254), cat([0xff], range(1, 254))],
    ["00..FE (255 bytes)", range(0, 254), cat([0x01, 0xff], range(1, 254))],
    ["01..FF (255 bytes)", range(1, 255), cat([0xff], range(1, 254), [0x02, 0xff])],
    ["02..FF 00 (255 bytes)", cat(range(2, 255), [0x00]), cat([0xff], range(2, 255), [0x01, 0x01])],
    ["03..FF 00 01 (255 bytes)", cat(range(3, 255), [0x00, 0x01]), cat([0xfe], range(3, 255), [0x02, 0x01])],
    ["empty", new Uint8Array(0), cat([0x01])],
  ];

  for (const [name, raw, encoded] of vectors) {
    it(`encodes and decodes ${name}`, () => {
      expect(hex(enc(raw))).toBe(hex(encoded));
      expect(hex(dec(encoded)!)).toBe(hex(raw));
    });
  }

  it("round-trips arbitrary data, never emits 0x00, and stays within the size bound", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), (raw) => {
      const e = enc(raw);
      expect(e.includes(0)).toBe(false);
      expect(e.length).toBeLessThanOrEqual(cobsMaxEncodedLength(raw.length));
      expect(hex(dec(e)!)).toBe(hex(raw));
    }), { numRuns: 500 });
  });

  it("decodes in place", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), (raw) => {
      const buf = Uint8Array.from(enc(raw));
      const n = cobsDecode(buf, 0, buf.length, buf, 0);
      expect(hex(buf.subarray(0, n))).toBe(hex(raw));
    }), { numRuns: 300 });
  });

  it("rejects malformed input with -1 instead of throwing", () => {
    const out = new Uint8Array(16);
    expect(cobsDecode(cat([0x05, 0x11, 0x22]), 0, 3, out, 0)).toBe(-1); // code runs past the end
    expect(cobsDecode(cat([0x03, 0x11, 0x00]), 0, 3, out, 0)).toBe(-1); // zero inside
    expect(cobsDecode(cat([0x00]), 0, 1, out, 0)).toBe(-1); // zero code
    expect(cobsDecode(cat([0x05, 1, 2, 3, 4]), 0, 5, out, 0, 3)).toBe(-1); // output too small
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (junk) => {
      const r = cobsDecode(junk, 0, junk.length, new Uint8Array(600), 0);
      expect(r).toBeGreaterThanOrEqual(-1);
    }), { numRuns: 500 });
  });

  it("reports a too-small output buffer for encoding and never writes past dstEnd", () => {
    const raw = range(1, 100);
    for (let room = 0; room < 101; room++) {
      const out = new Uint8Array(110).fill(0xee);
      expect(cobsEncode(raw, 0, raw.length, out, 0, room)).toBe(-1);
      expect(out.subarray(room).every((b) => b === 0xee)).toBe(true);
    }
    expect(cobsEncode(raw, 0, raw.length, new Uint8Array(101), 0)).toBe(101);
  });

  it("honours offsets on both sides", () => {
    const src = cat([9, 9], [0x11, 0x22, 0x00, 0x33], [9]);
    const out = new Uint8Array(10).fill(0xee);
    expect(cobsEncode(src, 2, 6, out, 3)).toBe(5);
    expect(hex(out)).toBe("ee ee ee 03 11 22 02 33 ee ee");
    const back = new Uint8Array(8);
    expect(cobsDecode(out, 3, 8, back, 1)).toBe(4);
    expect(hex(back.subarray(1, 5))).toBe("11 22 00 33");
  });
});
