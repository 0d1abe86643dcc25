// Input normalisation learned from a training set: per feature the mean and 1 / standard deviation, so the
// model sees roughly unit-scale inputs whatever the sensor's units. Deterministic (two passes in doubles).

/** Minimum standard deviation relative to the feature's magnitude; below it a feature counts as constant. */
const CONSTANT = 1e-9;

/**
 * mean[i] and scale[i] = 1 / std[i] of feature i over `count` vectors of `width` (f[s * width + i], or with
 * `rows` the vectors rows[0..count) of f: f[rows[s] * width + i]). A constant feature gets scale 1 (it then
 * normalises to 0).
 */
export function learnNormalisation(f: Float64Array, count: number, width: number, rows?: Uint32Array): { mean: number[]; scale: number[] } {
  if (!(count >= 1)) throw new RangeError("learnNormalisation: no training windows");
  const mean: number[] = [], scale: number[] = [];
  for (let i = 0; i < width; i++) {
    let sum = 0;
    for (let s = 0; s < count; s++) sum += f[(rows ? rows[s] : s) * width + i];
    const m = sum / count;
    let sq = 0;
    for (let s = 0; s < count; s++) {
      const d = f[(rows ? rows[s] : s) * width + i] - m;
      sq += d * d;
    }
    const std = Math.sqrt(sq / count);
    mean.push(m);
    scale.push(std > CONSTANT * (Math.abs(m) > 1 ? Math.abs(m) : 1) ? 1 / std : 1);
  }
  return { mean, scale };
}
