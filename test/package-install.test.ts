// The published package as a user gets it: `npm pack`, then `npm install <tarball> --omit=optional` into
// an empty project (no XS engine, no pty, no PNG renderer), then a TypeScript script that trains a model
// through the documented entry points is type-checked against the generated declarations and run.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("npm package", () => {
  it("packs, installs without optional dependencies, type-checks and runs a buildModel training script", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-pack-"));
    try {
      // dist/ is built by pretest; --ignore-scripts: pack what is built, without rebuilding.
      const packed = JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], process.cwd())) as { filename: string; files: { path: string }[] }[];
      const files = packed[0]!.files.map((f) => f.path);
      expect(files.some((f) => f.startsWith("test/") || f.startsWith("bench/") || f.startsWith("src/"))).toBe(false);
      expect(files).toContain("dist/types/index.d.ts");
      const project = join(dir, "app");
      run("mkdir", ["-p", project], dir);
      writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", type: "module", private: true }));
      run("npm", ["install", "--omit=optional", "--no-audit", "--no-fund", join(dir, packed[0]!.filename)], project);
      expect(existsSync(join(project, "node_modules/@agoric/xsnap"))).toBe(false);
      expect(existsSync(join(project, "node_modules/node-pty"))).toBe(false);
      writeFileSync(join(project, "train.ts"), [
        'import { buildModel, type ModelSpec } from "tinyprop";',
        'import { saveModel, modelFromFile } from "tinyprop/modelfile";',
        'import { PROTOCOL_VERSION } from "tinyprop/protocol";',
        "const spec: ModelSpec = { inputs: 2, layers: [{ units: 8, activation: \"tanh\" }, { units: 2, activation: \"softmax\" }],",
        "  loss: \"softmax_cross_entropy\", optimizer: { type: \"adam\", learningRate: 0.05 }, batchSize: 4, seed: 1 };",
        "const model = buildModel(spec);",
        "const x = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);",
        "const y = new Uint8Array([0, 1, 1, 0]);",
        "for (let i = 0; i < 400; i++) model.trainStep(x, y);",
        "const again = modelFromFile(saveModel(model));",
        "console.log(JSON.stringify({ accuracy: again.evaluate(x, y, 4).accuracy, protocol: PROTOCOL_VERSION }));",
      ].join("\n"));
      writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, outDir: "out", types: [] },
        files: ["train.ts"],
      }));
      run(process.execPath, [join(process.cwd(), "node_modules/typescript/bin/tsc"), "-p", "."], project);
      const result = JSON.parse(run(process.execPath, ["out/train.js"], project)) as { accuracy: number; protocol: number };
      expect(result.accuracy).toBe(1);
      expect(result.protocol).toBeGreaterThanOrEqual(2);
      // The CLI runs too, and says which optional package a command needs.
      const bin = join(project, "node_modules/.bin/tinyprop");
      expect(run(bin, ["--version"], project).trim()).toMatch(/^\d+\.\d+\.\d+/);
      let message = "";
      try {
        run(bin, ["sim", "--engine", "xs"], project);
      } catch (e) {
        message = String((e as { stderr?: string }).stderr);
      }
      expect(message).toMatch(/optional package (@agoric\/xsnap|node-pty)/);
      expect(readdirSync(project)).toContain("node_modules");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
