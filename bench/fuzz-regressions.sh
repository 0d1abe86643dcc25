#!/bin/sh
# The session fuzzer (test/fuzz/) against the device code as it was just before each sequence bug of issue 11
# was fixed: it must fail there. For each commit, src/ of that commit is unpacked into a temporary folder
# with this tree's fuzzer beside it, and the fuzzer runs with a few seeds; the script prints each seed's
# shrunk counterexample and exits 1 if a commit passed (the fuzzer would have missed its bug).
# Usage: sh bench/fuzz-regressions.sh [runs per seed, default 300]   (docs/testing.md shows its output)
set -u
root=$(git rev-parse --show-toplevel)
runs=${1:-300}
status=0
# commit whose parent has the bugs | the bugs
for target in \
  "472880e|Adam's bias correction by repeated multiplication: a blob with step 0xFFFFFFFF stalls the commit" \
  "763aee6|a HELLO of another major version skips the maxFrame >= 128 check; WEIGHTS_COMMIT takes batch id 2^32-1"
do
  commit=${target%%|*}
  bugs=${target#*|}
  tmp=$(mktemp -d)
  git -C "$root" archive "$commit^" src tsconfig.json | tar -x -C "$tmp"
  mkdir -p "$tmp/test"
  cp -r "$root/test/fuzz" "$tmp/test/fuzz"
  ln -s "$root/node_modules" "$tmp/node_modules"
  printf '{ "type": "module" }\n' > "$tmp/package.json"
  printf 'export default { test: { include: ["test/*.test.ts"], testTimeout: 600000 } };\n' > "$tmp/vitest.config.mjs"
  cat > "$tmp/test/regression.test.ts" <<'EOF'
import { expect, it } from "vitest";
import { fuzzSessions, meteredDevice } from "./fuzz/session-model";
// Stage by stage, the triggers of the bugs already found are left out, so the next one can show.
const stages: [string, RegExp | undefined][] = [
  ["all commands", undefined],
  ["without HELLO maxFrame < 128 and id 2^32-1", /maxFrame (16|64|127),|2\^32-1/],
  ["also without HELLO maxFrame 129, Adam v < 0 and CONFIG", /maxFrame (16|64|127|129),|2\^32-1|negative v|config\(/],
];
it("the session fuzzer fails on this tree", () => {
  const code = meteredDevice(process.cwd());
  let failures = 0;
  for (const [name, exclude] of stages) {
    for (const seed of [1, 2, 3]) {
      const r = fuzzSessions(code, { numRuns: Number(process.env.FUZZ_RUNS), seed, exclude });
      const message = r.failed ? String((r.errorInstance as Error)?.message ?? r.errorInstance) : "";
      console.log(`stage "${name}", seed ${seed}: ${r.failed ? `failed after ${r.numRuns} runs (shrunk ${r.numShrinks} times)\n  counterexample: ${String(r.counterexample?.[0])}\n  ${message.split("\n").join("\n  ")}` : `passed ${r.numRuns} runs`}`);
      if (r.failed) failures++;
    }
  }
  expect(failures, "the fuzzer found nothing in this tree").toBeGreaterThan(0);
});
EOF
  echo "== $commit^ ($bugs)"
  if (cd "$tmp" && FUZZ_RUNS=$runs npx vitest run --config vitest.config.mjs > "$tmp/out.txt" 2>&1); then
    grep -v '^stdout\|✓\|^ *$\|RUN\|Test Files\|Tests \|Start at\|Duration' "$tmp/out.txt" | sed 's/\x1b\[[0-9;]*m//g'
  else
    cat "$tmp/out.txt"
    echo "   the fuzzer found nothing in $commit^, or did not run"
    status=1
  fi
  rm -rf "$tmp"
done
exit $status
