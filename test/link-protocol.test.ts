// Host link mechanics against the scripted device: go-back-N, credit, pause, garbage, GAP, resets. In
// virtual time (host-sim/sim/clock.ts): training time, line pace, FIFO losses and timeouts are the same on
// any machine.
import { describe, expect, it, vi } from "vitest";
import { VirtualClock } from "../host-sim/sim/clock";
import { HostLink, type LinkEvent } from "../host-sim/link/link";
import { memoryPortPair, type BytePort } from "../host-sim/link/port";
import { FaultRelay, type FaultRelayOptions } from "../host-sim/link/fault-relay";
import { FakeDevice, type FakeDeviceOptions } from "./fake-device";
import { makeBatches, referenceWeights, TINY_SPEC } from "./link-helpers";
import * as P from "../src/protocol/index";

/** A test whose timers, Date.now and performance.now are virtual. */
const vit = (name: string, body: () => Promise<void>) => it(name, () => new VirtualClock({ seed: 1 }).run(body, { limitMs: 600_000 }));

const ids = (n: number, from = 1) => Array.from({ length: n - from + 1 }, (_, i) => i + from);

function chain(device: FakeDeviceOptions = {}, relay: FaultRelayOptions | undefined = undefined, baud = 921600) {
  const [hostPort, a] = memoryPortPair({ baud });
  let devPort: BytePort = a;
  let r: FaultRelay | undefined;
  if (relay) {
    const [b, c] = memoryPortPair({ baud });
    r = new FaultRelay(a, b, relay);
    devPort = c;
  }
  const dev = new FakeDevice(devPort, { spec: TINY_SPEC, ...device });
  const events: LinkEvent[] = [];
  const link = new HostLink(hostPort, { onEvent: (e) => events.push(e), handshakeTimeoutMs: 8000 });
  return { link, dev, relay: r, events, hostPort };
}

async function run(c: ReturnType<typeof chain>, n: number, opts: { during?: (batchId: number) => void; snapshotEvery?: number } = {}) {
  await c.link.connect({ inputs: 8, classes: 3 });
  await c.link.configure({ learningRate: 0.02 });
  const batches = makeBatches(n);
  await c.link.sendBatches(batches, (r) => opts.during?.(r.batchId), { snapshotEvery: opts.snapshotEvery ?? 40 });
  const w = await c.link.getWeights();
  return { batches, w };
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("credit flow control", () => {
  vit("never exceeds the small window, and no FIFO byte is lost while the device trains", async () => {
    const c = chain({ trainMs: 3 }, undefined, 115200);
    const { batches, w } = await run(c, 40);
    expect(c.dev.creditOverrun).toBe(0);
    expect(c.dev.fifoDrops).toBe(0);
    expect(c.dev.maxOutstandingWhenBusy).toBeLessThanOrEqual(P.RX_SAFE);
    expect(c.dev.trained).toEqual(ids(40));
    expect(same(w.blob, referenceWeights(batches))).toBe(true);
    await c.link.close();
    c.dev.stop();
  });

  vit("honours PAUSE in large-window mode: confirms, sends nothing new, loses nothing", async () => {
    const c = chain({ trainMs: 4, rxWindow: 1024 }, undefined, 921600);
    const { batches, w } = await run(c, 40);
    expect(c.dev.pausesSent).toBeGreaterThan(0);
    expect(c.dev.confirmsSeen).toBeGreaterThan(0);
    expect(c.link.stats.pauses).toBeGreaterThan(0);
    expect(c.dev.creditOverrun).toBe(0);
    expect(c.dev.fifoDrops).toBe(0);
    expect(c.dev.trained).toEqual(ids(40));
    expect(same(w.blob, referenceWeights(batches))).toBe(true);
    await c.link.close();
    c.dev.stop();
  });

  it("sends nothing at all without credit (400 ms of virtual time)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "performance", "Date"] });
    try {
      const c = chain({ noCredit: true });
      const connected = c.link.connect();
      for (let t = 0; t < 2000 && !c.link.info; t += 5) await vi.advanceTimersByTimeAsync(5);
      await connected;
      const written = c.link.stats.bytesWritten;
      const p = c.link.configure({ learningRate: 0.1 }).catch(() => {});
      await vi.advanceTimersByTimeAsync(400);
      expect(c.link.stats.bytesWritten).toBe(written);
      c.link.destroy();
      c.dev.stop();
      void p;
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("loss and corruption", () => {
  vit("skips boot garbage before and between frames", async () => {
    const c = chain({ bootText: "ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET)\r\n" }, { seed: 3, toHost: { garbage: 0.2 } });
    const { batches, w } = await run(c, 30);
    expect(c.link.decoderStats.garbageBytes).toBeGreaterThan(0);
    expect(c.dev.trained).toEqual(ids(30));
    expect(same(w.blob, referenceWeights(batches))).toBe(true);
    await c.link.close();
    c.dev.stop();
  });

  vit("go-back-N recovers dropped and corrupted frames in both directions (GAP and timeout)", async () => {
    const c = chain({ trainMs: 1 }, { seed: 11, toDevice: { drop: 0.0005, bitFlip: 0.0005, insert: 0.0003 }, toHost: { drop: 0.0005, bitFlip: 0.0005, insert: 0.0003 } });
    const { batches, w } = await run(c, 80);
    const retrans = c.events.filter((e) => e.kind === "retransmit");
    expect(retrans.length).toBeGreaterThan(0);
    expect(c.link.stats.framesRetransmitted).toBeGreaterThan(0);
    expect(c.dev.lineage).toEqual(ids(80));
    expect(same(w.blob, referenceWeights(batches))).toBe(true);
    await c.link.close();
    c.dev.stop();
  });

  vit("a GAP (duplicate ack) triggers an immediate retransmission", async () => {
    // Drop exactly one early host->device frame body byte; the next frame makes the device send GAP.
    const c = chain({ trainMs: 0 }, { seed: 1 });
    let n = 0;
    const relay = c.relay!;
    (relay as unknown as { down: { apply: (b: Uint8Array) => Uint8Array } }).down.apply = (b: Uint8Array) => {
      n += b.length;
      return n > 200 && n - b.length <= 200 ? b.subarray(0, Math.max(0, b.length - 3)) : b;
    };
    const { batches, w } = await run(c, 20);
    expect(c.dev.gapsSent).toBeGreaterThan(0);
    expect(c.link.stats.gaps).toBeGreaterThan(0);
    expect(c.events.some((e) => e.kind === "retransmit" && e.reason === "gap")).toBe(true);
    expect(same(w.blob, referenceWeights(batches))).toBe(true);
    await c.link.close();
    c.dev.stop();
  });
});

describe("device resets", () => {
  vit("resumes after a reset that kept a checkpoint: nothing trained twice, nothing skipped", async () => {
    const c = chain({ trainMs: 1 });
    let done = false;
    const { batches, w } = await run(c, 60, { during: (id) => { if (id === 23 && !done) { done = true; setImmediate(() => c.dev.reset("checkpoint")); } } });
    expect(c.link.stats.resets).toBe(1);
    expect(c.dev.trained).toEqual(ids(60));
    expect(same(w.blob, referenceWeights(batches))).toBe(true);
    await c.link.close();
    c.dev.stop();
  });

  vit("restores the host's snapshot after a reset that lost all training, then replays the rest", async () => {
    const c = chain({ trainMs: 1 });
    let done = false;
    const { batches, w } = await run(c, 70, { snapshotEvery: 20, during: (id) => { if (id === 47 && !done) { done = true; setImmediate(() => c.dev.reset("none")); } } });
    expect(c.events.some((e) => e.kind === "restore" && e.batchId > 0)).toBe(true);
    expect(c.dev.lineage).toEqual(ids(70));
    expect(same(w.blob, referenceWeights(batches))).toBe(true);
    await c.link.close();
    c.dev.stop();
  });

  vit("resumes a run against a device that already trained part of it (host restart)", async () => {
    const c = chain({ trainMs: 0 });
    await c.link.connect();
    await c.link.configure({ learningRate: 0.02 });
    const batches = makeBatches(30);
    await c.link.sendBatches(batches.slice(0, 12));
    await c.link.close();
    // A new host process: same port pair is gone, so a new chain on the same device object is simulated by
    // a fresh HostLink on a new port pair whose device end the old device now listens to.
    const [hostPort, devPort] = memoryPortPair();
    const dev2 = c.dev;
    dev2.stop();
    const resumed = new FakeDevice(devPort, { spec: TINY_SPEC, quietBoot: true });
    resumed.checkpoint = { blob: dev2.weightsBlob(), batchId: dev2.lastCommitted };
    resumed.reset("none");
    const link = new HostLink(hostPort);
    await link.connect();
    await link.configure({ learningRate: 0.02 });
    const r = await link.sendBatches(batches);
    expect(r.skipped).toBe(12);
    expect(resumed.trained).toEqual(ids(30, 13));
    const w = await link.getWeights();
    expect(same(w.blob, referenceWeights(batches))).toBe(true);
    await link.close();
    resumed.stop();
  });
});
