// Runs the built CLI (dist/host/cli.js) as a user would, without blocking this process: tests that drive a
// simulated board in this process need its event loop to keep turning while the CLI talks to it.
import { spawn } from "node:child_process";
import { join } from "node:path";

export const CLI = join(process.cwd(), "dist/host/cli.js");

export interface CliRun { code: number; out: string; err: string }

export function runCli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}
