// The simulator's cost model (host-sim/sim/cost.ts) against the real XS engine: its per-operation figures
// must stay within 30 % of what the xsnap meter (deterministic) measures for the app's code today, so the
// simulated board cannot silently drift away from the code it stands for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XsEngine } from "../host-sim/xs/xsnap";
import { readXsBundle } from "../host-sim/xs/twin";
import { ESP32_COST, WorkMeter, costModel } from "../host-sim/sim/cost";
import { FrameEncoder } from "../src/protocol/frame";
import { MSG_SAMPLE_BATCH, MSG_PING } from "../src/protocol/messages";

let engine: XsEngine;
beforeAll(async () => {
  engine = await XsEngine.start();
  await engine.evaluate(readXsBundle());
  await engine.evaluate(`
    globalThis.m = tinyprop.buildModel(tinyprop.gestureModelSpec(30));
    globalThis.X = new Float32Array(30).map((_, i) => Math.sin(i)); globalThis.Y = new Uint8Array([2]);
    const P = tinyprop.protocol;
    globalThis.enc = new P.FrameEncoder(1024);
    for (let i = 0; i < 1000; i++) enc.bytes[12 + i] = (i * 37) & 255;
    globalThis.wire = new Uint8Array(1200);
    globalThis.wlen = enc.encode(0x11, 1, 0, 1000, wire, 0);
    globalThis.dec = new P.FrameDecoder(1024, () => undefined);
  `);
}, 60000);
afterAll(async () => {
  await engine?.close();
});

/** XS units per iteration of `body` (an empty loop subtracted). */
async function perIteration(body: string, n = 100): Promise<number> {
  const empty = (await engine.evaluate(`for (let i = 0; i < ${n}; i++) ;`)).meter.compute;
  const full = (await engine.evaluate(`for (let i = 0; i < ${n}; i++) ${body};`)).meter.compute;
  return (full - empty) / n;
}

const within30 = (measured: number, model: number) => expect(Math.abs(measured - model) / measured).toBeLessThan(0.3);

describe("cost model", () => {
  it("per-operation figures match the XS meter within 30 %", async () => {
    const step = await perIteration("m.trainStep(X, Y)");
    const predict = await perIteration("m.classify(X, 0)");
    const decodePerByte = (await perIteration("dec.push(wire, 0, wlen)")) / 1031;
    const encodePerByte = (await perIteration("enc.encode(0x11, 1, 0, 1000, wire, 0)")) / 1031;
    within30(step, ESP32_COST.stepUnits);
    within30(predict, ESP32_COST.predictUnits);
    within30(decodePerByte, ESP32_COST.rxByteUnits);
    within30(encodePerByte, ESP32_COST.txByteUnits);
  }, 60000);

  it("charges a SAMPLE_BATCH's training steps to the read that ends it, and nothing for other frames", () => {
    const model = costModel({ unitsPerUs: 1, rxByteUnits: 0, stepUnits: 1000 });
    const meter = new WorkMeter(model);
    const enc = new FrameEncoder(1024);
    const wire = new Uint8Array(1200);
    const batch = (count: number, dims: number, length: number) => {
      enc.view.setUint32(12, 1, true); // batch id
      enc.view.setUint16(16, count, true);
      enc.view.setUint8(18, 1); // float32
      enc.view.setUint8(19, 1); // rank 1
      enc.view.setUint16(20, dims, true);
      return enc.encode(MSG_SAMPLE_BATCH, 1, 0, length, wire, 0);
    };
    const n = batch(8, 30, 24 + 8 * 120);
    expect(meter.read(wire.subarray(0, 50))).toBe(0);
    expect(meter.read(wire.subarray(50, n))).toBe(8); // 8 steps x 1000 units at 1 unit/µs = 8 ms
    // A batch whose count lies about its length is refused by the device at once: no steps.
    const lie = batch(60000, 30, 24 + 8 * 120);
    expect(meter.read(wire.subarray(0, lie))).toBe(0);
    const m = enc.encode(MSG_PING, 1, 0, 4, wire, 0);
    expect(meter.read(wire.subarray(0, m))).toBe(0);
  });

  it("refuses a cost model with a negative or non-finite figure", () => {
    expect(() => costModel({ stepUnits: -1 })).toThrow(/stepUnits/);
    expect(() => costModel({ unitsPerUs: Number.NaN })).toThrow(/unitsPerUs/);
  });
});
