// `stream` without --init feeds the board's model its inputs the way that model reads them (issue 12: "nothing
// computed one way on the PC and another way on the board"): through the pipeline stored with the model
// (column ranges, features, normalisation learned from its training data), as predict/evaluate read data
// with the model file, not with the statistics of the data being streamed. A model trained on data A is put
// on a simulated board (virtual time); data B with other statistics (values 1.7x, another seed) is streamed;
// every feature vector the board is sent (training batches and the test split's PREDICTs) equals what the
// model's pipeline makes of B, and differs from B's own normalisation (the old behaviour).
import { hostConnection } from "./link-helpers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "../host-sim/sim/clock";
import { startSimulator } from "../host-sim/sim/simulator";
import { HostLink, type SampleBatch } from "../host-sim/link/link";
import { streamRun, trainingBatches } from "../host-sim/commands/stream";
import { freshModelFile } from "../host-sim/commands/init";
import { installModel } from "../host-sim/commands/weights";
import { loadDataset } from "../host-sim/data/gestures";
import { gestureModelSpec } from "../src/index";
import { readPipeline } from "../src/modelfile/index";
import { syntheticCsv } from "./synthetic-sensors";

afterEach(() => {
  vi.restoreAllMocks();
});

const dir = mkdtempSync(join(tmpdir(), "tinyprop-boardpipe-"));
const shape = { columns: ["ax", "ay", "az"], classes: 3, window: 119, windowsPerClass: 10, rate: 200, lowHz: 10, highHz: 50, noise: 0.3 };
const fileA = join(dir, "a.csv"), fileB = join(dir, "b.csv");
writeFileSync(fileA, syntheticCsv({ ...shape, seed: 1 }));
writeFileSync(fileB, syntheticCsv({ ...shape, seed: 4, unit: 1.7 }));

function concat(parts: Float32Array[]): Float32Array {
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

describe("stream to a board that has a model", () => {
  it("normalises the data with the board model's pipeline, as predict does with the model file", async () => {
    const dataA = loadDataset(fileA);
    const model = freshModelFile(gestureModelSpec(dataA.inputWidth, 3, { layers: [{ units: 8, activation: "relu" }, { units: 3, activation: "softmax" }] }), dataA);
    const modelPipeline = readPipeline(model)!;
    // What predict/evaluate make of B with the model file, and what B's own statistics make of it.
    const viaModel = loadDataset(fileB, { pipeline: modelPipeline, pipelineSource: "model.tpm" });
    const ownStats = loadDataset(fileB);
    expect(ownStats.train.x).not.toEqual(viaModel.train.x); // the test can tell the two apart

    const sent: Float32Array[] = [], predicted: Float32Array[] = [];
    const send = HostLink.prototype.sendBatches, predict = HostLink.prototype.predict;
    vi.spyOn(HostLink.prototype, "sendBatches").mockImplementation(function (this: HostLink, batches, ...rest) {
      function* tap(): Generator<SampleBatch> {
        for (const b of batches as Iterable<SampleBatch>) {
          sent.push(b.x);
          yield b;
        }
      }
      return send.call(this, tap(), ...rest);
    });
    vi.spyOn(HostLink.prototype, "predict").mockImplementation(function (this: HostLink, x, ...rest) {
      predicted.push(x.slice());
      return predict.call(this, x, ...rest);
    });

    const lines: string[] = [];
    const clock = new VirtualClock({ seed: 3 });
    const result = await clock.run(async () => {
      const sim = await startSimulator({ engine: "node", pty: false, clock, cost: "zero" });
      try {
        const link = new HostLink(hostConnection(sim));
        await link.connect();
        await installModel(link, model);
        await link.close();
        return await streamRun({
          source: fileB, port: "sim", connection: hostConnection(sim), epochs: 2, seed: 5,
          chartPath: join(dir, "c.svg"), logPath: join(dir, "log.json"), print: (l) => lines.push(l),
        });
      } finally {
        await sim.stop();
      }
    }, { limitMs: 600_000 });

    expect(result.batches).toBeGreaterThan(0);
    const batch = sent[0]!.length / viaModel.inputWidth;
    const expected = concat([...trainingBatches(viaModel, 2, batch, 5)].map((b) => b.x));
    const old = concat([...trainingBatches(ownStats, 2, batch, 5)].map((b) => b.x));
    const got = concat(sent);
    expect(got).toEqual(expected);
    expect(got).not.toEqual(old);
    expect(concat(predicted)).toEqual(viaModel.test.x);
    expect(lines.join("\n")).toContain("normalised with the board's model's pipeline");
  }, 120_000);
});
