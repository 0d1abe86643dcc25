// Confusion matrices: counts of (true class, predicted class), per-class accuracy, and a text table.
// matrix[t * k + p] counts samples of true class t predicted as p.

export interface Confusion {
  classes: string[];
  matrix: number[];
}

/** Build a confusion matrix from predicted and true class indices. */
export function confusionFrom(classes: readonly string[], truth: ArrayLike<number>, predicted: ArrayLike<number>): Confusion {
  const k = classes.length;
  const matrix = new Array<number>(k * k).fill(0);
  for (let s = 0; s < truth.length; s++) {
    const t = truth[s]!, p = predicted[s]!;
    if (t >= 0 && t < k && p >= 0 && p < k) matrix[t * k + p]!++;
  }
  return { classes: [...classes], matrix };
}

/** argmax of each row of scores[s * k + c]. */
export function argmaxRows(scores: ArrayLike<number>, count: number, k: number): Uint16Array {
  const out = new Uint16Array(count);
  for (let s = 0; s < count; s++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (scores[s * k + c]! > scores[s * k + best]!) best = c;
    out[s] = best;
  }
  return out;
}

/** Fraction of each true class predicted correctly (NaN for a class with no samples). */
export function perClassAccuracy(c: Confusion): number[] {
  const k = c.classes.length;
  return c.classes.map((_, t) => {
    let row = 0;
    for (let p = 0; p < k; p++) row += c.matrix[t * k + p]!;
    return row ? c.matrix[t * k + t]! / row : NaN;
  });
}

/** The matrix as aligned text: rows are true classes, columns predictions, then per-class accuracy. */
export function formatConfusion(c: Confusion): string[] {
  const k = c.classes.length;
  const names = c.classes.map((n) => (n.length > 12 ? n.slice(0, 11) + "~" : n));
  const nameWidth = Math.max(10, ...names.map((n) => n.length));
  const cell = Math.max(5, ...names.map((n) => n.length), ...c.matrix.map((v) => String(v).length)) + 1;
  const acc = perClassAccuracy(c);
  const lines = [`confusion matrix (rows: true class, columns: predicted):`];
  lines.push(`  ${"".padEnd(nameWidth)}${names.map((n) => n.padStart(cell)).join("")}   accuracy`);
  for (let t = 0; t < k; t++) {
    const row = c.matrix.slice(t * k, t * k + k).map((v) => String(v).padStart(cell)).join("");
    const a = Number.isNaN(acc[t]!) ? "-" : `${(acc[t]! * 100).toFixed(1)}%`;
    lines.push(`  ${names[t]!.padEnd(nameWidth)}${row}   ${a.padStart(8)}`);
  }
  return lines;
}
