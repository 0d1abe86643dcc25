// A pseudo-terminal pair for the simulated board, opened with node-pty's native openpty() binding (an npm
// dependency, so nothing beyond `npm install` is needed). The board owns the master side; the slave path
// (e.g. /dev/pts/3) is what the PC side opens with `serialport`, exactly like a USB serial adapter.
// The slave is kept open here in raw mode (no echo, no line discipline) and never read, so bytes pass
// unchanged and the pty survives clients opening and closing it.
import { writeSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import tty from "node:tty";

interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
}

function loadNative(): NativePty {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve("node-pty/package.json"));
  } catch {
    throw new Error("the simulator's pseudo-terminal needs the optional package node-pty, which is not installed: npm install node-pty");
  }
  const candidates = ["build/Release/pty.node", "build/Debug/pty.node", `prebuilds/${process.platform}-${process.arch}/pty.node`];
  let last: unknown;
  for (const c of candidates) {
    try {
      return require(join(dir, c)) as NativePty;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`cannot load node-pty's native module (${last instanceof Error ? last.message : String(last)}); run npm rebuild node-pty`);
}

export interface PtyPair {
  /** The device path the PC side opens. */
  readonly path: string;
  /** Bytes the PC side wrote. */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Bytes to the PC side; returns how many the kernel took (the rest is lost, as on a wire with no listener). */
  write(bytes: Uint8Array): number;
  /** Stop / start reading what the PC writes (the kernel's pty buffer then holds it and the writer waits). */
  pause(): void;
  resume(): void;
  close(): void;
}

export function openPty(): PtyPair {
  if (process.platform === "win32") throw new Error("pseudo-terminals are not available on Windows; use the in-process port");
  const native = loadNative();
  const t = native.open(80, 24);
  const slave = new tty.ReadStream(t.slave);
  slave.setRawMode(true);
  const master = new tty.ReadStream(t.master);
  const listeners: ((bytes: Uint8Array) => void)[] = [];
  master.on("data", (chunk: Buffer) => {
    for (const l of listeners) l(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  master.on("error", () => undefined); // EIO when the last slave closes on some systems
  let closed = false;
  return {
    path: t.pty,
    onData(listener) {
      listeners.push(listener);
    },
    pause() {
      if (!closed) master.pause();
    },
    resume() {
      if (!closed) master.resume();
    },
    write(bytes) {
      if (closed) return 0;
      try {
        return writeSync(t.master, bytes);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") return 0;
        throw err;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      // The streams own the descriptors and close them (closing them again could hit a reused fd).
      master.destroy();
      slave.destroy();
    },
  };
}
