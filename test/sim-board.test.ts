// The simulated UART's receive model (host-sim/sim/board.ts): bytes that arrive while the app is idle are
// readable at once (the ESP32's UART interrupt would schedule onReadable), bytes that arrive during a turn
// go to the 128-byte FIFO, which only the app's reads drain, and overflow beyond it.
import { afterEach, describe, expect, it } from "vitest";
import { SimBoard, RX_FIFO } from "../host-sim/sim/board";

const boards: SimBoard[] = [];
afterEach(() => {
  for (const b of boards.splice(0)) b.stop();
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spins for `ms` of wall time (a turn's wire time is this x cpuSlowdown). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

/** A board whose app reads everything on onReadable, spinning `spinMs` (wall) after every read. */
function rig(cpuSlowdown: number, spinMs: number) {
  // 115200 baud: the FIFO takes 11 ms to fill, so a busy CI machine pausing this process for a few ms
  // inside a turn (which the board counts as device time) does not make the loss-free cases flaky.
  const board = new SimBoard({ baud: 115200, cpuSlowdown });
  boards.push(board);
  const uart = board.uart(0);
  uart.peer = { deliver: () => undefined };
  const stage = new Uint8Array(128);
  let got = 0;
  board.turn(() => uart.attachApp({
    onReadable: () => {
      for (;;) {
        const n = uart.readInto(stage);
        if (!n) break;
        got += n;
        spin(spinMs);
      }
    },
  }, 115200));
  return { board, uart, received: () => got };
}

/** One byte first, so the burst is not stamped back to the (first, slow) turn that opened the port. */
async function warm(r: ReturnType<typeof rig>): Promise<void> {
  r.uart.receiveFromPeer(new Uint8Array(1));
  await wait(10);
  expect(r.received()).toBe(1);
}


describe("simulated UART receive", () => {
  it("loses nothing of a long burst while the app is idle, however coarse the simulator's timers", async () => {
    const r = rig(1, 0);
    await warm(r);
    r.uart.receiveFromPeer(new Uint8Array(1500)); // 130 ms of line time, delivered by a 1 ms poll
    await wait(300);
    expect({ received: r.received(), lost: r.uart.stats.rxOverflow }).toEqual({ received: 1501, lost: 0 });
    const uart = r.uart;
    expect(uart.stats.rxOverflow).toBe(0);
  });

  it("loses nothing while the app, busy inside its turns, still reads faster than the line", async () => {
    // 0.5 ms wall x 2 = 1 ms of wire time after every read: ~12 bytes arrive meanwhile.
    const r = rig(2, 0.5);
    await warm(r);
    r.uart.receiveFromPeer(new Uint8Array(1500));
    await wait(300);
    expect({ received: r.received(), lost: r.uart.stats.rxOverflow }).toEqual({ received: 1501, lost: 0 });
    const uart = r.uart;
    expect(uart.stats.rxOverflow).toBe(0);
    expect(uart.stats.maxRxFifo).toBeLessThan(RX_FIFO);
  });

  it("drops what exceeds the 128-byte FIFO while the app is busy", async () => {
    // 1 ms wall x 20 = 20 ms of wire time after every read: ~230 bytes arrive, 128 fit.
    const r = rig(20, 1);
    await warm(r);
    const { uart, received } = r;
    uart.receiveFromPeer(new Uint8Array(1500));
    await wait(500);
    expect(uart.stats.rxOverflow).toBeGreaterThan(0);
    expect(uart.stats.maxRxFifo).toBe(RX_FIFO);
    expect(received() + uart.stats.rxOverflow).toBe(1501);
  });
});
