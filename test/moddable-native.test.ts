// Opt-in (set MODDABLE to a Moddable SDK checkout with its host tools built): a real Moddable build that
// includes src/native/manifest.json. mcconfig builds a command-line XS program for the host (platform
// x-cli-lin) from test/moddable-native/ — the fragment's C files compiled by Moddable's makefiles, kernels.js
// compiled by xsc and preloaded by xsl — and runs it; the kernels' results there must equal the Node addon's.
// Skipped when MODDABLE is unset or not usable; never part of the SDK (nothing of it is in this repository).
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadNodeAddon, projectRoot } from "../host-sim/native/build";
import { NATIVE_VERSION } from "../src/engine/native";

/** The inputs of test/moddable-native/main.js (exact in any engine: integers over powers of two). */
function fill(W: Float32Array, b: Float32Array, x: Float32Array): void {
  for (let i = 0; i < W.length; i++) W[i] = ((i * 37) % 101 - 50) / 64;
  for (let i = 0; i < b.length; i++) b[i] = (i % 5 - 2) / 8;
  for (let i = 0; i < x.length; i++) x[i] = ((i * 13) % 17 - 8) / 16;
}

const MODDABLE = process.env.MODDABLE;
const tools = MODDABLE ? join(MODDABLE, "build", "bin", "lin", "release") : "";
const usable = MODDABLE !== undefined && process.platform === "linux" && existsSync(join(tools, "mcconfig"));
if (!usable) console.warn("Moddable build test skipped: set MODDABLE to a Moddable SDK with its Linux host tools built");
const addon = loadNodeAddon();

function hex(a: Float32Array | Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");
}

function executables(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && (statSync(f).mode & 0o100) !== 0 && !/\.(o|a|so|sh)$/.test(f));
}

describe("a real Moddable build with the native kernels (x-cli-lin)", () => {
  it.skipIf(!usable || !addon.ok)("compiles the fragment with mcconfig and gives the Node addon's bits", () => {
    // Kept under build/ (gitignored) so that a second run recompiles only what changed.
    const out = join(projectRoot(), "build", "moddable-native");
    mkdirSync(out, { recursive: true });
    const env = { ...process.env, MODDABLE, PATH: `${tools}:${process.env.PATH}` };
    execFileSync("mcconfig", ["-m", "-p", "x-cli-lin", "-o", out, "manifest.json"], { cwd: join(projectRoot(), "test", "moddable-native"), env, stdio: "pipe" });
    const binary = executables(join(out, "bin")).find((f) => f.endsWith("moddable-native"));
    if (binary === undefined) throw new Error(`mcconfig built no program under ${out}/bin`);
    const lines = execFileSync(binary, [], { encoding: "utf8" }).trim().split("\n");

    const N = addon.ok ? addon.kernels : null!;
    const nIn = 13, nOut = 9;
    const W = new Float32Array(nIn * nOut), b = new Float32Array(nOut), x = new Float32Array(nIn);
    fill(W, b, x);
    const expected = [`version ${NATIVE_VERSION}`];
    for (const [variant, forward, fused] of [["f32", N.f32ForwardAct, N.f32BackwardSgdFusedAct], ["f32s", N.f32sForwardAct, N.f32sBackwardSgdFusedAct]] as const) {
      const Y = new Float32Array(nOut);
      forward(W.buffer, 0, b.buffer, 0, x.buffer, 0, Y.buffer, 0, nIn, nOut, 1, 3, 0.01);
      const W2 = W.slice(), b2 = b.slice(), dZ = Y.slice(), dX = new Float32Array(nIn);
      fused(W2.buffer, 0, b2.buffer, 0, dZ.buffer, 0, x.buffer, 0, dX.buffer, 0, x.buffer, 0, nIn, nOut, 0.05, 0.001, 4, 0.01);
      expected.push(`${variant} ${hex(Y)} ${hex(W2)} ${hex(dX)}`);
    }
    const Y = Float32Array.of(0.5, -1.25, 3, 0.125);
    const loss = N.f32Softmax(Y.buffer, 0, 4, 1, 2);
    expected.push(`softmax ${hex(Y)} ${hex(Float64Array.of(loss))}`);
    expect(lines).toEqual(expected);
  }, 1_800_000);
});
