/**
 * Minimal driver for Moddable's XS engine as built by `@agoric/xsnap`
 * (the `xsnap-worker` binary). We talk to the binary directly instead of
 * using the package's JS API (which needs SES).
 *
 * Protocol (see xsnap-native/xsnap/sources/xsnap-worker.c):
 *   fd 3: netstring commands into the worker, e.g. `e<source>` (eval a script)
 *   fd 4: netstring replies: `.<meter JSON>\x01<result bytes>` or `!<error string>`
 *   fd 1: `print()` output, one line per call
 * The meter semantics are documented in docs/xs-meter.md.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { trackChild } from "../lifecycle";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

/** Meter reported by xsnap-worker after every command (values are per command unless noted). */
export interface XsMeter {
  /** XS work units for this command: ~1 per bytecode executed plus weights for some builtins (uint32, wraps). */
  compute: number;
  /** Heap slots in use when the command ended (not reset by the command; dropped only by a GC). */
  currentHeapCount: number;
  /** Bytes reserved from the OS for slot heaps + chunk arenas, since start (NOT bytes allocated by the command). */
  allocate: number;
  /** Wall-clock stamps (seconds) taken by the worker: command received, reply sent. */
  timestamps: number[];
}

export interface XsResult {
  meter: XsMeter;
}

export interface XsStartOptions {
  /** Path to an `xsnap-worker` binary (default: the one `npm install` built in @agoric/xsnap). */
  binary?: string;
  /** Use the debug build instead of the release build (ignored when `binary` or `variant` is set). */
  debug?: boolean;
  /**
   * Run a worker variant built by host-sim/xs/build-worker.mjs (e.g. "instrumented", which has the
   * global `xsCounter()`), instead of @agoric/xsnap's stock worker. Ignored when `binary` is set.
   */
  variant?: string;
  /** Per-command compute limit (`-l`). Exceeding it kills the worker (exit code 17). */
  meterLimit?: number;
  /** Parser buffer size in KiB (`-s`, worker default 8192). Raise it for very large scripts. */
  parserBufferKB?: number;
  /** Called for every line printed by XS `print()`. */
  onPrint?: (line: string) => void;
}

/** An exception thrown by the evaluated XS code (message = XS's `String(error)`, e.g. "TypeError: boom"). */
export class XsError extends Error {
  override name = "XsError";
}

const PLATFORM_DIRS: Record<string, string> = { linux: "lin", darwin: "mac", win32: "win" };

const EXIT_REASONS: Record<number, string> = {
  1: "bad usage",
  2: "I/O error",
  11: "not enough memory",
  12: "stack overflow",
  15: "unhandled exception",
  16: "no more keys",
  17: "too much computation (meter limit exceeded)",
};

/** Where @agoric/xsnap's build puts the worker for this OS (same layout as its src/build.js). */
export function defaultBinaryPath(debug = false): string {
  const platform = PLATFORM_DIRS[process.platform] ?? process.platform;
  let pkgDir: string;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve("@agoric/xsnap/package.json"));
  } catch {
    pkgDir = join(process.cwd(), "node_modules", "@agoric", "xsnap");
  }
  const goal = debug ? "debug" : "release";
  return join(pkgDir, "xsnap-native", "xsnap", "build", "bin", platform, goal, "xsnap-worker");
}

/** This project's root: the nearest folder above this file with a package.json (works from src and dist). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Where host-sim/xs/build-worker.mjs builds worker variant `name` (build/xs/<name>/xsnap-worker). */
export function variantBinaryPath(name: string): string {
  return join(projectRoot(), "build", "xs", name, "xsnap-worker");
}

/** Encode one netstring: `<byte length>:<bytes>,`. */
export function encodeNetstring(payload: string | Uint8Array): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload);
  return Buffer.concat([Buffer.from(`${body.length}:`, "ascii"), body, Buffer.from(",", "ascii")]);
}

/** Incremental netstring decoder: feed chunks, get complete messages. */
export class NetstringReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) break;
      const header = this.buf.subarray(0, colon).toString("ascii");
      if (!/^\d+$/.test(header)) throw new Error(`bad netstring length prefix: ${JSON.stringify(header)}`);
      const len = Number(header);
      const end = colon + 1 + len;
      if (this.buf.length < end + 1) break;
      if (this.buf[end] !== 0x2c) throw new Error("bad netstring: missing ',' terminator");
      out.push(this.buf.subarray(colon + 1, end));
      this.buf = this.buf.subarray(end + 1);
    }
    return out;
  }
}

interface Pending {
  resolve: (reply: Buffer) => void;
  reject: (err: Error) => void;
}

const SYNC_MARK = "\u0001xsnap-sync:";

export class XsEngine {
  private readonly pending: Pending[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly lines: string[] = [];
  private partialLine = "";
  private stderrTail = "";
  private dead: Error | undefined;
  private syncWaiter: { mark: string; resolve: () => void } | undefined;
  private syncCounter = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly toXs: Writable,
    readonly binary: string,
    private readonly onPrint?: (line: string) => void,
  ) {}

  /** Spawn a fresh XS machine. Rejects with a clear error when the binary is missing. */
  static async start(options: XsStartOptions = {}): Promise<XsEngine> {
    const binary =
      options.binary ?? (options.variant ? variantBinaryPath(options.variant) : defaultBinaryPath(options.debug));
    if (!existsSync(binary) && options.variant && !options.binary) {
      throw new Error(
        `XS worker variant "${options.variant}" not found at ${binary}: npm install builds it ` +
          `(by hand: node host-sim/xs/build-worker.mjs ${options.variant}; it needs a C compiler)`,
      );
    }
    if (!existsSync(binary)) {
      throw new Error(
        `XS engine not found at ${binary}: the xs engine needs the optional package @agoric/xsnap (npm install @agoric/xsnap compiles its xsnap-worker)`,
      );
    }
    const args = ["tinyprop"];
    if (options.meterLimit) args.push("-l", String(options.meterLimit));
    if (options.parserBufferKB) args.push("-s", String(options.parserBufferKB));
    const env = { ...process.env };
    delete env.XSBUG_HOST; // otherwise the worker tries to connect to an xsbug debugger
    const child = spawn(binary, args, {
      cwd: tmpdir(),
      env,
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
    });
    trackChild(child); // killed when this process exits, however it exits
    const engine = new XsEngine(child, child.stdio[3] as Writable, binary, options.onPrint);
    engine.attach(child.stdio[4] as Readable);
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    await engine.command("R");
    return engine;
  }

  private attach(fromXs: Readable): void {
    const reader = new NetstringReader();
    fromXs.on("data", (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        this.child.kill();
        return;
      }
      for (const msg of messages) this.pending.shift()?.resolve(msg);
    });
    this.child.stdout!.setEncoding("utf8").on("data", (text: string) => this.onStdout(text));
    this.child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
    });
    // Writes to a dead worker fail with EPIPE; the exit handler reports the real cause.
    this.toXs.on("error", () => {});
    this.child.on("error", (err) => this.fail(err));
    this.child.on("exit", (code, signal) => {
      const why = signal ? `signal ${signal}` : `code ${code} (${EXIT_REASONS[code ?? -1] ?? "unknown"})`;
      const stderr = this.stderrTail.trim();
      this.fail(new Error(`XS worker exited with ${why}${stderr ? `; stderr: ${stderr}` : ""}`));
    });
  }

  private onStdout(text: string): void {
    const parts = (this.partialLine + text).split("\n");
    this.partialLine = parts.pop()!;
    for (const line of parts) {
      if (line.startsWith(SYNC_MARK)) {
        if (this.syncWaiter?.mark === line) {
          const w = this.syncWaiter;
          this.syncWaiter = undefined;
          w.resolve();
        }
        continue;
      }
      this.lines.push(line);
      this.onPrint?.(line);
    }
  }

  private fail(err: Error): void {
    if (!this.dead) this.dead = err;
    for (const p of this.pending.splice(0)) p.reject(this.dead);
    const w = this.syncWaiter;
    this.syncWaiter = undefined;
    w?.resolve();
  }

  /** Send one raw command and wait for its reply (callers serialize). */
  private command(payload: string): Promise<Buffer> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.toXs.write(encodeNetstring(payload));
    });
  }

  /** Run `task` after all previously queued calls settle. */
  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async evalNow(source: string): Promise<XsResult> {
    const reply = await this.command(`e${source}`);
    const tag = reply[0];
    if (tag === 0x21 /* ! */) throw new XsError(reply.subarray(1).toString("utf8"));
    if (tag !== 0x2e /* . */) throw new Error(`unexpected reply from XS worker: ${reply.toString("utf8", 0, 80)}`);
    const sep = reply.indexOf(1, 1);
    const meter = JSON.parse(reply.subarray(1, sep < 0 ? reply.length : sep).toString("utf8")) as XsMeter;
    // print() output travels on a different pipe; make sure it has all arrived.
    await this.syncStdout();
    return { meter };
  }

  /** Wait until everything printed so far has been received (prints a marker via a tiny extra eval). */
  private async syncStdout(): Promise<void> {
    const mark = `${SYNC_MARK}${++this.syncCounter}`;
    const arrived = new Promise<void>((resolve) => (this.syncWaiter = { mark, resolve }));
    await this.command(`eprint(${JSON.stringify(mark)})`);
    await arrived;
    if (this.dead) throw this.dead;
  }

  /**
   * Evaluate a script (global scope, sloppy-mode script semantics, like indirect eval).
   * Rejects with XsError(message) if the script throws, or with an Error if the worker dies.
   */
  evaluate(source: string): Promise<XsResult> {
    return this.serialize(() => this.evalNow(source));
  }

  /** Evaluate and return only the lines printed during this evaluation. */
  run(source: string): Promise<string[]> {
    return this.serialize(async () => {
      const start = this.lines.length;
      await this.evalNow(source);
      return this.lines.slice(start);
    });
  }

  /** All lines printed so far (a copy). */
  output(): string[] {
    return this.lines.slice();
  }

  /** Forget collected output. */
  clearOutput(): void {
    this.lines.length = 0;
  }

  /** Evaluate a whole script file (e.g. the IIFE bundle dist/xs/tinyprop.js). */
  loadFile(path: string): Promise<XsResult> {
    return this.evaluate(readFileSync(path, "utf8"));
  }

  /** True until the worker has exited. */
  get alive(): boolean {
    return !this.dead;
  }

  /** Ask the worker to quit and wait for it to exit (kills it if it does not). */
  async close(): Promise<void> {
    if (this.dead) return;
    await this.queue;
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.toXs.end(encodeNetstring("q"));
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 2000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Start an engine, evaluate a bundle file (e.g. dist/xs/tinyprop.js, which sets
 * globalThis.tinyprop) and then optional driver code. The caller owns the
 * engine and must close() it.
 */
export async function loadBundle(
  bundlePath: string,
  driver?: string,
  options?: XsStartOptions,
): Promise<{ engine: XsEngine; bundle: XsResult; driver?: XsResult }> {
  if (!existsSync(bundlePath)) throw new Error(`bundle not found at ${bundlePath}: build it with npx rollup -c`);
  const engine = await XsEngine.start(options);
  try {
    const bundle = await engine.loadFile(bundlePath);
    const driven = driver === undefined ? undefined : await engine.evaluate(driver);
    return { engine, bundle, driver: driven };
  } catch (err) {
    await engine.close().catch(() => undefined);
    throw err;
  }
}
