// `tinyprop stream` against a simulated board on a pseudo-terminal: a second run without --resume or
// --fresh is refused (it would train on top of the first and overwrite its saved state); the run's log
// has the same schema as train's, with tool version, data source, class names and options; the chart is
// written as SVG and PNG with the confusion matrix; the state file's place is printed. In virtual time
// against the in-process simulator, so a loaded machine cannot stretch the link's timers.
import { hostConnection } from "./link-helpers";
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";
import { streamRun } from "../host-sim/commands/stream";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { UsageError } from "../host-sim/args";
import { runLog } from "../host-sim/report/run";

describe("stream reruns and run records", () => {
  it("refuses a second run on a board that already trained unless --fresh or --resume; logs share train's schema", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-rerun-"));
    const data = loadDefaultDataset();
    const clock = new VirtualClock({ seed: 7 });
    await clock.run(async () => {
      const sim = await startSimulator({ engine: "node", pty: false, clock });
      try {
        const lines: string[] = [];
        const base = { source: "bundled", data, port: "sim", connection: hostConnection(sim), epochs: 1, chartPath: join(dir, "c.svg"), logPath: join(dir, "log.json"), print: (l: string) => lines.push(l) };
        const first = await streamRun(base);
        expect(first.batches).toBeGreaterThan(0);
        expect(lines.join("\n")).toContain(`run state (for --resume): ${join(dir, "log.state.json")}`);
        expect(lines.join("\n")).toMatch(/confusion matrix/);
        const log = JSON.parse(readFileSync(join(dir, "log.json"), "utf8")) as Record<string, unknown>;
        const trainShape = runLog({ command: "train", source: "x", data, options: {}, history: [], result: {} });
        for (const key of Object.keys(trainShape)) expect(log, key).toHaveProperty(key);
        expect(log.tool).toEqual(trainShape.tool);
        expect((log.data as { classes: string[] }).classes).toEqual(data.classes);
        expect(readFileSync(join(dir, "c.svg"), "utf8")).toMatch(/^<svg[\s\S]*confusion matrix/);
        expect(existsSync(join(dir, "c.png"))).toBe(true);

        const before = readFileSync(join(dir, "log.state.json"), "utf8");
        const again = streamRun({ ...base, connection: hostConnection(sim), print: () => undefined });
        await expect(again).rejects.toBeInstanceOf(UsageError);
        await expect(again).rejects.toThrow(/already trained up to batch \d+.*--resume.*--fresh/s);
        expect(readFileSync(join(dir, "log.state.json"), "utf8")).toBe(before); // the saved run is untouched

        const fresh = await streamRun({ ...base, connection: hostConnection(sim), fresh: true, print: () => undefined });
        expect(fresh.batches).toBe(first.batches);
      } finally {
        await sim.stop();
      }
    }, { limitMs: 3_600_000 });
  }, 180_000);
});
