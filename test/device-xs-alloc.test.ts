// The device's protocol session (src/app/device.ts: transport.ts, model-service.ts and batch-trainer.ts) under the real XS engine: once warmed up, receiving a
// frame, training on a SAMPLE_BATCH, answering with a REPORT and an ACK, and handling the host's ACKs
// allocate no heap slot. Host frames are encoded here in Node with src/protocol (as a host would send
// them: consecutive batch ids and sequence numbers, the host byte position in every header, acks for the
// device's REPORTs) and replayed inside XS through a fake serial port; docs/xs-meter.md has the method.
// The same holds for raw windows in RAW_SLICE frames of rows on a board with an input pipeline (its window
// buffer is made once, in the warm-up).
import { beforeAll, describe, expect, it } from "vitest";
import { readXsBundle } from "../host-sim/xs/twin";
import { XsEngine } from "../host-sim/xs/xsnap";
import { FrameEncoder, MAX_FRAME, seqAdd } from "../src/protocol/frame";
import * as M from "../src/protocol/messages";
import { Random } from "../src/engine/random";
import { GESTURE_CLASSES, GESTURE_FEATURES, gestureModelSpec } from "../src/app/gesture-model";
import { batchPayload } from "./device-peer";

const INPUTS = GESTURE_FEATURES;
/** Samples per SAMPLE_BATCH (the gesture model trains batch size 1: one step per sample). */
const SAMPLES = 4;
const WARMUP = 20;
const SHORT = 10;
const LONG = 1000;
const BATCHES = WARMUP + SHORT + SHORT + LONG;

interface HostStream {
  bytes: Uint8Array;
  /** ends[0]: end of the HELLO; ends[k]: end of batch k and of the ACK that follows it. */
  ends: number[];
}

/** The sequenced frames of batch k: [type, payload] each. */
type Unit = (k: number) => [number, Uint8Array][];

/**
 * HELLO, then for k = 1..batches: the frames of batch k (SAMPLE_BATCH id k by default; consecutive seqs,
 * acking the device's REPORTs up to k - 1) and an ACK frame acking REPORT k, which the device has sent by
 * the time it reads that ACK.
 */
function hostStream(batches: number, unit?: Unit): HostStream {
  const enc = new FrameEncoder(MAX_FRAME);
  const chunks: Uint8Array[] = [];
  const ends: number[] = [];
  let at = 0;
  const out = new Uint8Array(2 * MAX_FRAME);
  const frame = (type: number, seq: number, ack: number, payload: Uint8Array): void => {
    enc.position = at; // the host's wire position of the frame's leading 0x00
    const n = enc.encodeBytes(type, seq, ack, payload, out);
    if (n < 0) throw new Error(`encode failed for type ${type}`);
    chunks.push(out.slice(0, n));
    at += n;
  };
  const hello = new M.Hello();
  hello.hostNonce = 0x1234567;
  hello.maxFrame = 1024;
  const hv = new DataView(new ArrayBuffer(M.HELLO_SIZE));
  if (M.encodeHello(hv, 0, M.HELLO_SIZE, hello) < 0) throw new Error("encodeHello");
  frame(M.MSG_HELLO, 1, 0, new Uint8Array(hv.buffer));
  ends.push(at);
  const rng = new Random(11);
  const x = new Float32Array(SAMPLES * INPUTS);
  const ackMsg = new M.Ack();
  ackMsg.window = M.CREDIT_UNLIMITED;
  const av = new DataView(new ArrayBuffer(M.ACK_SIZE));
  let seq = 1;
  for (let k = 1; k <= batches; k++) {
    if (unit) {
      for (const [type, payload] of unit(k)) frame(type, seq++, seqAdd(k, -1), payload);
      if (M.encodeAck(av, 0, M.ACK_SIZE, ackMsg) < 0) throw new Error("encodeAck");
      frame(M.MSG_ACK, seq, k, new Uint8Array(av.buffer));
      ends.push(at);
      continue;
    }
    const labels: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const label = (k * SAMPLES + s) % GESTURE_CLASSES;
      labels.push(label);
      for (let i = 0; i < INPUTS; i++) x[s * INPUTS + i] = rng.uniform() * 2 - 1 + (i % GESTURE_CLASSES === label ? 1.5 : 0);
    }
    frame(M.MSG_SAMPLE_BATCH, k, seqAdd(k, -1), batchPayload(k, x, labels, INPUTS));
    if (M.encodeAck(av, 0, M.ACK_SIZE, ackMsg) < 0) throw new Error("encodeAck");
    frame(M.MSG_ACK, seqAdd(k, 1), k, new Uint8Array(av.buffer));
    ends.push(at);
  }
  const bytes = new Uint8Array(at);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  return { bytes, ends };
}

function hexPieces(bytes: Uint8Array): string[] {
  const hex = Buffer.from(bytes).toString("hex");
  const pieces: string[] = [];
  for (let i = 0; i < hex.length; i += 1024) pieces.push(hex.slice(i, i + 1024));
  return pieces;
}

/**
 * The XS side: a DeviceSession with a fake serial port that hands out the host stream at most 128 bytes
 * (one UART FIFO) per onReadable, a fake timer whose tick is fired every 10 reads, a clock that advances
 * 1 ms per read, and a frame decoder on the device's output that counts what came out. `rig.feed(n)`
 * delivers the next n units (HELLO, or a batch with its ACK) and lets the device write what it wants.
 */
function rigScript(stream: HostStream, pipeline?: object): string {
  return `
globalThis.rig = (function () {
  // Hex in short pieces: XS strings are UTF-8, so charCodeAt far into one long string is slow.
  const hex = ${JSON.stringify(hexPieces(stream.bytes))};
  const nib = (c) => (c <= 57 ? c - 48 : c - 87);
  const stream = new Uint8Array(${stream.bytes.length});
  let at = 0;
  for (const h of hex) for (let i = 0; i < h.length; i += 2) stream[at++] = (nib(h.charCodeAt(i)) << 4) | nib(h.charCodeAt(i + 1));
  if (at !== stream.length) throw new Error("hex");
  const ends = new Int32Array(${JSON.stringify(stream.ends)});
  const P = tinyprop.protocol;
  let pos = 0, avail = 0, unit = 0, reads = 0, clock = 0, tick = null;
  const r = {
    session: null, written: 0, reports: 0, errors: 0, acks: 0, other: 0, badReportSeq: 0,
    lastReportBatch: 0, lastReportStep: 0, pos: 0,
  };
  const report = new P.Report();
  const out = new P.FrameDecoder(1024, (type, seq, ack, view, off, len) => {
    if (type === P.MSG_REPORT) {
      r.reports++;
      if (P.decodeReport(view, off, len, report) !== P.ERR_OK || seq !== (r.reports & 0xffff) || report.batchId !== r.reports) r.badReportSeq++;
      r.lastReportBatch = report.batchId;
      r.lastReportStep = report.step;
    } else if (type === P.MSG_ERROR) r.errors++;
    else if (type === P.MSG_ACK) r.acks++;
    else r.other++;
  });
  const serial = {
    read(buffer) {
      let n = avail - pos;
      if (n > buffer.length) n = buffer.length;
      if (n <= 0) return 0;
      for (let i = 0; i < n; i++) buffer[i] = stream[pos + i];
      pos += n;
      return n;
    },
    write(buffer) {
      r.written += buffer.length;
      out.push(buffer, 0, buffer.length);
    },
  };
  const timers = {
    repeat(callback, interval) { tick = callback; return 1; },
    clear(t) { tick = null; },
  };
  const model = tinyprop.buildModel(${JSON.stringify(gestureModelSpec(INPUTS))});
  const session = new tinyprop.DeviceSession(model, { bootNonce: 7, now: () => clock, pipeline: ${JSON.stringify(pipeline ?? null)} });
  r.session = session;
  session.start(serial, timers);
  session.onWritable(128);
  r.feed = function (count) {
    const limit = ends[unit + count - 1];
    unit += count;
    while (pos < limit) {
      avail = pos + 128 < limit ? pos + 128 : limit;
      session.onReadable(avail - pos);
      clock++;
      if (++reads % 10 === 0 && tick !== null) tick(1);
      session.onWritable(128);
    }
    r.pos = pos;
  };
  return r;
})();
`;
}

/** Counters after the run, as JSON. */
const STATE = `JSON.stringify({
  step: rig.session.model.step, stats: rig.session.stats, lastCommitted: rig.session.lastCommittedBatchId,
  inFlight: rig.session.inFlight, viewAllocations: rig.session.viewAllocations,
  hostPosition: (rig.session.grantEdge - rig.session.rxWindow) | 0, pos: rig.pos, written: rig.written,
  reports: rig.reports, errors: rig.errors, acks: rig.acks, other: rig.other, badReportSeq: rig.badReportSeq,
  lastReportBatch: rig.lastReportBatch, lastReportStep: rig.lastReportStep,
})`;

interface Sample {
  slots: number;
  allocate: number;
  compute: number;
}

/** Same source text for every measurement (only N differs): collect, then feed N batches without a GC. */
async function feedAndMeasure(engine: XsEngine, batches: number): Promise<Sample> {
  await engine.evaluate(`globalThis.N = ${batches};`);
  // The garbage made after gc() is a canary: a collection during the feed would remove it and show as a
  // drop (docs/xs-meter.md), so a zero difference cannot come from a GC hiding allocations.
  const { meter } = await engine.evaluate(`gc(); canary(); rig.feed(N);`);
  return { slots: meter.currentHeapCount, allocate: meter.allocate, compute: meter.compute };
}

async function state(engine: XsEngine): Promise<Record<string, any>> {
  await engine.evaluate(`print(${STATE});`);
  const lines = engine.output();
  engine.clearOutput();
  return JSON.parse(lines[lines.length - 1]);
}

let bundle = "";
let stream: HostStream;
beforeAll(() => {
  bundle = readXsBundle();
  stream = hostStream(BATCHES);
});

/** Warm up (HELLO + WARMUP batches), then slots after SHORT, SHORT and `long` more batches. */
async function run(engine: XsEngine, setup: string, long: number, host = stream, pipeline?: object) {
  await engine.evaluate(bundle);
  await engine.evaluate(rigScript(host, pipeline));
  await engine.evaluate(`globalThis.canary = function () { for (let i = 0; i < 2000; i++) { const o = {}; } };`);
  if (setup) await engine.evaluate(setup);
  await engine.evaluate(`rig.feed(${1 + WARMUP});`); // HELLO + warm-up: lazy first-use allocations
  const before = await state(engine);
  const a = await feedAndMeasure(engine, SHORT);
  const b = await feedAndMeasure(engine, SHORT);
  const c = await feedAndMeasure(engine, long);
  // Every evaluate leaves a constant few slots behind; the two equal runs measure that drift.
  return { before, a, b, c, growth: c.slots - b.slots - (b.slots - a.slots), after: await state(engine) };
}

describe("under XS, the device session allocates nothing in steady state", () => {
  it("receiving frames, training SAMPLE_BATCHes, sending REPORTs and ACKs: no heap slot over 1000 batches", async () => {
    const engine = await XsEngine.start();
    try {
      const { before, b, c, growth, after } = await run(engine, "", LONG);
      expect(growth, `the device allocated ${growth} slots over ${LONG - SHORT} extra batches`).toBe(0);
      expect(c.allocate, "the XS heap or chunk arena grew").toBe(b.allocate);

      // Not vacuous: every batch was accepted, trained (one step per sample) and reported on the wire.
      const fed = WARMUP + 2 * SHORT + LONG;
      expect(before.lastCommitted).toBe(WARMUP);
      expect(after.lastCommitted).toBe(fed);
      expect(after.step - before.step).toBe((fed - WARMUP) * SAMPLES);
      expect(after.stats.batchesTrained).toBe(fed);
      expect(after.stats.reports).toBe(fed);
      expect(after.reports).toBe(fed); // REPORT frames decoded from the device's output
      expect(after.badReportSeq).toBe(0); // REPORT k has seq k and batch id k
      expect(after.lastReportBatch).toBe(fed);
      expect(after.lastReportStep).toBe(fed * SAMPLES);
      expect(after.acks).toBeGreaterThanOrEqual(fed);
      expect(after.errors).toBe(0);
      expect(after.other).toBe(2); // CAPS at boot and CAPS answering the HELLO
      expect(after.stats).toMatchObject({
        accepted: fed, duplicates: 0, gaps: 0, deferred: 0, retransmits: 0, errorsSent: 0,
        batchesRefused: 0, handlerErrors: 0,
      });
      expect(after.inFlight).toBe(0); // the host's ACKs freed every reply slot
      expect(before.viewAllocations).toBe(2 * SAMPLES); // x and y views per sample offset, made in warm-up
      expect(after.viewAllocations).toBe(before.viewAllocations); // and reused ever since
      // The device's idea of the host position (the credit anchor) is exactly the bytes it was given.
      expect(after.pos).toBe(stream.ends[fed]);
      expect(after.hostPosition).toBe(after.pos);
      console.log(`device session under XS: ${(c.compute - b.compute) / (LONG - SHORT) | 0} XS bytecodes per ` +
        `batch of ${SAMPLES} samples (frame decode, training, REPORT, ACKs), ${growth} slots over ${LONG - SHORT} batches`);
    } finally {
      await engine.close();
    }
  }, 30_000);

  it("raw windows in RAW_SLICE frames of rows (3 per window), trained at their last row: no heap slot over 1000 windows", async () => {
    // 6 columns, windows of 20 rows, 5 statistics per column: the gesture model's 30 inputs.
    const ROWS = 20, COLUMNS = 6, SLICES = 3;
    const pipeline = {
      columns: ["a", "b", "c", "d", "e", "f"], ranges: [4, 4, 4, 500, 500, 500], units: ["", "", "", "", "", ""], window: ROWS,
      stride: ROWS, features: 1, bands: 0, rawPoints: 0, clip: 8, mean: [], scale: [], classes: [],
    };
    const rng = new Random(5);
    const rows = new Int16Array(ROWS * COLUMNS);
    const slice = new M.RawSlice();
    const raw = hostStream(BATCHES, (k) => {
      for (let i = 0; i < rows.length; i++) rows[i] = Math.round((rng.uniform() * 2 - 1) * 20000);
      const labels = [k % GESTURE_CLASSES];
      const out: [number, Uint8Array][] = [];
      for (let n = 0; n < SLICES; n++) {
        const first = Math.floor((n * ROWS) / SLICES), end = Math.floor(((n + 1) * ROWS) / SLICES);
        Object.assign(slice, { batchId: k, count: 1, columns: COLUMNS, windowRows: ROWS, rows: end - first, firstRow: first });
        const payload = new Uint8Array(M.rawSliceLength(1, end - first, COLUMNS));
        if (M.encodeRawSlice(new DataView(payload.buffer), 0, payload.length, slice, labels, rows.subarray(first * COLUMNS, end * COLUMNS)) < 0) throw new Error("encodeRawSlice");
        out.push([M.MSG_RAW_SLICE, payload]);
      }
      return out;
    });
    const engine = await XsEngine.start();
    try {
      const { before, b, c, growth, after } = await run(engine, "", LONG, raw, pipeline);
      expect(growth, `the device allocated ${growth} slots over ${LONG - SHORT} extra windows`).toBe(0);
      expect(c.allocate, "the XS heap or chunk arena grew").toBe(b.allocate);
      const fed = WARMUP + 2 * SHORT + LONG;
      expect(before.lastCommitted).toBe(WARMUP);
      expect(after.lastCommitted).toBe(fed);
      expect(after.step - before.step).toBe(fed - WARMUP); // one step per window, at its last slice
      expect(after.reports).toBe(fed);
      expect(after.badReportSeq).toBe(0);
      expect(after.errors).toBe(0);
      expect(after.stats).toMatchObject({ accepted: SLICES * fed, batchesTrained: fed, batchesRefused: 0, handlerErrors: 0, gaps: 0, deferred: 0 });
      expect(after.pos).toBe(raw.ends[fed]);
      console.log(`device session under XS, raw windows in ${SLICES} slices: ${(c.compute - b.compute) / (LONG - SHORT) | 0} XS bytecodes per ` +
        `window of ${ROWS} x ${COLUMNS} (frame decodes, rows, features, training, REPORT, ACKs), ${growth} slots over ${LONG - SHORT} windows`);
    } finally {
      await engine.close();
    }
  }, 60_000);

  it("the measurement can fail: a device whose batch views are not cached is caught", async () => {
    const engine = await XsEngine.start();
    try {
      // The regression the view cache prevents: a fresh Float32Array over the receive buffer per step.
      const uncached = `rig.session.service.batches.xView = function (byteOffset, length) { return new Float32Array(this.rxBuffer, byteOffset, length); };`;
      const long = 100;
      const { growth, after } = await run(engine, uncached, long);
      expect(after.stats.batchesTrained).toBe(WARMUP + 2 * SHORT + long);
      expect(growth).toBeGreaterThanOrEqual((long - SHORT) * SAMPLES);
    } finally {
      await engine.close();
    }
  }, 30_000);
});
