/**
 * Allocation probe for code running in the real XS engine (recipe and caveats
 * in docs/xs-meter.md).
 *
 * XS allocates two kinds of memory: fixed-size heap *slots* (objects, arrays,
 * closures, wrappers, ...) and variable-size *chunks* (string bytes, ArrayBuffer
 * data, array backing stores, BigInts). Between collections the meter's
 * `currentHeapCount` only grows, so "gc(), then N steps" shows every slot the
 * steps allocated. Chunks are not metered: they only show up when they fill the
 * chunk arena and force a GC, which the canary garbage below reveals.
 */
import type { XsEngine, XsMeter } from "./xsnap.js";

/**
 * Garbage created after gc() and before the steps: the GC canary. Without a GC
 * the heap count never decreases, so a negative heapDelta proves a GC ran.
 * (WeakRef/FinalizationRegistry cannot serve as canaries: for determinism,
 * xsnap's organic GCs treat WeakRef targets as strong; only gc() clears them.)
 */
const GARBAGE_OBJECTS = 2000;

export interface AllocationProbe {
  iterations: number;
  /** Heap slots allocated by `iterations` steps, net of a zero-step control run (meaningless if gcDuringRun). */
  heapDelta: number;
  slotsPerIteration: number;
  /**
   * A garbage collection certainly ran during the steps (slots or chunk arena ran out):
   * the canary garbage vanished. A GC can also hide behind a positive heapDelta
   * when the steps allocate many slots; such steps are not allocation-free anyway.
   */
  gcDuringRun: boolean;
  /** Growth of the memory reserved from the OS (chunk arena / slot heap) during the steps. */
  allocateDelta: number;
  computePerIteration: number;
  /**
   * heapDelta === 0 (no slot allocated, no GC) and no arena growth. Chunk
   * garbage (strings, ...) smaller in total than the free chunk arena (MBs) stays invisible.
   */
  allocationFree: boolean;
}

/**
 * Measure what `iterations` runs of the JS statement(s) `step` allocate.
 * `step` runs inside a global function with the loop index `i`, so it can use
 * globals set up by earlier `evaluate()` calls (e.g. `tinyprop.trainStep(net, x, y)`).
 * The step is called `warmup` times first so one-time lazy allocations do not count.
 */
export async function probeAllocation(
  engine: XsEngine,
  step: string,
  iterations: number,
  warmup = 1,
): Promise<AllocationProbe> {
  await engine.evaluate(
    `globalThis.__tpProbe = function (n) { for (let i = 0; i < n; i++) { ${step}\n} };\n` +
      `globalThis.__tpGarbage = function () { for (let i = 0; i < ${GARBAGE_OBJECTS}; i++) { const o = {}; } };\n` +
      `__tpProbe(${warmup});`,
  );
  const measure = async (n: number): Promise<XsMeter> => {
    await engine.evaluate(`globalThis.__tpN = ${n};`);
    // Identical source text for every measurement; only __tpN differs.
    return (await engine.evaluate(`gc(); __tpGarbage(); __tpProbe(__tpN);`)).meter;
  };
  const a = await measure(0);
  const b = await measure(0);
  const c = await measure(iterations);
  const drift = b.currentHeapCount - a.currentHeapCount;
  const heapDelta = c.currentHeapCount - b.currentHeapCount - drift;
  const allocateDelta = c.allocate - b.allocate;
  return {
    iterations,
    heapDelta,
    slotsPerIteration: heapDelta / iterations,
    gcDuringRun: heapDelta < 0,
    allocateDelta,
    computePerIteration: (c.compute - b.compute) / iterations,
    allocationFree: heapDelta === 0 && allocateDelta === 0,
  };
}
