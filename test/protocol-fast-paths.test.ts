// The codecs the device runs with every few frames are written out field by field (cheaper under XS than the
// layout loop, see src/protocol/layout.ts); their other side and every other message go through the layout
// tables. This holds each written-out codec to its table: on many random messages and payloads, the same
// bytes, the same accept/refuse decision and the same decoded fields as the table's own loop.
import { describe, expect, it } from "vitest";
import * as P from "../src/protocol/messages.js";
import * as S from "../src/protocol/sensor.js";
import { fieldsInRange, readFields, writeFields, type Layout } from "../src/protocol/layout.js";
import { Random } from "../src/index.js";

const ROUNDS = 2000;
const rng = new Random(20261202);

/** A field value: mostly in range for `max`, sometimes just past it, negative or fractional. */
function value(max: number): number {
  const r = rng.below(10);
  if (r === 0) return max + 1;
  if (r === 1) return -1;
  if (r === 2) return 0.5;
  if (r === 3) return max;
  return Math.floor(rng.uniform() * (max + 1));
}

function randomBytes(n: number): DataView {
  const v = new DataView(new ArrayBuffer(n));
  for (let i = 0; i < n; i++) v.setUint8(i, rng.below(256));
  return v;
}

/** Encodes `m` with the written-out encoder and with the table; both must agree on whether and what. */
function sameAsTable<T>(l: Layout<T>, m: T, encode: (v: DataView, off: number, cap: number, m: T) => number,
  valid: (m: T) => boolean): boolean {
  const fast = new DataView(new ArrayBuffer(l.size + 8)), table = new DataView(new ArrayBuffer(l.size + 8));
  for (let i = 0; i < fast.byteLength; i++) { fast.setUint8(i, 0xa5); table.setUint8(i, 0xa5); }
  const n = encode(fast, 4, l.size, m);
  const ok = valid(m);
  expect(n > 0, JSON.stringify(m)).toBe(ok);
  if (!ok) return false;
  writeFields(table, 4, l, m);
  expect(new Uint8Array(fast.buffer)).toEqual(new Uint8Array(table.buffer));
  return true;
}

/** Decodes random payload bytes with the written-out decoder and with the table: the same fields. */
function readsAsTable<T extends object>(l: Layout<T>, make: () => T, decode: (v: DataView, off: number, len: number, out: T) => number,
  payloadLength: number) {
  const v = randomBytes(payloadLength + 4);
  const fast = make(), table = make();
  decode(v, 4, payloadLength, fast);
  readFields(v, 4, l, table);
  for (const name of l.names) expect(fast[name], String(name)).toBe(table[name]);
}

describe("each written-out encoder writes what its layout table writes", () => {
  it("ACK, PONG, ERROR: any field that fits its width", () => {
    let accepted = 0;
    for (let k = 0; k < ROUNDS; k++) {
      const ack = Object.assign(new P.Ack(), { read: Math.floor((rng.uniform() - 0.5) * 2 ** 33), window: value(0xffff), flags: value(0xff), token: value(0xff) });
      if (sameAsTable(P.ACK_LAYOUT, ack, P.encodeAck, (m) => fieldsInRange(P.ACK_LAYOUT, m))) accepted++;
      const pong = Object.assign(new P.Pong(), { token: value(0xffffffff), uptimeMs: value(0xffffffff) });
      if (sameAsTable(P.PONG_LAYOUT, pong, P.encodePong, (m) => fieldsInRange(P.PONG_LAYOUT, m))) accepted++;
      const err = Object.assign(new P.ErrorMsg(), { code: value(0xffff), refSeq: value(0xffff), refType: value(0xff), detail: value(0xffffffff) });
      if (sameAsTable(P.ERROR_LAYOUT, err, P.encodeError, (m) => fieldsInRange(P.ERROR_LAYOUT, m))) accepted++;
    }
    expect(accepted).toBeGreaterThan(ROUNDS / 2); // both outcomes were exercised
    expect(accepted).toBeLessThan(3 * ROUNDS);
  });

  it("REPORT: integers that fit, any loss, an accuracy in [0, 1]", () => {
    let accepted = 0;
    for (let k = 0; k < ROUNDS; k++) {
      const loss = [NaN, Infinity, rng.uniform() * 10][rng.below(3)];
      const r = Object.assign(new P.Report(), {
        step: value(0xffffffff), batchId: value(0xffffffff), loss, accuracy: rng.uniform() * 1.2 - 0.1,
        stepMicros: value(0xffffffff), freeBytes: value(0xffffffff),
      });
      const valid = (m: P.Report) => fieldsInRange(P.REPORT_LAYOUT, m) && m.accuracy >= 0 && m.accuracy <= 1;
      if (sameAsTable(P.REPORT_LAYOUT, r, P.encodeReport, valid)) accepted++;
    }
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(ROUNDS);
  });

  it("PREDICT_RESULT header: the table's fields before the scores", () => {
    for (let k = 0; k < ROUNDS; k++) {
      const m = Object.assign(new P.PredictResult(), { requestId: value(0xffffffff), count: 1 + rng.below(3), classes: 1 + rng.below(P.MAX_CLASSES) });
      const scores = Array.from({ length: m.count * m.classes }, () => rng.uniform());
      const cap = P.RESULT_SCORES + 4 * scores.length;
      const fast = new DataView(new ArrayBuffer(cap)), table = new DataView(new ArrayBuffer(P.RESULT_SCORES));
      const n = P.encodePredictResult(fast, 0, cap, m, scores);
      expect(n > 0).toBe(fieldsInRange(P.RESULT_LAYOUT, m));
      if (n < 0) continue;
      writeFields(table, 0, P.RESULT_LAYOUT, m);
      expect(new Uint8Array(fast.buffer, 0, P.RESULT_SCORES)).toEqual(new Uint8Array(table.buffer));
    }
  });

  it("SENSOR_WINDOW header and SENSOR_RESULT (counts above 0xffff sent as 0xffff)", () => {
    for (let k = 0; k < ROUNDS; k++) {
      const w = Object.assign(new S.SensorWindow(), {
        window: value(0xffffffff) >>> 0, label: rng.below(256), columns: 1 + rng.below(255), firstRow: rng.below(100),
        rows: 1 + rng.below(4), windowRows: 100 + rng.below(10),
      });
      const cap = S.SWIN_DATA + 2 * w.rows * w.columns;
      const fast = new DataView(new ArrayBuffer(cap)), table = new DataView(new ArrayBuffer(S.SWIN_DATA));
      const n = S.encodeSensorWindowHeader(fast, 0, cap, w);
      expect(n > 0).toBe(w.firstRow + w.rows <= w.windowRows);
      if (n > 0) {
        writeFields(table, 0, S.SENSOR_WINDOW_LAYOUT, w);
        expect(new Uint8Array(fast.buffer, 0, S.SWIN_DATA)).toEqual(new Uint8Array(table.buffer));
      }
      const r = Object.assign(new S.SensorResult(), {
        mode: rng.below(4), classIndex: rng.below(256), flags: rng.below(2), window: value(0xffffffff) >>> 0,
        confidence: rng.uniform(), loss: rng.uniform() * 5, remaining: value(0x1ffff) >>> 0, dropped: value(0x1ffff) >>> 0,
      });
      sameAsTable(S.SENSOR_RESULT_LAYOUT, r, S.encodeSensorResult, () => true);
    }
  });
});

describe("each written-out decoder reads what its layout table reads", () => {
  it("ACK, PING, CONFIG, the SAMPLE_BATCH / PREDICT_REQ header and SENSOR_MODE, on random payload bytes", () => {
    for (let k = 0; k < ROUNDS; k++) {
      readsAsTable(P.ACK_LAYOUT, () => new P.Ack(), P.decodeAck, P.ACK_SIZE);
      readsAsTable(P.PING_LAYOUT, () => new P.Ping(), P.decodePing, P.PING_SIZE);
      readsAsTable(P.CONFIG_LAYOUT, () => new P.Config(), P.decodeConfig, P.CONFIG_SIZE_FROZEN);
      readsAsTable(P.TENSOR_LAYOUT, () => new P.TensorMsg(), P.decodeSampleBatch, P.TENSOR_HEADER_SIZE + 64);
      readsAsTable(P.TENSOR_LAYOUT, () => new P.TensorMsg(), P.decodePredictRequest, P.TENSOR_HEADER_SIZE + 64);
      readsAsTable(S.SENSOR_MODE_LAYOUT, () => new S.SensorMode(), S.decodeSensorMode, S.SMODE_SIZE);
    }
  });

  it("the written-out decoders accept what the table-driven encoders write, field for field", () => {
    const v = new DataView(new ArrayBuffer(64));
    const ping = Object.assign(new P.Ping(), { token: 0xfedcba98 });
    expect(P.decodePing(v, 0, P.encodePing(v, 0, 64, ping), new P.Ping())).toBe(P.ERR_OK);
    const c = Object.assign(new P.Config(), { learningRate: 0.5, batchSize: 7, optimizer: P.OPT_ADAM, beta1: 0.5, beta2: 0.75, epsilon: 0.25, flags: P.CONFIG_FLAG_FROZEN, frozen: 2 });
    const out = new P.Config();
    expect(P.decodeConfig(v, 0, P.encodeConfig(v, 0, 64, c), out)).toBe(P.ERR_OK);
    expect(out).toEqual(c);
  });
});
