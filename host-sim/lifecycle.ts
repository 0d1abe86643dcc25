// How the CLI process ends. Whatever starts a child process (the XS worker) or holds a resource registers
// it here, so that Ctrl-C, SIGTERM and a closed stdout (`tinyprop ... | head -1`) end every child and
// leave the process with a clean exit instead of an orphan or an unhandled EPIPE.
import type { ChildProcess } from "node:child_process";

type Cleanup = () => void | Promise<void>;

const cleanups = new Set<Cleanup>();
const children = new Set<ChildProcess>();
const signalWaiters = new Set<(signal: string) => void>();
let installed = false;
let ending = false;

/** Run `fn` when the process is interrupted or its stdout closes; returns a function that unregisters it. */
export function onShutdown(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/**
 * Kill `child` when this process exits, however it exits (signal, error, process.exit). Kill is a
 * synchronous system call, so it works in the 'exit' handler. Untracked when the child exits by itself.
 */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

function killChildren(): void {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on("exit", killChildren);

/** Resolves with the signal's name at the first SIGINT/SIGTERM (instead of ending the process). */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const waiter = (signal: string): void => {
      signalWaiters.delete(waiter);
      resolve(signal);
    };
    signalWaiters.add(waiter);
  });
}

/** Run the cleanups (each at most `graceMs`), kill children and exit with `code`. */
export async function shutdown(code: number, graceMs = 2000): Promise<never> {
  if (!ending) {
    ending = true;
    const all = [...cleanups].map((fn) => Promise.resolve().then(fn).catch(() => undefined));
    await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, graceMs).unref())]);
  }
  killChildren();
  process.exit(code);
}

/** Install the signal and stdout handlers (the CLI's entry does this once). */
export function installProcessHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalWaiters.size > 0 && !ending) {
      for (const w of [...signalWaiters]) w(signal);
      return;
    }
    if (ending) {
      killChildren();
      process.exit(signal === "SIGINT" ? 130 : 143); // a second Ctrl-C does not wait for cleanups
    }
    void shutdown(signal === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  // A reader that went away (| head) is a normal end, not a crash.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") void shutdown(0);
    else throw err;
  });
  process.stderr.on("error", () => undefined);
}
