// End to end over a real pseudo-terminal: host link (serialport) -> pty -> fault-injecting relay ->
// simulated board running the device app (node engine, and the real XS engine). With seeded bit flips,
// dropped and inserted bytes, boot-text garbage and a board reset mid-run, every batch is trained exactly
// once and the final weights are bit-identical to a clean run's.
import { afterAll, describe, expect, it } from "vitest";
import { HostLink, type ReportInfo } from "../host-sim/link/link";
import { asBytePort, openSerialPort, type BytePort } from "../host-sim/link/port";
import { FaultRelay, type FaultRelayOptions } from "../host-sim/link/fault-relay";
import { openPty } from "../host-sim/sim/pty";
import { startSimulator, type Engine, type Simulator } from "../host-sim/sim/simulator";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { trainingBatches } from "../host-sim/commands/stream";

const data = loadDefaultDataset();
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

interface Outcome { weights: Uint8Array; reports: ReportInfo[]; link: HostLink; relay?: FaultRelay; sim: Simulator }

/** Board (in-process port) <- relay -> pty <- serialport <- HostLink; streams `epochs` of the bundled set. */
async function runOnce(engine: Engine, epochs: number, faults: FaultRelayOptions | undefined, resetAt?: number): Promise<Outcome> {
  // Recovery and exactness, not speed, are under test: the board computes in no time (cost "zero"),
  // so these wall-clock runs over a real pty are not stretched to an ESP32's pace (docs/simulator.md).
  const sim = await startSimulator({ engine, pty: false, baud: 921600, cost: "zero" });
  cleanup.push(() => sim.stop());
  const pty = openPty();
  cleanup.push(() => pty.close());
  const ptySide: BytePort = asBytePort({ write: (b: Uint8Array) => pty.write(b), onData: (cb: (b: Uint8Array) => void) => pty.onData(cb), close: () => pty.close() }, pty.path);
  const relay = new FaultRelay(ptySide, asBytePort(sim.port!, "board"), { seed: 1, ...faults });
  relay.enabled = faults !== undefined;
  const port = await openSerialPort(pty.path, 921600);
  // Deadlines only guard against a hang here: a rebooting XS worker on a loaded 2-core machine can take far
  // longer than a board (the defaults are tuned for real boards and tested in link-deadlines.test.ts).
  const link = new HostLink(port, { handshakeTimeoutMs: 60000, reconnectTimeoutMs: 120000, requestTimeoutMs: 60000 });
  cleanup.push(() => link.destroy());
  await link.connect({ inputs: data.inputWidth, classes: data.classes.length });
  await link.configure({ learningRate: 0.02, batchSize: 1 });
  const reports: ReportInfo[] = [];
  let resetDone = false;
  await link.sendBatches(trainingBatches(data, epochs, 1, 7), (r) => {
    reports.push({ ...r });
    if (resetAt !== undefined && r.batchId === resetAt && !resetDone) {
      resetDone = true;
      void sim.reset();
    }
  }, { snapshotEvery: 60 });
  relay.enabled = false; // read the result over a clean line (the CRC check would catch corruption anyway)
  const w = await link.getWeights();
  return { weights: w.blob, reports, link, relay, sim };
}

function expectExactlyOnce(reports: ReportInfo[], n: number): void {
  const fresh = reports.filter((r) => !r.replay).map((r) => r.batchId);
  expect(fresh).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

const FAULTS: FaultRelayOptions = {
  seed: 4242,
  toDevice: { bitFlip: 0.0003, drop: 0.0003, insert: 0.0002 },
  toHost: { bitFlip: 0.0003, drop: 0.0003, insert: 0.0002, garbage: 0.01 },
};

// Set TINYPROP_E2E_FAULTS=0 to skip the fault-injection runs (they are on by default).
const FAULTS_ON = process.env.TINYPROP_E2E_FAULTS !== "0";

describe("end to end over a pseudo-terminal", () => {
  it("node engine, clean line: every batch trained exactly once, no FIFO byte lost", async () => {
    const clean = await runOnce("node", 1, undefined);
    expectExactlyOnce(clean.reports, data.train.count);
    expect(clean.sim.stats().rxOverflow).toBe(0);
    expect(clean.weights.length).toBeGreaterThan(0);
  }, 30000);

  it.runIf(FAULTS_ON)("node engine: faults and a reset mid-run give bit-identical weights to a clean run", async () => {
    const epochs = 2, n = epochs * data.train.count;
    const clean = await runOnce("node", epochs, undefined);
    expectExactlyOnce(clean.reports, n);
    expect(clean.sim.stats().rxOverflow).toBe(0);
    const faulty = await runOnce("node", epochs, FAULTS, 90);
    const c = faulty.relay!.counts;
    // The faults really happened.
    expect(c.toDevice.bitFlips + c.toHost.bitFlips).toBeGreaterThan(0);
    expect(c.toDevice.drops + c.toHost.drops).toBeGreaterThan(0);
    expect(c.toDevice.inserts + c.toHost.inserts).toBeGreaterThan(0);
    expect(c.toHost.garbageBursts).toBeGreaterThan(0);
    expect(faulty.link.stats.resets).toBeGreaterThanOrEqual(1);
    expect(faulty.link.stats.framesRetransmitted).toBeGreaterThan(0);
    expectExactlyOnce(faulty.reports, n);
    expect(Buffer.from(faulty.weights).equals(Buffer.from(clean.weights))).toBe(true);
    console.log(`node e2e: faults ${JSON.stringify(c)}; link ${JSON.stringify(faulty.link.stats)}; decoder ${JSON.stringify(faulty.link.decoderStats)}`);
  }, 60000);

  it.runIf(FAULTS_ON)("xs engine: the same with the device app inside XS (smaller run)", async () => {
    const epochs = 1, n = epochs * data.train.count;
    const clean = await runOnce("xs", epochs, undefined);
    expectExactlyOnce(clean.reports, n);
    const faulty = await runOnce("xs", epochs, FAULTS, 45);
    expect(faulty.link.stats.resets).toBeGreaterThanOrEqual(1);
    expectExactlyOnce(faulty.reports, n);
    expect(Buffer.from(faulty.weights).equals(Buffer.from(clean.weights))).toBe(true);
    console.log(`xs e2e: faults ${JSON.stringify(faulty.relay!.counts)}; link ${JSON.stringify(faulty.link.stats)}`);
  }, 400000); // each device turn is a round trip to the XS worker in real time: slow on a loaded machine
});
