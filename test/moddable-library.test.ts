// The Moddable library manifest (lib/manifest.json) and the example app that includes it (examples/imu-learn).
// Always, in Node: the example's main.ts runs unchanged on its host board (examples/imu-learn/host: a
// scripted button and IMU stand-in behind the same module names) and learns the three gestures; the minimal
// library app (test/moddable-library/main.ts) trains, saves and reloads through the tinyprop/... names.
// Opt-in (MODDABLE = a Moddable SDK with its Linux host tools built; CI has none): both apps are compiled by
// Moddable for the host (mcconfig -m -p x-cli-lin: tsc, xsc, xsl, C compile and link), run, and must print
// exactly what Node printed; and mcconfig -d -p esp32 resolves the example and the device app (no ESP-IDF
// here, so nothing is compiled for the ESP32).
import { describe, expect, it, vi } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// Node has no Moddable modules: the example's imports resolve to its own host stand-ins, and the timer to
// a list of callbacks the test calls tick by tick. The example's files are imported by computed paths:
// they are type-checked by Moddable's build against the SDK's typings, not by this project's tsconfig.
const { ticks, example } = vi.hoisted(() => ({ ticks: [] as Array<() => void>, example: (file: string) => `../examples/imu-learn/${file}` }));
vi.mock("timer", () => ({ default: { repeat: (callback: () => void) => ticks.push(callback) } }));
vi.mock("mc/config", () => import(example("host/config")));
vi.mock("imu-learn/host-board", () => import(example("host/board")));
vi.mock("embedded:io/digital", () => import(example("host/digital")));
vi.mock("embedded:io/smbus", () => import(example("host/smbus")));
vi.mock("embedded:sensor/Accelerometer-Gyroscope/MPU6050", () => import(example("host/mpu6050")));

type Host = typeof globalThis & { trace?: (s: string) => void; tinypropHostRunning?: boolean };
const host = globalThis as Host;

/** What examples/imu-learn/main.ts traces in Node, run until its host board's script ends. */
const exampleOutput = (async () => {
  let text = "";
  host.trace = (s) => { text += s; };
  await import(example("main"));
  expect(ticks.length).toBe(1);
  while (host.tinypropHostRunning === true) ticks[0]();
  return text;
})();

/** What test/moddable-library/main.ts prints in Node, one "\n"-terminated line each. */
async function libraryOutput(): Promise<string> {
  const { default: main } = await import("./moddable-library/main");
  let text = "";
  main((line) => { text += line + "\n"; });
  return text;
}

describe("the Moddable library and example, in Node", () => {
  it("the example follows its host board: taps move to the next class, held windows train it, the rest are classified", async () => {
    const lines = (await exampleOutput).trim().split("\n");
    // host/board.ts: two rounds over idle, wave, circle with a tap after each learning phase but the last.
    expect(lines.filter((l) => l.startsWith("class: "))).toEqual(["wave", "circle", "idle", "wave", "circle"].map((c) => `class: ${c}`));
    let current = "idle", learned = 0;
    for (const line of lines) {
      if (line.startsWith("class: ")) current = line.slice(7);
      else if (line.startsWith("learned ")) { expect(line).toMatch(new RegExp(`^learned ${current}: loss \\d+\\.\\d{3}$`)); learned++; }
      else expect(line).toMatch(/^(idle|wave|circle) \d+%$/);
    }
    expect(learned).toBeGreaterThanOrEqual(5);
    // Six windows performed with the button up after the last learning phase.
    expect(lines.length - 1 - lines.findLastIndex((l) => l.startsWith("learned "))).toBeGreaterThanOrEqual(5);
  });

  it("the library app trains both backends, and its .tpm reloads to the same parameters", async () => {
    const lines = (await libraryOutput()).trim().split("\n");
    expect(lines).toHaveLength(4);
    const [, float32, , tpm] = lines.map((l) => l.split(" "));
    expect(tpm[tpm.indexOf("reloaded") + 1]).toBe(float32[float32.indexOf("params") + 1]);
    expect(tpm[tpm.indexOf("step") + 1]).toMatch(/^(\d+)\/\1$/);
  });
});

const MODDABLE = process.env.MODDABLE;
const tools = MODDABLE ? join(MODDABLE, "build", "bin", "lin", "release") : "";
const usable = MODDABLE !== undefined && process.platform === "linux" && existsSync(join(tools, "mcconfig"));
// mcconfig compiles TypeScript with `tsc` from PATH: the project's own.
const env = { ...process.env, MODDABLE, PATH: `${tools}:${resolve("node_modules/.bin")}:${process.env.PATH}` };

/** mcconfig -m -p x-cli-lin in `dir`, into build/<out> (gitignored, so a second run recompiles only what changed); returns the program's stdout. */
function buildAndRun(dir: string, out: string, program: string): string {
  const outDir = resolve("build", out);
  mkdirSync(outDir, { recursive: true });
  execFileSync("mcconfig", ["-m", "-p", "x-cli-lin", "-o", outDir, "manifest.json"], { cwd: resolve(dir), env, stdio: "pipe" });
  return execFileSync(join(outDir, "bin", "lin", "release", program), [], { encoding: "utf8", timeout: 120_000 });
}

/** The modules mcconfig -d -p esp32 puts in the app (makefile targets), without compiling anything. */
function esp32Modules(dir: string): string[] {
  const outDir = mkdtempSync(join(tmpdir(), "tinyprop-esp32-"));
  try {
    execFileSync("mcconfig", ["-d", "-p", "esp32", "-o", outDir, "manifest.json"], { cwd: resolve(dir), env, stdio: "pipe" });
    // tmp/esp32/debug/<name>/makefile, <name> being the manifest's folder name.
    const [app] = readdirSync(join(outDir, "tmp", "esp32", "debug")).filter((d) => existsSync(join(outDir, "tmp", "esp32", "debug", d, "makefile")));
    const makefile = readFileSync(join(outDir, "tmp", "esp32", "debug", app, "makefile"), "utf8");
    return [...makefile.matchAll(/\$\(MODULES_DIR\)\/(\S+)\.xsb: (\S+)/g)].map((m) => `${m[1]} <- ${m[2]}`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

describe.runIf(usable)("the Moddable library and example, built by Moddable (opt-in: MODDABLE)", () => {
  it("test/moddable-library compiles for x-cli-lin with lib/manifest.json and prints Node's lines", async () => {
    expect(buildAndRun("test/moddable-library", "moddable-library", "moddable-library")).toBe(await libraryOutput());
  }, 1_800_000);

  it("examples/imu-learn compiles for x-cli-lin with its host board and traces what Node traced", async () => {
    expect(buildAndRun("examples/imu-learn", "moddable-imu-learn", "imu-learn")).toBe(await exampleOutput);
  }, 1_800_000);

  it("mcconfig -d -p esp32 maps the example to Moddable's I2C, digital and MPU-6050 modules and tinyprop/...", () => {
    const modules = esp32Modules("examples/imu-learn");
    const from = (name: string) => modules.find((m) => m.startsWith(`${name} <- `))?.split(" <- ")[1] ?? `${name}: missing`;
    expect(from("~.embedded/io/digital")).toContain(join(MODDABLE!, "modules/io/digital"));
    expect(from("~.embedded/io/smbus")).toContain(join(MODDABLE!, "modules/io/i2c"));
    expect(from("~.embedded/sensor/Accelerometer-Gyroscope/MPU6050")).toContain(join(MODDABLE!, "modules/drivers/sensors/mpu6050"));
    for (const m of ["engine/build", "engine/math", "features/pipeline", "features/spec"]) expect(from(`tinyprop/${m}`)).toContain(resolve("src", m));
    expect(modules.filter((m) => m.includes("/host/"))).toEqual([]);
  }, 120_000);

  it("mcconfig -d -p esp32 resolves the device app (manifest.json) with the ESP32 IMU board", () => {
    const modules = esp32Modules(".");
    expect(modules.find((m) => m.startsWith("board/imu <- "))).toContain(resolve("src/board/imu") + ".js");
    expect(modules.some((m) => m.startsWith("~.embedded/sensor/Accelerometer-Gyroscope/MPU6050 <- "))).toBe(true);
  }, 120_000);
});
