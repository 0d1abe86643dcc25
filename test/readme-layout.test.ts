// README.md's Layout must name every folder of src/ and host-sim/ (and every file at their top level), so a
// new folder or entry file cannot go undocumented: issue 9 found board/ and the split link/ missing.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const readme = readFileSync("README.md", "utf8");
const start = readme.indexOf("## Layout\n\n```\n");
const layout = readme.slice(start, readme.indexOf("```", start + 15));

/** Folders below `root` (relative paths) and the files directly in it. */
function tree(root: string): { dirs: string[]; files: string[] } {
  const dirs: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      dirs.push(join(rel, e.name));
      walk(join(rel, e.name));
    }
  };
  walk("");
  const files = readdirSync(root, { withFileTypes: true }).filter((e) => e.isFile() && e.name !== "tsconfig.json").map((e) => e.name);
  return { dirs, files };
}

describe("README layout", () => {
  it("has a Layout block", () => {
    expect(start).toBeGreaterThan(0);
    expect(layout).toContain("src/");
  });

  it.each(["src", "host-sim"])("names every folder and top-level file of %s/", (root) => {
    const { dirs, files } = tree(root);
    const missing: string[] = [];
    for (const d of dirs) {
      const parts = d.split("/");
      // A first-level folder has its own line ("  engine/ ..."); deeper ones are named in their parent's text.
      const named = parts.length === 1 ? new RegExp(`^  ${parts[0]}/ `, "m").test(layout) : layout.includes(`${parts[parts.length - 1]}/`);
      if (!named) missing.push(`${root}/${d}/`);
    }
    for (const f of files) if (!layout.includes(f)) missing.push(`${root}/${f}`);
    expect(missing).toEqual([]);
  });
});
