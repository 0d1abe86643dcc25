import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeAllocation } from "../host-sim/xs/alloc-probe.js";
import { NetstringReader, XsEngine, XsError, encodeNetstring, loadBundle } from "../host-sim/xs/xsnap.js";

describe("netstrings", () => {
  it("uses the UTF-8 byte length", () => {
    expect(encodeNetstring("é✓").toString("utf8")).toBe("5:é✓,");
    expect(encodeNetstring("").toString()).toBe("0:,");
  });

  it("decodes messages split across chunks", () => {
    const r = new NetstringReader();
    expect(r.push(Buffer.from("3:ab"))).toEqual([]);
    expect(r.push(Buffer.from("c,2:x")).map(String)).toEqual(["abc"]);
    expect(r.push(Buffer.from("y,0:,")).map(String)).toEqual(["xy", ""]);
  });
});

describe("XsEngine", () => {
  let xs: XsEngine;
  beforeAll(async () => {
    xs = await XsEngine.start();
  });
  afterAll(async () => {
    await xs?.close();
  });

  it("evaluates arithmetic and reports a meter", async () => {
    const { meter } = await xs.evaluate("globalThis.answer = 6 * 7;");
    expect(meter.compute).toBeGreaterThan(0);
    expect(meter.currentHeapCount).toBeGreaterThan(0);
    expect(typeof meter.allocate).toBe("number");
    expect(await xs.run("print(answer, 2 ** 10, 0.1 + 0.2)")).toEqual(["42 1024 0.30000000000000004"]);
  });

  it("collects print() output in order, including UTF-8", async () => {
    const lines = await xs.run('for (let i = 0; i < 3; i++) print("line", i); print("héllo ✓")');
    expect(lines).toEqual(["line 0", "line 1", "line 2", "héllo ✓"]);
    expect(xs.output().slice(-4)).toEqual(lines);
  });

  it("has print, gc and the meter globals; no Node APIs", async () => {
    const [line] = await xs.run(
      "print([typeof print, typeof gc, typeof resetMeter, typeof currentMeterLimit, typeof process, typeof require].join())",
    );
    expect(line).toBe("function,function,function,function,undefined,undefined");
  });

  it("rejects with the XS exception message and stays usable", async () => {
    await expect(xs.evaluate('throw new TypeError("boom")')).rejects.toThrow("TypeError: boom");
    await expect(xs.evaluate("undefinedThing.x")).rejects.toBeInstanceOf(XsError);
    await expect(xs.evaluate("let = = 1")).rejects.toThrow(/SyntaxError/);
    expect(await xs.run("print(1 + 1)")).toEqual(["2"]);
  });

  it("serializes concurrent calls", async () => {
    const results = await Promise.allSettled([
      xs.run("print('a')"),
      xs.evaluate("throw new Error('b')"),
      xs.run("print('c')"),
    ]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : String(r.reason.message)))).toEqual([
      ["a"],
      "Error: b",
      ["c"],
    ]);
  });

  it("evaluates multi-megabyte sources", async () => {
    const items = Array.from({ length: 400_000 }, (_, i) => i);
    const source = `globalThis.big = [${items.join(",")}]; // ✓`;
    expect(source.length).toBeGreaterThan(2_000_000);
    await xs.evaluate(source);
    expect(await xs.run("print(big.length, big[399999])")).toEqual(["400000 399999"]);
  });

  it("reports deterministic compute", async () => {
    const script = "{ let s = 0; const a = new Float32Array(64); for (let i = 0; i < 500; i++) { a[i & 63] += i * 0.5; s += a[i & 63]; } }";
    const first = (await xs.evaluate(script)).meter.compute;
    const second = (await xs.evaluate(script)).meter.compute;
    expect(second).toBe(first);
    const fresh = await XsEngine.start({ debug: true });
    try {
      expect((await fresh.evaluate(script)).meter.compute).toBe(first);
    } finally {
      await fresh.close();
    }
    // compute scales with the work done: one more iteration of `s += i` costs the same again
    const loop = (n: number) => xs.evaluate(`{ let s = 0; for (let i = 0; i < ${n}; i++) s += i; }`);
    const [c10, c20, c30] = [(await loop(10)).meter.compute, (await loop(20)).meter.compute, (await loop(30)).meter.compute];
    expect(c30 - c20).toBe(c20 - c10);
  });

  it("measures compute inside a script with resetMeter", async () => {
    const [line] = await xs.run(
      "resetMeter(0, 0); { let s = 0; for (let i = 0; i < 100; i++) s += i; } const c = resetMeter(0, 0); print(c)",
    );
    const inScript = Number(line);
    const whole = (await xs.evaluate("{ let s = 0; for (let i = 0; i < 100; i++) s += i; }")).meter.compute;
    expect(inScript).toBeGreaterThan(1500);
    expect(Math.abs(whole - inScript)).toBeLessThan(50);
  });

  it("does not meter parsing", async () => {
    const body = Array.from({ length: 5000 }, (_, i) => `x = x + ${i};`).join("\n");
    const define = (await xs.evaluate(`globalThis.long = function () { let x = 0; ${body} return x; };`)).meter;
    const call = (await xs.evaluate("long();")).meter;
    expect(define.compute).toBeLessThan(100);
    expect(call.compute).toBeGreaterThan(5 * 5000);
  });

  describe("allocation detection", () => {
    beforeAll(async () => {
      await xs.evaluate("globalThis.f32 = new Float32Array(256); globalThis.i32 = new Int32Array(256);");
    });

    it("sees objects allocated per iteration", async () => {
      const p = await probeAllocation(xs, "const a = [i];", 1000);
      expect(p.heapDelta).toBeGreaterThanOrEqual(1000);
      expect(p.slotsPerIteration).toBe(2);
      expect(p.allocationFree).toBe(false);
      const closures = await probeAllocation(xs, "const f = () => i; f();", 1000);
      expect(closures.slotsPerIteration).toBeGreaterThan(0);
    });

    it("sees nothing for int and typed-array arithmetic", async () => {
      const p = await probeAllocation(
        xs,
        "const j = i & 255; f32[j] = f32[j] * 0.5 + Math.fround(j * 1.25); i32[j] = (i32[j] + j * 3) | 0;",
        5000,
      );
      expect(p).toMatchObject({ heapDelta: 0, gcDuringRun: false, allocateDelta: 0, allocationFree: true });
      expect(p.computePerIteration).toBeGreaterThan(10);
    });

    it("flags steps that exhaust the slot heap", async () => {
      // 300k objects = 600k slots, more than the 256k-slot initial heap
      const p = await probeAllocation(xs, "const o = {};", 300_000);
      expect(p.heapDelta).not.toBe(0);
      expect(p.allocationFree).toBe(false);
    });

    it("string literals do not allocate; primitive wrappers do", async () => {
      const literal = await probeAllocation(xs, 'globalThis.s = "abc"; globalThis.t = `abc`;', 5000);
      expect(literal.allocationFree).toBe(true);
      // property access on a primitive string creates a String wrapper object
      const wrapper = await probeAllocation(xs, 'globalThis.n = "abc".length;', 1000);
      expect(wrapper.slotsPerIteration).toBe(2);
    });

    it("template strings allocate only chunks: invisible to the heap count until they force a GC", async () => {
      const few = await probeAllocation(xs, "globalThis.s = `x${i}`;", 1000);
      expect(few.heapDelta).toBe(0); // string bytes live in chunks, not slots
      expect(few.gcDuringRun).toBe(false);
      // ~1.5M short strings (~24 bytes each) overflow the free chunk arena and force a GC
      const many = await probeAllocation(xs, "globalThis.s = `x${i}`;", 1_500_000);
      expect(many.gcDuringRun).toBe(true);
      expect(many.allocationFree).toBe(false);
    });
  });
});

describe("XsEngine failures", () => {
  it("gives a clear error when the binary is missing", async () => {
    const missing = "/nonexistent/xsnap-worker";
    await expect(XsEngine.start({ binary: missing })).rejects.toThrow(
      `XS engine not found at ${missing}: the xs engine needs the optional package @agoric/xsnap`,
    );
  });

  it("rejects pending and queued calls when the worker dies", async () => {
    const xs = await XsEngine.start({ meterLimit: 100_000 });
    const killed = xs.evaluate("for (;;) {}");
    const queued = xs.evaluate("1");
    await expect(killed).rejects.toThrow(/exited with code 17 \(too much computation/);
    await expect(queued).rejects.toThrow(/exited with code 17/);
    await expect(xs.evaluate("1")).rejects.toThrow(/exited/);
    expect(xs.alive).toBe(false);
    await xs.close();
  });
});

describe("loadBundle", () => {
  it("evaluates a bundle file and then driver code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-xs-"));
    const bundle = join(dir, "bundle.js");
    writeFileSync(bundle, "(function () { globalThis.tinyprop = { add: (a, b) => a + b }; })();\n");
    const { engine, driver } = await loadBundle(bundle, "print(tinyprop.add(2, 3));");
    try {
      expect(driver?.meter.compute).toBeGreaterThan(0);
      expect(engine.output()).toEqual(["5"]);
    } finally {
      await engine.close();
    }
    await expect(loadBundle(join(dir, "missing.js"))).rejects.toThrow(/bundle not found/);
  });
});
