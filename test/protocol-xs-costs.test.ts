// Frame and message decoding is a hot path on the device: every decodeX (through the field layouts of
// src/protocol/layout.ts or written out field by field) and the frame decoder that calls them must allocate
// nothing, not even a string chunk. Counted by the instrumented XS (host-sim/xs/counters.ts, docs/xs-meter.md)
// on payloads the XS side encodes itself, per call after a warm-up; the encoders the device uses are held to
// the same rule.
// A control proves the count sees one allocation per call.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countSteps, startInstrumented } from "../host-sim/xs/counters";
import { readXsBundle } from "../host-sim/xs/twin";
import type { XsEngine } from "../host-sim/xs/xsnap";

const STEPS = 50;
const NONE = { chunkBytes: 0, slots: 0 };

/** [name, message class, JS that sets up `m` before encoding, encode call (returns the length), decode function]. */
const MESSAGES: [string, string, string, string, string][] = [
  ["HELLO", "Hello", "m.hostNonce = 0x89abcdef; m.maxFrame = 1024;", "P.encodeHello(v, o, 256, m)", "decodeHello"],
  ["CAPS", "Caps", "m.layerCount = 3; m.layerSizes[0] = 30; m.layerSizes[1] = 32; m.layerSizes[2] = 5; m.inputDims[0] = 30; m.classes = 5; m.bootNonce = 0xfffffff0;",
    "P.encodeCaps(v, o, 256, m)", "decodeCaps"],
  ["ACK", "Ack", "m.read = -5; m.window = 0xffff; m.flags = 3; m.token = 9;", "P.encodeAck(v, o, 256, m)", "decodeAck"],
  ["PING", "Ping", "m.token = 0xfedcba98;", "P.encodePing(v, o, 256, m)", "decodePing"],
  ["PONG", "Pong", "m.token = 7; m.uptimeMs = 0x80000001;", "P.encodePong(v, o, 256, m)", "decodePong"],
  ["ERROR", "ErrorMsg", "m.code = 9; m.refSeq = 65535; m.refType = 0x11; m.detail = 0xffffffff;", "P.encodeError(v, o, 256, m)", "decodeError"],
  ["LOG", "Log", "", "P.encodeLog(v, o, 256, 2, 'hello')", "decodeLog"],
  ["CONFIG", "Config", "m.optimizer = P.OPT_ADAM; m.beta1 = 0.9; m.beta2 = 0.999; m.flags = P.CONFIG_FLAG_FROZEN; m.frozen = 1;",
    "P.encodeConfig(v, o, 256, m)", "decodeConfig"],
  ["SAMPLE_BATCH", "TensorMsg", "m.id = 3; m.count = 2; m.dims[0] = 4;",
    "P.encodeSampleBatch(v, o, 256, m, [1, 2], new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer))", "decodeSampleBatch"],
  ["PREDICT_REQ", "TensorMsg", "m.id = 0; m.count = 1; m.dims[0] = 4;",
    "P.encodePredictRequest(v, o, 256, m, new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer))", "decodePredictRequest"],
  ["REPORT", "Report", "m.step = 0xfffffffe; m.batchId = 2; m.loss = 0.25; m.accuracy = 0.5; m.freeBytes = 4096;", "P.encodeReport(v, o, 256, m)", "decodeReport"],
  ["PREDICT_RESULT", "PredictResult", "m.requestId = 1; m.count = 1; m.classes = 3;", "P.encodePredictResult(v, o, 256, m, [0.25, 0.5, 0.25])", "decodePredictResult"],
  ["WEIGHTS_GET", "WeightsGet", "m.offset = 8; m.length = 64;", "P.encodeWeightsGet(v, o, 256, m)", "decodeWeightsGet"],
  ["WEIGHTS_DATA", "WeightsChunk", "m.offset = 4; m.total = 100; m.blobCrc = 0xdeadbeef; m.batchId = 5;",
    "P.encodeWeightsData(v, o, 256, m, new Uint8Array(16), 0, 16)", "decodeWeightsData"],
  ["WEIGHTS_PUT", "WeightsChunk", "m.offset = 4; m.total = 100;", "P.encodeWeightsPut(v, o, 256, m, new Uint8Array(16), 0, 16)", "decodeWeightsPut"],
  ["WEIGHTS_COMMIT", "WeightsCommit", "m.total = 100; m.blobCrc = 0xdeadbeef; m.batchId = 5;", "P.encodeWeightsCommit(v, o, 256, m)", "decodeWeightsCommit"],
  ["CHECKPOINT_STATE", "CheckpointState", "m.flags = 5; m.every = 10; m.saves = 0x80000000;", "P.encodeCheckpointState(v, o, 256, m)", "decodeCheckpointState"],
  ["RAW_SLICE", "RawSlice", "m.batchId = 9; m.count = 2; m.columns = 3; m.windowRows = 5; m.rows = 4; m.firstRow = 3;",
    "P.encodeRawSlice(v, o, 256, m, [1, 2], new Int16Array([1, -2, 3, -4, 5, -6, 7, -8, 9, -32768, 32767, 0]))", "decodeRawSlice"],
  ["SENSOR_MODE", "SensorMode", "m.mode = P.MODE_LEARN; m.label = 2; m.count = 10;", "P.encodeSensorMode(v, o, 256, m)", "decodeSensorMode"],
  ["SENSOR_WINDOW", "SensorWindow", "m.window = 0x90000000; m.columns = 6; m.rows = 2; m.windowRows = 50;",
    "P.encodeSensorWindowHeader(v, o, 256, m)", "decodeSensorWindow"],
  ["SENSOR_RESULT", "SensorResult", "m.mode = P.MODE_INFER; m.classIndex = 2; m.confidence = 0.75; m.remaining = 70000;",
    "P.encodeSensorResult(v, o, 256, m)", "decodeSensorResult"],
];

let xs: XsEngine;
beforeAll(async () => {
  xs = await startInstrumented();
  await xs.evaluate(readXsBundle());
  // Each message encoded once at its own 256-byte slot (offset 4 within it: the payload offset need not be 0).
  await xs.evaluate(`
    globalThis.P = tinyprop.protocol;
    globalThis.v = new DataView(new ArrayBuffer(${256 * MESSAGES.length}));
    globalThis.msg = {};
    ${MESSAGES.map(([name, cls, setup, encode, decode], k) => `
    (function () {
      const o = ${256 * k + 4}, m = new P.${cls}();
      ${setup}
      const n = ${encode};
      if (!(n > 0)) throw new Error("${name}: encode returned " + n);
      const out = new P.${cls}();
      const err = P.${decode}(v, o, n, out);
      if (err !== P.ERR_OK) throw new Error("${name}: decode returned " + err);
      msg["${name}"] = { o, n, m, out };
    })();`).join("")}
  `);
}, 600_000);
afterAll(async () => {
  await xs?.close();
});

describe("decoding allocates nothing under XS", () => {
  it.each(MESSAGES.map(([name, , , , decode]) => [name, decode]))("%s (%s): 0 chunk bytes, 0 slots", async (name, decode) => {
    await xs.evaluate(`globalThis.cur = msg["${name}"];`);
    const c = await countSteps(xs, `P.${decode}(v, cur.o, cur.n, cur.out);`, STEPS, 3);
    expect({ chunkBytes: c.chunkBytes, slots: c.slots }).toEqual(NONE);
  });

  it("the frame decoder delivering a SAMPLE_BATCH frame that the handler decodes: 0 chunk bytes, 0 slots", async () => {
    await xs.evaluate(`
      globalThis.batch = new P.TensorMsg();
      globalThis.frames = 0;
      globalThis.dec = new P.FrameDecoder(1024, (type, seq, ack, view, off, len) => {
        if (type === P.MSG_SAMPLE_BATCH && P.decodeSampleBatch(view, off, len, batch) === P.ERR_OK) frames++;
      });
      const enc = new P.FrameEncoder(1024);
      const b = msg["SAMPLE_BATCH"];
      for (let i = 0; i < b.n; i++) enc.bytes[P.PAYLOAD_OFFSET + i] = v.getUint8(b.o + i);
      globalThis.wire = new Uint8Array(P.maxWireLength(b.n));
      globalThis.wireLength = enc.encode(P.MSG_SAMPLE_BATCH, 1, 0, b.n, wire);`);
    const c = await countSteps(xs, "dec.push(wire, 0, wireLength);", STEPS, 3);
    expect({ chunkBytes: c.chunkBytes, slots: c.slots }).toEqual(NONE);
    const [frames, id] = await xs.run("print(frames); print(batch.id);");
    expect(Number(frames)).toBeGreaterThanOrEqual(STEPS);
    expect(Number(id)).toBe(3);
  });

  it("control: a decode into a new message object each call is seen", async () => {
    await xs.evaluate(`globalThis.cur = msg["ACK"];`);
    const c = await countSteps(xs, "P.decodeAck(v, cur.o, cur.n, new P.Ack());", STEPS, 3);
    expect(c.slots).toBeGreaterThan(0);
  });
});

describe("the encoders the device uses allocate nothing under XS", () => {
  it.each([
    ["REPORT", "P.encodeReport(v, cur.o, 256, cur.m);"],
    ["ACK", "P.encodeAck(v, cur.o, 256, cur.m);"],
    ["ERROR", "P.encodeError(v, cur.o, 256, cur.m);"],
    ["CAPS", "P.encodeCaps(v, cur.o, 256, cur.m);"],
    ["PONG", "P.encodePong(v, cur.o, 256, cur.m);"],
    ["CHECKPOINT_STATE", "P.encodeCheckpointState(v, cur.o, 256, cur.m);"],
    ["PREDICT_RESULT", "P.encodePredictResult(v, cur.o, 256, cur.m, scores);"],
    ["WEIGHTS_DATA", "P.encodeWeightsData(v, cur.o, 256, cur.m, chunk, 0, 16);"],
    ["SENSOR_WINDOW", "P.encodeSensorWindowHeader(v, cur.o, 256, cur.m);"],
    ["SENSOR_RESULT", "P.encodeSensorResult(v, cur.o, 256, cur.m);"],
  ])("%s: 0 chunk bytes, 0 slots", async (name, step) => {
    await xs.evaluate(`globalThis.cur = msg["${name}"]; globalThis.scores = new Float32Array([0.25, 0.5, 0.25]); globalThis.chunk = new Uint8Array(16);`);
    const c = await countSteps(xs, step, STEPS, 3);
    expect({ chunkBytes: c.chunkBytes, slots: c.slots }).toEqual(NONE);
  });
});
