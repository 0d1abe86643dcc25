// Deterministic synthetic sensor recordings shaped unlike the bundled gestures, for tests and the docs'
// accuracy comparison: any column names and count, window length and class count. Class k vibrates at
// its own frequency (like a fan at speed k, with harmonics) on top of a slow drift and sensor noise, with
// amplitude and phase varying from window to window, so the class is in the spectrum more than in the
// window's mean or range. Written as CSV text (one file with a label column).
import { Random } from "../src/index";

export interface SyntheticOptions {
  columns: string[];
  classes: number;
  /** Rows per window and windows per class. */
  window: number;
  windowsPerClass: number;
  /** Sample rate (Hz) and the frequencies of class 0 and of the last class (Hz, below rate / 2). */
  rate: number;
  lowHz: number;
  highHz: number;
  /** Noise standard deviation relative to the vibration amplitude. */
  noise: number;
  seed: number;
  labelColumn?: string;
  /** Scale of the values (e.g. 9.81 for m/s^2). */
  unit?: number;
}

/** Normal deviate from two uniforms (Box-Muller). */
function gauss(rng: Random): number {
  const u = Math.max(rng.uniform(), 1e-12), v = rng.uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** CSV text: header `label,<columns>`, windows of each class in turn interleaved (class 0, 1, ..., 0, 1, ...). */
export function syntheticCsv(o: SyntheticOptions): string {
  const rng = new Random(o.seed);
  const label = o.labelColumn ?? "label";
  const lines = [[label, ...o.columns].join(",")];
  const unit = o.unit ?? 1;
  for (let w = 0; w < o.windowsPerClass; w++) {
    for (let k = 0; k < o.classes; k++) {
      const f = o.lowHz + ((o.highHz - o.lowHz) * k) / Math.max(1, o.classes - 1);
      const amp = 0.5 + rng.uniform();
      const phase = o.columns.map(() => 2 * Math.PI * rng.uniform());
      const offset = o.columns.map(() => gauss(rng) * 0.5);
      const drift = o.columns.map(() => gauss(rng) * 0.5);
      for (let r = 0; r < o.window; r++) {
        const t = r / o.rate;
        const row = o.columns.map((_, c) => {
          const a = amp * (1 + 0.3 * c);
          const v = a * Math.sin(2 * Math.PI * f * t + phase[c]!) + 0.4 * a * Math.sin(4 * Math.PI * f * t + 2 * phase[c]!) +
            offset[c]! + drift[c]! * (r / o.window) + o.noise * a * gauss(rng);
          return (v * unit).toFixed(4);
        });
        lines.push([`c${k}`, ...row].join(","));
      }
    }
  }
  return lines.join("\n") + "\n";
}
