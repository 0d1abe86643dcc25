// What a model expects as input: the sensor columns (with their int16 full scale), how rows are cut into
// windows, which features are computed per window, the normalisation learned from the training set, and the
// class names. Plain data, stored in the .tpm (src/modelfile/pipeline-section.ts) so the PC and a board
// always agree. Validation runs once at setup; nothing here is on a hot path.

/** Feature-set bits (the order of the groups in a feature vector). */
export const FEATURE_STATS = 1;
export const FEATURE_SPECTRUM = 2;
export const FEATURE_RAW = 4;

/** Statistics per column, in feature order: mean, population std, min, max, half-difference. */
export const STATS = ["mean", "std", "min", "max", "half"] as const;
/** A sample is stored as int16: ±INT16_FULL counts is ±range of its column. */
export const INT16_FULL = 32767;
/** Longest window: keeps the stats' integer sums exact in doubles (N * sum of squares < 2^53). */
export const MAX_WINDOW = 2048;
/** Largest FFT (the window is zero-padded to the next power of two). */
export const MAX_FFT = 2048;
/** Default spectrum bands and raw points per column. */
export const DEFAULT_BANDS = 8;
export const DEFAULT_RAW_POINTS = 8;
/** Normalised features are clipped to ±DEFAULT_CLIP (and every clip is counted). */
export const DEFAULT_CLIP = 8;

export interface PipelineSpec {
  /** Input column names, case as in the data files. */
  columns: string[];
  /** Full scale per column, in its units: a sample v is stored as round(v / range * 32767), clipped. */
  ranges: number[];
  /** Unit per column ("" when unknown); descriptive only. */
  units: string[];
  /** Rows per window; 1 = tabular data (one labelled row per sample). */
  window: number;
  /** Rows from one window start to the next. */
  stride: number;
  /** FEATURE_* bits. */
  features: number;
  /** Spectrum bands per column (used with FEATURE_SPECTRUM). */
  bands: number;
  /** Raw points per column: the window averaged down to this many (used with FEATURE_RAW). */
  rawPoints: number;
  /** Bound on |normalised feature|. */
  clip: number;
  /** Per feature: z = (f - mean[i]) * scale[i]. Empty arrays = not normalised (identity). */
  mean: number[];
  scale: number[];
  /** Class names in class-index order. */
  classes: string[];
}

/** Smallest power of two >= n (n >= 1). */
export function fftSize(n: number): number {
  let m = 1;
  while (m < n) m *= 2;
  return m;
}

/** Features per column. */
export function perColumnWidth(p: Pick<PipelineSpec, "features" | "bands" | "rawPoints">): number {
  return ((p.features & FEATURE_STATS) !== 0 ? STATS.length : 0) +
    ((p.features & FEATURE_SPECTRUM) !== 0 ? p.bands : 0) +
    ((p.features & FEATURE_RAW) !== 0 ? p.rawPoints : 0);
}

/** Length of a feature vector (the model's input count). */
export function featureWidth(p: PipelineSpec): number {
  return p.columns.length * perColumnWidth(p);
}

/** Feature names in vector order, e.g. "aX_mean", "aX_band0", "aX_raw3". */
export function featureNames(p: PipelineSpec): string[] {
  const names: string[] = [];
  if ((p.features & FEATURE_STATS) !== 0) for (const c of p.columns) for (const s of STATS) names.push(c + "_" + s);
  if ((p.features & FEATURE_SPECTRUM) !== 0) for (const c of p.columns) for (let b = 0; b < p.bands; b++) names.push(c + "_band" + b);
  if ((p.features & FEATURE_RAW) !== 0) for (const c of p.columns) for (let r = 0; r < p.rawPoints; r++) names.push(c + "_raw" + r);
  return names;
}

/** Feature-set names as used by `--features`: "stats,spectrum:8,raw:16". */
export function describeFeatures(p: PipelineSpec): string {
  const parts: string[] = [];
  if ((p.features & FEATURE_STATS) !== 0) parts.push("stats");
  if ((p.features & FEATURE_SPECTRUM) !== 0) parts.push("spectrum:" + p.bands);
  if ((p.features & FEATURE_RAW) !== 0) parts.push("raw:" + p.rawPoints);
  return parts.join(",");
}

const isInt = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;

/** A problem with one setting of a spec: the PipelineSpec field to change and what is wrong with it. */
export interface PipelineIssue {
  setting: "columns" | "ranges" | "units" | "window" | "stride" | "features" | "bands" | "rawPoints" | "clip" | "mean" | "classes";
  detail: string;
}

const issue = (setting: PipelineIssue["setting"], detail: string): PipelineIssue => ({ setting, detail });

/** The first problem that makes the spec unusable, naming its setting; null when the spec is valid. */
export function pipelineIssue(p: PipelineSpec): PipelineIssue | null {
  const C = p.columns.length;
  if (C < 1 || C > 255) return issue("columns", `${C} columns given, 1..255 allowed`);
  if (p.ranges.length !== C) return issue("ranges", `${p.ranges.length} ranges for ${C} columns (one per column)`);
  if (p.units.length !== C) return issue("units", `${p.units.length} units for ${C} columns (one per column)`);
  const seen = new Set<string>();
  for (let c = 0; c < C; c++) {
    const name = p.columns[c];
    if (typeof name !== "string" || name === "") return issue("columns", `column ${c + 1} has no name`);
    if (seen.has(name)) return issue("columns", `column "${name}" appears twice`);
    seen.add(name);
    const r = p.ranges[c];
    if (!(r > 0 && r < Infinity)) return issue("ranges", `range of column "${name}" must be a positive finite number, got ${r}`);
  }
  if (!isInt(p.window, 1, MAX_WINDOW)) return issue("window", `must be an integer in 1..${MAX_WINDOW} rows, got ${p.window}`);
  if (!isInt(p.stride, 1, 1 << 20)) return issue("stride", `must be a positive integer, got ${p.stride}`);
  if (!isInt(p.features, 1, 7)) return issue("features", `must combine stats (${FEATURE_STATS}), spectrum (${FEATURE_SPECTRUM}) and raw (${FEATURE_RAW}), got ${p.features}`);
  if (p.window === 1 && p.features !== FEATURE_RAW) return issue("features", "tabular data (window 1) takes only the raw feature set");
  if ((p.features & FEATURE_STATS) !== 0 && p.window < 2) return issue("features", "stats need a window of at least 2 rows");
  if ((p.features & FEATURE_SPECTRUM) !== 0) {
    const half = fftSize(p.window) / 2;
    if (p.window < 4) return issue("features", `spectrum needs a window of at least 4 rows, got ${p.window}`);
    if (!isInt(p.bands, 1, half)) return issue("bands", `spectrum bands must be an integer in 1..${half} for a window of ${p.window} rows, got ${p.bands}`);
  }
  if ((p.features & FEATURE_RAW) !== 0 && !isInt(p.rawPoints, 1, p.window)) {
    return issue("rawPoints", `raw points must be an integer in 1..${p.window} (the window), got ${p.rawPoints}`);
  }
  if (!(p.clip > 0 && p.clip < Infinity)) return issue("clip", `must be a positive finite number, got ${p.clip}`);
  const F = featureWidth(p);
  if (F > 65535) return issue("features", `${F} features per window is too many (at most 65535: fewer columns, bands or raw points)`);
  if (p.mean.length !== p.scale.length || (p.mean.length !== 0 && p.mean.length !== F)) {
    return issue("mean", `normalisation has ${p.mean.length} means and ${p.scale.length} scales for ${F} features`);
  }
  for (let i = 0; i < p.mean.length; i++) {
    if (!Number.isFinite(p.mean[i]) || !Number.isFinite(p.scale[i])) return issue("mean", `normalisation of feature ${i} is not finite`);
  }
  if (p.classes.length > 255) return issue("classes", `${p.classes.length} classes (at most 255)`);
  return null;
}

/** Why the spec is unusable as "<setting>: <detail>", or "" when it is valid. */
export function pipelineProblem(p: PipelineSpec): string {
  const why = pipelineIssue(p);
  return why === null ? "" : why.setting + ": " + why.detail;
}

/** Throws a RangeError naming the problem. */
export function checkPipeline(p: PipelineSpec): void {
  const why = pipelineProblem(p);
  if (why !== "") throw new RangeError("pipeline: " + why);
}
