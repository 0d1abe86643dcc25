// npm run fuzz -- --runs 100000 [--seed N]: a long run of the session fuzzer (test/session-fuzz.test.ts, its
// invariant test only). Without --seed each run draws a new one; a failure prints the seed and the shrunk
// command sequence to replay it.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10000" }, seed: { type: "string" } } });
const seed = values.seed ?? String(Math.floor(Math.random() * 0x7fffffff));
console.log(`session fuzzer: ${values.runs} runs, seed ${seed}`);
const r = spawnSync("npx", ["vitest", "run", "test/session-fuzz.test.ts", "-t", "keeps every invariant"], {
  stdio: "inherit",
  env: { ...process.env, FUZZ_RUNS: values.runs, FUZZ_SEED: seed },
});
process.exit(r.status ?? 1);
