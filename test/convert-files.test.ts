// `convert` reads only the weight files a model.json may name: regular files inside its folder, no bigger
// than the manifest declares. Paths that escape the folder, devices, FIFOs and oversized files are refused
// before a byte is read; NaN weights are converted with a warning.
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertTfjsFiles, ConvertError } from "../host-sim/commands/convert";

function modelDir(paths: string[]): string {
  const root = mkdtempSync(join(tmpdir(), "tinyprop-convert-"));
  const dir = join(root, "model");
  mkdirSync(dir);
  writeFileSync(join(root, "secret.bin"), new Uint8Array(32).fill(7));
  writeFileSync(join(dir, "w.bin"), new Uint8Array(new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0, 0]).buffer));
  writeFileSync(join(dir, "model.json"), JSON.stringify({
    modelTopology: { class_name: "Sequential", config: { layers: [{ class_name: "Dense", config: { name: "d", units: 2, activation: "softmax", batch_input_shape: [null, 3] } }] } },
    weightsManifest: [{ paths, weights: [{ name: "d/kernel", shape: [3, 2], dtype: "float32" }, { name: "d/bias", shape: [2], dtype: "float32" }] }],
  }));
  return dir;
}

const refused = (dir: string) => {
  try {
    convertTfjsFiles(join(dir, "model.json"));
  } catch (e) {
    expect(e).toBeInstanceOf(ConvertError);
    return (e as Error).message;
  }
  throw new Error("convert accepted it");
};

describe("convert reads only the model's own weight files", () => {
  it("accepts a regular file inside the folder", () => {
    expect(convertTfjsFiles(join(modelDir(["w.bin"]), "model.json")).parameters.length).toBe(8);
  });

  it("refuses ../, absolute paths, links out of the folder, devices, FIFOs and oversized files", () => {
    expect(refused(modelDir(["../secret.bin"]))).toMatch(/outside the model's folder/);
    expect(refused(modelDir([join(tmpdir(), "x.bin")]))).toMatch(/absolute paths are refused/);
    const linked = modelDir(["link.bin"]);
    symlinkSync(join(linked, "..", "secret.bin"), join(linked, "link.bin"));
    expect(refused(linked)).toMatch(/outside the model's folder/);
    const dev = modelDir(["zero"]);
    symlinkSync("/dev/zero", join(dev, "zero"));
    expect(refused(dev)).toMatch(/outside the model's folder|not a regular file/);
    const fifo = modelDir(["pipe"]);
    execFileSync("mkfifo", [join(fifo, "pipe")]);
    expect(refused(fifo)).toMatch(/not a regular file/);
    const big = modelDir(["w.bin"]);
    writeFileSync(join(big, "w.bin"), new Uint8Array(1000));
    expect(refused(big)).toMatch(/1000 bytes, more than the 32 its manifest declares/);
  });

  it("warns about NaN weights", () => {
    const dir = modelDir(["w.bin"]);
    writeFileSync(join(dir, "w.bin"), new Uint8Array(new Float32Array([NaN, 0.2, 0.3, 0.4, 0.5, 0.6, 0, 0]).buffer));
    const r = spawnSync(process.execPath, [join(process.cwd(), "dist/host/cli.js"), "convert", join(dir, "model.json"), "-o", join(dir, "m.tpm")], { encoding: "utf8" });
    expect(r.stderr).toMatch(/warning: 1 of the 8 weights are NaN or infinite/);
  });
});
