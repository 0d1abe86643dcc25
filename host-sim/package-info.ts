// The tool's own name and version, read from the package.json of the installed package (works from the
// sources under vitest and from dist/ bundles alike).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: { name: string; version: string } | undefined;

export function packageInfo(): { name: string; version: string } {
  if (cached) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (json.name === "tinyprop") return (cached = { name: json.name, version: json.version ?? "0.0.0" });
    }
    if (dirname(dir) === dir) return (cached = { name: "tinyprop", version: "unknown" });
  }
}
