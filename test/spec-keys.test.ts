// A misspelt key in a model spec is refused with its name, never ignored (JSON specs from users, --spec).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveSpec, type ModelSpec } from "../src/index";

const good: ModelSpec = {
  inputs: 30, layers: [{ units: 8, activation: "relu" }, { units: 5, activation: "softmax" }],
  loss: "softmax_cross_entropy", optimizer: { type: "sgd", learningRate: 0.02 }, batchSize: 1, seed: 1,
};
const cli = (args: string[]) => spawnSync(process.execPath, [join(process.cwd(), "dist/host/cli.js"), ...args], { encoding: "utf8" });

describe("model spec keys", () => {
  it("refuses unknown keys at every level", () => {
    expect(() => resolveSpec(good)).not.toThrow();
    expect(() => resolveSpec({ ...good, learning_rate: 0.1 } as ModelSpec)).toThrow(/spec has an unknown key "learning_rate"/);
    expect(() => resolveSpec({ ...good, layers: [{ units: 8, activaton: "relu" }, good.layers[1]!] } as unknown as ModelSpec)).toThrow(/layers\[0\] has an unknown key "activaton"/);
    expect(() => resolveSpec({ ...good, optimizer: { type: "sgd", learningRate: 0.1, lr: 1 } } as unknown as ModelSpec)).toThrow(/optimizer has an unknown key "lr"/);
    expect(() => resolveSpec({ ...good, optimizer: { type: "sgd", learningRate: 0.1, schedule: { type: "step", every: 1, gamma: 0.5, gama: 1 } } } as unknown as ModelSpec)).toThrow(/optimizer.schedule has an unknown key "gama"/);
  });

  it("train --spec refuses such a file with a usage error; quantize --data refuses another class set", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-spec-"));
    writeFileSync(join(dir, "spec.json"), JSON.stringify({ ...good, layers: [{ units: 8, activaton: "relu" }, good.layers[1]] }));
    const r = cli(["train", "data/magic-wand-imu-spells/data", "--spec", join(dir, "spec.json"), "--epochs", "1"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown key "activaton"/);
    const t = cli(["train", "data/magic-wand-imu-spells/data", "--epochs", "1", "-o", join(dir, "m.tpm"), "--chart", join(dir, "c.svg"), "--log", join(dir, "l.json")]);
    expect(t.status, t.stderr).toBe(0);
    const rows = ["aX,aY,aZ,gX,gY,gZ,label"];
    for (const label of ["left", "right"]) for (let g = 0; g < 7; g++) for (let i = 0; i < 119; i++) rows.push(`${i % 3},0,1,${g},0,0,${label}`);
    writeFileSync(join(dir, "two.csv"), rows.join("\n") + "\n");
    const q = cli(["quantize", join(dir, "m.tpm"), "-o", join(dir, "q.tpm"), "--data", join(dir, "two.csv")]);
    expect(q.status).toBe(1);
    // the model file names its classes (PIPELINE section), so the data's labels are checked against them
    expect(q.stderr).toMatch(/two\.csv:2: unknown label "left": not one of .*m\.tpm's classes \(AlohomoraCharm, ArrestoMomentumCharm, AvadaKedavra, LocomotorCharm, Revelio\)/);
  });
});
