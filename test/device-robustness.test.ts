// Hostile input never crashes the device app or grows its memory; checkpoints survive a power cycle.
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";
import { FrameEncoder } from "../src/protocol/frame";
import * as M from "../src/protocol/messages";
import { Random } from "../src/engine/random";
import { DevicePeer, batchPayload, u32s } from "./device-peer";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

// Every test runs in virtual time (docs/simulator.md): the board's pace (the ESP32 cost model) and what a
// host that ignores credit makes it lose are the same on any machine.
let clock = new VirtualClock();
const vit = (name: string, body: () => Promise<void>) => it(name, () => {
  clock = new VirtualClock({ seed: 1 });
  return clock.run(body);
});

async function boot(): Promise<{ sim: Simulator; peer: DevicePeer }> {
  const sim = await startSimulator({ engine: "node", pty: false, clock });
  cleanup.push(() => sim.stop());
  const peer = new DevicePeer(sim.port!);
  cleanup.push(() => peer.close());
  return { sim, peer };
}

describe("device robustness", () => {
  vit("survives garbage and well-framed lies of every message type, then still serves", async () => {
    const { sim, peer } = await boot();
    await peer.hello();
    const rng = new Random(11);
    const enc = new FrameEncoder(1024);
    const out = new Uint8Array(2048);
    const types = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x20, 0x21, 0x22, 0x23, 0x30, 0xff];
    let seq = 1;
    for (let i = 0; i < 400; i++) {
      const type = types[Math.floor(rng.uniform() * types.length)];
      if (type === M.MSG_HELLO) continue; // would restart the session under the peer
      const len = Math.floor(rng.uniform() * (rng.uniform() < 0.8 ? 48 : 1000));
      const payload = new Uint8Array(len);
      for (let k = 0; k < len; k++) payload[k] = rng.uniform() < 0.3 ? 0 : Math.floor(rng.uniform() * 256);
      // Plausible headers with lying counts half of the time.
      if (len >= 16 && rng.uniform() < 0.5) new DataView(payload.buffer).setUint16(4, Math.floor(rng.uniform() * 65536), true);
      const n = enc.encodeBytes(type, M.isSequenced(type) ? seq++ : seq, 0, payload, out);
      sim.port!.write(out.subarray(0, n));
      if (i % 10 === 0) {
        const junk = new Uint8Array(60).map(() => Math.floor(rng.uniform() * 256));
        sim.port!.write(junk);
      }
      await new Promise((r) => setTimeout(r, 1)); // a host that paces itself a little; credit is ignored
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.crashes()).toEqual([]);
    // The device is still healthy: a fresh session trains and answers pings.
    await peer.hello();
    peer.sendUnsequenced(M.MSG_PING, u32s(5));
    await peer.next([M.MSG_PONG], peer.frames.length);
    const x = new Float32Array(30).fill(0.25);
    peer.send(M.MSG_SAMPLE_BATCH, batchPayload(1, x, [3], 30));
    const before = peer.frames.length;
    await peer.next([M.MSG_REPORT, M.MSG_ERROR], before);
    expect(sim.crashes()).toEqual([]);
  });

  vit("restores the last checkpoint after a power cycle and resumes after its batch id", async () => {
    const { sim, peer } = await boot();
    await peer.hello();
    const x = new Float32Array(30).map((_, i) => i / 30);
    for (let b = 1; b <= 55; b++) peer.send(M.MSG_SAMPLE_BATCH, batchPayload(b, x, [b % 5], 30));
    await peer.waitFor(() => peer.frames.filter((f) => f.type === M.MSG_REPORT).length === 55, 10000, "reports");
    await sim.reset();
    const caps = await peer.hello();
    expect(caps.lastCommittedBatchId).toBe(50); // saved every 50 batches (manifest config.checkpoint.every)
    const before = peer.frames.length;
    peer.send(M.MSG_SAMPLE_BATCH, batchPayload(51, x, [1], 30));
    const r = await peer.next([M.MSG_REPORT, M.MSG_ERROR], before);
    expect(r.type).toBe(M.MSG_REPORT);
    expect(sim.crashes()).toEqual([]);
  });
});
