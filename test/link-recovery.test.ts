// Loss recovery in proportion to the loss, measured in virtual time (vitest fake timers drive the link,
// the memory ports at 921600 baud, the fault relay and the scripted device): a run at 1e-3 mixed faults per
// byte (bit flips, drops and inserts, both directions) ends bit-identical to a clean one, with no
// re-handshake, and the time it takes is printed beside the clean run's.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HostLink } from "../host-sim/link/link";
import { memoryPortPair } from "../host-sim/link/port";
import { FaultRelay, type FaultRates } from "../host-sim/link/fault-relay";
import { FakeDevice } from "./fake-device";
import { makeBatches, referenceWeights, TINY_SPEC } from "./link-helpers";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "performance", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

async function drive<T>(p: Promise<T>, limitMs: number): Promise<T> {
  let settled = false, value: T | undefined, error: unknown;
  p.then((v) => { settled = true; value = v; }, (e) => { settled = true; error = e; });
  const start = performance.now();
  while (!settled && performance.now() - start < limitMs) await vi.advanceTimersByTimeAsync(5);
  if (!settled) throw new Error(`not done after ${limitMs} ms of virtual time`);
  if (error) throw error;
  return value!;
}

interface Run { ms: number; weights: Uint8Array; sessions: number; retransmitted: number; timeouts: number; gaps: number }

/** Streams `n` batches of `perFrame` samples through a relay with `rates`; virtual ms from first batch to last report. */
async function stream(n: number, perFrame: number, rates: FaultRates | undefined, seed = 5): Promise<Run> {
  const [hostPort, a] = memoryPortPair({ baud: 921600 });
  const [b, c] = memoryPortPair({ baud: 921600 });
  const relay = new FaultRelay(a, b, { seed, toDevice: rates ?? {}, toHost: rates ?? {} });
  const dev = new FakeDevice(c, { spec: TINY_SPEC, trainMs: 1 });
  let nonce = 0;
  const link = new HostLink(hostPort, { random32: () => ++nonce });
  relay.enabled = false;
  await drive(link.connect({ inputs: 8, classes: 3 }), 10_000);
  await drive(link.configure({ learningRate: 0.02 }), 10_000);
  const batches = makeBatches(n, perFrame);
  relay.enabled = rates !== undefined;
  const start = performance.now();
  await drive(link.sendBatches(batches, () => {}, { snapshotEvery: 0 }), 3_600_000);
  const ms = performance.now() - start;
  relay.enabled = false;
  const w = await drive(link.getWeights(), 60_000);
  expect(w.batchId).toBe(n);
  link.destroy();
  dev.stop();
  const s = link.stats;
  return { ms, weights: w.blob, sessions: s.sessions, retransmitted: s.framesRetransmitted, timeouts: s.timeouts, gaps: s.gaps };
}

const MIXED_1E3: FaultRates = { bitFlip: 1e-3 / 3, drop: 1e-3 / 3, insert: 1e-3 / 3 };

describe("loss recovery in proportion to the loss", () => {
  it("1e-3 mixed faults per byte: bit-identical, no re-handshake, time within 3x of a clean run", async () => {
    const n = 300, perFrame = 8;
    const clean = await stream(n, perFrame, undefined);
    const noisy = await stream(n, perFrame, MIXED_1E3);
    const ratio = noisy.ms / clean.ms;
    console.log(`recovery: ${n} batches of ${perFrame} samples at 921600 baud: clean ${clean.ms.toFixed(0)} ms, 1e-3 mixed ${noisy.ms.toFixed(0)} ms (virtual) = ${ratio.toFixed(2)}x; ` +
      `${noisy.retransmitted} frames resent, ${noisy.gaps} GAPs, ${noisy.timeouts} timeouts, ${noisy.sessions} sessions`);
    expect(Buffer.from(noisy.weights).equals(Buffer.from(referenceWeights(makeBatches(n, perFrame))))).toBe(true);
    expect(noisy.sessions).toBe(1);
    expect(ratio).toBeLessThan(3);
  }, 120_000);
});
