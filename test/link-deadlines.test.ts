// The host link's deadlines and the first moments of a session, in virtual time (vitest fake timers drive
// the link, the memory ports and the scripted device alike): a board that goes silent with the port open
// fails the run within seconds, the device's first ACK right behind CAPS is used.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HostLink, LinkError } from "../host-sim/link/link";
import { memoryPortPair } from "../host-sim/link/port";
import { FaultRelay } from "../host-sim/link/fault-relay";
import { FakeDevice, type FakeDeviceOptions } from "./fake-device";
import { makeBatches, TINY_SPEC } from "./link-helpers";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "performance", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Advance virtual time until `p` settles or `limitMs` of virtual time pass. */
async function drive<T>(p: Promise<T>, limitMs: number): Promise<{ value?: T; error?: unknown; settled: boolean; elapsedMs: number }> {
  let settled = false, value: T | undefined, error: unknown;
  p.then((v) => { settled = true; value = v; }, (e) => { settled = true; error = e; });
  const start = performance.now();
  while (!settled && performance.now() - start < limitMs) await vi.advanceTimersByTimeAsync(5);
  return { value, error, settled, elapsedMs: performance.now() - start };
}

function setup(device: FakeDeviceOptions = {}, baud = 115200) {
  const [hostPort, devPort] = memoryPortPair({ baud });
  const dev = new FakeDevice(devPort, { spec: TINY_SPEC, ...device });
  const link = new HostLink(hostPort, { random32: () => 0x1234567 });
  return { link, dev };
}

describe("a board that goes silent while the port stays open", () => {
  it("fails the stream within seconds with a clear error instead of hanging", async () => {
    const { link, dev } = setup({ trainMs: 2 });
    expect((await drive(link.connect({ inputs: 8, classes: 3 }), 5000)).settled).toBe(true);
    expect((await drive(link.configure({ learningRate: 0.02, batchSize: 8 }), 5000)).settled).toBe(true);
    // 8 samples per frame: frames larger than the 112-byte credit, so the host is usually mid-frame.
    let reports = 0;
    const run = link.sendBatches(makeBatches(400, 8), () => { if (++reports === 30) dev.stop(); }, { snapshotEvery: 0 });
    const r = await drive(run, 60_000);
    expect(reports).toBeGreaterThanOrEqual(30);
    expect(r.settled).toBe(true);
    expect(r.error).toBeInstanceOf(LinkError);
    expect((r.error as LinkError).message).toMatch(/stopped answering/);
    expect(r.elapsedMs).toBeLessThan(30_000);
    link.destroy();
  });
});

describe("the first moments of a session", () => {
  it("uses the device's first ACK, which arrives right behind CAPS: credit without waiting for a refresh", async () => {
    const { link, dev } = setup({}, 921600);
    expect((await drive(link.connect({ inputs: 8, classes: 3 }), 5000)).settled).toBe(true);
    // The device's next ACK refresh is 100 ms away; CONFIG needs credit now.
    const r = await drive(link.configure({ learningRate: 0.02 }), 5000);
    expect(r.error).toBeUndefined();
    expect(r.elapsedMs).toBeLessThan(20);
    const ping = await drive(link.ping(), 5000);
    expect(ping.value!.rttMs).toBeLessThan(20);
    link.destroy();
    dev.stop();
  });
});

describe("evaluation on a noisy line", () => {
  it("predict goes through the same recovery as training: a long evaluation at 1e-3 faults completes, scores exact", async () => {
    const [hostPort, a] = memoryPortPair({ baud: 921600 });
    const [b, c] = memoryPortPair({ baud: 921600 });
    const rates = { bitFlip: 3.3e-4, drop: 3.3e-4, insert: 3.3e-4 };
    const relay = new FaultRelay(a, b, { seed: 7, toDevice: rates, toHost: rates });
    const dev = new FakeDevice(c, { spec: TINY_SPEC, trainMs: 1 });
    let n = 0;
    const link = new HostLink(hostPort, { random32: () => ++n });
    relay.enabled = false;
    expect((await drive(link.connect({ inputs: 8, classes: 3 }), 5000)).settled).toBe(true);
    const samples = makeBatches(1, 3000)[0]!;
    const clean = await drive(link.predict(samples.x), 600_000);
    relay.enabled = true;
    const noisy = await drive(link.predict(samples.x), 600_000);
    expect(noisy.error).toBeUndefined();
    expect(noisy.settled).toBe(true);
    expect(relay.counts.toDevice.drops + relay.counts.toHost.drops).toBeGreaterThan(10);
    expect(Buffer.from(noisy.value!.buffer).equals(Buffer.from(clean.value!.buffer))).toBe(true);
    console.log(`predict 3000 samples: clean ${clean.elapsedMs.toFixed(0)} ms, 1e-3 faults ${noisy.elapsedMs.toFixed(0)} ms (virtual); ${JSON.stringify(link.stats)}`);
    link.destroy();
    dev.stop();
  });
});
