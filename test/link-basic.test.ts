// The host link against a scripted device (test/fake-device.ts) in virtual time (host-sim/sim/clock.ts):
// the device's training time, the line's pace and the link's timeouts are the same on any machine.
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../host-sim/sim/clock";
import { HostLink, LinkError } from "../host-sim/link/link";
import { memoryPortPair, unplug } from "../host-sim/link/port";
import { FakeDevice } from "./fake-device";
import { makeBatches, referenceWeights, TINY_SPEC } from "./link-helpers";
import * as P from "../src/protocol/index";

function setup(deviceOptions = {}, baud = 0) {
  const [hostPort, devPort] = memoryPortPair({ baud });
  const device = new FakeDevice(devPort, { spec: TINY_SPEC, ...deviceOptions });
  const link = new HostLink(hostPort);
  return { link, device, hostPort, devPort };
}

/** A test whose timers, Date.now and performance.now are virtual. */
const vit = (name: string, body: () => Promise<void>) => it(name, () => new VirtualClock({ seed: 1 }).run(body));

describe("host link against a scripted device", () => {
  vit("handshakes, configures, streams batches exactly once, reads weights", async () => {
    const { link, device } = setup({ trainMs: 2 }, 921600);
    const info = await link.connect({ inputs: 8, classes: 3 });
    expect(info.classes).toBe(3);
    await link.configure({ learningRate: 0.02 });
    const batches = makeBatches(60);
    const reports: number[] = [];
    const r = await link.sendBatches(batches, (rep) => reports.push(rep.batchId), { snapshotEvery: 25 });
    expect(r.batches).toBe(60);
    expect(reports).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(device.trained).toEqual(reports);
    expect(device.creditOverrun).toBe(0);
    expect(device.fifoDrops).toBe(0);
    expect(device.maxOutstandingWhenBusy).toBeLessThanOrEqual(112);
    const w = await link.getWeights();
    expect(w.batchId).toBe(60);
    expect(Buffer.from(w.blob).equals(Buffer.from(referenceWeights(batches)))).toBe(true);
    const scores = await link.predict(batches[0]!.x);
    expect(scores.length).toBe(3);
    const ping = await link.ping();
    expect(ping.uptimeMs).toBe(1234);
    await link.close();
    device.stop();
  });

  vit("reads weights from a device that answers WEIGHTS_GET with shorter chunks than asked", async () => {
    // docs/protocol.md: a WEIGHTS_DATA may carry fewer bytes; the host continues at offset + bytes received.
    const { link, device } = setup({ weightsChunkMax: 7 }, 921600);
    await link.connect({ inputs: 8, classes: 3 });
    await link.configure({ learningRate: 0.02 });
    const batches = makeBatches(5);
    await link.sendBatches(batches, () => {});
    const w = await link.getWeights();
    expect(w.batchId).toBe(5);
    expect(w.blob.length).toBeGreaterThan(7 * 4);
    expect(Buffer.from(w.blob).equals(Buffer.from(referenceWeights(batches)))).toBe(true);
    await link.close();
    device.stop();
  });

  vit("rejects a model that does not fit the data", async () => {
    const { link, device } = setup();
    await expect(link.connect({ inputs: 30, classes: 5 })).rejects.toThrow(/30 features/);
    device.stop();
    link.destroy();
  });

  vit("reports a device that never answers", async () => {
    const [hostPort] = memoryPortPair();
    const link = new HostLink(hostPort, { handshakeTimeoutMs: 600 });
    await expect(link.connect()).rejects.toMatchObject({ code: "NO_DEVICE" });
    link.destroy();
  });

  vit("reports an incompatible protocol version", async () => {
    const { link, device } = setup({ version: P.PROTOCOL_VERSION + 1 });
    const l2 = link as HostLink;
    await expect(l2.connect()).rejects.toMatchObject({ code: "INCOMPATIBLE" });
    device.stop();
    link.destroy();
  });

  vit("fails clearly when the port disappears", async () => {
    const { link, device, hostPort } = setup({ trainMs: 5 }, 115200);
    await link.connect();
    await link.configure({ learningRate: 0.02 });
    setTimeout(() => unplug(hostPort), 100);
    const err = await link.sendBatches(makeBatches(500)).catch((e) => e);
    expect(err).toBeInstanceOf(LinkError);
    expect(err.code).toBe("PORT_CLOSED");
    expect(err.message).toMatch(/resumed/);
    device.stop();
  });
});
