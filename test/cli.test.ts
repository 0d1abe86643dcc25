// The built command-line tool (dist/host/cli.js, made by `npm run build` / pretest), run as a user would:
// spawned processes, their exit codes and output.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = join(process.cwd(), "dist/host/cli.js");
const cli = (args: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", env });
const DATA = join(process.cwd(), "data/magic-wand-imu-spells/data");
const COMMANDS = ["demo", "train", "evaluate", "inspect", "convert", "quantize", "sim", "init", "stream", "info", "predict", "weights", "ports"];

describe("tinyprop CLI", () => {
  it("train runs to completion on the bundled dataset and prints plan, progress, confusion matrix and accuracy", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-cli-"));
    const r = cli(["train", DATA, "--epochs", "40", "-o", "model.tpm"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/memory plan \(float32, batch 1\): \d+ bytes/);
    expect(r.stdout).toMatch(/training \[#+\] 100%/);
    expect(r.stdout).toMatch(/confusion matrix \(rows: true class/);
    const accuracy = Number(/final test accuracy: ([\d.]+)%/.exec(r.stdout)?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(80);
    // The final bar shows the numbers of the summary line under it.
    const bar = /training \[#+\] 100% (epoch 40\/40 .*)/.exec(r.stdout)?.[1];
    expect(r.stdout).toContain(`final: ${bar}`);
    // The model file it wrote can be inspected.
    const inspect = cli(["inspect", "model.tpm"], dir);
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/30/);
    // ... and records how its inputs are computed
    expect(inspect.stdout).toMatch(/inputs: columns aX \(±5\), .*gZ .*; window 119 rows, stride 119; features stats; normalised; classes AlohomoraCharm, /);
  });

  it("names the file and line of a malformed CSV row, and does not start", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-cli-"));
    const file = join(dir, "bad.csv");
    writeFileSync(file, "aX,aY,aZ,gX,gY,gZ,label\n" + "0,0,0,0,0,0,a\n".repeat(5) + "0,0,zero,0,0,0,a\n");
    const r = cli(["train", file, "--label-column", "label"], dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:7:`);
    expect(r.stdout).not.toMatch(/training \[/);
  });

  it("rejects unknown commands and bad options with usage errors", () => {
    const unknown = cli(["frobnicate"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const bad = cli(["train", DATA, "--epochs", "lots"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--epochs must be an integer/);
    const choice = cli(["train", DATA, "--optimizer", "adamw"]);
    expect(choice.status).toBe(2);
    expect(choice.stderr).toMatch(/--optimizer must be sgd, momentum, adam \(did you mean adam\?\)/);
  });

  it("prints per-command help generated from the option table, with -h, --help and help <cmd>", () => {
    for (const name of COMMANDS) {
      const r = cli([name, "--help"]);
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: tinyprop ${name}`));
      expect(r.stdout).toMatch(/-h, --help +show this help/);
    }
    for (const name of ["train", "stream", "weights"]) {
      const help = cli([name, "--help"]).stdout;
      expect(cli(["help", name]).stdout).toBe(help);
      expect(cli([name, "-h"]).stdout).toBe(help);
      expect(cli([name, "--epochs", "3", "--help"]).stdout).toBe(help);
    }
    expect(cli(["train", "--help"]).stdout).toMatch(/--epochs N +passes over the training data \(default 60\)/);
    expect(cli(["stream", "--help"]).stdout).toMatch(/--snapshot-every N/);
  }, 300_000);

  it("--version, bare tinyprop and help exit 0", () => {
    const version = JSON.parse(readFileSync("package.json", "utf8")).version as string;
    const v = cli(["--version"]);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const bare = cli([]);
    expect(bare.status).toBe(0);
    expect(bare.stdout).toMatch(/^usage: tinyprop <command>/);
    for (const name of COMMANDS) expect(bare.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it("an unknown option is refused with exit 2, and a typo gets a suggestion", () => {
    const unknown = cli(["train", DATA, "--output-file", "m.tpm"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option --output-file/);
    const typo = cli(["train", DATA, "--epoch", "3"]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/unknown option --epoch \(did you mean --epochs\?\)/);
    const renamed = cli(["stream", DATA, "--port", "x", "--batch", "3"]);
    expect(renamed.stderr).toMatch(/did you mean --frame-samples\?/);
    const missing = cli(["train", DATA, "--epochs"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--epochs needs a value/);
    const flagValue = cli(["stream", DATA, "--port", "x", "--resume=yes"]);
    expect(flagValue.status).toBe(2);
    expect(flagValue.stderr).toMatch(/--resume takes no value/);
  });

  it("a missing input file is a usage error (exit 2) naming the path, never a raw ENOENT", () => {
    for (const args of [["train", "no-such.csv"], ["inspect", "no-such.tpm"], ["quantize", "no-such.tpm", "-o", "q.tpm"], ["convert", "no-such/model.json", "-o", "m.tpm"]]) {
      const r = cli(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/no-such[^:]*: no such file or folder/);
      expect(r.stderr).not.toMatch(/ENOENT|at .*\.js/);
    }
  });

  it("ports lists serial ports and marks the likely ESP32 bridges; --port auto picks the only one", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-ports-"));
    const stub = join(dir, "ports.json");
    writeFileSync(stub, JSON.stringify([
      { path: "/dev/ttyS0" },
      { path: "/dev/ttyUSB0", vendorId: "10c4", productId: "ea60", manufacturer: "Silicon Labs" },
      { path: "/dev/ttyACM0", vendorId: "2341", productId: "0043", manufacturer: "Arduino" },
    ]));
    const env = { ...process.env, TINYPROP_PORTS_FILE: stub };
    const r = cli(["ports"], process.cwd(), env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\/dev\/ttyUSB0 \[10c4:ea60\] Silicon Labs +<- likely ESP32 \(Silicon Labs CP210x\)$/m);
    expect(r.stdout).toMatch(/^\/dev\/ttyS0$/m);
    expect(r.stdout).not.toMatch(/ttyACM0.*ESP32/);
    const json = JSON.parse(cli(["ports", "--json"], process.cwd(), env).stdout) as { path: string; esp32: string | null }[];
    expect(json.filter((p) => p.esp32).map((p) => p.path)).toEqual(["/dev/ttyUSB0"]);
    // --port auto resolves to the one bridge (the open then fails: no such device here).
    const info = cli(["info", "--port", "auto"], process.cwd(), env);
    expect(info.stderr).toContain("/dev/ttyUSB0");
    writeFileSync(stub, JSON.stringify([{ path: "/dev/ttyS0" }]));
    const none = cli(["info", "--port", "auto"], process.cwd(), env);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no serial port with an ESP32 USB bridge/);
  });

  it("a reader that closes stdout early (| head -1) ends the command cleanly", () => {
    const out = execFileSync("bash", ["-c", `set -o pipefail; node ${CLI} train --help | head -1; echo "status \${PIPESTATUS[0]}"`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toMatch(/^usage: tinyprop train/);
    expect(out).toMatch(/status 0/);
    const dir = mkdtempSync(join(tmpdir(), "tinyprop-cli-"));
    const r = spawnSync("bash", ["-c", `node ${CLI} train ${DATA} --epochs 3 --json | head -1; echo "status \${PIPESTATUS[0]}"`], { cwd: dir, encoding: "utf8" });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|Error/);
    expect(r.stdout).toMatch(/"type":"progress"/);
    expect(r.stdout).toMatch(/status 0/);
  });

  it("Ctrl-C while `sim --engine xs` starts leaves no child process", async () => {
    const child = spawn(process.execPath, [CLI, "sim", "--engine", "xs"], { stdio: ["ignore", "pipe", "pipe"] });
    // Wait until the XS worker exists (its process is a child of the CLI), then interrupt.
    const workers = () => spawnSync("ps", ["-o", "pid=", "--ppid", String(child.pid)], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.trim());
    // Waits are bounded by wall time (30 s: only a broken build takes that long), not by a count of tries.
    const start = Date.now();
    while (workers().length === 0 && Date.now() - start < 30_000) await new Promise((r) => setTimeout(r, 50));
    const pids = workers().map((l) => Number(l.trim()));
    expect(pids.length).toBeGreaterThan(0);
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code === 0 || code === 130).toBe(true);
    const alive = () => pids.filter((pid) => existsSync(`/proc/${pid}`));
    const exited = Date.now();
    while (alive().length > 0 && Date.now() - exited < 30_000) await new Promise((r) => setTimeout(r, 50)); // the kernel reaps
    expect(alive(), "XS workers still running").toEqual([]);
  }, 90_000);
});
