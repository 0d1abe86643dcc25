// The signal pipeline that turns sensor rows into model inputs, identical on the board and on the PC:
//   row of doubles --quantize--> int16 ring of `window` rows --every `stride` rows--> feature vector
//   (stats / spectrum / raw, in the columns' units) --normalise, clip and count--> Float32 model inputs.
// The constructor allocates every buffer; pushRow, extract and extractWindow allocate nothing. Integer
// work where it is exact (int16 samples, integer sums), doubles with + - * / sqrt and the deterministic
// log of src/engine/math.ts otherwise, so Node and XS produce the same bits.
import { cos, exp, log, PI } from "../engine/math";
import { RealFft } from "./fft";
import { FEATURE_RAW, FEATURE_SPECTRUM, FEATURE_STATS, INT16_FULL, STATS, checkPipeline, featureWidth, fftSize, type PipelineSpec } from "./spec";

const STAT_COUNT = STATS.length;

export class FeaturePipeline {
  readonly spec: PipelineSpec;
  /** Features per window (the model's inputs). */
  readonly width: number;
  /** Columns per row. */
  readonly columns: number;
  /** Rows per window. */
  readonly windowRows: number;
  /** Samples clipped to ±32767 counts (beyond ±range), per column, since construction. */
  readonly clippedSamples: Uint32Array;
  /** NaN samples (stored as 0), since construction. */
  invalidSamples = 0;
  /** Normalised features clipped to ±clip, since construction. */
  clippedFeatures = 0;
  /** The newest `windowRows` rows, row-major int16; the oldest row is at `oldestRow()`. */
  readonly ring: Int16Array;

  private head = 0;
  private filled = 0;
  private untilNext = 0;
  private readonly toCounts: Float64Array;
  private readonly quantum: Float64Array;
  private readonly logQuantum2: Float64Array;
  private readonly stats: boolean;
  private readonly bands: number;
  private readonly rawPoints: number;
  private readonly spectrumBase: number;
  private readonly rawBase: number;
  private readonly fft: RealFft | null;
  private readonly hann: Float64Array;
  private readonly fftIn: Float64Array;
  private readonly power: Float64Array;
  private readonly bandEdges: Uint16Array;
  private readonly bandNorm: number;
  private readonly rawEdges: Uint16Array;
  private readonly features: Float64Array;
  private readonly mean: Float64Array;
  private readonly scale: Float64Array;
  private readonly normalised: boolean;
  private readonly clip: number;

  constructor(spec: PipelineSpec) {
    checkPipeline(spec);
    this.spec = spec;
    const C = spec.columns.length, N = spec.window;
    this.columns = C;
    this.windowRows = N;
    this.width = featureWidth(spec);
    this.clippedSamples = new Uint32Array(C);
    this.ring = new Int16Array(N * C);
    this.toCounts = Float64Array.from(spec.ranges, (r) => INT16_FULL / r);
    this.quantum = Float64Array.from(spec.ranges, (r) => r / INT16_FULL);
    this.logQuantum2 = Float64Array.from(this.quantum, (q) => 2 * log(q));
    this.stats = (spec.features & FEATURE_STATS) !== 0;
    this.bands = (spec.features & FEATURE_SPECTRUM) !== 0 ? spec.bands : 0;
    this.rawPoints = (spec.features & FEATURE_RAW) !== 0 ? spec.rawPoints : 0;
    this.spectrumBase = this.stats ? C * STAT_COUNT : 0;
    this.rawBase = this.spectrumBase + C * this.bands;

    // Spectrum: Hann-windowed, zero-padded to a power of two; log-spaced bands over bins 1..m/2.
    const m = this.bands > 0 ? fftSize(N) : 0;
    this.fft = m > 0 ? new RealFft(m) : null;
    this.hann = new Float64Array(this.bands > 0 ? N : 0);
    let hannSquares = 0;
    for (let n = 0; n < this.hann.length; n++) {
      const s = (1 - cos((2 * PI * n) / N)) / 2; // periodic Hann
      this.hann[n] = s;
      hannSquares += s * s;
    }
    this.fftIn = new Float64Array(m);
    this.power = new Float64Array(m > 0 ? m / 2 + 1 : 0);
    this.bandEdges = FeaturePipeline.logBands(this.bands, m / 2);
    // One-sided Parseval: the bands of a window add up to the variance of the Hann-weighted signal.
    this.bandNorm = m > 0 ? 2 / (m * hannSquares) : 0;
    this.rawEdges = new Uint16Array(this.rawPoints + 1);
    for (let i = 0; i <= this.rawPoints; i++) this.rawEdges[i] = Math.floor((i * N) / this.rawPoints);

    this.features = new Float64Array(this.width);
    this.normalised = spec.mean.length > 0;
    this.mean = Float64Array.from(spec.mean);
    this.scale = Float64Array.from(spec.scale);
    this.clip = spec.clip;
  }

  /** B + 1 bin edges over bins 1..h, geometrically spaced, every band at least one bin wide. */
  private static logBands(B: number, h: number): Uint16Array {
    const edges = new Uint16Array(B + 1);
    if (B === 0) return edges;
    edges[0] = 1;
    edges[B] = h + 1;
    const logTop = log(h + 1);
    for (let b = 1; b < B; b++) {
      let e = Math.round(exp((logTop * b) / B));
      if (e < edges[b - 1] + 1) e = edges[b - 1] + 1;
      if (e > h + 1 - (B - b)) e = h + 1 - (B - b);
      edges[b] = e;
    }
    return edges;
  }

  /** Forget buffered rows (a new recording starts); the counters keep counting. */
  reset(): void {
    this.head = 0;
    this.filled = 0;
    this.untilNext = 0;
  }

  /** Index in `ring` of the oldest buffered row. */
  oldestRow(): number {
    return this.filled < this.windowRows ? 0 : this.head;
  }

  /**
   * Add one row (values[offset .. offset + columns), in the columns' units). Returns true when a window is
   * complete: the first time after `window` rows, then every `stride` rows. Read it with extract().
   */
  pushRow(values: ArrayLike<number>, offset: number): boolean {
    const C = this.columns, base = this.head * C;
    for (let c = 0; c < C; c++) {
      const v = values[offset + c];
      let q = 0;
      if (v !== v) {
        this.invalidSamples++;
      } else {
        q = Math.round(v * this.toCounts[c]);
        if (q > INT16_FULL) {
          q = INT16_FULL;
          this.clippedSamples[c]++;
        } else if (q < -INT16_FULL) {
          q = -INT16_FULL;
          this.clippedSamples[c]++;
        }
      }
      this.ring[base + c] = q;
    }
    this.head++;
    if (this.head === this.windowRows) this.head = 0;
    if (this.filled < this.windowRows) {
      this.filled++;
      if (this.filled < this.windowRows) return false;
      this.untilNext = this.spec.stride;
      return true;
    }
    this.untilNext--;
    if (this.untilNext > 0) return false;
    this.untilNext = this.spec.stride;
    return true;
  }

  /** Model inputs of the buffered window into out[outOffset .. + width). */
  extract(out: Float32Array, outOffset: number): void {
    this.extractWindow(this.ring, 0, this.oldestRow(), out, outOffset);
  }

  /**
   * Model inputs of a window held elsewhere: `window` rows of int16 counts, row-major, starting at `base` in
   * `src`, treated as a ring whose oldest row is `first` (0 for a plain window).
   */
  extractWindow(src: Int16Array, base: number, first: number, out: Float32Array, outOffset: number): void {
    this.compute(src, base, first);
    this.normaliseInto(this.features, 0, out, outOffset);
  }

  /** Unnormalised features (in the columns' units) of a window into dst[dstOffset .. + width). */
  rawFeatures(src: Int16Array, base: number, first: number, dst: Float64Array, dstOffset: number): void {
    this.compute(src, base, first);
    dst.set(this.features, dstOffset);
  }

  /** z = (f - mean) * scale, clipped to ±clip (each clip counted); a copy when there is no normalisation. */
  normaliseInto(f: Float64Array, fOffset: number, out: Float32Array, outOffset: number): void {
    const F = this.width;
    if (!this.normalised) {
      for (let i = 0; i < F; i++) out[outOffset + i] = f[fOffset + i];
      return;
    }
    const clip = this.clip;
    for (let i = 0; i < F; i++) {
      let z = (f[fOffset + i] - this.mean[i]) * this.scale[i];
      if (z > clip) {
        z = clip;
        this.clippedFeatures++;
      } else if (z < -clip) {
        z = -clip;
        this.clippedFeatures++;
      }
      out[outOffset + i] = z;
    }
  }

  private compute(src: Int16Array, base: number, first: number): void {
    const C = this.columns, N = this.windowRows, f = this.features;
    const h = N >> 1;
    for (let c = 0; c < C; c++) {
      const quantum = this.quantum[c];
      // Integer sums: exact in doubles for N <= MAX_WINDOW (N * sum of squares < 2^53).
      let sum = 0, firstSum = 0, squares = 0, min = INT16_FULL, max = -INT16_FULL;
      let row = first;
      for (let r = 0; r < N; r++) {
        const q = src[base + row * C + c];
        sum += q;
        if (r < h) firstSum += q;
        squares += q * q;
        if (q < min) min = q;
        if (q > max) max = q;
        row++;
        if (row === N) row = 0;
      }
      if (this.stats) {
        const o = c * STAT_COUNT;
        f[o] = (sum / N) * quantum;
        f[o + 1] = (Math.sqrt(N * squares - sum * sum) / N) * quantum;
        f[o + 2] = min * quantum;
        f[o + 3] = max * quantum;
        f[o + 4] = ((firstSum / h - (sum - firstSum) / (N - h)) / 2) * quantum;
      }
      if (this.bands > 0) this.spectrum(src, base, first, c, sum / N);
      const R = this.rawPoints;
      if (R > 0) {
        const edges = this.rawEdges, o = this.rawBase + c * R;
        for (let i = 0; i < R; i++) {
          const from = edges[i], to = edges[i + 1];
          let s = 0;
          row = first + from;
          if (row >= N) row -= N;
          for (let r = from; r < to; r++) {
            s += src[base + row * C + c];
            row++;
            if (row === N) row = 0;
          }
          f[o + i] = (s / (to - from)) * quantum;
        }
      }
    }
  }

  /** Band features of column c: log(band power in counts^2 + 1) + log(quantum^2), i.e. log power in units^2. */
  private spectrum(src: Int16Array, base: number, first: number, c: number, meanCounts: number): void {
    const C = this.columns, N = this.windowRows, x = this.fftIn, hann = this.hann;
    let row = first;
    for (let n = 0; n < N; n++) {
      x[n] = (src[base + row * C + c] - meanCounts) * hann[n];
      row++;
      if (row === N) row = 0;
    }
    this.fft!.power(x, this.power);
    const B = this.bands, edges = this.bandEdges, p = this.power, o = this.spectrumBase + c * B;
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let k = edges[b]; k < edges[b + 1]; k++) s += p[k];
      this.features[o + b] = log(s * this.bandNorm + 1) + this.logQuantum2[c];
    }
  }
}
