// A metered copy of the device code for the session fuzzer: every module reachable from the entries is
// transpiled (TypeScript's own transpiler) into a temporary folder with a work counter at the top of each
// loop body, so that the work of one device turn is a count of loop iterations: deterministic, whatever
// the machine's speed. A turn past the limit throws (and stays flagged even if the device catches it), so
// a runaway loop ends after `limit` iterations instead of hanging the test.
//
// Mutants (deliberately injected bugs) are text replacements applied to the copy, never to src/: a test
// can check that the fuzzer finds a bug without a broken file in the tree.
import ts from "typescript";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { createRequire } from "node:module";

/** A deliberate bug: in `file` (relative to the repository), replace the first `find` by `replace`. */
export interface Mutant {
  name: string;
  file: string;
  find: string;
  replace: string;
}

/** The loop-iteration counter every metered module shares (globalThis.__tpWork). */
export interface WorkMeter {
  /** Loop iterations since the last reset. */
  n: number;
  /** Iterations allowed before over() throws. */
  limit: number;
  /** Most iterations of any turn since the meter was made (reset() does not clear it). */
  max: number;
  exceeded: boolean;
  over(): void;
  reset(): void;
  /** Closes a turn: records max, returns the count. */
  settle(): number;
}

export class WorkLimitExceeded extends Error {}

export function workMeter(limit: number): WorkMeter {
  const meter: WorkMeter = {
    n: 0, limit, max: 0, exceeded: false,
    over() {
      meter.exceeded = true;
      throw new WorkLimitExceeded(`a device turn ran more than ${limit} loop iterations`);
    },
    reset() {
      meter.n = 0;
      meter.exceeded = false;
    },
    settle() {
      if (meter.n > meter.max) meter.max = meter.n;
      return meter.n;
    },
  };
  return meter;
}

const f = ts.factory;
const METER = "__tpWork";

/** `if (++__tpWork.n > __tpWork.limit) __tpWork.over();` */
function meterStatement(): ts.Statement {
  const field = (name: string) => f.createPropertyAccessExpression(f.createIdentifier(METER), name);
  return f.createIfStatement(
    f.createBinaryExpression(f.createPrefixUnaryExpression(ts.SyntaxKind.PlusPlusToken, field("n")), ts.SyntaxKind.GreaterThanToken, field("limit")),
    f.createExpressionStatement(f.createCallExpression(field("over"), undefined, [])));
}

function meteredBody(body: ts.Statement): ts.Block {
  return ts.isBlock(body) ? f.updateBlock(body, [meterStatement(), ...body.statements]) : f.createBlock([meterStatement(), body], true);
}

const meterLoops: ts.TransformerFactory<ts.SourceFile> = (context) => {
  const visit = (node: ts.Node): ts.Node => {
    const n = ts.visitEachChild(node, visit, context);
    if (ts.isForStatement(n)) return f.updateForStatement(n, n.initializer, n.condition, n.incrementor, meteredBody(n.statement));
    if (ts.isForOfStatement(n)) return f.updateForOfStatement(n, n.awaitModifier, n.initializer, n.expression, meteredBody(n.statement));
    if (ts.isForInStatement(n)) return f.updateForInStatement(n, n.initializer, n.expression, meteredBody(n.statement));
    if (ts.isWhileStatement(n)) return f.updateWhileStatement(n, n.expression, meteredBody(n.statement));
    if (ts.isDoStatement(n)) return f.updateDoStatement(n, meteredBody(n.statement), n.expression);
    return n;
  };
  return (file) => ts.visitEachChild(file, visit, context);
};

/** Transpiled text by source text: each load re-transpiles only what a mutant changed. */
const transpiled = new Map<string, string>();

function transpile(text: string, file: string): string {
  let js = transpiled.get(text);
  if (js === undefined) {
    js = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, isolatedModules: true },
      transformers: { before: [meterLoops] },
      fileName: file,
    }).outputText;
    transpiled.set(text, js);
  }
  return js;
}

/** The .ts file a relative import names (x.ts or x/index.ts), or null (a .d.ts or a non-source file). */
function resolveSource(fromFile: string, spec: string): string | null {
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base + ".ts", join(base, "index.ts"), base.endsWith(".js") ? base.slice(0, -3) + ".ts" : ""]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Transpile the modules reachable from `entries` (repository-relative .ts paths) with loop meters and the
 * given mutants, and import the entries. Returns their module namespaces, in order.
 */
export function loadMetered(root: string, entries: string[], mutants: readonly Mutant[] = []): Record<string, unknown>[] {
  const parent = join(root, "build", "fuzz");
  mkdirSync(parent, { recursive: true });
  const out = mkdtempSync(join(parent, "metered-"));
  const pending = entries.map((e) => resolve(root, e));
  const done = new Set<string>();
  const unused = new Set(mutants);
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    let text = readFileSync(file, "utf8");
    for (const m of mutants) {
      if (resolve(root, m.file) !== file) continue;
      if (!text.includes(m.find)) throw new Error(`mutant ${m.name}: "${m.find}" is not in ${m.file} any more; update the mutant`);
      text = text.replace(m.find, m.replace);
      unused.delete(m);
    }
    const js = transpile(text, file);
    // CommonJS, loaded by Node's own require (plain JavaScript: the test runner's module transform would
    // only slow it down). Relative requires name the transpiled files (.cjs), resolved the way the sources
    // resolve them; the modules they name are transpiled next.
    const linked = js.replace(/(\brequire\(\s*)(["'])(\.{1,2}\/[^"']*)\2/g, (all, lead: string, q: string, spec: string) => {
      const dep = resolveSource(file, spec);
      if (dep === null) return all;
      pending.push(dep);
      let rel = relative(dirname(file), dep).replace(/\.ts$/, ".cjs");
      if (!rel.startsWith(".")) rel = "./" + rel;
      return `${lead}${q}${rel}${q}`;
    });
    const target = join(out, relative(root, file)).replace(/\.ts$/, ".cjs");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `const ${METER} = globalThis.${METER};\n${linked}`);
  }
  for (const m of unused) throw new Error(`mutant ${m.name}: ${m.file} is not reachable from ${entries.join(", ")}`);
  const load = createRequire(join(out, "entry.cjs"));
  try {
    return entries.map((e) => load(join(out, e).replace(/\.ts$/, ".cjs")) as Record<string, unknown>);
  } finally {
    rmSync(out, { recursive: true, force: true }); // loaded: the files are no longer needed
  }
}
