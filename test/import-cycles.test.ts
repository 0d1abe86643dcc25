// No import cycles in src/ or host-sim/: a cycle means two modules cannot be read (or bundled, or loaded
// by XS) one after the other. This walks every .ts file's static imports and re-exports (type-only ones
// too: a type cycle is still two files that each need the other to make sense) and finds strongly
// connected components. Codes shared between layers live in src/engine/codes.ts for this reason.
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Cycles known and owned by someone else, as sorted member lists. host-sim/sim is being untangled by the
 * simulator's owner; delete the entry when that lands (the test then fails if the cycle comes back).
 */
const KNOWN_CYCLES: string[][] = [];

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) tsFiles(path, out);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Relative specifiers of every `import ... from`, `export ... from` and bare `import "..."` in the source. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']/g;
  for (const m of source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "").matchAll(re)) found.push(m[1] ?? m[2]);
  return found.filter((s) => s.startsWith("."));
}

function resolveImport(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ""));
  for (const candidate of [base + ".ts", join(base, "index.ts"), base]) if (existsSync(candidate) && candidate.endsWith(".ts")) return candidate;
  return null;
}

/** Strongly connected components with more than one member (or a self-import), as sorted relative paths. */
export function importCycles(files: string[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const targets = importSpecifiers(readFileSync(f, "utf8")).map((s) => resolveImport(f, s)).filter((t): t is string => t !== null);
    graph.set(f, targets);
  }
  // Tarjan's algorithm.
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>(), stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.map((p) => relative(ROOT, p).split("\\").join("/")).sort());
    }
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return cycles;
}

describe("import graph", () => {
  it("finds a cycle when there is one (the walker works)", () => {
    expect(importSpecifiers(`import { a } from "./a";\nimport type { B } from "../b.js";\nexport * from "./c";\nimport "./d";\n// import { x } from "./commented";`))
      .toEqual(["./a", "../b.js", "./c", "./d"]);
  });

  it("has no import cycle in src/ or host-sim/ (besides the listed known one)", () => {
    const files = [...tsFiles(join(ROOT, "src")), ...tsFiles(join(ROOT, "host-sim"))];
    expect(files.length).toBeGreaterThan(50);
    const known = new Set(KNOWN_CYCLES.map((c) => c.join(" ")));
    const cycles = importCycles(files).filter((c) => !known.has(c.join(" ")));
    expect(cycles).toEqual([]);
  });
});
