// No rollup warning can come back unnoticed: every bundle in rollup.config.mjs fails on a warning
// (failOnWarning), and `npm test` builds first (pretest: rollup -c). Proven here on a real warning from a
// two-module bundle in memory, without re-running the project's build.
import { afterEach, describe, expect, it, vi } from "vitest";
import { rollup, type Plugin, type RollupLog, type WarningHandlerWithDefault } from "rollup";

interface RollupConfigModule {
  default: { onwarn?: WarningHandlerWithDefault; input: unknown }[];
  failOnWarning: WarningHandlerWithDefault;
}
// A computed specifier: the config is plain JavaScript with no type declarations.
const CONFIG = "../rollup.config.mjs";
const load = () => import(/* @vite-ignore */ CONFIG) as Promise<RollupConfigModule>;

/** Two modules that import each other: rollup warns CIRCULAR_DEPENDENCY, as it once did for the simulator. */
const cycle: Plugin = {
  name: "cycle",
  resolveId: (id) => (id === "a" || id === "b" ? id : null),
  load: (id) => (id === "a" ? `import { b } from "b"; export const a = () => b;` : id === "b" ? `import { a } from "a"; export const b = () => a;` : null),
};

function build(onwarn: WarningHandlerWithDefault) {
  return rollup({ input: "a", plugins: [cycle], onwarn }).then((bundle) => bundle.generate({ format: "es" }));
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("rollup warnings fail the build", () => {
  it("every bundle of rollup.config.mjs uses the guard", async () => {
    const { default: configs, failOnWarning } = await load();
    expect(configs.length).toBeGreaterThan(5);
    for (const c of configs) expect(c.onwarn, String(c.input)).toBe(failOnWarning);
  });

  it("a real warning fails a build that uses the guard", async () => {
    const { failOnWarning } = await load();
    vi.stubEnv("TINYPROP_ALLOW_ROLLUP_WARNINGS", "");
    await expect(build(failOnWarning)).rejects.toThrow(/rollup warning CIRCULAR_DEPENDENCY[\s\S]*allows no warning/);
  });

  it("control: the same bundle builds when warnings are allowed, and the warning is passed on", async () => {
    const { failOnWarning } = await load();
    vi.stubEnv("TINYPROP_ALLOW_ROLLUP_WARNINGS", "1");
    const seen: RollupLog[] = [];
    const out = await build((warning) => failOnWarning(warning, (passed) => {
      seen.push(passed as RollupLog);
    }));
    expect(out.output[0].code).toContain("const a = ");
    expect(seen.map((w) => w.code)).toEqual(["CIRCULAR_DEPENDENCY"]);
  });
});
