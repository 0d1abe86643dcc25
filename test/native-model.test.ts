// Whole models in Node with native kernels (the Node addon) against the same models with the JavaScript
// kernels: losses, weights, predictions and saturation counters bit for bit, for every activation, loss,
// optimizer and both dtypes (test/native-specs.ts). The spec's `kernels` option picks the table.
import { beforeAll, describe, expect, it } from "vitest";
import { loadNodeAddon } from "../host-sim/native/build";
import { readXsBundle, runInNode } from "../host-sim/xs/twin";
import { buildModel } from "../src/index";
import { DRIVER_HELPERS } from "./xs-scripts";
import { NATIVE_DRIVER, NATIVE_SPECS } from "./native-specs";

const addon = loadNodeAddon();
if (!addon.ok) console.warn(`native model tests skipped: ${addon.reason}`);
const withNative = it.skipIf(!addon.ok);

let bundle = "";
beforeAll(() => {
  bundle = readXsBundle();
});

describe("kernel selection", () => {
  it("uses JavaScript when the platform has no native kernels, and refuses to force them", () => {
    const spec = NATIVE_SPECS["f32 relu SGD batch 1 (fused), softmax CE"];
    expect(buildModel(spec).nativeKernels).toBe(false);
    expect(() => buildModel({ ...spec, kernels: "native" })).toThrow(/no tinyprop native kernels/);
    expect(() => buildModel({ ...spec, kernels: "fast" as never })).toThrow(/kernels must be/);
    expect(() => buildModel({ ...spec, kernels: "native-f32" })).toThrow(/no tinyprop native kernels/);
    expect(() => buildModel({ ...spec, dtype: "fixed", kernels: "native-f32" })).toThrow(/needs dtype "float32"/);
  });

  withNative("uses native kernels when the platform has them, unless the spec says js", () => {
    const spec = NATIVE_SPECS["fixed relu SGD batch 1 (fused), softmax CE"];
    const lines = runInNode([bundle, DRIVER_HELPERS, `
      print(tinyprop.buildModel(${JSON.stringify(spec)}).nativeKernels);
      print(tinyprop.buildModel(${JSON.stringify({ ...spec, kernels: "js" })}).nativeKernels);
      print(tinyprop.buildModel(${JSON.stringify({ ...spec, dtype: "float32" })}).nativeKernels);`], { tinypropNative: addon.ok && addon.kernels });
    expect(lines).toEqual(["true", "false", "true"]);
  });

  withNative("ignores native kernels of another version", () => {
    const stale = { ...(addon.ok ? addon.kernels : {}), version: () => 0 };
    const lines = runInNode([bundle, `print(tinyprop.buildModel(${JSON.stringify(NATIVE_SPECS["f32 relu SGD batch 1 (fused), softmax CE"])}).nativeKernels);`], { tinypropNative: stale });
    expect(lines).toEqual(["false"]);
  });
});

describe("Node: native kernels check inputs as the JavaScript kernels do", () => {
  withNative("the same error for a NaN or an infinity in trainStep, predict and classify", () => {
    const spec = NATIVE_SPECS["f32 relu SGD batch 1 (fused), softmax CE"];
    const lines = runInNode([bundle, `
      for (const kernels of ["js", "native", "native-f32"]) {
        const m = tinyprop.buildModel(Object.assign({}, ${JSON.stringify(spec)}, { kernels }));
        const x = new Float32Array(${spec.inputs}).fill(0.5), out = new Float32Array(8);
        const seen = [];
        for (const [at, v] of [[0, NaN], [${spec.inputs - 1}, Infinity], [3, -Infinity]]) {
          x.fill(0.5); x[at] = v;
          for (const f of [() => m.trainStep(x, [1]), () => m.predict(x, out, 1), () => m.classify(x, 0)]) {
            try { f(); seen.push("no error"); } catch (e) { seen.push(e.message); }
          }
        }
        x.fill(0.5);
        seen.push(String(m.classify(x, 0) >= 0), String(m.step));
        print(seen.join(" | "));
      }`], { tinypropNative: addon.ok && addon.kernels });
    expect(lines[0]).toContain("trainStep: x[0] is NaN, not a finite number | predict: x[0] is NaN");
    expect(lines[0]).toContain("classify: x[8] is Infinity, not a finite number");
    expect(lines[0]).toMatch(/\| true \| 0$/);
    expect(lines[1]).toBe(lines[0]);
    expect(lines[2]).toBe(lines[0]);
  });
});

describe("Node: native kernels train bit-identically to the JavaScript kernels", () => {
  for (const [name, spec] of Object.entries(NATIVE_SPECS)) {
    withNative(name, () => {
      const run = (kernels: string) => runInNode([bundle, DRIVER_HELPERS, NATIVE_DRIVER, `trainWith(${JSON.stringify(spec)}, "${kernels}", 120);`],
        { tinypropNative: addon.ok && addon.kernels });
      const js = run("js"), native = run("native");
      expect(js[0]).toBe("native false");
      expect(native[0]).toBe("native true");
      expect(js[1]).toMatch(/^losses [0-9a-f]{1920}$/);
      expect(native.slice(1)).toEqual(js.slice(1));
    });
  }
});
