// `tinyprop train` streams its CSV: rows become windows and feature vectors as they are read, and only the
// vectors are kept. Run as a user does, with a JavaScript heap far smaller than the file's rows would need
// (the former whole-file reader held every row and ran out of heap on this file under this limit), from a
// file and from standard input. The 1 GB / 300 MB claim itself is `npm run bench:csv` (bench/csv-memory.mjs).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = join(process.cwd(), "dist/host/cli.js");
const CLASSES = ["circle", "flick", "punch"];
const ROWS = 119; // one gesture, the default window

/** A labelled IMU-like CSV of about `mb` MB: gestures of 119 rows, classes in turn, seeded noise. */
function writeCsv(path: string, mb: number): number {
  let s = 1;
  const noise = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
  const lines: string[] = [];
  for (let g = 0; g < 300; g++) {
    const c = g % CLASSES.length;
    for (let t = 0; t < ROWS; t++) {
      const p = t * (c + 1) * 0.05 + noise();
      lines.push([Math.sin(p), Math.cos(p), 1 + noise(), 100 * c * Math.sin(p / 2), 50 * Math.cos(p), 30 * noise()].map((v) => v.toFixed(3)).join(",") + "," + CLASSES[c]);
    }
  }
  const block = Buffer.from(lines.join("\n") + "\n");
  const fd = openSync(path, "w");
  let written = writeSync(fd, "aX,aY,aZ,gX,gY,gZ,label\n"), blocks = 0;
  while (written < mb * 2 ** 20) {
    written += writeSync(fd, block);
    blocks++;
  }
  closeSync(fd);
  return blocks * 300; // gestures
}

describe("train streams a large CSV in bounded memory", () => {
  it("trains on a 20 MB file and on the same data from standard input with a 40 MB JavaScript heap", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-stream-mem-"));
    try {
      const file = join(dir, "big.csv");
      const gestures = writeCsv(file, 20);
      expect(statSync(file).size).toBeGreaterThan(20 * 2 ** 20);
      const train = (args: string[], stdin: "ignore" | number = "ignore") =>
        spawnSync(process.execPath, ["--max-old-space-size=40", CLI, "train", ...args, "--epochs", "1", "--json", "--chart", "c.svg", "--log", "log.json", "-o", "m.tpm"],
          { cwd: dir, encoding: "utf8", stdio: [stdin, "pipe", "pipe"] });
      for (const [args, stdin] of [[[file], "ignore"], [["-"], openSync(file, "r")]] as const) {
        const r = train([...args], stdin);
        if (typeof stdin === "number") closeSync(stdin);
        expect(r.status, r.stderr.slice(0, 2000)).toBe(0);
        const summary = JSON.parse(r.stdout.trim().split("\n").pop()!) as { type: string; testAccuracy: number };
        expect(summary.type).toBe("summary");
        expect(summary.testAccuracy).toBeGreaterThan(0.9);
        // Every gesture became one window (5 per class held out), none lost.
        const log = JSON.parse(readFileSync(join(dir, "log.json"), "utf8")) as { data: { trainSamples: number; testSamples: number; classes: string[] } };
        expect(log.data.classes).toEqual([...CLASSES].sort());
        expect(log.data.trainSamples + log.data.testSamples).toBe(gestures);
        expect(log.data.testSamples).toBe(5 * CLASSES.length);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
