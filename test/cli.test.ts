// The built command-line tool (dist/host/cli.js, made by `npm run build` / pretest), run as a user would.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cli = (args: string[], cwd = process.cwd()) => spawnSync(process.execPath, [join(process.cwd(), "dist/host/cli.js"), ...args], { cwd, encoding: "utf8" });

describe("tinyprop CLI", () => {
  it("train runs to completion on the bundled dataset and prints plan, progress and accuracy", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-cli-"));
    const r = cli(["train", join(process.cwd(), "data/magic-wand-imu-spells/data"), "--epochs", "40", "-o", "model.tpm"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/memory plan \(float32, batch 1\): \d+ bytes/);
    expect(r.stdout).toMatch(/training \[#+\] 100%/);
    const accuracy = Number(/final test accuracy: ([\d.]+)%/.exec(r.stdout)?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(80);
    // The model file it wrote can be inspected.
    const inspect = cli(["inspect", "model.tpm"], dir);
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/30/);
  });

  it("names the file and line of a malformed CSV row, and does not start", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-cli-"));
    const file = join(dir, "bad.csv");
    writeFileSync(file, "aX,aY,aZ,gX,gY,gZ,label\n" + "0,0,0,0,0,0,a\n".repeat(5) + "0,0,zero,0,0,0,a\n");
    const r = cli(["train", file, "--label-column", "label"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:7:`);
    expect(r.stdout).not.toMatch(/training \[/);
  });

  it("rejects unknown commands and bad options with usage errors", () => {
    const unknown = cli(["frobnicate"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const bad = cli(["train", "data/magic-wand-imu-spells/data", "--epochs", "lots"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--epochs must be an integer/);
  });
});
