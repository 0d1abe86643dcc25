// The bundled magic-wand gesture data (data/magic-wand-imu-spells): where it is and how it loads. The
// general loader (any columns, windows, features) is ./dataset.ts; the features themselves are the board's
// code in src/features/.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDataset, type Dataset, type LoadOptions, type SplitOptions } from "./dataset";

export * from "./dataset";

/** Columns of the bundled data, in file order: accelerometer in g, gyroscope in deg/s. */
export const IMU_COLUMNS = ["aX", "aY", "aZ", "gX", "gY", "gZ"] as const;
/** Rows per gesture in the bundled dataset: 1.0 s at 119 Hz. */
export const GESTURE_ROWS = 119;

/**
 * Nearest folder at or above `from` (default: this module's folder) that contains package.json. Works
 * from the sources (vitest) and from the dist/ bundles alike.
 */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; ) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json found at or above ${from}`);
    dir = up;
  }
}

/** Folder of the bundled dataset's per-class CSV files. */
export function defaultDatasetDir(): string {
  return join(packageRoot(), "data", "magic-wand-imu-spells", "data");
}

/** The bundled magic-wand dataset: 5 classes x 25 gestures, 100 train / 25 test by default. */
export function loadDefaultDataset(options: SplitOptions & Pick<LoadOptions, "keepSamples"> = {}): Dataset {
  return loadDataset(defaultDatasetDir(), options);
}
