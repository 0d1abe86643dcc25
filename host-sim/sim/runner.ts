// What runs the device app on a SimBoard: the Node runner (here) loads dist/sim/device-node.js into this
// process; the XS runner (xs-board.ts) drives the real XS engine. Kept apart from simulator.ts so that
// neither runner imports the simulator (no import cycle).
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SimBoard } from "./board";

/** Something that can run the device app on a board: Node (this process) or XS. */
export interface DeviceRunner {
  /** Boots the app on a fresh board (runs main()). */
  boot(board: SimBoard): Promise<void>;
  stop(): Promise<void>;
}

/** Finds a file of this package (works from source and from dist/). */
export function packageFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, "..");
  }
  throw new Error(`${rel} not found: build it with npm run build`);
}

export class NodeRunner implements DeviceRunner {
  private main: (() => void) | null = null;

  async boot(board: SimBoard): Promise<void> {
    if (this.main === null) {
      const url = pathToFileURL(packageFile("dist/sim/device-node.js")).href;
      const mod = (await board.clock.hold(import(url))) as { main: () => void };
      this.main = mod.main;
    }
    const main = this.main;
    board.turn(() => main());
    if (board.crashes.length > 0) throw board.crashes[0] instanceof Error ? board.crashes[0] : new Error(String(board.crashes[0]));
  }

  async stop(): Promise<void> {
    // Nothing outside the board.
  }
}
