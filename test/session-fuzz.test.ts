// The model-based session fuzzer (test/fuzz/session-model.ts) in CI: random message sequences against the
// device session, checked against the reference model; and each of the sequence bugs of issue 11, injected
// into a copy of src/ as a mutant, must be found. Runs and seed: FUZZ_RUNS, FUZZ_SEED (npm run fuzz sets
// them for a long run). docs/testing.md has the counterexamples the fuzzer found in the pre-fix trees.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RAW_SLICES, fuzzSessions, meteredDevice, seen } from "./fuzz/session-model";
import type { Mutant } from "./fuzz/instrument";

const root = process.cwd();
const runs = Number(process.env.FUZZ_RUNS ?? 150);
const seed = Number(process.env.FUZZ_SEED ?? 20261202);

describe("session fuzzer", () => {
  it(`keeps every invariant over ${runs} random sessions (seed ${seed})`, { timeout: Math.max(60_000, runs * 100) }, () => {
    const result = fuzzSessions(meteredDevice(root), { numRuns: runs, seed });
    if (result.failed) expect.fail(`${fc.defaultReportMessage(result)}\n${String((result.errorInstance as Error)?.message)}`);
    // What the runs reached: sessions opened, batches trained and refused, weights read and committed.
    // Raw slices (type 21): batches completed, and refused for skipped rows, changed labels, a lying length.
    const raw = RAW_SLICES ? ["REPORT after RAW_SLICE", "ERROR code=10 refType=21", "ERROR code=3 refType=21", "ERROR code=2 refType=21"] : [];
    for (const kind of ["CAPS", "REPORT", "WEIGHTS_DATA", "PONG", "ERROR code=0 refType=35", "ERROR code=7 refType=17", "ERROR code=8 refType=17", ...raw]) {
      expect(seen.get(kind) ?? 0, `no "${kind}" answer was checked`).toBeGreaterThan(0);
    }
    const meter = (globalThis as { __tpWork?: { max: number } }).__tpWork;
    console.log(`answers checked: ${[...seen].map(([k, v]) => `${k} ${v}`).join(", ")}; most work in one device turn: ${meter?.max} loop iterations`);
  });

  // The three sequence bugs of issue 11 as they were, re-injected into a copy of today's code.
  const mutants: { bug: string; mutants: Mutant[]; found: RegExp }[] = [
    {
      bug: "a HELLO with a wrong major version skips the maxFrame >= 128 check",
      mutants: [{
        name: "version before limit", file: "src/protocol/session-messages.ts",
        find: "  if (out.maxFrame < MIN_FRAME_LIMIT) return ERR_BAD_VALUE;\n  if (out.major !== PROTOCOL_VERSION) return ERR_UNSUPPORTED_VERSION;",
        replace: "  if (out.major !== PROTOCOL_VERSION) return ERR_UNSUPPORTED_VERSION;\n  if (out.maxFrame < MIN_FRAME_LIMIT) return ERR_BAD_VALUE;",
      }],
      found: /hello\(major \d+, maxFrame (16|64|127)[^)]*\): the device answered\s+CAPS/,
    },
    {
      bug: "batch id 2^32-1 accepted (the board then refuses every batch)",
      mutants: [
        { name: "commit id unchecked", file: "src/protocol/transfer-messages.ts", find: "return out.batchId <= MAX_BATCH_ID ? ERR_OK : ERR_BAD_VALUE;", replace: "return ERR_OK;" },
        { name: "batch id unchecked", file: "src/protocol/training-messages.ts", find: "readTensor(view, off, len, out, 1, MAX_BATCH_ID,", replace: "readTensor(view, off, len, out, 1, 0xffffffff," },
      ],
      found: /\(id 2\^32-1/,
    },
    {
      bug: "Adam's bias correction costs O(step): a blob with step 0xFFFFFFFF stalls a device turn",
      mutants: [{
        name: "power by repeated multiplication", file: "src/engine/math.ts",
        find: "  let power = 1;\n  while (k > 0) {",
        replace: "  let power = 1;\n  for (let i = 0; i < k; i++) power *= base;\n  return power;\n  while (k > 0) {",
      }],
      found: /step 0xFFFFFFFF[\s\S]*one device turn ran more than/,
    },
    {
      bug: "a RAW_SLICE that skips or repeats rows of its batch is accepted",
      mutants: [{
        name: "row continuity unchecked", file: "src/app/batch-trainer.ts",
        find: "if (s.batchId !== this.sliceId || s.firstRow !== this.sliceNext) code = M.ERR_BLOB_RANGE;",
        replace: "if (s.batchId !== this.sliceId) code = M.ERR_BLOB_RANGE;",
      }],
      found: /rawSlice\(id next, from (skip|back|random)/,
    },
  ];
  for (const m of mutants) {
    it(`finds the injected bug: ${m.bug}`, () => {
      // The other bugs' triggers stay in: the fuzzer must reach this one among everything else.
      let found = "";
      for (let s = 1; s <= 6 && found === ""; s++) {
        const result = fuzzSessions(meteredDevice(root, m.mutants), { numRuns: 300, seed: s });
        const message = result.failed ? `${String((result.counterexample as unknown[] | null)?.[0])}\n${String((result.errorInstance as Error)?.message)}` : "";
        if (m.found.test(message)) found = message;
      }
      expect(found, `the fuzzer did not find: ${m.bug}`).not.toBe("");
      console.log(`${m.bug}:\n${found}`);
    });
  }
});
