// Fuzzing the receive path: 10^6 frames, mutated in the ways a serial line and a buggy or hostile peer
// mutate them, pushed in random chunks through one long-lived decoder. Seeded, so failures reproduce.
import { describe, expect, it } from "vitest";
import * as P from "../src/protocol/index.js";
import {
  FrameDecoder, FrameEncoder, FRAME_OVERHEAD, HDR_LENGTH, PAYLOAD_OFFSET, maxWireLength,
  cobsEncode, cobsMaxEncodedLength, crc32,
} from "../src/protocol/index.js";

const ITERATIONS = 1_000_000;
const DECODER_MAX_FRAME = 1024;

/** xorshift32: fast, seeded, integer-only. */
function rng(seed: number) {
  let x = seed | 0 || 1;
  return (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

interface Template {
  wire: Uint8Array; // 00 COBS(frame) 00
  type: number;
  payload: Uint8Array;
  /** A well-formed frame whose length field lies (CRC valid): must never be accepted. */
  liar: boolean;
  fits: boolean; // within the decoder's limit
}

function buildTemplates(rand: (n: number) => number): Template[] {
  const enc = new FrameEncoder(P.MAX_FRAME);
  const out: Template[] = [];
  const sizes = [0, 1, 2, 3, 4, 7, 12, 24, 28, 40, 64, 100, 200, 253, 254, 255, 256, 300, 508, 509, 700, 1000,
    DECODER_MAX_FRAME - FRAME_OVERHEAD, DECODER_MAX_FRAME - FRAME_OVERHEAD + 1, 1500, 3000];
  for (let i = 0; i < 96; i++) {
    const len = i < sizes.length ? sizes[i] : rand(4) === 0 ? rand(1100) : rand(80);
    const payload = new Uint8Array(len);
    const zeroRate = rand(4); // some payloads with many zeros, some with none
    for (let k = 0; k < len; k++) payload[k] = zeroRate > 0 && rand(zeroRate * 3) === 0 ? 0 : 1 + rand(255);
    const type = 1 + rand(255);
    const liar = i % 8 === 7;
    let wire: Uint8Array;
    if (!liar) {
      const buf = new Uint8Array(maxWireLength(len));
      const n = enc.encodeBytes(type, i, rand(65536), payload, buf);
      wire = buf.slice(0, n);
    } else {
      // Correct COBS and CRC, but the length field disagrees with the bytes present.
      const f = new Uint8Array(FRAME_OVERHEAD + len);
      const v = new DataView(f.buffer);
      f[0] = P.PROTOCOL_VERSION;
      f[1] = type;
      v.setUint16(2, i, true);
      let lie = (len + 1 + rand(300)) & 0xffff;
      if (rand(2) === 0) lie = len > 0 ? rand(len) : 1;
      v.setUint16(HDR_LENGTH, lie, true);
      f.set(payload, PAYLOAD_OFFSET);
      v.setUint32(PAYLOAD_OFFSET + len, crc32(f, 0, PAYLOAD_OFFSET + len), true);
      const buf = new Uint8Array(cobsMaxEncodedLength(f.length) + 2);
      wire = buf.slice(0, cobsEncode(f, 0, f.length, buf, 1) + 2);
    }
    out.push({ wire, type, payload, liar, fits: FRAME_OVERHEAD + len <= DECODER_MAX_FRAME });
  }
  return out;
}

describe("frame decoder fuzz", () => {
  it(`survives ${ITERATIONS} random and mutated frames without accepting a corrupted one`, () => {
    const rand = rng(0x7147_9e0b);
    const templates = buildTemplates(rand);
    let accepted = 0;
    let wrong = 0; // accepted frames that differ from every frame sent, or lying ones
    let currentIndex = -1;
    let currentDelivered = false;

    const dec = new FrameDecoder(DECODER_MAX_FRAME, (type, seq, ack, view, off, len) => {
      accepted++;
      const t = seq < templates.length ? templates[seq] : undefined;
      if (t === undefined || t.liar || t.type !== type || t.payload.length !== len) {
        wrong++;
        return;
      }
      const bytes = dec.bytes;
      for (let k = 0; k < len; k++) {
        if (bytes[off + k] !== t.payload[k]) {
          wrong++;
          return;
        }
      }
      if (seq === currentIndex) currentDelivered = true;
    });
    const bufferBefore = dec.buffer;
    const capacityBefore = dec.buffer.byteLength;

    const scratch = new Uint8Array(8192); // reused for every mutated frame
    let cleanSent = 0;
    let cleanMissed = 0;
    let pushed = 0;

    for (let it = 0; it < ITERATIONS; it++) {
      const t = templates[rand(templates.length)];
      const src = t.wire;
      let n = src.length;
      scratch.set(src, 0);
      const kind = rand(10);
      switch (kind) {
        case 0: case 1: break; // clean
        case 2: { // flip 1..4 bits
          const flips = 1 + rand(4);
          for (let k = 0; k < flips; k++) scratch[rand(n)] ^= 1 << rand(8);
          break;
        }
        case 3: { // drop 1..3 bytes
          const drops = 1 + rand(3);
          for (let k = 0; k < drops && n > 1; k++) {
            const at = rand(n);
            scratch.copyWithin(at, at + 1, n);
            n--;
          }
          break;
        }
        case 4: { // insert 1..3 bytes (0x00 included)
          const ins = 1 + rand(3);
          for (let k = 0; k < ins; k++) {
            const at = rand(n + 1);
            scratch.copyWithin(at + 1, at, n);
            scratch[at] = rand(4) === 0 ? 0 : rand(256);
            n++;
          }
          break;
        }
        case 5: n = rand(n); break; // truncate
        case 6: { // overwrite a byte, or a run of bytes, with random values
          const at = rand(n);
          const run = 1 + rand(Math.min(8, n - at));
          for (let k = 0; k < run; k++) scratch[at + k] = rand(256);
          break;
        }
        case 7: { // garbage burst (text-like, no zeros, or binary), then the clean frame
          const g = rand(200);
          const binary = rand(2) === 0;
          scratch.copyWithin(g, 0, n);
          for (let k = 0; k < g; k++) scratch[k] = binary ? rand(256) : 0x20 + rand(95);
          n += g;
          break;
        }
        case 8: { // duplicate a slice (a retransmitted fragment glued in)
          const at = rand(n);
          const len = Math.min(1 + rand(32), n - at, scratch.length - n);
          scratch.copyWithin(at + len, at, n);
          n += len;
          break;
        }
        default: { // swap two bytes
          const a = rand(n), b = rand(n);
          const x = scratch[a];
          scratch[a] = scratch[b];
          scratch[b] = x;
        }
      }
      const clean = kind <= 1 || kind === 7;
      currentIndex = templates.indexOf(t);
      currentDelivered = false;
      // Push in random chunks through start/end (no subarray: the device path would not allocate).
      let at = 0;
      while (at < n) {
        const step = rand(4) === 0 ? n - at : 1 + rand(64);
        const end = Math.min(n, at + step);
        dec.push(scratch, at, end);
        at = end;
      }
      pushed += n;
      if (clean && t.fits && !t.liar) {
        cleanSent++;
        if (!currentDelivered) cleanMissed++;
      }
    }

    if (process.env.FUZZ_STATS) {
      console.log({ accepted, cleanSent, pushed, frames: dec.frames, crc: dec.crcErrors, cobs: dec.cobsErrors,
        length: dec.lengthErrors, version: dec.versionErrors, overruns: dec.overruns, garbage: dec.garbageBytes });
    }
    expect(wrong).toBe(0);
    expect(cleanMissed).toBe(0); // every intact frame got through, whatever came before it
    expect(cleanSent).toBeGreaterThan(ITERATIONS / 5); // about a quarter by construction (kinds 0, 1, 7 of clean templates)
    expect(accepted).toBeGreaterThanOrEqual(cleanSent);
    // Every rejection path was exercised.
    expect(dec.crcErrors).toBeGreaterThan(1000);
    expect(dec.cobsErrors).toBeGreaterThan(1000);
    expect(dec.lengthErrors).toBeGreaterThan(1000);
    expect(dec.overruns).toBeGreaterThan(1000);
    expect(dec.garbageBytes).toBeGreaterThan(0);
    expect(dec.garbageBytes).toBeLessThan(pushed);
    // Memory stayed bounded: the same buffer, never grown.
    expect(dec.buffer).toBe(bufferBefore);
    expect(dec.buffer.byteLength).toBe(capacityBefore);
    expect(dec.bytes.buffer).toBe(bufferBefore);
    expect(dec.view.buffer).toBe(bufferBefore);
  });

  it("decodes arbitrary payloads of every message type without throwing", () => {
    const rand = rng(12345);
    const buf = new ArrayBuffer(2048);
    const view = new DataView(buf);
    const bytes = new Uint8Array(buf);
    const outs = {
      hello: new P.Hello(), caps: new P.Caps(), ack: new P.Ack(), ping: new P.Ping(), pong: new P.Pong(),
      err: new P.ErrorMsg(), log: new P.Log(), config: new P.Config(), tensor: new P.TensorMsg(), report: new P.Report(),
      result: new P.PredictResult(), get: new P.WeightsGet(), chunk: new P.WeightsChunk(), commit: new P.WeightsCommit(),
    };
    const decoders: ((off: number, len: number) => number)[] = [
      (o, l) => P.decodeHello(view, o, l, outs.hello), (o, l) => P.decodeCaps(view, o, l, outs.caps),
      (o, l) => P.decodeAck(view, o, l, outs.ack), (o, l) => P.decodePing(view, o, l, outs.ping),
      (o, l) => P.decodePong(view, o, l, outs.pong), (o, l) => P.decodeError(view, o, l, outs.err),
      (o, l) => P.decodeLog(view, o, l, outs.log), (o, l) => P.decodeConfig(view, o, l, outs.config),
      (o, l) => P.decodeSampleBatch(view, o, l, outs.tensor), (o, l) => P.decodeReport(view, o, l, outs.report),
      (o, l) => P.decodePredictRequest(view, o, l, outs.tensor), (o, l) => P.decodePredictResult(view, o, l, outs.result),
      (o, l) => P.decodeWeightsGet(view, o, l, outs.get), (o, l) => P.decodeWeightsData(view, o, l, outs.chunk),
      (o, l) => P.decodeWeightsPut(view, o, l, outs.chunk), (o, l) => P.decodeWeightsCommit(view, o, l, outs.commit),
    ];
    const seen = new Set<number>();
    let bad = 0;
    for (let it = 0; it < 200_000; it++) {
      const len = rand(4) === 0 ? rand(1500) : rand(64);
      // Mostly small numbers in the header area, so the deeper checks are reached too.
      for (let k = 0; k < len; k++) bytes[PAYLOAD_OFFSET + k] = rand(3) === 0 ? rand(256) : rand(4);
      const r = decoders[it % decoders.length](PAYLOAD_OFFSET, len);
      if (!(Number.isInteger(r) && r >= 0 && r <= P.ERR_TOO_LARGE)) bad++;
      seen.add(r);
      if (r === P.ERR_OK && it % decoders.length === 8) {
        // An accepted batch never points outside the payload.
        const t = outs.tensor;
        if (t.dataOffset + t.dataBytes !== PAYLOAD_OFFSET + len || t.labelsOffset + t.count > t.dataOffset) bad++;
      }
    }
    expect(bad).toBe(0);
    expect(seen.has(P.ERR_OK)).toBe(true);
    expect(seen.has(P.ERR_BAD_LENGTH)).toBe(true);
  });
});
