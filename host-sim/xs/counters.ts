/**
 * Counts what a piece of code costs inside XS, read from XS's own counters through the global
 * `xsCounter(which)` that every worker variant built by host-sim/xs/build-worker.mjs has
 * (host-sim/xs/native/counters.c). docs/xs-meter.md describes the counters and the method.
 *
 * - floating-point operations (only in the "instrumented" variant, built with mxInstrument):
 *   every arithmetic, comparison or conversion bytecode that had to work on a double;
 * - chunk bytes: XS's count of bytes in chunks (strings, ArrayBuffer data, array storage,
 *   BigInts) only grows between two collections, so with no collection in between the
 *   difference is every chunk byte allocated, to the byte;
 * - heap slots: likewise for slots (objects, closures, wrappers, ...);
 * - garbage collections: a collection during the steps would make the two above meaningless,
 *   so the measurement refuses to report then.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { XsEngine, projectRoot } from "./xsnap.js";

/**
 * Start the instrumented XS worker, first bringing its build up to date (build-worker.mjs compiles only what
 * changed, so this is a hash check when it is current; after a change of its flags it recompiles XS, about
 * 30 s of CPU). npm install builds it too; this keeps a checkout whose variant predates a flag change honest.
 */
export async function startInstrumented(): Promise<XsEngine> {
  // From the project root, not this module: bench.ts bundles this file into dist/bench/, where no build-worker.mjs is.
  const builder = join(projectRoot(), "host-sim", "xs", "build-worker.mjs");
  const built = spawnSync(process.execPath, [builder, "instrumented"], { encoding: "utf8" });
  if (built.status !== 0) throw new Error(`building the instrumented XS worker failed: ${built.stderr || built.stdout}`);
  return XsEngine.start({ variant: "instrumented" });
}

/** Index of each counter for xsCounter(which) (keep in sync with host-sim/xs/native/counters.c). */
export const XS_COUNTER = { floatOps: 0, chunkBytes: 1, collections: 2, slots: 3, peakChunkBytes: 4 } as const;

export interface StepCounts {
  iterations: number;
  /** Floating-point operations per step (NaN when the worker is not instrumented). */
  floatOps: number;
  /** Bytes of chunks allocated per step. */
  chunkBytes: number;
  /** Heap slots allocated per step. */
  slots: number;
}

/**
 * Run the JS statement(s) `step` `iterations` times inside XS and count per step. `step` runs in a
 * global function with the loop index `i`, so it can use globals made by earlier evaluations. It
 * runs `warmup` times first so one-time lazy work does not count. The loop's own bytecodes
 * (integer increments and compares) add nothing; a run of 0 steps is subtracted anyway.
 */
export async function countSteps(engine: XsEngine, step: string, iterations: number, warmup = 1): Promise<StepCounts> {
  await engine.evaluate(
    `globalThis.__tpSteps = function (n) { for (let i = 0; i < n; i++) { ${step}\n} };\n` +
      // Reads every counter before and after n steps, after a collection; allocates only after the reads.
      `globalThis.__tpCount = function (n) {
        gc();
        const f0 = xsCounter(0), c0 = xsCounter(1), g0 = xsCounter(2), s0 = xsCounter(3);
        __tpSteps(n);
        const f1 = xsCounter(0), c1 = xsCounter(1), g1 = xsCounter(2), s1 = xsCounter(3);
        print(JSON.stringify([f1 - f0, c1 - c0, g1 - g0, s1 - s0, f0]));
      };\n` +
      `__tpSteps(${warmup});`,
  );
  const measure = async (n: number): Promise<number[]> => {
    const lines = await engine.run(`__tpCount(${n});`);
    return JSON.parse(lines[lines.length - 1]) as number[];
  };
  const zero = await measure(0);
  const run = await measure(iterations);
  if (run[2] !== 0 && run[2] !== -1) {
    throw new Error(`a garbage collection ran during ${iterations} steps: measure fewer steps`);
  }
  if (run[1] < zero[1] || run[3] < zero[3]) {
    throw new Error(`the counters went down during ${iterations} steps (a garbage collection ran): measure fewer steps`);
  }
  const instrumented = run[4] !== -1;
  return {
    iterations,
    floatOps: instrumented ? (run[0] - zero[0]) / iterations : NaN,
    chunkBytes: (run[1] - zero[1]) / iterations,
    slots: (run[3] - zero[3]) / iterations,
  };
}
