// The Moddable library manifest (lib/manifest.json) and the example app that includes it
// (examples/imu-learn): with a Moddable SDK (MODDABLE set, mcconfig on PATH or in its build/bin), mcconfig
// resolves the example's manifest for a Linux host and lists every tinyprop module the app imports under
// the tinyprop/ prefix. Opt-in: skipped when MODDABLE is unset. Only mcconfig runs (no make: it compiles
// the whole runtime), so this checks the manifests, not the compiled code.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const MODDABLE = process.env.MODDABLE;
const mcconfig = MODDABLE ? join(MODDABLE, "build/bin/lin/release/mcconfig") : "";

describe.runIf(MODDABLE !== undefined && existsSync(mcconfig))("Moddable library manifest (opt-in: MODDABLE)", () => {
  it("mcconfig resolves examples/imu-learn with lib/manifest.json: engine, features and model files under tinyprop/", () => {
    const out = mkdtempSync(join(tmpdir(), "tinyprop-mc-"));
    try {
      execFileSync(mcconfig, ["-p", "x-cli-lin", "-o", out, "manifest.json"], { cwd: resolve("examples/imu-learn"), env: { ...process.env, PATH: `${join(MODDABLE!, "build/bin/lin/release")}:${process.env.PATH}` }, stdio: "pipe" });
      const makefile = readFileSync(join(out, "tmp/lin/release/imu-learn/makefile"), "utf8");
      for (const m of ["main", "tinyprop/engine/build", "tinyprop/engine/float32/dense", "tinyprop/engine/fixed/model", "tinyprop/features/pipeline", "tinyprop/modelfile/format", "tinyprop/util/crc32"]) {
        expect(makefile, m).toContain(`$(MODULES_DIR)/${m}.xsb`);
      }
      expect(makefile).toContain("modules/drivers/sensors/mpu6050/manifest.json");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120000);
});
