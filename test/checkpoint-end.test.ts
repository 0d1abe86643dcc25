// A durable end of a run (issue 13) and the board's checkpoint state for the user (issue 10 item 1), against
// the simulated board in virtual time: `stream` ends with CHECKPOINT_SAVE, so a power cycle right after
// the run leaves the board at the run's last batch (not at its last automatic save); `weights put` ends
// the same way; `info` shows the partition and the last save; a board without checkpoints is warned
// about at the start and at the end of a run, which still succeeds.
import { hostConnection } from "./link-helpers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "../host-sim/sim/clock";
import { startSimulator, type Simulator } from "../host-sim/sim/simulator";
import { HostLink } from "../host-sim/link/link";
import { streamRun } from "../host-sim/commands/stream";
import { infoLines } from "../host-sim/commands/info";
import { saveAtEnd } from "../host-sim/commands/checkpoint";
import { putModelFile } from "../host-sim/commands/weights";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { buildModel, gestureModelSpec } from "../src/index";
import { saveModel } from "../src/modelfile/index";

const data = loadDefaultDataset();
const EVERY = 50;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `body` against a simulated board in virtual time (flash in memory unless `checkpoints` is false). */
function withBoard<T>(checkpoints: boolean, body: (sim: Simulator) => Promise<T>): Promise<T> {
  const clock = new VirtualClock({ seed: 3 });
  return clock.run(async () => {
    const sim = await startSimulator({ engine: "node", pty: false, clock, cost: "zero", checkpointEvery: EVERY, flashFile: checkpoints ? undefined : null });
    try {
      return await body(sim);
    } finally {
      await sim.stop();
    }
  }, { limitMs: 600_000 });
}

/** The board's in-process port for one link: closing the link leaves the simulator's port open for the next. */
/** A new link to the board, and its CAPS. */
async function connect(sim: Simulator) {
  const link = new HostLink(hostConnection(sim));
  const info = await link.connect({ inputs: data.inputWidth, classes: data.classes.length });
  return { link, info };
}

function streamOptions(sim: Simulator, lines: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "tinyprop-ckend-"));
  return {
    source: "bundled", data, port: "sim", connection: hostConnection(sim), epochs: 1,
    chartPath: join(dir, "c.svg"), logPath: join(dir, "log.json"), print: (l: string) => lines.push(l),
  };
}

describe("a durable end of a run", () => {
  it("stream ends with a saved checkpoint: after a power cycle the board is at the run's last batch", async () => {
    await withBoard(true, async (sim) => {
      const lines: string[] = [];
      const r = await streamRun(streamOptions(sim, lines));
      const last = r.batches;
      // Not a multiple of the automatic save interval: without the final save a power cycle would fall back.
      expect(last % EVERY).not.toBe(0);
      expect(r.checkpoint).toMatchObject({ on: true, durable: true, savedBatchId: last, lastCommittedBatchId: last });
      expect(lines).toContain(`checkpoint saved at batch ${last} (survives a reset or power cycle)`);

      await sim.reset();
      const { link, info } = await connect(sim);
      expect(info.lastCommittedBatchId).toBe(last);
      // info: on, the partition, the last save (the checkpoint restored at boot).
      const shown = (await infoLines(link, info)).join("\n");
      expect(shown).toMatch(/checkpoints: on, partition 64 KB, \d+ bytes per checkpoint/);
      expect(shown).toContain(`every ${EVERY} batches`);
      expect(shown).toContain(`last save at batch ${last}; board at batch ${last}`);
      await link.close();
    });
  }, 120_000);

  it("weights put ends with a saved checkpoint: the board keeps the batch id over a power cycle", async () => {
    await withBoard(true, async (sim) => {
      const { link } = await connect(sim);
      const file = saveModel(buildModel(gestureModelSpec(data.inputWidth, data.classes.length, { seed: 5 })));
      await putModelFile(link, file, { batchId: 123 });
      const said: string[] = [];
      const st = await saveAtEnd(link, { summary: (l) => said.push(l), warn: (l) => said.push(`warning: ${l}`) });
      expect(st).toMatchObject({ durable: true, savedBatchId: 123 });
      expect(said).toEqual(["checkpoint saved at batch 123 (survives a reset or power cycle)"]);
      await link.close();
      await sim.reset();
      const again = await connect(sim);
      expect(again.info.lastCommittedBatchId).toBe(123);
      await again.link.close();
    });
  }, 60_000);

  it("a board without checkpoints: stream warns before it starts and at its end, and still succeeds; info says OFF", async () => {
    const warnings: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => { warnings.push(a.join(" ")); });
    await withBoard(false, async (sim) => {
      const lines: string[] = [];
      const r = await streamRun(streamOptions(sim, lines));
      expect(r.checkpoint).toMatchObject({ on: false, durable: false });
      expect(warnings[0]).toMatch(/warning: the board has no checkpoint storage .*lost at the next reset or power cycle/);
      expect(warnings.at(-1)).toMatch(new RegExp(`warning: the board has no checkpoint storage .*ends at batch ${r.batches} in the board's RAM only.*weights get`));
      expect(lines.join("\n")).not.toContain("checkpoint saved");
      const { link, info } = await connect(sim);
      expect((await infoLines(link, info)).join("\n")).toMatch(/checkpoints: OFF - WARNING/);
      await link.close();
    });
  }, 120_000);
});
