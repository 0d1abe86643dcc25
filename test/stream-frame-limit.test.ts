// `stream` without --frame-samples puts as many samples in a SAMPLE_BATCH frame as the board's receive limit
// (its CAPS maxFrame) takes, not as many as a fixed 1024-byte limit would: a board built with a smaller
// config.serial.maxFrame is streamed in frames it accepts. Simulated board, virtual time.
import { hostConnection } from "./link-helpers";
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "../host-sim/sim/clock";
import { startSimulator } from "../host-sim/sim/simulator";
import { defaultBatch, streamRun } from "../host-sim/commands/stream";
import { loadDefaultDataset } from "../host-sim/data/gestures";

const data = loadDefaultDataset();

describe("stream's frame size follows the board's CAPS maxFrame", () => {
  it("a board receiving at most 512 bytes gets 3 gestures a frame (8 would make 1000-byte frames)", async () => {
    expect(defaultBatch(data.inputWidth, 1024)).toBe(8);
    const perFrame = defaultBatch(data.inputWidth, 512);
    expect(perFrame).toBe(3);
    const clock = new VirtualClock({ seed: 5 });
    await clock.run(async () => {
      const sim = await startSimulator({ engine: "node", pty: false, clock, cost: "zero", maxFrame: 512 });
      try {
        const connection = hostConnection(sim);
        const dir = mkdtempSync(join(tmpdir(), "tinyprop-maxframe-"));
        const r = await streamRun({
          source: "bundled", data, port: "sim", connection, epochs: 1,
          chartPath: join(dir, "c.svg"), logPath: join(dir, "log.json"), print: () => undefined,
        });
        expect(r.batches).toBe(Math.ceil(data.train.count / perFrame));
        expect(r.stats.framesRetransmitted).toBe(0); // no frame was refused and sent again
        const log = JSON.parse(readFileSync(join(dir, "log.json"), "utf8")) as { options: { frameSamples: number } };
        expect(log.options.frameSamples).toBe(perFrame);
      } finally {
        await sim.stop();
      }
    }, { limitMs: 600_000 });
  }, 120_000);
});
