// Seeded PRNG (mulberry32). Integer-only, so every engine produces the same stream for the same seed:
// this is what makes initial weights, shuffles and stochastic rounding identical in Node and XS.
// Integer-only also under XS, where an int32 add that overflows becomes a double and `x >>> n` of a
// negative x (a result above 2^31) is one: the state is kept as an int32, adds that may overflow go
// through add32 (16-bit halves), and unsigned shifts are written (x >> n) & mask.
// test/xs-device-costs.test.ts counts 0 floating-point operations per nextInt32 under XS.
export class Random {
  /** The state as an int32 (getState() returns it as a uint32). */
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The next 32 random bits as an int32 (the same bits as nextUint32). */
  nextInt32(): number {
    const s = (this.state = add32(this.state, 0x6d2b79f5));
    let t = Math.imul(s ^ ((s >> 15) & 0x1ffff), s | 1);
    t ^= add32(t, Math.imul(t ^ ((t >> 7) & 0x1ffffff), t | 61));
    return t ^ ((t >> 14) & 0x3ffff);
  }

  /** Next 32-bit unsigned integer (above 2^31 it is a double in XS: prefer nextInt32 in hot code). */
  nextUint32(): number {
    return this.nextInt32() >>> 0;
  }

  /** Uniform in [0, 1) with 24 random bits (exactly representable in float32). */
  uniform(): number {
    return ((this.nextInt32() >> 8) & 0xffffff) * TWO_TO_MINUS_24;
  }

  /** Integer in [0, n): floor(uniform() n), computed in integers when n < 2^18. */
  below(n: number): number {
    const u = (this.nextInt32() >> 8) & 0xffffff;
    if (n > 0 && n < 262144 && (n | 0) === n) {
      // floor(u n / 2^24) with u = uh 2^12 + ul: every partial product stays below 2^30
      return ((u >> 12) * n + (((u & 4095) * n) >> 12)) >> 12;
    }
    return Math.floor(u * TWO_TO_MINUS_24 * n);
  }

  /** Fisher-Yates shuffle of an index array, in place. */
  shuffle(a: { length: number; [i: number]: number }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  getState(): number { return this.state >>> 0; }
  setState(s: number): void { this.state = s | 0; }
}

const TWO_TO_MINUS_24 = 1 / 16777216;

/** (a + b) mod 2^32 as an int32, with no intermediate above 2^31 (XS would hold it as a double). */
function add32(a: number, b: number): number {
  const lo = (a & 0xffff) + (b & 0xffff);
  const hi = ((a >> 16) & 0xffff) + ((b >> 16) & 0xffff) + (lo >> 16);
  return ((hi & 0xffff) << 16) | (lo & 0xffff);
}
