import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as P from "../src/protocol/index.js";
import {
  FrameDecoder, FrameEncoder, PAYLOAD_OFFSET, FRAME_OVERHEAD, HDR_LENGTH, HDR_VERSION, maxWireLength,
  crc32, cobsEncode, cobsMaxEncodedLength,
} from "../src/protocol/index.js";
import { buildModel, gestureModelSpec } from "../src/index.js";
import { specFromPayload, specPayloadLength, writeSpecPayload } from "../src/modelfile/index.js";

interface Got { type: number; seq: number; ack: number; payload: Uint8Array }

/** A decoder that records copies of every accepted frame. */
function recorder(maxFrame = 2048) {
  const got: Got[] = [];
  const dec = new FrameDecoder(maxFrame, (type, seq, ack, view, off, len) => {
    got.push({ type, seq, ack, payload: new Uint8Array(view.buffer, off, len).slice() });
  });
  return { dec, got };
}

const enc = new FrameEncoder(P.MAX_FRAME);
function wire(type: number, seq: number, ack: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxWireLength(payload.length));
  const n = enc.encodeBytes(type, seq, ack, payload, out);
  expect(n).toBeGreaterThan(0);
  return out.slice(0, n);
}
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const bytesOf = (f: Float32Array) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);

/** Frame bytes (decoded, before COBS) with arbitrary header fields and a correct CRC. */
function rawFrame(version: number, type: number, lengthField: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(FRAME_OVERHEAD + payload.length);
  const v = new DataView(f.buffer);
  f[HDR_VERSION] = version;
  f[1] = type;
  v.setUint16(HDR_LENGTH, lengthField, true);
  f.set(payload, PAYLOAD_OFFSET);
  v.setUint32(PAYLOAD_OFFSET + payload.length, crc32(f, 0, PAYLOAD_OFFSET + payload.length), true);
  const out = new Uint8Array(cobsMaxEncodedLength(f.length) + 2);
  const n = cobsEncode(f, 0, f.length, out, 1);
  return out.slice(0, n + 2); // leading and trailing 0x00 already zero
}

// ---- One example of every message, encoded through the message codecs.

type Example = { type: number; encode: (v: DataView, off: number, cap: number) => number; check: (v: DataView, off: number, len: number) => void };

const caps = Object.assign(new P.Caps(), {
  minor: 2, flags: 1, bootNonce: 0xdeadbeef, hostNonce: 0x12345678, maxFrame: 1024, rxWindow: 512,
  lastCommittedBatchId: 41, planBytes: 30000, stateBytes: 9000, inputDtype: P.DTYPE_F32, inputRank: 2,
  classes: 5, layerCount: 3, modelDtype: P.DTYPE_I16,
});
caps.inputDims.splice(0, 3, 40, 3, 0);
caps.layerSizes.splice(0, 3, 120, 32, 5);

/** A copy of `caps` (arrays copied, not shared) with some fields changed. */
function capsWith(changes: Partial<P.Caps>): P.Caps {
  const c = Object.assign(new P.Caps(), caps, { inputDims: [...caps.inputDims], layerSizes: [...caps.layerSizes] });
  return Object.assign(c, changes);
}

const batch = Object.assign(new P.TensorMsg(), { id: 42, count: 3, dtype: P.DTYPE_F32, rank: 2 });
batch.dims.splice(0, 3, 40, 3, 0);
const batchData = Float32Array.from({ length: 3 * 120 }, (_, i) => Math.fround(Math.sin(i) * 3));
const batchLabels = [4, 0, 2];

const examples: Record<string, Example> = {
  HELLO: {
    type: P.MSG_HELLO,
    encode: (v, o, c) => P.encodeHello(v, o, c, Object.assign(new P.Hello(), { minor: 1, hostNonce: 0xfeedf00d, maxFrame: 4096 })),
    check: (v, o, l) => {
      const m = new P.Hello();
      expect(P.decodeHello(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual(Object.assign(new P.Hello(), { minor: 1, hostNonce: 0xfeedf00d, maxFrame: 4096 }));
    },
  },
  CAPS: {
    type: P.MSG_CAPS,
    encode: (v, o, c) => P.encodeCaps(v, o, c, caps),
    check: (v, o, l) => {
      const m = new P.Caps();
      expect(P.decodeCaps(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual(caps);
    },
  },
  ACK: {
    type: P.MSG_ACK,
    encode: (v, o, c) => P.encodeAck(v, o, c, Object.assign(new P.Ack(), { read: -5, window: 112, flags: P.ACK_PAUSE, token: 7 })),
    check: (v, o, l) => {
      const m = new P.Ack();
      expect(P.decodeAck(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual({ read: -5, window: 112, flags: P.ACK_PAUSE, token: 7 });
    },
  },
  PING: {
    type: P.MSG_PING,
    encode: (v, o, c) => P.encodePing(v, o, c, { token: 0xffffffff }),
    check: (v, o, l) => {
      const m = new P.Ping();
      expect(P.decodePing(v, o, l, m)).toBe(P.ERR_OK);
      expect(m.token).toBe(0xffffffff);
    },
  },
  PONG: {
    type: P.MSG_PONG,
    encode: (v, o, c) => P.encodePong(v, o, c, { token: 5, uptimeMs: 123456 }),
    check: (v, o, l) => {
      const m = new P.Pong();
      expect(P.decodePong(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual({ token: 5, uptimeMs: 123456 });
    },
  },
  ERROR: {
    type: P.MSG_ERROR,
    encode: (v, o, c) => P.encodeError(v, o, c, { code: P.ERR_SHAPE_MISMATCH, refSeq: 65535, refType: P.MSG_SAMPLE_BATCH, detail: 99 }),
    check: (v, o, l) => {
      const m = new P.ErrorMsg();
      expect(P.decodeError(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual({ code: P.ERR_SHAPE_MISMATCH, refSeq: 65535, refType: P.MSG_SAMPLE_BATCH, detail: 99 });
    },
  },
  LOG: {
    type: P.MSG_LOG,
    encode: (v, o, c) => P.encodeLog(v, o, c, 3, "step 7: loss 0.25 µ €𝄞"),
    check: (v, o, l) => {
      const m = new P.Log();
      expect(P.decodeLog(v, o, l, m)).toBe(P.ERR_OK);
      expect(m.level).toBe(3);
      expect(new TextDecoder().decode(new Uint8Array(v.buffer, m.textOffset, m.textLength))).toBe("step 7: loss 0.25 µ €𝄞");
    },
  },
  CONFIG: {
    type: P.MSG_CONFIG,
    encode: (v, o, c) => P.encodeConfig(v, o, c, Object.assign(new P.Config(), { learningRate: 0.001, batchSize: 32, optimizer: P.OPT_ADAM, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.0001, gradClip: 5 })),
    check: (v, o, l) => {
      const m = new P.Config();
      expect(P.decodeConfig(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual(Object.assign(new P.Config(), {
        learningRate: Math.fround(0.001), batchSize: 32, optimizer: P.OPT_ADAM, beta1: Math.fround(0.9),
        beta2: Math.fround(0.999), epsilon: Math.fround(1e-7), weightDecay: Math.fround(0.0001), gradClip: 5,
      }));
    },
  },
  SAMPLE_BATCH: {
    type: P.MSG_SAMPLE_BATCH,
    encode: (v, o, c) => P.encodeSampleBatch(v, o, c, batch, batchLabels, bytesOf(batchData)),
    check: (v, o, l) => {
      const m = new P.TensorMsg();
      expect(P.decodeSampleBatch(v, o, l, m)).toBe(P.ERR_OK);
      expect([m.id, m.count, m.dtype, m.rank, m.dims, m.elementsPerSample]).toEqual([42, 3, P.DTYPE_F32, 2, [40, 3, 0], 120]);
      expect(P.checkTensorForModel(v, m, caps, true)).toBe(P.ERR_OK);
      expect(Array.from(new Uint8Array(v.buffer, m.labelsOffset, 3))).toEqual(batchLabels);
      expect(m.dataOffset % 4).toBe(0);
      expect(new Float32Array(v.buffer, m.dataOffset, 360)).toEqual(batchData);
    },
  },
  REPORT: {
    type: P.MSG_REPORT,
    encode: (v, o, c) => P.encodeReport(v, o, c, { step: 100, batchId: 42, loss: NaN, accuracy: 0.75, stepMicros: 81000, freeBytes: 12345 }),
    check: (v, o, l) => {
      const m = new P.Report();
      expect(P.decodeReport(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual({ step: 100, batchId: 42, loss: NaN, accuracy: 0.75, stepMicros: 81000, freeBytes: 12345 });
    },
  },
  PREDICT_REQ: {
    type: P.MSG_PREDICT_REQ,
    encode: (v, o, c) => {
      const m = Object.assign(new P.TensorMsg(), { id: 7, count: 2, dtype: P.DTYPE_I16, rank: 1 });
      m.dims.splice(0, 3, 3, 0, 0);
      return P.encodePredictRequest(v, o, c, m, new Uint8Array(Int16Array.of(1, -2, 3, 256, -32768, 32767).buffer));
    },
    check: (v, o, l) => {
      const m = new P.TensorMsg();
      expect(P.decodePredictRequest(v, o, l, m)).toBe(P.ERR_OK);
      expect([m.id, m.count, m.dtype, m.rank, m.dims, m.dataBytes]).toEqual([7, 2, P.DTYPE_I16, 1, [3, 0, 0], 12]);
      expect(Array.from(new Int16Array(v.buffer, m.dataOffset, 6))).toEqual([1, -2, 3, 256, -32768, 32767]);
    },
  },
  PREDICT_RESULT: {
    type: P.MSG_PREDICT_RESULT,
    encode: (v, o, c) => P.encodePredictResult(v, o, c, { requestId: 7, count: 2, classes: 2, scoresOffset: 0 }, [0.25, 0.75, 1, 0]),
    check: (v, o, l) => {
      const m = new P.PredictResult();
      expect(P.decodePredictResult(v, o, l, m)).toBe(P.ERR_OK);
      expect([m.requestId, m.count, m.classes]).toEqual([7, 2, 2]);
      expect(Array.from(new Float32Array(v.buffer, m.scoresOffset, 4))).toEqual([0.25, 0.75, 1, 0]);
    },
  },
  WEIGHTS_GET: {
    type: P.MSG_WEIGHTS_GET,
    encode: (v, o, c) => P.encodeWeightsGet(v, o, c, { offset: 4096, length: 512 }),
    check: (v, o, l) => {
      const m = new P.WeightsGet();
      expect(P.decodeWeightsGet(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual({ offset: 4096, length: 512 });
    },
  },
  WEIGHTS_DATA: {
    type: P.MSG_WEIGHTS_DATA,
    encode: (v, o, c) => P.encodeWeightsData(v, o, c, Object.assign(new P.WeightsChunk(), { offset: 8, total: 16, blobCrc: 0xcbf43926, batchId: 41 }), Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 2, 8),
    check: (v, o, l) => {
      const m = new P.WeightsChunk();
      expect(P.decodeWeightsData(v, o, l, m)).toBe(P.ERR_OK);
      expect([m.offset, m.total, m.blobCrc, m.batchId, m.dataLength]).toEqual([8, 16, 0xcbf43926, 41, 8]);
      expect(Array.from(new Uint8Array(v.buffer, m.dataOffset, m.dataLength))).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    },
  },
  WEIGHTS_PUT: {
    type: P.MSG_WEIGHTS_PUT,
    encode: (v, o, c) => P.encodeWeightsPut(v, o, c, Object.assign(new P.WeightsChunk(), { offset: 0, total: 3 }), Uint8Array.of(0, 9, 0), 0, 3),
    check: (v, o, l) => {
      const m = new P.WeightsChunk();
      expect(P.decodeWeightsPut(v, o, l, m)).toBe(P.ERR_OK);
      expect([m.offset, m.total, m.dataLength]).toEqual([0, 3, 3]);
      expect(Array.from(new Uint8Array(v.buffer, m.dataOffset, 3))).toEqual([0, 9, 0]);
    },
  },
  WEIGHTS_COMMIT: {
    type: P.MSG_WEIGHTS_COMMIT,
    encode: (v, o, c) => P.encodeWeightsCommit(v, o, c, { total: 9000, blobCrc: 0x80000001, batchId: 41 }),
    check: (v, o, l) => {
      const m = new P.WeightsCommit();
      expect(P.decodeWeightsCommit(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual({ total: 9000, blobCrc: 0x80000001, batchId: 41 });
    },
  },
  CHECKPOINT_GET: {
    type: P.MSG_CHECKPOINT_GET,
    encode: () => 0,
    check: (_v, _o, l) => expect(l).toBe(0),
  },
  CHECKPOINT_SAVE: {
    type: P.MSG_CHECKPOINT_SAVE,
    encode: () => 0,
    check: (_v, _o, l) => expect(l).toBe(0),
  },
  CHECKPOINT_STATE: {
    type: P.MSG_CHECKPOINT_STATE,
    encode: (v, o, c) => P.encodeCheckpointState(v, o, c, { flags: 5, every: 50, lastCommittedBatchId: 240, savedBatchId: 240, partitionBytes: 65536, checkpointBytes: 4720, saves: 3 }),
    check: (v, o, l) => {
      const m = new P.CheckpointState();
      expect(P.decodeCheckpointState(v, o, l, m)).toBe(P.ERR_OK);
      expect({ ...m }).toEqual({ flags: 5, every: 50, lastCommittedBatchId: 240, savedBatchId: 240, partitionBytes: 65536, checkpointBytes: 4720, saves: 3 });
    },
  },
  MODEL_SPEC_GET: {
    type: P.MSG_MODEL_SPEC_GET,
    encode: () => 0,
    check: (_v, _o, l) => expect(l).toBe(0),
  },
  MODEL_SPEC: {
    type: P.MSG_MODEL_SPEC,
    encode: (v, o) => {
      v.setUint32(o + P.MSPEC_STATE_BYTES, 4636, true);
      v.setUint32(o + P.MSPEC_PLAN_BYTES, 5000, true);
      v.setUint32(o + P.MSPEC_LAST_COMMITTED, 41, true);
      v.setUint32(o + P.MSPEC_BUDGET, 98304, true);
      writeSpecPayload(v, o + P.MSPEC_SPEC, buildModel(gestureModelSpec(30, 5, { frozen: 1 })));
      v.setUint32(o + P.MSPEC_SPEC + specPayloadLength(2), 150000, true); // free memory follows the SPEC payload
      return P.MSPEC_SPEC + specPayloadLength(2) + 4;
    },
    check: (v, o, l) => {
      expect([v.getUint32(o + P.MSPEC_STATE_BYTES, true), v.getUint32(o + P.MSPEC_PLAN_BYTES, true), v.getUint32(o + P.MSPEC_LAST_COMMITTED, true), v.getUint32(o + P.MSPEC_BUDGET, true)]).toEqual([4636, 5000, 41, 98304]);
      const spec = specFromPayload(new Uint8Array(v.buffer, v.byteOffset + o + P.MSPEC_SPEC, l - P.MSPEC_SPEC));
      expect([spec.inputs, spec.layers.map((x) => x.units), spec.frozen, spec.loss]).toEqual([30, [32, 5], 1, "softmax_cross_entropy"]);
      expect(v.getUint32(o + l - 4, true)).toBe(150000);
    },
  },
  // The model transfer reuses the weights transfer's chunk layouts.
  MODEL_PUT: {
    type: P.MSG_MODEL_PUT,
    encode: (v, o, c) => P.encodeWeightsPut(v, o, c, { offset: 0, total: 6, blobCrc: 0, batchId: 0, dataOffset: 0, dataLength: 0 }, new Uint8Array([0x89, 0x54, 0x50, 0x4d, 1, 0]), 0, 6),
    check: (v, o, l) => {
      const m = new P.WeightsChunk();
      expect(P.decodeWeightsPut(v, o, l, m)).toBe(P.ERR_OK);
      expect([m.offset, m.total, m.dataLength, v.getUint8(m.dataOffset + 1)]).toEqual([0, 6, 6, 0x54]);
    },
  },
  MODEL_COMMIT: {
    type: P.MSG_MODEL_COMMIT,
    encode: (v, o, c) => P.encodeWeightsCommit(v, o, c, { total: 6, blobCrc: 0x1234, batchId: 0 }),
    check: (v, o, l) => {
      const m = new P.WeightsCommit();
      expect(P.decodeWeightsCommit(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual({ total: 6, blobCrc: 0x1234, batchId: 0 });
    },
  },
  MODEL_GET: {
    type: P.MSG_MODEL_GET,
    encode: (v, o, c) => P.encodeWeightsGet(v, o, c, { offset: 512, length: 256 }),
    check: (v, o, l) => {
      const m = new P.WeightsGet();
      expect(P.decodeWeightsGet(v, o, l, m)).toBe(P.ERR_OK);
      expect(m).toEqual({ offset: 512, length: 256 });
    },
  },
  MODEL_DATA: {
    type: P.MSG_MODEL_DATA,
    encode: (v, o, c) => P.encodeWeightsData(v, o, c, { offset: 4, total: 8, blobCrc: 7, batchId: 3, dataOffset: 0, dataLength: 0 }, new Uint8Array([9, 8, 7, 6]), 0, 4),
    check: (v, o, l) => {
      const m = new P.WeightsChunk();
      expect(P.decodeWeightsData(v, o, l, m)).toBe(P.ERR_OK);
      expect([m.offset, m.total, m.blobCrc, m.batchId, m.dataLength, v.getUint8(m.dataOffset)]).toEqual([4, 8, 7, 3, 4, 9]);
    },
  },
  PIPELINE_PUT: {
    type: P.MSG_PIPELINE_PUT,
    encode: (v, o) => { v.setUint32(o, 300, true); v.setUint32(o + 4, 100, true); v.setUint8(o + 8, 7); return 9; },
    check: (v, o, l) => expect([l, v.getUint32(o, true), v.getUint32(o + 4, true), v.getUint8(o + 8)]).toEqual([9, 300, 100, 7]),
  },
  PIPELINE_GET: {
    type: P.MSG_PIPELINE_GET,
    encode: (v, o) => { v.setUint32(o, 1000, true); return 4; },
    check: (v, o, l) => expect([l, v.getUint32(o, true)]).toEqual([4, 1000]),
  },
  PIPELINE: {
    type: P.MSG_PIPELINE,
    encode: (v, o) => { v.setUint32(o, 10, true); v.setUint32(o + 4, 8, true); v.setUint16(o + 8, 0x0201, true); return 10; },
    check: (v, o, l) => expect([l, v.getUint32(o, true), v.getUint32(o + 4, true), v.getUint8(o + 8), v.getUint8(o + 9)]).toEqual([10, 10, 8, 1, 2]),
  },
  SENSOR_MODE: {
    type: P.MSG_SENSOR_MODE,
    encode: (v, o, c) => P.encodeSensorMode(v, o, c, { mode: P.MODE_LEARN, label: 4, count: 300 }),
    check: (v, o, l) => {
      const m = new P.SensorMode();
      expect(P.decodeSensorMode(v, o, l, m)).toBe(P.ERR_OK);
      expect({ ...m }).toEqual({ mode: P.MODE_LEARN, label: 4, count: 300 });
      v.setUint8(o, 9);
      expect(P.decodeSensorMode(v, o, l, m)).toBe(P.ERR_BAD_VALUE);
      expect(P.decodeSensorMode(v, o, 3, m)).toBe(P.ERR_BAD_LENGTH);
    },
  },
  SENSOR_WINDOW: {
    type: P.MSG_SENSOR_WINDOW,
    encode: (v, o, c) => {
      const n = P.encodeSensorWindowHeader(v, o, c, Object.assign(new P.SensorWindow(), { window: 3, label: 1, columns: 2, firstRow: 4, rows: 2, windowRows: 6 }));
      [1, -2, 32767, -32767].forEach((x, i) => v.setInt16(o + P.SWIN_DATA + 2 * i, x, true));
      return n;
    },
    check: (v, o, l) => {
      const m = new P.SensorWindow();
      expect(P.decodeSensorWindow(v, o, l, m)).toBe(P.ERR_OK);
      expect([m.window, m.label, m.columns, m.firstRow, m.rows, m.windowRows]).toEqual([3, 1, 2, 4, 2, 6]);
      expect(Array.from(new Int16Array(v.buffer, m.dataOffset, 4))).toEqual([1, -2, 32767, -32767]);
      expect(P.decodeSensorWindow(v, o, l - 2, m)).toBe(P.ERR_BAD_LENGTH);
    },
  },
  RAW_SLICE: {
    type: P.MSG_RAW_SLICE,
    // Rows 5..7 of a batch of 2 windows of 4 rows x 3 columns: the slice runs on from window 0 into window 1.
    encode: (v, o, c) => P.encodeRawSlice(v, o, c, Object.assign(new P.RawSlice(), { batchId: 9, count: 2, columns: 3, windowRows: 4, rows: 3, firstRow: 3 }),
      [1, 4], Int16Array.from([1, -2, 3, 32767, -32767, 0, 7, 8, 9])),
    check: (v, o, l) => {
      const m = new P.RawSlice();
      expect(P.decodeRawSlice(v, o, l, m)).toBe(P.ERR_OK);
      expect([m.batchId, m.count, m.columns, m.windowRows, m.rows, m.firstRow]).toEqual([9, 2, 3, 4, 3, 3]);
      expect([v.getUint8(m.labelsOffset), v.getUint8(m.labelsOffset + 1)]).toEqual([1, 4]);
      expect(m.dataOffset % 4).toBe(0);
      expect(Array.from(new Int16Array(v.buffer, m.dataOffset, 9))).toEqual([1, -2, 3, 32767, -32767, 0, 7, 8, 9]);
      expect(P.decodeRawSlice(v, o, l - 2, m)).toBe(P.ERR_BAD_LENGTH);
      // A slice that claims rows past the batch's end (a peer lying about lengths) is refused.
      v.setUint32(o + P.SLICE_FIRST_ROW, 6, true);
      expect(P.decodeRawSlice(v, o, l, m)).toBe(P.ERR_BAD_VALUE);
      v.setUint32(o + P.SLICE_FIRST_ROW, 3, true);
    },
  },
  SENSOR_RESULT: {
    type: P.MSG_SENSOR_RESULT,
    encode: (v, o, c) => P.encodeSensorResult(v, o, c, Object.assign(new P.SensorResult(), { mode: P.MODE_INFER, classIndex: 2, flags: P.SRES_DONE, window: 77, confidence: 0.75, loss: 0.5, remaining: 0, dropped: 3, clipped: 70000, clippedFeatures: 123456 })),
    check: (v, o, l) => {
      const m = new P.SensorResult();
      expect(P.decodeSensorResult(v, o, l, m)).toBe(P.ERR_OK);
      expect({ ...m }).toEqual({ mode: P.MODE_INFER, classIndex: 2, flags: P.SRES_DONE, window: 77, confidence: 0.75, loss: 0.5, remaining: 0, dropped: 3, clipped: 70000, clippedFeatures: 123456 });
      // Results from boards before the clipped fields (20 bytes, or 24 without clippedFeatures) still decode, the
      // fields they lack as 0.
      expect(P.decodeSensorResult(v, o, P.SRES_BASE_SIZE, m)).toBe(P.ERR_OK);
      expect([m.window, m.dropped, m.clipped, m.clippedFeatures]).toEqual([77, 3, 0, 0]);
      expect(P.decodeSensorResult(v, o, P.SRES_CLIPPED_SIZE, m)).toBe(P.ERR_OK);
      expect([m.window, m.dropped, m.clipped, m.clippedFeatures]).toEqual([77, 3, 70000, 0]);
    },
  },
};

/** Encodes an example into wire bytes through the FrameEncoder's own scratch buffer. */
function wireExample(e: Example, seq: number, ack: number): Uint8Array {
  const n = e.encode(enc.view, PAYLOAD_OFFSET, enc.maxPayload);
  expect(n).toBeGreaterThanOrEqual(0);
  const out = new Uint8Array(maxWireLength(n));
  const w = enc.encode(e.type, seq, ack, n, out);
  expect(w).toBeGreaterThan(0);
  return out.slice(0, w);
}

describe("message round trips through frames", () => {
  const typeNumbers = Object.values(examples).map((e) => e.type);
  it("covers every message type exactly once, with distinct numbers", () => {
    const all = Object.entries(P).filter(([k]) => k.startsWith("MSG_")).map(([, v]) => v as number);
    expect([...typeNumbers].sort()).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
  });

  for (const [name, e] of Object.entries(examples)) {
    it(name, () => {
      let seen = 0;
      const dec = new FrameDecoder(2048, (type, seq, ack, view, off, len) => {
        seen++;
        expect([type, seq, ack]).toEqual([e.type, 0xfffe, 3]);
        expect(off % 4).toBe(0);
        e.check(view, off, len);
      });
      dec.push(wireExample(e, 0xfffe, 3));
      expect(seen).toBe(1);
      expect(dec.frames).toBe(1);
    });
  }
});

describe("FrameDecoder streaming", () => {
  const frames = Object.values(examples).map((e, i) => ({ e, seq: i * 4099, ack: 65535 - i }));
  const stream = concat(frames.map((f) => wireExample(f.e, f.seq, f.ack)));
  const expected = frames.map((f) => [f.e.type, f.seq & 0xffff, f.ack]);

  it("decodes identically at every split point", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { dec, got } = recorder();
      dec.push(stream.subarray(0, cut));
      dec.push(stream.subarray(cut));
      expect(got.map((g) => [g.type, g.seq, g.ack])).toEqual(expected);
      expect(dec.garbageBytes).toBe(0);
    }
  });

  it("decodes one byte at a time, and through start/end arguments", () => {
    const a = recorder();
    for (let i = 0; i < stream.length; i++) a.dec.push(stream.subarray(i, i + 1));
    const b = recorder();
    for (let i = 0; i < stream.length; i += 7) b.dec.push(stream, i, Math.min(stream.length, i + 7));
    expect(a.got).toEqual(b.got);
    expect(a.got.length).toBe(frames.length);
  });

  it("honours byteOffset of views into a shared pool (Node Buffers)", () => {
    const pool = new Uint8Array(stream.length + 50).fill(0x55); // garbage around, no delimiter
    pool.set(stream, 37);
    const view = new Uint8Array(pool.buffer, 37, stream.length);
    const { dec, got } = recorder();
    dec.push(Buffer.from(view)); // a Buffer, usually a slice of Node's pool
    expect(got.map((g) => [g.type, g.seq, g.ack])).toEqual(expected);
    const { dec: dec2, got: got2 } = recorder();
    dec2.push(view);
    expect(got2).toEqual(got);
  });

  it("skips ESP32 boot text and resynchronises at the next delimiter", () => {
    const boot = new TextEncoder().encode(
      "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n" +
      "configsip: 0, SPIWP:0xee\r\nclk_drv:0x00,q_drv:0x00,d_drv:0x00\r\nmode:DIO, clock div:2\r\n" +
      "load:0x3fff0030,len:7104\r\nentry 0x400805f0\r\n");
    const one = wireExample(examples.REPORT, 1, 0);
    const { dec, got } = recorder();
    dec.push(concat([one.subarray(0, 20), boot, one, boot, one]));
    expect(got.length).toBe(2); // the cut-off first copy is lost, both complete ones survive
    expect(dec.garbageBytes).toBe(20 - 1 + 2 * boot.length); // partial frame (minus its delimiter) + text
  });

  it("rejects a lying length field even with a valid CRC, and a wrong version", () => {
    const payload = Uint8Array.of(1, 2, 3, 4, 5, 6);
    const { dec, got } = recorder();
    for (const lie of [0, 5, 7, 0xffff]) dec.push(rawFrame(P.PROTOCOL_VERSION, P.MSG_LOG, lie, payload));
    expect(dec.lengthErrors).toBe(4);
    dec.push(rawFrame(P.PROTOCOL_VERSION + 1, P.MSG_LOG, 6, payload));
    dec.push(rawFrame(P.PROTOCOL_VERSION - 1, P.MSG_LOG, 6, payload));
    expect(dec.versionErrors).toBe(2);
    dec.push(rawFrame(P.PROTOCOL_VERSION, P.MSG_LOG, 6, payload));
    expect(got.length).toBe(1);
    expect(Array.from(got[0].payload)).toEqual(Array.from(payload));
  });

  it("counts CRC errors and runts", () => {
    const { dec, got } = recorder();
    const f = wireExample(examples.PING, 1, 1);
    const bad = f.slice();
    bad[5] ^= 0x10;
    dec.push(bad);
    dec.push(Uint8Array.of(0, 3, 1, 1, 0)); // decodes to 3 bytes: shorter than a header
    dec.push(f);
    expect([dec.crcErrors + dec.cobsErrors, dec.lengthErrors, got.length]).toEqual([1, 1, 1]);
  });

  it("discards oversized frames up to the next delimiter without growing", () => {
    const { dec, got } = recorder(128);
    const before = dec.buffer.byteLength;
    const big = wire(P.MSG_LOG, 1, 1, new Uint8Array(500).fill(0x41));
    const small = wire(P.MSG_LOG, 2, 1, new Uint8Array(10).fill(0x41));
    dec.push(concat([big, small, big.subarray(0, 300), small]));
    expect(got.map((g) => g.seq)).toEqual([2, 2]);
    expect(dec.overruns).toBe(2);
    expect(dec.buffer.byteLength).toBe(before);
    // Exactly at the limit is accepted; one byte more is not.
    const limit = wire(P.MSG_LOG, 3, 1, new Uint8Array(128 - FRAME_OVERHEAD).fill(0x41));
    const over = wire(P.MSG_LOG, 4, 1, new Uint8Array(129 - FRAME_OVERHEAD).fill(0x41));
    dec.push(concat([limit, over]));
    expect(got.map((g) => g.seq)).toEqual([2, 2, 3]);
  });

  it("pause() holds the delivered frame and stops consuming until resume()", () => {
    const s = concat([wire(P.MSG_LOG, 1, 0, Uint8Array.of(1)), wire(P.MSG_LOG, 2, 0, Uint8Array.of(2))]);
    const seen: number[] = [];
    const dec: FrameDecoder = new FrameDecoder(256, (_t, seq, _a, view, off) => {
      seen.push(view.getUint8(off));
      if (seq === 1) dec.pause();
    });
    const used = dec.push(s);
    expect(used).toBe(s.length / 2); // right after the first frame's trailing delimiter
    expect(seen).toEqual([1]);
    expect(dec.bytes[PAYLOAD_OFFSET]).toBe(1); // payload still intact
    expect(dec.push(s, used)).toBe(0);
    dec.resume();
    expect(dec.push(s, used)).toBe(s.length - used);
    expect(seen).toEqual([1, 2]);
  });

  it("stays consistent when the handler throws", () => {
    let n = 0;
    const dec = new FrameDecoder(256, () => { if (++n === 1) throw new Error("app bug"); });
    const f = wire(P.MSG_PING, 1, 0, new Uint8Array(4));
    expect(() => dec.push(f)).toThrow("app bug");
    dec.push(f);
    expect(n).toBe(2);
  });

  it("property: any frames, any chunking, garbage between: same frames out, never throws", () => {
    const frameArb = fc.record({
      type: fc.integer({ min: 1, max: 255 }), seq: fc.integer({ min: 0, max: 0xffff }),
      ack: fc.integer({ min: 0, max: 0xffff }), payload: fc.uint8Array({ maxLength: 600 }),
      garbage: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
      (fs, cuts) => {
        const s = concat(fs.flatMap((f) => [f.garbage, wire(f.type, f.seq, f.ack, f.payload)]));
        const { dec, got } = recorder(1024);
        let at = 0;
        for (let k = 0; at < s.length; k++) {
          const next = Math.min(s.length, at + cuts[k % cuts.length]);
          expect(dec.push(s.subarray(at, next))).toBe(next - at);
          at = next;
        }
        expect(got.map((g) => [g.type, g.seq, g.ack, Array.from(g.payload)]))
          .toEqual(fs.map((f) => [f.type, f.seq, f.ack, Array.from(f.payload)]));
      }), { numRuns: 300 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (junk) => {
      const { dec } = recorder(256);
      dec.push(junk);
    }), { numRuns: 300 });
  });
});

describe("FrameEncoder", () => {
  it("refuses payloads beyond its limit and outputs that are too small", () => {
    const e = new FrameEncoder(64);
    expect(e.maxPayload).toBe(64 - FRAME_OVERHEAD);
    const max = 64 - FRAME_OVERHEAD;
    expect(e.encode(P.MSG_LOG, 0, 0, max + 1, new Uint8Array(200))).toBe(-1);
    expect(e.encode(P.MSG_LOG, 0, 0, max, new Uint8Array(200))).toBeGreaterThan(0);
    expect(e.encode(P.MSG_LOG, 0, 0, max, new Uint8Array(60))).toBe(-1);
    expect(e.encode(P.MSG_LOG, 0, 0, max, new Uint8Array(maxWireLength(max)))).toBeGreaterThan(0);
    expect(e.encode(0, 0, 0, 0, new Uint8Array(100))).toBe(-1);
    expect(e.encode(256, 0, 0, 0, new Uint8Array(100))).toBe(-1);
  });
});

describe("sequence arithmetic", () => {
  it("compares across the 16-bit wrap", () => {
    expect(P.seqAdd(0xffff, 1)).toBe(0);
    expect(P.seqAdd(0, -1)).toBe(0xffff);
    expect(P.seqDiff(0, 0xffff)).toBe(1);
    expect(P.seqDiff(0xffff, 0)).toBe(-1);
    expect(P.seqDiff(0x8000, 0)).toBe(-32768);
    expect(P.seqLt(0xfff0, 0x0010)).toBe(true);
    expect(P.seqLt(0x0010, 0xfff0)).toBe(false);
    expect(P.seqLe(5, 5)).toBe(true);
    expect(P.seqInRange(2, 0xfffe, 3)).toBe(true);
    expect(P.seqInRange(4, 0xfffe, 3)).toBe(false);
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: -32767, max: 32767 }), (a, d) => {
      const b = P.seqAdd(a, d);
      expect(P.seqDiff(b, a)).toBe(d);
      expect(P.seqLt(a, b)).toBe(d > 0);
    }));
  });
});

describe("message validation", () => {
  const buf = new DataView(new ArrayBuffer(4096));
  const O = PAYLOAD_OFFSET;

  it("rejects NaN/Inf and out-of-range config values, on both encode and decode", () => {
    for (const bad of [{ learningRate: NaN }, { learningRate: Infinity }, { learningRate: 0 }, { beta1: 1 },
      { beta2: -0.1 }, { epsilon: 0 }, { weightDecay: -1 }, { gradClip: NaN }, { optimizer: 9 }, { batchSize: 0 },
      { learningRate: 1e-50 } /* becomes 0 as float32 */]) {
      expect(P.encodeConfig(buf, O, 100, Object.assign(new P.Config(), bad))).toBe(-P.ERR_BAD_VALUE);
    }
    expect(P.encodeConfig(buf, O, 100, new P.Config())).toBe(P.CONFIG_SIZE);
    buf.setFloat32(O + P.CONFIG_LR, NaN, true);
    expect(P.decodeConfig(buf, O, P.CONFIG_SIZE, new P.Config())).toBe(P.ERR_BAD_VALUE);
    expect(P.decodeConfig(buf, O, P.CONFIG_SIZE - 1, new P.Config())).toBe(P.ERR_BAD_LENGTH);
  });

  it("rejects batches whose counts exceed the frame, wrong dtypes and shapes, bad labels and NaN data", () => {
    const n = P.encodeSampleBatch(buf, O, 4000, batch, batchLabels, bytesOf(batchData));
    expect(n).toBe(P.tensorPayloadLength(batch, true));
    const m = new P.TensorMsg();
    expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_OK);
    expect(P.decodeSampleBatch(buf, O, n - 1, m)).toBe(P.ERR_BAD_LENGTH);
    expect(P.decodeSampleBatch(buf, O, n + 4, m)).toBe(P.ERR_BAD_LENGTH);
    const patch = (at: number, v: number, size: 1 | 2, fn: () => void) => {
      const old = size === 1 ? buf.getUint8(O + at) : buf.getUint16(O + at, true);
      if (size === 1) buf.setUint8(O + at, v); else buf.setUint16(O + at, v, true);
      fn();
      if (size === 1) buf.setUint8(O + at, old); else buf.setUint16(O + at, old, true);
    };
    patch(P.TENSOR_COUNT, 0xffff, 2, () => expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_BAD_LENGTH));
    patch(P.TENSOR_COUNT, 0, 2, () => expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_BAD_VALUE));
    patch(P.TENSOR_DIMS, 0xffff, 2, () => expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_BAD_LENGTH));
    patch(P.TENSOR_DIMS + 4, 2, 2, () => expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_SHAPE_MISMATCH));
    patch(P.TENSOR_RANK, 4, 1, () => expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_SHAPE_MISMATCH));
    patch(P.TENSOR_DTYPE, 9, 1, () => expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_BAD_VALUE));
    patch(P.TENSOR_DTYPE, P.DTYPE_I16, 1, () => expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_BAD_LENGTH));
    patch(P.TENSOR_ID, 0, 2, () => expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_BAD_VALUE));
    // Batch ids end at MAX_BATCH_ID (2^32 - 2): after a batch 2^32 - 1 no next id would exist (found by the session fuzzer).
    const id = buf.getUint32(O + P.TENSOR_ID, true);
    buf.setUint32(O + P.TENSOR_ID, P.MAX_BATCH_ID, true);
    expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_OK);
    buf.setUint32(O + P.TENSOR_ID, 0xffffffff, true);
    expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_BAD_VALUE);
    buf.setUint32(O + P.TENSOR_ID, id, true);
    expect(P.encodeSampleBatch(buf, O, 4000, Object.assign(new P.TensorMsg(), batch, { id: 0xffffffff }), batchLabels, bytesOf(batchData))).toBe(-P.ERR_BAD_VALUE);
    // Against the model.
    expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_OK);
    expect(P.checkTensorForModel(buf, m, capsWith({ inputDtype: P.DTYPE_I8 }), true)).toBe(P.ERR_DTYPE_MISMATCH);
    const other = capsWith({ inputRank: 1, inputDims: [120, 0, 0] });
    expect(P.checkTensorForModel(buf, m, other, true)).toBe(P.ERR_SHAPE_MISMATCH);
    expect(P.checkTensorForModel(buf, m, capsWith({ classes: 4 }), true)).toBe(P.ERR_BAD_LABEL);
    // Non-finite sample data.
    for (const bad of [NaN, Infinity, -Infinity]) {
      const d = batchData.slice();
      d[200] = bad;
      expect(P.encodeSampleBatch(buf, O, 4000, batch, batchLabels, bytesOf(d))).toBe(-P.ERR_BAD_VALUE);
      P.encodeSampleBatch(buf, O, 4000, batch, batchLabels, bytesOf(batchData));
      buf.setFloat32(m.dataOffset + 4 * 200, bad, true);
      expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_BAD_VALUE);
    }
    expect(P.encodeSampleBatch(buf, O, 4000, batch, [1, 2, 256], bytesOf(batchData))).toBe(-P.ERR_BAD_LABEL);
    expect(P.encodeSampleBatch(buf, O, 4000, batch, [1, 2], bytesOf(batchData))).toBe(-P.ERR_BAD_LENGTH);
    expect(P.encodeSampleBatch(buf, O, 100, batch, batchLabels, bytesOf(batchData))).toBe(-P.ERR_TOO_LARGE);
  });

  it("keeps batch data 4-byte aligned for every label count", () => {
    for (let count = 1; count <= 9; count++) {
      const b = Object.assign(new P.TensorMsg(), { id: 1, count, dtype: P.DTYPE_F32, rank: 1 });
      b.dims.splice(0, 3, 2, 0, 0);
      const n = P.encodeSampleBatch(buf, O, 4000, b, new Array(count).fill(1), new Uint8Array(8 * count));
      const m = new P.TensorMsg();
      expect(P.decodeSampleBatch(buf, O, n, m)).toBe(P.ERR_OK);
      expect(m.dataOffset % 4).toBe(0);
    }
  });

  it("rejects out-of-range weight chunks, bad CAPS and reports, short payloads", () => {
    const chunk = Object.assign(new P.WeightsChunk(), { offset: 10, total: 12 });
    expect(P.encodeWeightsPut(buf, O, 100, chunk, new Uint8Array(3), 0, 3)).toBe(-P.ERR_BLOB_RANGE);
    expect(P.encodeWeightsPut(buf, O, 100, chunk, new Uint8Array(3), 1, 3)).toBe(-P.ERR_BAD_LENGTH);
    expect(P.encodeWeightsPut(buf, O, 100, chunk, new Uint8Array(3), 0, 2)).toBe(10);
    buf.setUint32(O + P.WPUT_TOTAL, 11, true);
    expect(P.decodeWeightsPut(buf, O, 10, new P.WeightsChunk())).toBe(P.ERR_BLOB_RANGE);
    expect(P.encodeReport(buf, O, 100, Object.assign(new P.Report(), { accuracy: NaN }))).toBe(-P.ERR_BAD_VALUE);
    expect(P.encodePredictResult(buf, O, 100, { requestId: 1, count: 1, classes: 2, scoresOffset: 0 }, [0, 1e39])).toBe(-P.ERR_BAD_VALUE);
    expect(P.encodeCaps(buf, O, 100, capsWith({ layerCount: 0 }))).toBe(-P.ERR_BAD_VALUE);
    const n = P.encodeCaps(buf, O, 100, caps);
    expect(P.decodeCaps(buf, O, n - 1, new P.Caps())).toBe(P.ERR_BAD_LENGTH);
    buf.setUint8(O + P.CAPS_LAYER_COUNT, 40);
    expect(P.decodeCaps(buf, O, n, new P.Caps())).toBe(P.ERR_BAD_VALUE);
    expect(P.decodeHello(buf, O, P.HELLO_SIZE - 1, new P.Hello())).toBe(P.ERR_BAD_LENGTH);
    expect(P.decodeAck(buf, O, 3, new P.Ack())).toBe(P.ERR_BAD_LENGTH);
  });

  it("marks exactly the reliable types as sequenced", () => {
    const seqd = Object.entries(P).filter(([k, v]) => k.startsWith("MSG_") && P.isSequenced(v as number)).map(([k]) => k).sort();
    expect(seqd).toEqual(["MSG_CHECKPOINT_GET", "MSG_CHECKPOINT_SAVE", "MSG_CHECKPOINT_STATE", "MSG_CONFIG", "MSG_ERROR", "MSG_MODEL_COMMIT", "MSG_MODEL_DATA", "MSG_MODEL_GET", "MSG_MODEL_PUT", "MSG_MODEL_SPEC", "MSG_MODEL_SPEC_GET", "MSG_PIPELINE", "MSG_PIPELINE_GET", "MSG_PIPELINE_PUT", "MSG_PREDICT_REQ", "MSG_PREDICT_RESULT", "MSG_RAW_SLICE", "MSG_REPORT", "MSG_SAMPLE_BATCH",
      "MSG_SENSOR_MODE", "MSG_SENSOR_RESULT", "MSG_SENSOR_WINDOW",
      "MSG_WEIGHTS_COMMIT", "MSG_WEIGHTS_DATA", "MSG_WEIGHTS_GET", "MSG_WEIGHTS_PUT"]);
  });
});
