// Compiles the native kernels (src/native/*.c) into a Node addon on demand, into build/native/ (not
// committed), and loads it. Used by the tests that compare native and JavaScript kernels and by the bench.
// Needs a C compiler ($CC or cc) and Node's headers (shipped with Node in <prefix>/include/node); without
// them it reports why instead of throwing, so callers can skip with that reason.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { NativeKernels } from "../../src/engine/native";

/** The project root, found from this file (works from the sources and from dist/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "src", "native", "tinyprop_kernels.h"))) return dir;
    dir = resolve(dir, "..");
  }
  throw new Error("tinyprop sources (src/native) not found above " + fileURLToPath(import.meta.url));
}

/** The C files of the kernels, the shared binding bodies and the Node binding. */
export function nativeSources(root = projectRoot()): { sources: string[]; headers: string[] } {
  return {
    sources: ["src/native/float32_kernels.c", "src/native/fixed_kernels.c", "host-sim/native/napi_kernels.c"].map((f) => join(root, f)),
    headers: ["src/native/tinyprop_kernels.h", "src/native/tinyprop_bindings.h", "src/native/float32_dense.h"].map((f) => join(root, f)),
  };
}

/**
 * Flags every build of the kernels needs for bit-identity (see docs/native.md): IEEE double evaluation
 * without fused multiply-add. No -fwrapv: the kernels wrap around in uint32_t themselves.
 */
export const NATIVE_C_FLAGS = ["-std=c99", "-O2", "-ffp-contract=off", "-fno-fast-math"];

function nodeIncludeDir(): string | undefined {
  const candidates = [join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node", "/usr/local/include/node"];
  return candidates.find((d) => existsSync(join(d, "node_api.h")));
}

export type AddonBuild = { ok: true; path: string } | { ok: false; reason: string };

/** Build (or reuse) the addon; the file name carries a hash of the sources and flags. */
export function buildNodeAddon(root = projectRoot()): AddonBuild {
  const cc = process.env.CC ?? "cc";
  const probe = spawnSync(cc, ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return { ok: false, reason: `no C compiler (${cc}): install gcc or clang, or set CC, to build the native kernels` };
  const include = nodeIncludeDir();
  if (!include) return { ok: false, reason: "Node's C headers (node_api.h) not found: the native kernels' Node addon cannot be built" };
  const { sources, headers } = nativeSources(root);
  const h = createHash("sha256");
  for (const f of [...sources, ...headers]) h.update(readFileSync(f)).update("\0");
  h.update(NATIVE_C_FLAGS.join(" ")).update(process.version);
  const outDir = join(root, "build", "native");
  const out = join(outDir, `tinyprop-native-${h.digest("hex").slice(0, 12)}.node`);
  if (existsSync(out)) return { ok: true, path: out };
  mkdirSync(outDir, { recursive: true });
  const args = [...NATIVE_C_FLAGS, "-fPIC", "-shared", "-fvisibility=hidden", `-I${include}`, `-I${join(root, "src", "native")}`,
    ...sources, "-o", out, "-lm"];
  const r = spawnSync(cc, args, { encoding: "utf8" });
  if (r.status !== 0) return { ok: false, reason: `compiling the native kernels failed:\n${cc} ${args.join(" ")}\n${r.stderr}` };
  return { ok: true, path: out };
}

/** Build and load the addon: its exports are the NativeKernels functions. */
export function loadNodeAddon(root = projectRoot()): { ok: true; kernels: NativeKernels } | { ok: false; reason: string } {
  const built = buildNodeAddon(root);
  if (!built.ok) return built;
  const kernels = createRequire(import.meta.url)(built.path) as NativeKernels;
  return { ok: true, kernels };
}
