// The simulated UART's receive model (host-sim/sim/uart.ts) on a virtual clock, so every outcome is exact
// and the same on any machine: bytes that arrive while the app is idle are readable at once (the ESP32's
// UART interrupt would schedule onReadable), bytes that arrive during a turn go to the 128-byte FIFO
// (plus the receive ring, when the board has one), which only the app's reads drain, and overflow beyond it.
import { describe, expect, it } from "vitest";
import { SimBoard, RX_FIFO, type UartModel } from "../host-sim/sim/board";
import { VirtualClock } from "../host-sim/sim/clock";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)); // virtual inside clock.run()

/** A board whose app reads everything on onReadable and is busy `busyMs` of device time after every read. */
function rig(busyMs: number, uart: UartModel = {}) {
  const clock = new VirtualClock();
  // 115200 baud: 11.52 bytes per ms, the FIFO fills in 11.1 ms.
  const board = new SimBoard({ baud: 115200, clock, cost: "zero", uart: { bridgeBuffer: 4096, ...uart } });
  const port = board.uart(0);
  port.peer = { deliver: () => undefined };
  const stage = new Uint8Array(128);
  let got = 0;
  board.turn(() => port.attachApp({
    onReadable: () => {
      for (;;) {
        const n = port.readInto(stage);
        if (!n) break;
        got += n;
        board.charge(busyMs);
      }
    },
  }, 115200));
  /** Sends `n` bytes and lets virtual time run until the line and the app are done. */
  const burst = (n: number) => clock.run(async () => {
    port.receiveFromPeer(new Uint8Array(n));
    await sleep(2000);
    board.stop();
  });
  return { board, port, clock, burst, received: () => got };
}

describe("simulated UART receive (virtual clock)", () => {
  it("loses nothing of a long burst while the app is idle", async () => {
    const r = rig(0);
    await r.burst(1500); // 130 ms of line time
    expect({ received: r.received(), lost: r.port.stats.rxOverflow }).toEqual({ received: 1500, lost: 0 });
  });

  it("loses nothing while the app, busy inside its turns, still reads faster than the line", async () => {
    // 1 ms of device time after every read: about 12 bytes arrive meanwhile.
    const r = rig(1);
    await r.burst(1500);
    expect({ received: r.received(), lost: r.port.stats.rxOverflow }).toEqual({ received: 1500, lost: 0 });
    expect(r.port.stats.maxRxFifo).toBeLessThan(RX_FIFO);
    expect(r.port.stats.maxRxFifo).toBeGreaterThan(0);
  });

  it("drops what exceeds the 128-byte FIFO while the app is busy", async () => {
    // 20 ms after every read: 230 bytes arrive, 128 fit.
    const r = rig(20);
    await r.burst(1500);
    expect(r.port.stats.rxOverflow).toBeGreaterThan(0);
    expect(r.port.stats.maxRxFifo).toBe(RX_FIFO);
    expect(r.received() + r.port.stats.rxOverflow).toBe(1500);
  });

  it("a receive ring absorbs what the FIFO alone would drop", async () => {
    const r = rig(20, { receive: "ring", ringSize: 1024 });
    await r.burst(1500);
    expect({ received: r.received(), lost: r.port.stats.rxOverflow }).toEqual({ received: 1500, lost: 0 });
    expect(r.port.stats.maxRxFifo).toBeGreaterThan(RX_FIFO);
    expect(r.port.stats.maxRxFifo).toBeLessThanOrEqual(RX_FIFO + 1024);
  });

  it("is a deterministic function of its inputs: two runs give the same FIFO history", async () => {
    const a = rig(12), b = rig(12); // 138 bytes arrive per busy spell: some are lost, the same ones each time
    await a.burst(3000);
    await b.burst(3000);
    expect(a.port.stats).toEqual(b.port.stats);
    expect(a.board.turns).toBe(b.board.turns);
    expect(a.clock.events).toBe(b.clock.events);
    expect(a.port.stats.rxOverflow).toBeGreaterThan(0);
  });

  it("holds no more than the bridge's buffer of what the PC floods it with", async () => {
    const r = rig(0, { bridgeBuffer: 1024 });
    const flood = new Uint8Array(16 << 20);
    let taken = 0;
    await r.clock.run(async () => {
      taken = r.port.receiveFromPeer(flood);
      expect(r.port.receiveFromPeer(flood)).toBe(0); // full until the wire has moved bytes on
      await sleep(50); // 576 bytes of line time
      expect(r.port.rxSpace()).toBeGreaterThan(500);
      r.board.stop();
    });
    expect(taken).toBe(1024);
  });
});
