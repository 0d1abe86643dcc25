// `npm run bench:csv`: does a large CSV stream through `tinyprop train` in bounded memory? Writes a labelled
// IMU-like CSV of about --size MB (default 1024) into a temporary folder, runs the built CLI on it as a child
// process under /usr/bin/time -v (or, without it, polling /proc/<pid>/status VmHWM) and checks that its peak
// resident memory stays under --limit MB (default 300). Exit code 1 when it does not. Time is reported, not
// judged. Usage: node bench/csv-memory.mjs [--size MB] [--limit MB] [--keep]
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({ options: { size: { type: "string", default: "1024" }, limit: { type: "string", default: "300" }, keep: { type: "boolean" } } });
const SIZE_MB = Number(opts.size), LIMIT_MB = Number(opts.limit);
const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "host", "cli.js");
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx rollup -c first`);

const CLASSES = ["circle", "flick", "punch", "shake", "wave"];
const ROWS = 119; // one gesture: 1 s at 119 Hz, the default window

/** A block of gestures: each class its own motion (frequency and axis mix), with seeded noise. */
function block(seed, gestures) {
  let s = seed >>> 0;
  const noise = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
  const lines = [];
  for (let g = 0; g < gestures; g++) {
    const c = g % CLASSES.length, f = (c + 1) * 0.05, a = 1 + c * 0.3;
    for (let t = 0; t < ROWS; t++) {
      const p = t * f + noise();
      lines.push([
        a * Math.sin(p), a * Math.cos(p), 1 + 0.2 * noise(), 100 * c * Math.sin(p / 2) + 20 * noise(), 50 * Math.cos(p) + 20 * noise(), 30 * noise(),
      ].map((v, i) => v.toFixed(i < 3 ? 3 : 2)).join(",") + "," + CLASSES[c]);
    }
  }
  return lines.join("\n") + "\n";
}

function writeCsv(path, bytes) {
  const blocks = Array.from({ length: 8 }, (_, i) => Buffer.from(block(i + 1, 250)));
  const fd = openSync(path, "w");
  let written = writeSync(fd, "aX,aY,aZ,gX,gY,gZ,label\n");
  for (let i = 0; written < bytes; i++) written += writeSync(fd, blocks[i % blocks.length]);
  closeSync(fd);
  return written;
}

/** Run the command; resolves with its exit code, output and peak RSS in kB. */
function measure(args, cwd) {
  const useTime = existsSync("/usr/bin/time");
  const timeFile = join(cwd, "time.txt");
  const [cmd, argv] = useTime ? ["/usr/bin/time", ["-v", "-o", timeFile, process.execPath, ...args]] : [process.execPath, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", polled = 0;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    // Without /usr/bin/time: the kernel's high-water mark, sampled (it only grows, so the last sample is
    // the peak up to that moment).
    const timer = useTime ? undefined : setInterval(() => {
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]);
        if (kb > polled) polled = kb;
      } catch { /* exited */ }
    }, 50);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearInterval(timer);
      const peak = useTime ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeFile, "utf8"))?.[1]) : polled;
      resolve({ code, stdout, stderr, peakKb: peak, how: useTime ? "/usr/bin/time -v" : "polled VmHWM" });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "tinyprop-bench-csv-"));
try {
  const file = join(dir, "big.csv");
  let t = Date.now();
  const bytes = writeCsv(file, SIZE_MB * 1024 * 1024);
  console.log(`wrote ${(bytes / 2 ** 20).toFixed(0)} MB (${statSync(file).size} bytes) in ${((Date.now() - t) / 1000).toFixed(1)} s: ${file}`);
  t = Date.now();
  const r = await measure([CLI, "train", file, "--epochs", "1", "--json", "-o", "m.tpm", "--chart", "chart.svg", "--log", "log.json"], dir);
  const seconds = (Date.now() - t) / 1000;
  if (r.code !== 0) {
    console.error(r.stderr);
    throw new Error(`tinyprop train exited with ${r.code}`);
  }
  const summary = JSON.parse(r.stdout.trim().split("\n").pop());
  const peakMb = r.peakKb / 1024;
  console.log(`tinyprop train: ${seconds.toFixed(1)} s, test accuracy ${(summary.testAccuracy * 100).toFixed(1)} %, peak RSS ${peakMb.toFixed(0)} MB (${r.how}), limit ${LIMIT_MB} MB`);
  if (!(peakMb < LIMIT_MB)) {
    console.error(`FAIL: peak RSS ${peakMb.toFixed(0)} MB is not under ${LIMIT_MB} MB`);
    process.exitCode = 1;
  }
} finally {
  if (!opts.keep) rmSync(dir, { recursive: true, force: true });
}
