// The fixed-point kernels must stay integer-only: this reads their sources and fails on anything that would
// bring floating point into the hot loops (Math.fround, the division operator, float literals, float arrays).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const KERNEL_FILES = ["src/engine/fixed/kernels.ts"];

/** Source without comments and string contents (so prose in comments may use '/' and decimals). */
export function stripComments(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/\/\/[^\n]*/g, " ")
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
}

export function floatViolations(src: string): string[] {
  const code = stripComments(src);
  const found: string[] = [];
  if (/\bfround\b/.test(code)) found.push("Math.fround");
  if (/\/(?!\/)/.test(code)) found.push("'/' (division)");
  if (/\bFloat(32|64|16)Array\b/.test(code)) found.push("Float32Array/Float64Array/Float16Array");
  const lit = code.match(/(?<![\w.])(\d+\.\d*|\.\d+|\d+[eE][-+]?\d+)(?![\w])/);
  if (lit) found.push(`float literal ${lit[0]}`);
  if (/\bMath\.(sqrt|exp|log|pow|tanh|sin|cos|round|floor|ceil|random)\b/.test(code)) found.push("floating-point Math function");
  if (/\bNaN\b|\bInfinity\b/.test(code)) found.push("NaN/Infinity");
  return found;
}

describe("fixed-point kernel sources are integer-only", () => {
  for (const file of KERNEL_FILES) {
    it(file, () => {
      expect(floatViolations(readFileSync(file, "utf8"))).toEqual([]);
    });
  }

  it("the check catches each forbidden construct and ignores comments", () => {
    expect(floatViolations("let a = b / c;")).toContain("'/' (division)");
    expect(floatViolations("let a = Math.fround(b);")).toContain("Math.fround");
    expect(floatViolations("let a = 0.5 * b;")).toEqual(["float literal 0.5"]);
    expect(floatViolations("let a = 1e-3;")).toEqual(["float literal 1e-3"]);
    expect(floatViolations("const t = new Float32Array(4);")).toEqual(["Float32Array/Float64Array/Float16Array"]);
    expect(floatViolations("let a = Math.round(b);")).toEqual(["floating-point Math function"]);
    expect(floatViolations("// a / b = 0.5\n/* Float32Array 1.5 */ let a = (b * c) >> 3; const s = \"x/y\";")).toEqual([]);
    expect(floatViolations("let a = x[k + 1] >>> 0; a = Math.imul(a, 3) | 0; a = Math.clz32(a);")).toEqual([]);
  });
});
