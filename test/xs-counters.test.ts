// The instrumented XS engine (build/xs/instrumented, built at npm install by host-sim/xs/build-worker.mjs)
// and its counters: these tests show that each counter sees what it claims to see, one operation or one
// string at a time, so the zero counts asserted elsewhere (test/xs-fixed-float.test.ts, ...) mean something.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countSteps, startInstrumented } from "../host-sim/xs/counters";
import { XsEngine } from "../host-sim/xs/xsnap";

let xs: XsEngine;
beforeAll(async () => {
  xs = await startInstrumented();
  await xs.evaluate(`
    globalThis.f32 = new Float32Array(4);
    globalThis.i32 = new Int32Array(4);
    globalThis.check = function (value, name) { if (value !== value) throw new TypeError(name); };
  `);
}, 600_000);
afterAll(async () => {
  await xs?.close();
});

describe("the instrumented XS counts floating-point operations", () => {
  it.each([
    ["integer multiply", "const x = i * 2;", 0],
    ["one multiply by a fraction", "const x = i * 0.5;", 1],
    ["two", "const x = i * 0.5; const y = x + 0.25;", 2],
    ["negating an integer 0 (gives -0, a double)", "const z = i & 0; const m = -z;", 1],
    ["subtracting it from 0 instead", "const z = i & 0; const m = 0 - z;", 0],
    ["comparing with -0 (the negation and the comparison)", "const z = i & 0; const b = 3 > -z;", 2],
    ["an int32 add that overflows (not counted itself), then |0 on the double", "const a = (0x7fffffff + (i & 0) + 1) | 0;", 1],
    ["Math.imul with an int32 constant", "const a = Math.imul(i, -1640531527);", 0],
    ["Math.imul with a constant above 2^31 (a double)", "const a = Math.imul(i, 0x9e3779b9);", 1],
    ["storing an integer into a Float32Array", "f32[0] = i;", 1],
    ["integer typed-array arithmetic", "i32[0] = i32[1] + 1;", 0],
  ])("%s", async (_name, step, expected) => {
    const counts = await countSteps(xs, step, 100);
    expect(counts.floatOps).toBe(expected);
    expect(counts.chunkBytes).toBe(0);
  });
});

describe("chunk bytes: strings made at run time", () => {
  it("a string literal in runtime-compiled code allocates a chunk every time it is evaluated", async () => {
    const literal = await countSteps(xs, `const s = "abc";`, 100);
    expect(literal.chunkBytes).toBeGreaterThan(0);
    expect(literal.slots).toBe(0);
    // Passed to an argument check, as the engine's validators were called.
    expect((await countSteps(xs, `check(i, "abc");`, 100)).chunkBytes).toBeGreaterThan(0);
    expect((await countSteps(xs, `check(i);`, 100)).chunkBytes).toBe(0);
  });

  it("a single string per step is seen, to the byte, with no collection needed", async () => {
    const one = await countSteps(xs, `const s = "v" + i;`, 10);
    const two = await countSteps(xs, `const s = "v" + i; const t = "w" + i;`, 10);
    expect(one.chunkBytes).toBeGreaterThan(0);
    expect(two.chunkBytes).toBeGreaterThan(one.chunkBytes);
  });

  it("objects are slots, not chunks", async () => {
    const counts = await countSteps(xs, `const o = { a: i };`, 100);
    expect(counts.slots).toBeGreaterThan(0);
    expect(counts.chunkBytes).toBe(0);
  });
});
