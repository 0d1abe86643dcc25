// Bundles. Device code (src/) is bundled twice: as a plain script for XS (xsnap evaluates scripts, not
// modules; the API lands on globalThis.tinyprop) and as ESM for Node. Host tools are ESM for Node with
// their npm dependencies left external.
import { existsSync } from "node:fs";
import { builtinModules } from "node:module";
import typescript from "@rollup/plugin-typescript";

const ts = () => typescript({ tsconfig: "./tsconfig.build.json", noEmitOnError: true, outputToFilesystem: false });
const external = (id) =>
  id.startsWith("node:") || builtinModules.includes(id) || /^(serialport|node-pty|@serialport|@tensorflow|fast-check)/.test(id);

const configs = [
  // Engine + protocol as one self-contained script for XS.
  { input: "src/index.ts", output: { file: "dist/xs/tinyprop.js", format: "iife", name: "tinyprop" }, plugins: [ts()] },
  { input: "src/index.ts", output: { file: "dist/node/tinyprop.js", format: "es" }, plugins: [ts()] },
  { input: "host-sim/cli.ts", output: { file: "dist/host/cli.js", format: "es", banner: "#!/usr/bin/env node" }, external, plugins: [ts()] },
  { input: "bench/baseline.ts", output: { file: "dist/bench/baseline.js", format: "iife", name: "baseline" }, plugins: [ts()] },
  { input: "bench/bench.ts", output: { file: "dist/bench/bench.js", format: "es" }, external, plugins: [ts()] },
];

export default configs.filter((c) => existsSync(c.input));
