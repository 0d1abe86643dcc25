// The receive ring of the optional native UART module (src/native/uart-ring.c), compiled for this PC with
// the system's C compiler and run: bad sizes, a seeded sequence against a reference queue (with the
// 32-bit counters wrapping), and a producer and a consumer thread moving bytes in order. Skipped, with a
// message, where no C compiler is installed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const cc = process.env.CC ?? "cc";
const haveCc = spawnSync(cc, ["--version"], { stdio: "ignore" }).status === 0;
if (!haveCc) console.warn(`test/native-uart-ring.test.ts skipped: no C compiler ("${cc}"); set CC or install one to test src/native/uart-ring.c`);

describe("native UART receive ring (C, built for the PC)", () => {
  it.runIf(haveCc)("keeps every byte in order, counts what it drops, survives counter wrap-around and two threads", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-ring-"));
    try {
      const exe = join(dir, "uart-ring-check");
      const build = spawnSync(cc, ["-O2", "-Wall", "-Wextra", "-Werror", "-std=c11", "-D_DEFAULT_SOURCE", "-pthread", "-o", exe,
        "test/native/uart-ring-check.c", "src/native/uart-ring.c"], { encoding: "utf8" });
      expect(build.stderr + build.stdout).toBe("");
      expect(build.status).toBe(0);
      const run = spawnSync(exe, [], { encoding: "utf8", timeout: 60000 });
      expect(run.stdout).toContain("ok threads: 5000000 bytes in order");
      expect(run.stdout.trim().split("\n").pop()).toBe("all ok");
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90000);
});
