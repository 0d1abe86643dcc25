// Optimizer updates over flat runs of parameters. P[p + k] is the parameter whose gradient is G[g + k]
// and whose optimizer state is S[g + k]: gradients and state share one layout (see plan.ts).
// gScale multiplies every gradient first (gradient-norm clipping); weightDecay adds L2: g += wd w.

/** Σ g^2 over n gradients. */
export function sumOfSquares(G: Float32Array, n: number): number {
  let s = 0, i = 0, g = 0;
  for (i = 0; i < n; i++) { g = G[i]; s += g * g; }
  return s;
}

/** W -= lr g */
export function sgd(P: Float32Array, p: number, G: Float32Array, g: number, n: number,
  lr: number, wd: number, gScale: number): void {
  let k = 0, w = 0;
  for (k = 0; k < n; k++) {
    w = P[p + k];
    P[p + k] = w - lr * (G[g + k] * gScale + wd * w);
  }
}

/** v = mu v + g; W -= lr v */
export function momentum(P: Float32Array, p: number, G: Float32Array, g: number, V: Float32Array, n: number,
  lr: number, mu: number, wd: number, gScale: number): void {
  let k = 0, w = 0, v = 0;
  for (k = 0; k < n; k++) {
    w = P[p + k];
    V[g + k] = v = mu * V[g + k] + G[g + k] * gScale + wd * w;
    P[p + k] = w - lr * v;
  }
}

/**
 * Adam with bias correction: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * W -= lr (m / c1) / (sqrt(v / c2) + eps), where c1 = 1 - b1^t, c2 = 1 - b2^t.
 */
export function adam(P: Float32Array, p: number, G: Float32Array, g: number, M: Float32Array, V: Float32Array,
  n: number, lr: number, b1: number, b2: number, eps: number, c1: number, c2: number, wd: number, gScale: number): void {
  let k = 0, w = 0, grad = 0, m = 0, v = 0;
  for (k = 0; k < n; k++) {
    w = P[p + k];
    grad = G[g + k] * gScale + wd * w;
    M[g + k] = m = b1 * M[g + k] + (1 - b1) * grad;
    V[g + k] = v = b2 * V[g + k] + (1 - b2) * grad * grad;
    P[p + k] = w - (lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
  }
}
