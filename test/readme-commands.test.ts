// README.md's command table is the one the option tables generate (host-sim/args.ts), so the README and
// `tinyprop --help` cannot drift apart.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { markdownCommandTable } from "../host-sim/args";
import { commands } from "../host-sim/commands/index";

describe("README command table", () => {
  it("matches the generated help", () => {
    const table = markdownCommandTable(Object.values(commands));
    const readme = readFileSync("README.md", "utf8");
    expect(readme.includes(table), `README.md should contain this table:\n${table}`).toBe(true);
  });
});
