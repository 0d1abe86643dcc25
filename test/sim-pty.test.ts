// The simulated board behind a real pseudo-terminal, opened with the `serialport` package exactly like a
// USB serial adapter; and the `tinyprop sim` command.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { SerialPort } from "serialport";
import { startSimulator, type Simulator } from "../host-sim/sim/simulator";
import * as M from "../src/protocol/messages";
import { DevicePeer, batchPayload } from "./device-peer";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function openPort(path: string, baudRate = 921600): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate }, (err) => (err ? reject(err) : resolve(p)));
  });
}

function closePort(p: SerialPort): Promise<void> {
  return new Promise((resolve) => (p.isOpen ? p.close(() => resolve()) : resolve()));
}

async function session(path: string): Promise<DevicePeer> {
  const port = await openPort(path);
  cleanup.push(() => closePort(port));
  const peer = new DevicePeer(port);
  cleanup.push(() => peer.close());
  return peer;
}

/** Runs `tinyprop sim` (plus `extra`), reads the device path it prints first and opens a session on it. */
async function startSimCommand(extra: string[]): Promise<{ child: ChildProcessByStdio<Writable, Readable, Readable>; path: string; peer: DevicePeer }> {
  const child = spawn(process.execPath, ["dist/host/cli.js", "sim", "--baud", "115200", ...extra], { stdio: ["pipe", "pipe", "pipe"] });
  cleanup.push(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const path = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    child.on("exit", (code) => reject(new Error(`sim exited early with ${code}`)));
  });
  return { child, path, peer: await session(path) };
}

describe("simulator on a pseudo-terminal", () => {
  it("serves the protocol to a serialport client: handshake, batches, ping; survives a reset", async () => {
    // The pty runs on wall time; the board computes in no time so a loaded machine cannot stretch the run.
    const sim: Simulator = await startSimulator({ engine: "node", pty: true, baud: 921600, cost: "zero" });
    cleanup.push(() => sim.stop());
    expect(sim.path).toMatch(/^\/dev\//);
    const peer = await session(sim.path!);
    const caps = await peer.hello();
    expect(caps.classes).toBe(5);
    const x = new Float32Array(8 * 30).map((_, i) => Math.sin(i));
    for (let b = 1; b <= 10; b++) peer.send(M.MSG_SAMPLE_BATCH, batchPayload(b, x, [0, 1, 2, 3, 4, 0, 1, 2], 30));
    await peer.waitFor(() => peer.frames.filter((f) => f.type === M.MSG_REPORT).length === 10, 30000, "reports");
    await peer.ping(77);
    expect(sim.stats().rxOverflow).toBe(0);

    // Power cycle: boot text (garbage to the decoder), then an unsolicited CAPS with a new boot nonce.
    const before = peer.frames.length;
    await sim.reset();
    const unsolicited = await peer.next([M.MSG_CAPS], before);
    const c = new M.Caps();
    M.decodeCaps(unsolicited.view, 0, unsolicited.payload.length, c);
    expect(c.hostNonce).toBe(0);
    expect(c.bootNonce).not.toBe(caps.bootNonce);
    expect(c.lastCommittedBatchId).toBe(0); // no checkpoint store: the model restarted
    expect(peer.decoder.garbageBytes).toBeGreaterThan(100);
    const again = await peer.hello();
    expect(again.bootNonce).toBe(c.bootNonce);
    expect(sim.crashes()).toEqual([]);
  });

  it("`tinyprop sim` prints the device path and serves until killed", async () => {
    const { child, path, peer } = await startSimCommand([]);
    expect(path).toMatch(/^\/dev\//);
    const caps = await peer.hello();
    expect(caps.layerSizes.slice(0, caps.layerCount)).toEqual([30, 32, 5]);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("`tinyprop sim` power-cycles the board on SIGUSR1, on \"reset\" from stdin and with --reset-every", async () => {
    /** Waits for the unsolicited CAPS of the next boot and returns its boot nonce. */
    const nextBoot = async (peer: DevicePeer, from: number): Promise<number> => {
      const f = await peer.next([M.MSG_CAPS], from);
      const c = new M.Caps();
      M.decodeCaps(f.view, 0, f.payload.length, c);
      expect(c.hostNonce).toBe(0);
      return c.bootNonce;
    };

    const { child, peer } = await startSimCommand([]);
    const first = (await peer.hello()).bootNonce;
    let mark = peer.frames.length;
    child.kill("SIGUSR1");
    const second = await nextBoot(peer, mark);
    expect(second).not.toBe(first);
    mark = peer.frames.length;
    child.stdin.write("reset\n");
    const third = await nextBoot(peer, mark);
    expect(new Set([first, second, third]).size).toBe(3);

    const timed = await startSimCommand(["--reset-every", "400"]);
    const a = await nextBoot(timed.peer, timed.peer.frames.length);
    const b = await nextBoot(timed.peer, timed.peer.frames.length);
    expect(a).not.toBe(b);
  }, 120_000);
});
