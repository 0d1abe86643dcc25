#!/usr/bin/env node
/**
 * Builds VARIANTS of XS's `xsnap-worker` from the C sources that the npm package `@agoric/xsnap`
 * ships (XS in moddable/xs, the worker in xsnap-native/xsnap), into `build/xs/<variant>/` of this
 * project (gitignored). `npm install` / `npm ci` in a checkout run it (package.json "prepare", which
 * does not run where tinyprop is installed as a dependency: the package ships no host-sim/); by hand:
 * `node host-sim/xs/build-worker.mjs [variant ...]` (default: every variant below).
 *
 * The compiler flags and the list of objects are read from the package's own worker makefile
 * (xsnap-native/xsnap/makefiles/<os>/xsnap-worker.mk), so a variant differs from the stock worker
 * only in what its options ask for:
 *   - `instrument: true` compiles XS with mxInstrument, which counts floating-point operations
 *     (the "Floating Point" instrument) and garbage collections. It is defined as 0, so XS's
 *     `#ifdef mxInstrument` code is in but the worker's `#if mxInstrument` code (an xsbug
 *     connection on fd 5 and instrument samples printed after every command) stays out. It is
 *     compiled without mxDebug (no xsbug support), because xsnap's platform code expects an
 *     xsbug connection when both are on.
 *   - `cSources`: extra C files (paths relative to the project root), compiled with the same flags
 *     and include paths as XS itself (so `#include "xsAll.h"` or `"xs.h"` works).
 *   - `hostFunctions`: `{ name, symbol, args }` entries: the C function `void symbol(xsMachine* the)`
 *     (from one of the cSources) is defined on the global object as `name` with `args` arguments,
 *     next to print() and gc(). The worker cannot write snapshots of a machine that holds them
 *     (tinyprop never asks it to).
 *   - `headers`: the cSources' own header files (project paths); a change recompiles the variant.
 *   - `undefine`: XS compile-time options to leave out (["mxMinusZero"]).
 *   - `optimize`: the -O level ("-O2" by default; the stock worker uses -O3).
 * Every variant also gets `host-sim/xs/native/counters.c`: the global `xsCounter(which)` reads
 * XS's own counters without allocating (see docs/xs-meter.md).
 *
 * To add C code (for example kernels): put the .c file under host-sim/xs/native/ (or anywhere in the
 * project), add a variant here or extend one, e.g.
 *   kernels: { cSources: ["host-sim/xs/native/kernels.c"],
 *              hostFunctions: [{ name: "nativeDot", symbol: "xs_native_dot", args: 3 }] },
 * and run `node host-sim/xs/build-worker.mjs kernels`. Then `XsEngine.start({ variant: "kernels" })`
 * (host-sim/xs/xsnap.ts) runs it. Objects are cached per variant: only changed files recompile.
 *
 * Without a C compiler (or without @agoric/xsnap's sources) it prints why and exits 0, so the
 * install itself does not fail; the tests that need a variant then fail with that reason.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, platform } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BUILD_ROOT = join(PROJECT_ROOT, "build", "xs");

/**
 * tinyprop's native kernels (src/native/) as globals `__tinypropNative_<name>` of the worker, one per entry of
 * TP_BINDINGS in src/native/tinyprop_bindings.h (host-sim/native/xs.ts assembles them into
 * globalThis.tinypropNative, as src/native/kernels.js does on a device).
 */
function nativeKernelFunctions() {
  const header = readFileSync(join(PROJECT_ROOT, "src", "native", "tinyprop_bindings.h"), "utf8");
  const list = [...header.matchAll(/^\s*X\((\w+), (\w+), (\d+)\)/gm)];
  if (list.length === 0) throw new Error("no TP_BINDINGS entries found in src/native/tinyprop_bindings.h");
  return list.map((m) => ({ name: `__tinypropNative_${m[2]}`, symbol: `xs_tp_${m[1]}`, args: Number(m[3]) }));
}

/** The variants `npm install` builds. */
export const VARIANTS = {
  /**
   * XS with the floating-point and garbage-collection counters on (test/xs-counters.test.ts,
   * test/xs-device-costs.test.ts), computing like a Moddable device build: without mxMinusZero, which
   * xsnap's makefile defines but Moddable's ESP32 makefile does not (with it, `0 * -5` is a -0 double
   * instead of the integer 0, and every such product in an integer kernel would count).
   */
  instrumented: { instrument: true, undefine: ["mxMinusZero"], cSources: [], hostFunctions: [] },
  /** The stock worker plus tinyprop's native kernels (test/native-xs.test.ts, bench/native.ts). */
  get native() {
    return {
      cSources: ["src/native/float32_kernels.c", "src/native/fixed_kernels.c", "src/native/xs_kernels.c"],
      headers: ["src/native/tinyprop_kernels.h", "src/native/tinyprop_bindings.h", "src/native/float32_dense.h"],
      hostFunctions: nativeKernelFunctions(),
    };
  },
};

const COUNTERS_SOURCE = "host-sim/xs/native/counters.c";
const COUNTERS_FUNCTION = { name: "xsCounter", symbol: "xs_counter", args: 1 };

/** Where variant `name`'s binary is (or will be) built. */
export function variantBinaryPath(name) {
  return join(BUILD_ROOT, name, "xsnap-worker");
}

function xsnapPackageDir() {
  try {
    return dirname(createRequire(import.meta.url).resolve("@agoric/xsnap/package.json"));
  } catch {
    return join(PROJECT_ROOT, "node_modules", "@agoric", "xsnap");
  }
}

/** Flags, objects and source folders of the stock worker, read from its makefile. */
function readStockBuild(pkg) {
  const os = { linux: "lin", darwin: "mac" }[platform()];
  if (!os) throw new Error(`no xsnap-worker makefile for ${platform()}`);
  const makefile = join(pkg, "xsnap-native", "xsnap", "makefiles", os, "xsnap-worker.mk");
  const text = readFileSync(makefile, "utf8");
  const version = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version; // = XSNAP_VERSION
  const block = /\nC_OPTIONS = \\\n([\s\S]*?)\n\n/.exec(text.replace(/\r/g, ""));
  if (!block) throw new Error(`cannot find C_OPTIONS in ${makefile}`);
  const defines = block[1]
    .split(/\s*\\\n\s*|\s+/)
    .filter((t) => /^-[DU]/.test(t))
    .map((t) => t.replace(/\\"/g, '"').replace("$(XSNAP_VERSION)", version));
  const objects = [...text.matchAll(/\$\(TMP_DIR\)\/([\w-]+)\.o/g)].map((m) => m[1]);
  const moddable = join(pkg, "moddable");
  const xs = join(moddable, "xs");
  const dirs = {
    includes: [join(xs, "includes"), join(xs, "platforms"), join(xs, "sources"), join(pkg, "xsnap-native", "xsnap", "sources")],
    sources: [
      join(xs, "sources"),
      join(pkg, "xsnap-native", "xsnap", "sources"),
      ...[...text.matchAll(/VPATH \+= \$\(MODDABLE\)\/(\S+)/g)].map((m) => join(moddable, m[1])),
    ],
  };
  const libraries = (/\nLIBRARIES = (.*)\n/.exec(text)?.[1] ?? "-lm").trim().split(/\s+/);
  const linkOptions = (/\nLINK_OPTIONS = (.*)\n/.exec(text)?.[1] ?? "").trim().split(/\s+/).filter(Boolean);
  return { defines, objects: [...new Set(objects)], dirs, libraries, linkOptions };
}

function findSource(dirs, name) {
  for (const dir of dirs) if (existsSync(join(dir, `${name}.c`))) return join(dir, `${name}.c`);
  throw new Error(`${name}.c not found in ${dirs.join(", ")}`);
}

/** xsnap-worker.c, plus one call that installs the variant's host functions in the global object. */
function patchedWorkerSource(original) {
  const anchor = "\tmodInstallBase64(the);\n";
  const parts = original.split(anchor);
  if (parts.length !== 2) throw new Error("xsnap-worker.c changed: cannot find where it installs its globals");
  const declaration = '#include "xsnap.h"\nextern void tinypropInstallHostFunctions(xsMachine* the);\n';
  return declaration + parts[0] + anchor + "\ttinypropInstallHostFunctions(the);\n" + parts[1];
}

function hostFunctionsSource(functions) {
  const lines = ['#include "xsnap.h"', "// Generated by host-sim/xs/build-worker.mjs."];
  for (const f of functions) lines.push(`extern void ${f.symbol}(xsMachine* the);`);
  lines.push("void tinypropInstallHostFunctions(xsMachine* the)", "{");
  for (const f of functions) {
    lines.push(`\txsResult = xsNewHostFunction(${f.symbol}, ${f.args | 0});`);
    lines.push(`\txsDefine(xsGlobal, xsID(${JSON.stringify(f.name)}), xsResult, xsDontEnum);`);
  }
  lines.push("}", "");
  return lines.join("\n");
}

function run(command, args, cwd) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${command} ${args.join(" ")} failed (${code}):\n${stderr}`)),
    );
  });
}

/** Run `tasks` (functions returning promises) with at most `limit` at a time. */
async function parallel(tasks, limit) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) await tasks[next++]();
  });
  await Promise.all(workers);
}

function hash(...parts) {
  const h = createHash("sha256");
  for (const p of parts) h.update(typeof p === "string" ? p : JSON.stringify(p)).update("\0");
  return h.digest("hex");
}

/** The C compiler to use, or undefined when there is none. */
export function findCompiler() {
  const cc = process.env.CC || "cc";
  const probe = spawnSync(cc, ["--version"], { stdio: "ignore" });
  return probe.status === 0 ? cc : undefined;
}

/**
 * Build one variant (compiling only objects whose source or flags changed). Returns the binary's
 * path and how many objects were compiled.
 */
export async function buildVariant(name, options = {}, log = console.log) {
  const cc = findCompiler();
  if (!cc) throw new Error("no C compiler found (set CC or install cc/gcc/clang)");
  const pkg = xsnapPackageDir();
  const stock = readStockBuild(pkg);
  const outDir = join(BUILD_ROOT, name);
  const objDir = join(outDir, "obj");
  mkdirSync(objDir, { recursive: true });

  // xsnap's platform code assumes an xsbug connection on fds 5/6 when both mxInstrument and
  // mxDebug are on (it blocks reading fd 5), so an instrumented variant has no debugger support.
  const dropped = options.instrument ? /^-[DU](mxInstrument|mxDebug)\b/ : /^-[DU]mxInstrument\b/;
  const undefined_ = new Set(options.undefine ?? []);
  const defines = stock.defines.filter((d) => !dropped.test(d) && !undefined_.has(/^-D(\w+)/.exec(d)?.[1] ?? ""));
  defines.push(...(options.instrument ? ["-DmxInstrument=0", "-UmxDebug"] : ["-UmxInstrument"]));
  for (const name of undefined_) defines.push(`-U${name}`);
  const flags = [
    "-fno-common",
    ...defines,
    ...stock.dirs.includes.map((d) => `-I${d}`),
    `-I${objDir}`,
    "-Wno-misleading-indentation",
    "-Wno-implicit-fallthrough",
    options.optimize ?? "-O2",
  ];

  // The worker's C file is patched into the build folder; generated and extra files compile as is.
  const units = [];
  for (const obj of stock.objects) {
    const path = findSource(stock.dirs.sources, obj);
    if (obj === "xsnap-worker") {
      const patched = join(objDir, "xsnap-worker.c");
      writeIfChanged(patched, patchedWorkerSource(readFileSync(path, "utf8")));
      units.push({ obj, path: patched });
    } else units.push({ obj, path });
  }
  const hostFunctions = [COUNTERS_FUNCTION, ...(options.hostFunctions ?? [])];
  const generated = join(objDir, "tinyprop-host.c");
  writeIfChanged(generated, hostFunctionsSource(hostFunctions));
  units.push({ obj: "tinyprop-host", path: generated });
  for (const source of [COUNTERS_SOURCE, ...(options.cSources ?? [])]) {
    const path = resolve(PROJECT_ROOT, source);
    if (!existsSync(path)) throw new Error(`variant ${name}: C source ${source} not found`);
    units.push({ obj: `extra-${source.replace(/[^\w]+/g, "_")}`, path });
  }

  // Headers are not tracked individually: the XS headers change only with the package version; a variant's
  // own headers (`headers`, project paths) recompile all of its objects when they change.
  const headerKey = hash(readFileSync(join(pkg, "package.json"), "utf8"),
    ...(options.headers ?? []).map((h) => readFileSync(resolve(PROJECT_ROOT, h), "utf8")));
  let compiled = 0;
  const tasks = units.map((u) => async () => {
    const object = join(objDir, `${u.obj}.o`);
    const key = hash(cc, flags, headerKey, readFileSync(u.path));
    const keyFile = `${object}.key`;
    if (existsSync(object) && existsSync(keyFile) && readFileSync(keyFile, "utf8") === key) return;
    // Removed first: a build folder copied with hard links (cp -al) must not be changed through the link.
    rmSync(object, { force: true });
    rmSync(keyFile, { force: true });
    await run(cc, [u.path, ...flags, "-c", "-o", object], objDir);
    writeFileSync(keyFile, key);
    compiled++;
  });
  await parallel(tasks, Math.max(1, availableParallelism()));

  const binary = variantBinaryPath(name);
  const objects = units.map((u) => join(objDir, `${u.obj}.o`));
  const linkKey = hash(cc, stock.linkOptions, stock.libraries, objects.map((o) => readFileSync(`${o}.key`, "utf8")));
  const linkKeyFile = `${binary}.key`;
  if (compiled > 0 || !existsSync(binary) || !existsSync(linkKeyFile) || readFileSync(linkKeyFile, "utf8") !== linkKey) {
    const tmp = `${binary}.tmp`;
    await run(cc, [...stock.linkOptions, ...objects, ...stock.libraries, "-o", tmp], objDir);
    renameSync(tmp, binary);
    rmSync(linkKeyFile, { force: true });
    writeFileSync(linkKeyFile, linkKey);
  }
  log(`xs variant ${name}: ${binary} (${compiled} of ${units.length} objects compiled)`);
  return { binary, compiled };
}

function writeIfChanged(path, text) {
  if (existsSync(path) && readFileSync(path, "utf8") === text) return;
  rmSync(path, { force: true });
  writeFileSync(path, text);
}

async function main(names) {
  const selected = names.length ? names : Object.keys(VARIANTS);
  if (!findCompiler()) {
    console.warn(
      "tinyprop: no C compiler found (set CC, or install gcc/clang): the instrumented XS engine was not built. " +
        "Tests that count float operations and chunk bytes under XS will fail until it is; then run " +
        "`node host-sim/xs/build-worker.mjs`.",
    );
    return;
  }
  if (!existsSync(join(xsnapPackageDir(), "moddable", "xs", "sources"))) {
    console.warn("tinyprop: @agoric/xsnap's XS sources are missing (run npm install): XS variants not built.");
    return;
  }
  for (const name of selected) {
    const options = VARIANTS[name];
    if (!options) throw new Error(`unknown XS variant ${name} (known: ${Object.keys(VARIANTS).join(", ")})`);
    const started = Date.now();
    await buildVariant(name, options, (line) => console.log(`${line} in ${((Date.now() - started) / 1000).toFixed(1)} s`));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`tinyprop: building the XS engine variants failed: ${err.message}`);
    process.exit(1);
  });
}
