// The device app (src/main.ts via dist/sim/device-node.js) on a simulated board, driven by a scripted
// PC-side peer over the in-process port.
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";
import { buildModel } from "../src/engine/build";
import { gestureModelSpec } from "../src/app/gesture-model";
import { crc32 } from "../src/util/crc32";
import * as M from "../src/protocol/messages";
import { Random } from "../src/engine/random";
import { DevicePeer, batchPayload, configPayload, errorOf, predictPayload, reportOf, u32s, type RxFrame } from "./device-peer";

const INPUTS = 30;
const LR = Math.fround(0.05);

let sims: Simulator[] = [];
let peers: DevicePeer[] = [];
afterEach(async () => {
  for (const p of peers) p.close();
  for (const s of sims) await s.stop();
  sims = [];
  peers = [];
});

// Every test runs in virtual time (host-sim/sim/clock.ts, docs/simulator.md): timeouts, the device's busy
// time (the ESP32 cost model) and FIFO losses are the same on any machine.
let clock = new VirtualClock();
const vit = (name: string, body: () => Promise<void>) => it(name, () => {
  clock = new VirtualClock({ seed: 1 });
  return clock.run(body);
});

async function boot(opts: { cpuSlowdown?: number; ignoreCredit?: boolean; baud?: number } = {}) {
  const sim = await startSimulator({ engine: "node", pty: false, clock, cpuSlowdown: opts.cpuSlowdown, baud: opts.baud });
  sims.push(sim);
  const peer = new DevicePeer(sim.port!, { ignoreCredit: opts.ignoreCredit });
  peers.push(peer);
  return { sim, peer };
}

function sampleData(n: number, seed: number): { x: Float32Array; y: number[] } {
  const rng = new Random(seed);
  const x = new Float32Array(n * INPUTS);
  const y: number[] = [];
  for (let s = 0; s < n; s++) {
    const label = s % 5;
    y.push(label);
    for (let i = 0; i < INPUTS; i++) x[s * INPUTS + i] = (rng.uniform() * 2 - 1) + (i % 5 === label ? 1.5 : 0);
  }
  return { x, y };
}

async function reply(peer: DevicePeer, seq: number, types: number[]): Promise<RxFrame> {
  let found: RxFrame | undefined;
  await peer.waitFor(() => {
    found = peer.frames.find((f) => (f.type === M.MSG_ERROR && errorOf(f).refSeq === seq) ||
      (types.includes(f.type) && !(f as { used?: boolean }).used));
    return found !== undefined;
  }, 5000, `reply to ${seq}`);
  (found as { used?: boolean }).used = true;
  return found!;
}

async function getWeights(peer: DevicePeer, total: number): Promise<{ blob: Uint8Array; crc: number; batchId: number }> {
  const blob = new Uint8Array(total);
  let crc = 0, batchId = 0;
  for (let off = 0; off < total;) {
    const seq = peer.send(M.MSG_WEIGHTS_GET, u32s(off, 600));
    const f = await reply(peer, seq, [M.MSG_WEIGHTS_DATA]);
    expect(f.type).toBe(M.MSG_WEIGHTS_DATA);
    const c = new M.WeightsChunk();
    expect(M.decodeWeightsData(f.view, 0, f.payload.length, c)).toBe(M.ERR_OK);
    expect(c.offset).toBe(off);
    blob.set(f.payload.subarray(c.dataOffset, c.dataOffset + c.dataLength), off);
    off += c.dataLength;
    crc = c.blobCrc;
    batchId = c.batchId;
  }
  expect(crc32(blob)).toBe(crc);
  return { blob, crc, batchId };
}

async function putWeights(peer: DevicePeer, blob: Uint8Array, crc: number, batchId: number): Promise<{ code: number }> {
  for (let off = 0; off < blob.length; off += 500) {
    const chunk = blob.subarray(off, Math.min(blob.length, off + 500));
    const p = new Uint8Array(8 + chunk.length);
    p.set(u32s(off, blob.length));
    p.set(chunk, 8);
    peer.send(M.MSG_WEIGHTS_PUT, p);
  }
  const seq = peer.send(M.MSG_WEIGHTS_COMMIT, u32s(blob.length, crc, batchId));
  const f = await reply(peer, seq, []);
  return errorOf(f);
}

describe("device session (node engine, in-process port)", () => {
  vit("answers HELLO with CAPS describing the gesture model", async () => {
    const { sim, peer } = await boot();
    const caps = await peer.hello();
    const ref = buildModel(gestureModelSpec(INPUTS));
    expect(caps.major).toBe(2);
    expect(caps.classes).toBe(5);
    expect(caps.inputDtype).toBe(M.DTYPE_F32);
    expect(caps.inputDims).toEqual([INPUTS, 0, 0]);
    expect(caps.layerSizes.slice(0, caps.layerCount)).toEqual([30, 32, 5]);
    expect(caps.planBytes).toBe(ref.plan.total);
    expect(caps.stateBytes).toBe(8 + ref.parameters.length * 4);
    expect(caps.lastCommittedBatchId).toBe(0);
    expect(caps.rxWindow).toBe(M.RX_SAFE);
    expect(caps.maxFrame).toBe(2048); // manifest.json config.serial.maxFrame: a raw window of the gestures (1428 bytes) fits
    expect(caps.bootNonce).not.toBe(0);
    expect(sim.crashes()).toEqual([]);
  });

  vit("trains every batch exactly once, refuses duplicates and gaps, and matches a Node reference bit for bit", async () => {
    const { sim, peer } = await boot();
    await peer.hello();
    const cfg = await reply(peer, peer.send(M.MSG_CONFIG, configPayload(LR, 1)), []);
    expect(errorOf(cfg).code).toBe(M.ERR_OK);

    const ref = buildModel(gestureModelSpec(INPUTS, 5, { optimizer: { type: "sgd", learningRate: LR } }));
    const batches = 30, per = 8;
    for (let b = 1; b <= batches; b++) {
      const { x, y } = sampleData(per, b);
      peer.send(M.MSG_SAMPLE_BATCH, batchPayload(b, x, y, INPUTS));
      for (let s = 0; s < per; s++) ref.trainStep(x.subarray(s * INPUTS, (s + 1) * INPUTS), y.slice(s, s + 1));
    }
    await peer.waitFor(() => peer.frames.filter((f) => f.type === M.MSG_REPORT).length === batches, 10000, "reports");
    const reports = peer.frames.filter((f) => f.type === M.MSG_REPORT).map(reportOf);
    expect(reports.map((r) => r.batchId)).toEqual(Array.from({ length: batches }, (_, i) => i + 1));
    expect(reports[batches - 1].step).toBe(batches * per);
    for (const r of reports) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
    }
    // Duplicate and gap are refused and change nothing.
    const { x, y } = sampleData(per, 99);
    const dup = errorOf(await reply(peer, peer.send(M.MSG_SAMPLE_BATCH, batchPayload(batches, x, y, INPUTS)), []));
    expect(dup.code).toBe(M.ERR_BATCH_DUPLICATE);
    const gap = errorOf(await reply(peer, peer.send(M.MSG_SAMPLE_BATCH, batchPayload(batches + 2, x, y, INPUTS)), []));
    expect(gap.code).toBe(M.ERR_BATCH_GAP);
    expect(gap.detail).toBe(batches);

    const { blob, batchId } = await getWeights(peer, ref.parameters.length * 4 + 8);
    expect(batchId).toBe(batches);
    const params = new Uint8Array(ref.parameters.buffer, 0, ref.parameters.length * 4);
    expect(Buffer.from(blob.subarray(8)).equals(Buffer.from(params))).toBe(true);
    expect(new DataView(blob.buffer).getUint32(4, true)).toBe(ref.step);

    // Credit kept the FIFO within RX_SAFE: nothing lost.
    const st = sim.stats();
    expect(st.rxOverflow).toBe(0);
    expect(st.maxRxFifo).toBeLessThanOrEqual(M.RX_SAFE);
    expect(st.outputFull).toBe(0);
    expect(sim.crashes()).toEqual([]);
  });

  vit("loses bytes in the 128-byte FIFO when a peer ignores credit while the device trains", async () => {
    // An ESP32 training step (~12 ms in the cost model) lasts far longer than the FIFO takes to fill (1.4 ms).
    const { sim, peer } = await boot({ ignoreCredit: true });
    await peer.hello();
    for (let b = 1; b <= 20; b++) {
      const { x, y } = sampleData(8, b);
      peer.send(M.MSG_SAMPLE_BATCH, batchPayload(b, x, y, INPUTS));
    }
    await new Promise((r) => setTimeout(r, 500));
    const st = sim.stats();
    expect(st.rxOverflow).toBeGreaterThan(0);
    expect(st.maxRxFifo).toBe(128);
    expect(sim.crashes()).toEqual([]);
  });

  vit("keeps the credit invariant even when the device is slow", async () => {
    const { sim, peer } = await boot({ cpuSlowdown: 20 });
    await peer.hello();
    for (let b = 1; b <= 10; b++) {
      const { x, y } = sampleData(8, b);
      peer.send(M.MSG_SAMPLE_BATCH, batchPayload(b, x, y, INPUTS));
    }
    // 80 steps at 20 x the ESP32's ~12 ms: about 20 s of virtual time.
    await peer.waitFor(() => peer.frames.filter((f) => f.type === M.MSG_REPORT).length === 10, 120000, "reports");
    const st = sim.stats();
    expect(st.rxOverflow).toBe(0);
    expect(st.maxRxFifo).toBeLessThanOrEqual(M.RX_SAFE);
  });

  vit("weights: a PUT with a bad CRC is refused and leaves the model unchanged; a good one is committed", async () => {
    const { peer, sim } = await boot();
    const caps = await peer.hello();
    const before = await getWeights(peer, caps.stateBytes);
    const changed = before.blob.slice();
    const dv = new DataView(changed.buffer);
    for (let i = 8; i < changed.length; i += 4) dv.setFloat32(i, dv.getFloat32(i, true) * 0.5, true);
    const bad = await putWeights(peer, changed, (crc32(changed) ^ 1) >>> 0, 7);
    expect(bad.code).toBe(M.ERR_BLOB_CRC);
    const after = await getWeights(peer, caps.stateBytes);
    expect(Buffer.from(after.blob).equals(Buffer.from(before.blob))).toBe(true);
    expect(after.batchId).toBe(0);

    const good = await putWeights(peer, changed, crc32(changed), 7);
    expect(good.code).toBe(M.ERR_OK);
    const now = await getWeights(peer, caps.stateBytes);
    expect(Buffer.from(now.blob).equals(Buffer.from(changed))).toBe(true);
    expect(now.batchId).toBe(7);
    // Training resumes after the committed id.
    const { x, y } = sampleData(1, 1);
    const e = errorOf(await reply(peer, peer.send(M.MSG_SAMPLE_BATCH, batchPayload(7, x, y, INPUTS)), []));
    expect(e.code).toBe(M.ERR_BATCH_DUPLICATE);
    const r = await reply(peer, peer.send(M.MSG_SAMPLE_BATCH, batchPayload(8, x, y, INPUTS)), [M.MSG_REPORT]);
    expect(r.type).toBe(M.MSG_REPORT);
    expect(reportOf(r).batchId).toBe(8);
    // A blob with NaN inside is refused even with the right CRC.
    const nan = changed.slice();
    new DataView(nan.buffer).setFloat32(12, NaN, true);
    expect((await putWeights(peer, nan, crc32(nan), 9)).code).toBe(M.ERR_BAD_VALUE);
    expect(sim.crashes()).toEqual([]);
  });

  vit("predicts with the same scores as the engine in Node", async () => {
    const { peer } = await boot();
    await peer.hello();
    const ref = buildModel(gestureModelSpec(INPUTS));
    const { x } = sampleData(3, 5);
    const f = await reply(peer, peer.send(M.MSG_PREDICT_REQ, predictPayload(42, x, 3, INPUTS)), [M.MSG_PREDICT_RESULT]);
    expect(f.type).toBe(M.MSG_PREDICT_RESULT);
    const res = new M.PredictResult();
    expect(M.decodePredictResult(f.view, 0, f.payload.length, res)).toBe(M.ERR_OK);
    expect(res.requestId).toBe(42);
    expect(res.count).toBe(3);
    expect(res.classes).toBe(5);
    const expected = ref.predict(x, new Float32Array(15), 3);
    const got = new Float32Array(15);
    for (let i = 0; i < 15; i++) got[i] = f.view.getFloat32(res.scoresOffset + 4 * i, true);
    expect(Array.from(got)).toEqual(Array.from(expected));
  });

  vit("answers PING, and refuses bad CONFIG, wrong shapes, bad labels and unknown types", async () => {
    const { peer, sim } = await boot();
    await peer.hello();
    peer.sendUnsequenced(M.MSG_PING, u32s(1234));
    const pong = await peer.next([M.MSG_PONG]);
    expect(new DataView(pong.payload.buffer).getUint32(0, true)).toBe(1234);
    const c = configPayload(LR, 1);
    c[6] = M.OPT_ADAM; // the gesture model uses SGD: its memory plan has no Adam state
    expect(errorOf(await reply(peer, peer.send(M.MSG_CONFIG, c), [])).code).toBe(M.ERR_BAD_VALUE);
    const { x, y } = sampleData(2, 1);
    const wrong = batchPayload(1, new Float32Array(2 * 29), y, 29);
    expect(errorOf(await reply(peer, peer.send(M.MSG_SAMPLE_BATCH, wrong), [])).code).toBe(M.ERR_SHAPE_MISMATCH);
    expect(errorOf(await reply(peer, peer.send(M.MSG_SAMPLE_BATCH, batchPayload(1, x, [0, 7], INPUTS)), [])).code).toBe(M.ERR_BAD_LABEL);
    expect(errorOf(await reply(peer, peer.send(M.MSG_REPORT, new Uint8Array(24)), [])).code).toBe(M.ERR_UNKNOWN_TYPE);
    expect(sim.crashes()).toEqual([]);
  });
});
