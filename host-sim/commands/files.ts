// Input paths named on the command line: a missing one is a usage error (exit 2) naming the path, before
// any work starts, instead of a raw ENOENT from deep inside a reader.
import { existsSync } from "node:fs";
import { UsageError } from "../args";

/** Returns `path` if it exists ("-", standard input, always does); else a UsageError. */
export function requirePath(path: string): string {
  if (path !== "-" && !existsSync(path)) throw new UsageError(`${path}: no such file or folder`);
  return path;
}
