// The plain, hand-written MLP the benchmark compares tinyprop with: what a skilled engineer would write
// for ReLU hidden layers, a softmax cross-entropy output and plain SGD at batch 1. Buffers are allocated
// once, loops are tight, and SGD is applied directly during backward (no dW buffer).
export class BaselineMlp {
  readonly sizes: number[];
  readonly W: Float32Array[] = [];
  readonly b: Float32Array[] = [];
  readonly a: Float32Array[] = []; // activations per layer (a[0] is unused: the input is read in place)
  readonly delta: Float32Array[] = [];
  lr: number;

  constructor(sizes: number[], lr: number, seed: number) {
    this.sizes = sizes;
    this.lr = lr;
    let s = seed >>> 0;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296;
    };
    for (let l = 1; l < sizes.length; l++) {
      const limit = Math.sqrt(6 / sizes[l - 1]);
      const W = new Float32Array(sizes[l] * sizes[l - 1]);
      for (let k = 0; k < W.length; k++) W[k] = (2 * rand() - 1) * limit;
      this.W.push(W);
      this.b.push(new Float32Array(sizes[l]));
    }
    for (const n of sizes) {
      this.a.push(new Float32Array(n));
      this.delta.push(new Float32Array(n));
    }
  }

  /** Forward one sample; returns the softmax output. */
  forward(x: Float32Array): Float32Array {
    const L = this.sizes.length - 1;
    let input: Float32Array = x;
    for (let l = 0; l < L; l++) {
      const W = this.W[l], b = this.b[l], out = this.a[l + 1];
      const nIn = this.sizes[l], nOut = this.sizes[l + 1];
      for (let i = 0; i < nOut; i++) {
        let s = b[i];
        const row = i * nIn;
        for (let j = 0; j < nIn; j++) s += W[row + j] * input[j];
        out[i] = l < L - 1 && s < 0 ? 0 : s;
      }
      input = out;
    }
    const out = this.a[L], n = this.sizes[L];
    let max = out[0];
    for (let i = 1; i < n; i++) if (out[i] > max) max = out[i];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.exp(out[i] - max);
      out[i] = e;
      sum += e;
    }
    for (let i = 0; i < n; i++) out[i] /= sum;
    return out;
  }

  /** One SGD step on one sample; returns the cross-entropy loss. */
  trainStep(x: Float32Array, label: number): number {
    const p = this.forward(x);
    const L = this.sizes.length - 1;
    const loss = -Math.log(p[label] + 1e-12);
    const top = this.delta[L];
    for (let i = 0; i < this.sizes[L]; i++) top[i] = p[i];
    top[label] -= 1;
    const lr = this.lr;
    for (let l = L - 1; l >= 0; l--) {
      const W = this.W[l], b = this.b[l], g = this.delta[l + 1];
      const input = l === 0 ? x : this.a[l];
      const nIn = this.sizes[l], nOut = this.sizes[l + 1];
      const dPrev = this.delta[l];
      if (l > 0) dPrev.fill(0);
      for (let i = 0; i < nOut; i++) {
        const gi = g[i];
        const lg = lr * gi;
        const row = i * nIn;
        if (l > 0) {
          for (let j = 0; j < nIn; j++) {
            const w = W[row + j];
            dPrev[j] += w * gi;
            W[row + j] = w - lg * input[j];
          }
        } else {
          for (let j = 0; j < nIn; j++) W[row + j] -= lg * input[j];
        }
        b[i] -= lg;
      }
      if (l > 0) for (let j = 0; j < nIn; j++) if (input[j] <= 0) dPrev[j] = 0; // ReLU'
    }
    return loss;
  }
}
