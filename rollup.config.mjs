// Bundles. Device code (src/) is bundled twice: as a plain script for XS (xsnap evaluates scripts, not
// modules; the API lands on globalThis.tinyprop) and as ESM for Node. Host tools are ESM for Node with
// their npm dependencies left external.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { builtinModules } from "node:module";
import typescript from "@rollup/plugin-typescript";
import { dts } from "rollup-plugin-dts";

/**
 * Every warning fails the build (npm test's pretest runs `rollup -c`, so a warning cannot land unnoticed):
 * a circular import, a missing export or a declaration bundle that cannot follow a type was each once
 * printed on every build and read past. TINYPROP_ALLOW_ROLLUP_WARNINGS=1 prints them instead, for a
 * local investigation. test/rollup-warnings.test.ts trips it on a real warning.
 */
export function failOnWarning(warning, warn) {
  if (process.env.TINYPROP_ALLOW_ROLLUP_WARNINGS === "1") return warn(warning);
  const where = warning.id ? ` (${warning.id})` : "";
  throw new Error(`rollup warning ${warning.code ?? ""}${where}: ${warning.message}\n` +
    "The build allows no warning; fix it, or set TINYPROP_ALLOW_ROLLUP_WARNINGS=1 to print warnings while investigating.");
}

const ts = () => typescript({ tsconfig: "./tsconfig.build.json", noEmitOnError: true, outputToFilesystem: false });
const external = (id) =>
  id.startsWith("node:") || builtinModules.includes(id) || /^(serialport|node-pty|@serialport|@tensorflow|fast-check|fastest-levenshtein|vega|@resvg)/.test(id);

// The device app (src/main.ts) imports Moddable modules; in the simulator bundles they resolve to
// stand-ins: host-sim/sim/*.ts for Node, host-sim/sim/xs/*.ts (relayed through xsnap) for XS.
const moddable = (dir) => ({
  name: "moddable-stand-ins",
  resolveId(id) {
    const file = { "embedded:io/serial": "serial.ts", timer: "timer.ts", "mc/config": "config.ts", flash: "flash-module.ts", instrumentation: "instrumentation.ts",
      "embedded:io/smbus": "smbus.ts", "embedded:sensor/Accelerometer-Gyroscope/MPU6050": "mpu6050.ts", "embedded:io/digital": "digital.ts" }[id];
    return file ? resolve(dir, file) : null;
  },
});

const NODE_ENTRIES = { tinyprop: "src/index.ts", modelfile: "src/modelfile/index.ts", protocol: "src/protocol/index.ts" };

const configs = [
  // Engine + protocol as one self-contained script for XS.
  { input: "src/index.ts", output: { file: "dist/xs/tinyprop.js", format: "iife", name: "tinyprop" }, plugins: [ts()] },
  // The package's entry points for Node ("exports" in package.json): the whole device-side API, and the
  // model-file and protocol codecs on their own; shared code goes to chunks, so classes are the same
  // objects whichever entry imported them.
  { input: NODE_ENTRIES, output: { dir: "dist/node", format: "es", entryFileNames: "[name].js", chunkFileNames: "chunks/[name].js" }, plugins: [ts()] },
  // Their TypeScript declarations, generated from the sources (package.json "types").
  { input: { index: "src/index.ts", modelfile: "src/modelfile/index.ts", protocol: "src/protocol/index.ts", features: "src/features/api.ts" }, output: { dir: "dist/types", format: "es", chunkFileNames: "chunks/[name].d.ts" }, plugins: [dts({ tsconfig: "./tsconfig.build.json" })] },
  { input: "host-sim/cli.ts", output: { file: "dist/host/cli.js", format: "es", banner: "#!/usr/bin/env node" }, external, plugins: [ts()] },
  // The device app for the host simulator: Node (engine node) and a self-contained script for XS (engine xs).
  { input: "host-sim/sim/device-node.ts", output: { file: "dist/sim/device-node.js", format: "es" }, external, plugins: [moddable("host-sim/sim"), ts()] },
  { input: "host-sim/sim/xs/device-xs.ts", output: { file: "dist/xs/device.js", format: "iife", name: "tinypropDevice" }, plugins: [moddable("host-sim/sim/xs"), ts()] },
  { input: "bench/baseline.ts", output: { file: "dist/bench/baseline.js", format: "iife", name: "baseline" }, plugins: [ts()] },
  { input: "bench/bench.ts", output: { file: "dist/bench/bench.js", format: "es" }, external, plugins: [ts()] },
  { input: "bench/sklearn/export.ts", output: { file: "dist/bench/sklearn-export.js", format: "es" }, external, plugins: [ts()] },
];

export default configs.filter((c) => typeof c.input !== "string" || existsSync(c.input)).map((c) => ({ ...c, onwarn: failOnWarning }));
