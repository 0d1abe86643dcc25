// What the device app keeps in RAM after boot, by frame limit (issue 12, docs/xs-meter.md): the app
// (dist/xs/device.js, src/main.ts unchanged) boots inside the instrumented XS worker with the manifest's
// config and only config.serial changed; XS's own counters give the chunk bytes (ArrayBuffer data,
// strings, array storage) and heap slots that are still live after a collection, before and after main().
// The frame limit sizes the decoder's buffer (maxFrame) and, unless config.serial.txMaxFrame says
// otherwise, the encoder, 4 retention slots, a scratch frame and the transmit ring (~11 bytes per byte of
// maxFrame): raising maxFrame from 1024 to 2048 for raw windows costs ~11 KB, of which txMaxFrame 1024
// saves all but the decoder's ~1 KB. The manifest sets it so; the figures are printed and in
// docs/protocol.md.
import { afterAll, describe, expect, it } from "vitest";
import { startInstrumented } from "../host-sim/xs/counters";
import type { XsEngine } from "../host-sim/xs/xsnap";
import { packageFile } from "../host-sim/sim/runner";
import { deviceConfig } from "../host-sim/sim/simulator";

interface BootRam { chunkBytes: number; slots: number }

const engines: XsEngine[] = [];
afterAll(async () => {
  for (const e of engines) await e.close();
});

/** Live chunk bytes and slots the app holds after main(), with config.serial overridden by `serial`. */
async function bootRam(serial: Record<string, number | undefined>): Promise<BootRam> {
  const xs = await startInstrumented();
  engines.push(xs);
  await xs.loadFile(packageFile("dist/xs/device.js"));
  const { config } = deviceConfig();
  const boot = JSON.stringify({
    config: { ...config, serial: { ...(config.serial as Record<string, unknown>), ...serial }, checkpoint: { partition: "" } },
    flash: {}, ringSize: 0, freeMemory: 160 * 1024,
  });
  const lines = await xs.run(`
    gc(); globalThis.__c0 = xsCounter(1); globalThis.__s0 = xsCounter(3);
    __sim.turn(0, 0, 0, "", 128, 0, ${JSON.stringify(boot)});
    gc(); print("@RAM " + JSON.stringify([xsCounter(1) - __c0, xsCounter(3) - __s0]));`);
  const line = lines.find((l) => l.startsWith("@RAM "));
  if (line === undefined) throw new Error(`no measurement: ${lines.join("\n")}`);
  expect(lines.some((l) => l.startsWith("@X"))).toBe(false); // the app booted
  const [chunkBytes, slots] = JSON.parse(line.slice(5)) as number[];
  await xs.close();
  return { chunkBytes: chunkBytes!, slots: slots! };
}

describe("RAM the device app holds after boot, by frame limit (instrumented XS)", () => {
  it("maxFrame 2048 costs ~11 KB over 1024 when replies may be as large; txMaxFrame 1024 keeps it to the decoder's ~1 KB", async () => {
    const small = await bootRam({ maxFrame: 1024, txMaxFrame: 1024 });
    const both = await bootRam({ maxFrame: 2048, txMaxFrame: 2048 });
    const rxOnly = await bootRam({ maxFrame: 2048, txMaxFrame: 1024 });
    const shipped = await bootRam({});
    console.log(`device app after boot (live after gc): maxFrame 1024: ${small.chunkBytes} chunk bytes, ${small.slots} slots; ` +
      `2048 (tx 2048): +${both.chunkBytes - small.chunkBytes} bytes, ${both.slots - small.slots} slots; ` +
      `2048 with txMaxFrame 1024: +${rxOnly.chunkBytes - small.chunkBytes} bytes, ${rxOnly.slots - small.slots} slots; ` +
      `manifest as shipped: +${shipped.chunkBytes - small.chunkBytes} bytes`);
    // Receive and transmit at 2048: the decoder (+1024), the encoder, 4 retention slots and a scratch frame
    // (+1028 each with COBS overhead) and the transmit ring (4 slots' worth): about 11 bytes per byte.
    expect(both.chunkBytes - small.chunkBytes).toBeGreaterThan(10 * 1024);
    expect(both.chunkBytes - small.chunkBytes).toBeLessThan(12 * 1024);
    // Receive at 2048 only: the decoder's buffer and nothing else of size.
    expect(rxOnly.chunkBytes - small.chunkBytes).toBeGreaterThanOrEqual(1024);
    expect(rxOnly.chunkBytes - small.chunkBytes).toBeLessThan(1024 + 64);
    expect(both.slots).toBe(small.slots); // the same objects, only larger buffers
    expect(shipped.chunkBytes).toBe(rxOnly.chunkBytes); // manifest.json: maxFrame 2048, txMaxFrame 1024
  }, 600_000);
});
