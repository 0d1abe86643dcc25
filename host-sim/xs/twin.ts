// Run the same scripts in Node and in real XS, so tests and benchmarks can compare them line by line.
// Both sides evaluate the identical bundle text (dist/xs/tinyprop.js) as a plain script, then a driver
// that reports through print().
import { readFileSync, existsSync } from "node:fs";
import { createContext, runInContext } from "node:vm";
import { fileURLToPath } from "node:url";
import { XsEngine, type XsMeter } from "./xsnap";

/** dist/xs/tinyprop.js of this package, found from this file (works from src and from dist). */
export function xsBundlePath(): string {
  let dir = fileURLToPath(new URL(".", import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = `${dir}/dist/xs/tinyprop.js`;
    if (existsSync(candidate)) return candidate;
    dir = `${dir}/..`;
  }
  throw new Error("dist/xs/tinyprop.js not found: build it with npm run build");
}

export function readXsBundle(): string {
  return readFileSync(xsBundlePath(), "utf8");
}

/**
 * Evaluate scripts in a fresh Node context that has print() (and a no-op gc()), like xsnap-worker.
 * `globals` adds more (e.g. tinypropNative: the native kernels' Node addon).
 */
export function runInNode(scripts: string[], globals: Record<string, unknown> = {}): string[] {
  const lines: string[] = [];
  const context = createContext({ ...globals, print: (...args: unknown[]) => lines.push(args.map(String).join(" ")), gc: () => undefined });
  for (const script of scripts) runInContext(script, context);
  return lines;
}

/** Evaluate scripts in a fresh XS worker; returns the printed lines and the last script's meter. */
export async function runInXs(scripts: string[]): Promise<{ lines: string[]; meter: XsMeter }> {
  const engine = await XsEngine.start();
  try {
    const lines: string[] = [];
    let meter: XsMeter | undefined;
    for (const script of scripts) {
      meter = (await engine.evaluate(script)).meter;
      lines.push(...engine.output());
      engine.clearOutput();
    }
    return { lines, meter: meter as XsMeter };
  } finally {
    await engine.close();
  }
}
