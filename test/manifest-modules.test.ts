// manifest.json must name every module the device app imports, on every platform it supports: mcconfig
// only compiles what the manifest maps, so a new folder in src/ (src/util once went missing) or a new
// Moddable import breaks a real build while every Node and XS test here still passes. This walks the
// import graph from src/main.ts as mcconfig resolves it (module names relative to the manifest's map,
// per-platform overrides such as board/imu) and checks each bare Moddable specifier against the SDK
// manifest that provides it.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..");
const manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8")) as {
  include?: string[];
  modules: Record<string, string>;
  platforms?: Record<string, { include?: string | string[]; modules?: Record<string, string> }>;
};

/** Which SDK manifest provides each Moddable module the app may import ("" = always present). */
const PROVIDERS: Record<string, string> = {
  "timer": "",
  "mc/config": "",
  "embedded:io/serial": "$(MODDABLE)/modules/io/serial/manifest.json",
  "flash": "$(MODDABLE)/modules/files/flash/manifest.json",
  "instrumentation": "$(MODDABLE)/modules/base/instrumentation/manifest.json",
  "embedded:io/smbus": "$(MODDABLE)/modules/io/i2c/manifest.json",
  "embedded:sensor/Accelerometer-Gyroscope/MPU6050": "$(MODDABLE)/modules/drivers/sensors/mpu6050/manifest.json",
  "embedded:io/digital": "$(MODDABLE)/modules/io/digital/manifest.json",
};

function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The module map and includes mcconfig uses for a platform ("..." = every platform not named). */
function platformView(platform: string): { modules: Record<string, string>; include: string[] } {
  const p = manifest.platforms?.[platform] ?? manifest.platforms?.["..."] ?? {};
  return { modules: { ...manifest.modules, ...(p.modules ?? {}) }, include: [...(manifest.include ?? []), ...asList(p.include)] };
}

/** The source file a module name maps to, or null when the manifest does not map it. */
function mapModule(name: string, modules: Record<string, string>): string | null {
  let target: string | undefined = modules[name];
  if (target === undefined) {
    for (const [key, value] of Object.entries(modules)) {
      if (!key.endsWith("/*") || !value.endsWith("/*")) continue;
      const dir = key.slice(0, -1);
      if (name.startsWith(dir) && !name.slice(dir.length).includes("/")) target = value.slice(0, -1) + name.slice(dir.length);
    }
  }
  if (target === undefined) return null;
  const file = join(root, target + ".ts");
  return existsSync(file) ? file : null;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^"';]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)) out.push(m[1] ?? m[2]);
  return out;
}

/** Walks the graph from the main module; returns the problems found. */
function check(platform: string): string[] {
  const { modules, include } = platformView(platform);
  const problems: string[] = [];
  const main = mapModule("main", { main: modules["*"] });
  if (main === null) return [`"*" does not map the main module`];
  const seen = new Set<string>();
  const walk = (file: string, name: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith(".")) {
        const provider = PROVIDERS[spec];
        if (provider === undefined) problems.push(`${relative(root, file)} imports "${spec}", which no known SDK manifest provides (add it to this test's table and to manifest.json)`);
        else if (provider !== "" && !include.includes(provider)) problems.push(`${relative(root, file)} imports "${spec}" but manifest.json does not include ${provider} on ${platform}`);
        continue;
      }
      // XS drops a ".js" or ".mjs" extension when it resolves a specifier (xs/platforms/mc/xsHosts.c).
      const target = posix.normalize(posix.join(posix.dirname(name), spec.replace(/\.m?js$/, "")));
      const mapped = mapModule(target, modules);
      if (mapped === null) problems.push(`${relative(root, file)} imports "${spec}" = module "${target}", which manifest.json does not map on ${platform}`);
      else walk(mapped, target);
    }
  };
  walk(main, "main");
  return problems;
}

describe("manifest.json maps every module the device app imports", () => {
  for (const platform of ["esp32", "lin"]) {
    it(platform, () => {
      expect(check(platform)).toEqual([]);
    });
  }

  it("the check can fail: a folder left out of the map is found", () => {
    const saved = manifest.modules["util/*"];
    delete manifest.modules["util/*"];
    try {
      expect(check("esp32").some((p) => p.includes(`module "util/crc32"`))).toBe(true);
    } finally {
      manifest.modules["util/*"] = saved;
    }
  });

  it("a Linux host build gets the sensor-less board/imu (it has no I2C)", () => {
    expect(mapModule("board/imu", platformView("lin").modules)).toBe(join(root, "src/board/imu-none.ts"));
    expect(mapModule("board/imu", platformView("esp32").modules)).toBe(join(root, "src/board/imu.ts"));
    expect(dirname(mapModule("board/imu", platformView("esp32").modules) ?? "")).toBe(join(root, "src/board"));
  });

  it("the learn button's pin class is the ESP32's embedded:io/digital; other platforms get none", () => {
    expect(mapModule("board/button", platformView("lin").modules)).toBe(join(root, "src/board/button-none.ts"));
    expect(mapModule("board/button", platformView("esp32").modules)).toBe(join(root, "src/board/button.ts"));
  });
});
