// Power spectrum of a real signal by a radix-2 FFT: the m real samples are packed into an m/2-point
// complex FFT and unpacked afterwards, so a window costs about (m/4) log2(m/2) butterflies. Only + - * on
// doubles in a fixed order (twiddles from the deterministic cos of src/engine/math.ts), so Node and XS give
// the same bits. All buffers are allocated by the constructor; power() allocates nothing.
import { cos, PI } from "../engine/math";

export class RealFft {
  /** Number of real input samples (a power of two, >= 4). */
  readonly size: number;
  private readonly half: number;
  /** cos and sin of 2 pi k / size for k = 0..size/2. */
  private readonly cosT: Float64Array;
  private readonly sinT: Float64Array;
  /** Bit-reversed order of 0..half-1. */
  private readonly rev: Uint16Array;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;

  constructor(size: number) {
    if (!(size >= 4 && size <= 65536 && (size & (size - 1)) === 0)) throw new RangeError(`FFT size must be a power of two in 4..65536, got ${size}`);
    this.size = size;
    const h = size / 2;
    this.half = h;
    this.cosT = new Float64Array(h + 1);
    this.sinT = new Float64Array(h + 1);
    for (let k = 0; k <= h; k++) {
      const a = (2 * PI * k) / size;
      this.cosT[k] = cos(a);
      this.sinT[k] = cos(a - PI / 2);
    }
    this.rev = new Uint16Array(h);
    let bits = 0;
    while (1 << bits < h) bits++;
    for (let i = 0; i < h; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.zr = new Float64Array(h);
    this.zi = new Float64Array(h);
  }

  /** out[k] = |X_k|^2 for k = 0..size/2, X the DFT of x[0..size). `out` needs size/2 + 1 entries. */
  power(x: Float64Array, out: Float64Array): void {
    const h = this.half, zr = this.zr, zi = this.zi, cosT = this.cosT, sinT = this.sinT, rev = this.rev;
    // z_n = x_2n + i x_2n+1, stored in bit-reversed order for the in-place FFT.
    for (let n = 0; n < h; n++) {
      const r = rev[n];
      zr[r] = x[2 * n];
      zi[r] = x[2 * n + 1];
    }
    for (let len = 2; len <= h; len *= 2) {
      const halfLen = len / 2, step = this.size / len;
      for (let i = 0; i < h; i += len) {
        for (let j = 0; j < halfLen; j++) {
          const c = cosT[j * step], s = sinT[j * step]; // twiddle e^(-2 pi i j / len) = c - i s
          const a = i + j, b = a + halfLen;
          const tr = zr[b] * c + zi[b] * s;
          const ti = zi[b] * c - zr[b] * s;
          zr[b] = zr[a] - tr;
          zi[b] = zi[a] - ti;
          zr[a] += tr;
          zi[a] += ti;
        }
      }
    }
    // Unpack: X_k = E_k + W^k O_k with E = (Z_k + conj Z_(h-k)) / 2, O = -i (Z_k - conj Z_(h-k)) / 2.
    for (let k = 0; k <= h; k++) {
      const a = k === h ? 0 : k, b = k === 0 ? 0 : h - k;
      const ar = zr[a], ai = zi[a], br = zr[b], bi = zi[b];
      const er = (ar + br) * 0.5, ei = (ai - bi) * 0.5;
      const or = (ai + bi) * 0.5, oi = (br - ar) * 0.5;
      const c = cosT[k], s = sinT[k];
      const xr = er + c * or + s * oi;
      const xi = ei + c * oi - s * or;
      out[k] = xr * xr + xi * xi;
    }
  }
}
