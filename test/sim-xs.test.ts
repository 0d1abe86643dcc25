// The device app inside the real XS engine (engine "xs"): same protocol, same resulting weights as Node.
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type Engine, type Simulator } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";
import { Random } from "../src/engine/random";
import { crc32 } from "../src/util/crc32";
import * as M from "../src/protocol/messages";
import { DevicePeer, batchPayload, configPayload, errorOf, u32s, type RxFrame } from "./device-peer";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Runs in virtual time (docs/simulator.md): the board's timing, and so the run, is the same on any machine. */
let currentClock = new VirtualClock();
function trainOn(engine: Engine, batches: number): Promise<{ blob: Uint8Array; reports: number; sim: Simulator }> {
  currentClock = new VirtualClock({ seed: 1 });
  return currentClock.run(() => trainOnNow(engine, batches));
}

async function trainOnNow(engine: Engine, batches: number): Promise<{ blob: Uint8Array; reports: number; sim: Simulator }> {
  const sim = await startSimulator({ engine, pty: false, clock: currentClock });
  cleanup.push(() => sim.stop());
  const peer = new DevicePeer(sim.port!);
  cleanup.push(() => peer.close());
  const caps = await peer.hello(10000);
  const waitReply = async (seq: number, type: number): Promise<RxFrame> => {
    let f: RxFrame | undefined;
    await peer.waitFor(() => (f = peer.frames.find((x) => (x.type === M.MSG_ERROR && errorOf(x).refSeq === seq) || (x.type === type && !(x as { used?: boolean }).used))) !== undefined, 10000, `reply to ${seq}`);
    (f as { used?: boolean }).used = true;
    return f!;
  };
  expect(errorOf(await waitReply(peer.send(M.MSG_CONFIG, configPayload(Math.fround(0.05), 1)), -1)).code).toBe(M.ERR_OK);
  const rng = new Random(3);
  for (let b = 1; b <= batches; b++) {
    const x = new Float32Array(8 * 30).map(() => rng.uniform() * 2 - 1);
    peer.send(M.MSG_SAMPLE_BATCH, batchPayload(b, x, [0, 1, 2, 3, 4, 4, 3, 2], 30));
  }
  await peer.waitFor(() => peer.frames.filter((f) => f.type === M.MSG_REPORT).length === batches, 30000, "reports");
  const blob = new Uint8Array(caps.stateBytes);
  for (let off = 0; off < blob.length;) {
    const f = await waitReply(peer.send(M.MSG_WEIGHTS_GET, u32s(off, 512)), M.MSG_WEIGHTS_DATA);
    const c = new M.WeightsChunk();
    expect(M.decodeWeightsData(f.view, 0, f.payload.length, c)).toBe(M.ERR_OK);
    blob.set(f.payload.subarray(c.dataOffset, c.dataOffset + c.dataLength), off);
    off += c.dataLength;
    if (off >= blob.length) expect(crc32(blob)).toBe(c.blobCrc);
  }
  expect(sim.crashes()).toEqual([]);
  expect(sim.stats().rxOverflow).toBe(0);
  return { blob, reports: batches, sim };
}

describe("device app under XS (engine xs)", () => {
  it("answers a handshake, trains batches and ends with the same weights as under Node", async () => {
    const xs = await trainOn("xs", 12);
    const node = await trainOn("node", 12);
    expect(Buffer.from(xs.blob).equals(Buffer.from(node.blob))).toBe(true);
  }, 120000);
});
