// Frame size in proportion to the line's loss (docs/protocol.md section 4, "Recovery"): a frame is lost
// when any of its bytes is, so on a noisy line big frames are lost most of the time (1 KB at 1e-3 faults
// per byte: 63%) and every loss costs a whole frame again. The batch pipeline asks here how many samples
// the next SAMPLE_BATCH frame carries: fewer while the observed loss is high, back to the full batch when
// the line is clean. Protocol-compatible: every frame is an ordinary batch with the next batch id, the
// device trains its samples as consecutive steps of its model, so splitting a batch at multiples of the
// model's batch size trains exactly the same steps (bit-identical weights).

/** From batch id `frame` on, batches are split into frames of `size` samples (Infinity: not split). */
export interface FrameSizeBreakpoint {
  frame: number;
  size: number;
}

/** BatchOptions.adaptFrames: let the line's loss set how many samples a frame carries. */
export interface AdaptiveFrames {
  /** Samples per frame are a multiple of this: the model's compiled batch size. */
  unit: number;
  /** The sizes an earlier process of the same run used (a run resumed from its state file replays them). */
  schedule?: FrameSizeBreakpoint[];
  /** The schedule changed: persist it (called before a frame of the new size is sent). */
  onSchedule?: (schedule: FrameSizeBreakpoint[]) => void;
}

/** Bytes of a SAMPLE_BATCH frame besides its samples (frame header, CRC, tensor header, COBS, delimiter). */
const FRAME_BYTES = 40;
/**
 * What a frame costs besides its bytes, in bytes of line time: the device's REPORT and ACKs, the credit
 * round trips. It favours bigger frames when the line is clean.
 */
const PER_FRAME_COST = 96;
/** The loss estimate forgets with a half-life of this many bytes written (a few dozen full frames). */
const HALF_LIFE_BYTES = 24 * 1024;
/** Loss events (weighted) before frames shrink: a single timeout may be a slow answer, not a loss. */
const MIN_LOSSES = 1.5;

/**
 * Estimates the loss per byte from what got through (frames delivered and their bytes) and the loss events
 * meanwhile (a GAP acted on or a timeout: one frame copy lost), as exponentially weighted sums over the
 * bytes delivered: a frame is lost with probability f = L / (D + L), so a byte with p = ln(1 + L/D) / mean
 * frame bytes. Then it picks the frame size with the least expected line time per sample:
 * (frame bytes + per-frame cost) / (samples x P(frame arrives intact)).
 */
export class FrameSizer {
  private frames = 0;
  private bytes = 0;
  private losses = 0;
  private lastLosses = -1;

  /** A frame of `bytes` payload bytes was delivered; `lossEvents` is the link's cumulative count. */
  delivered(bytes: number, lossEvents: number): void {
    const dL = this.lastLosses < 0 ? 0 : Math.max(0, lossEvents - this.lastLosses);
    this.lastLosses = lossEvents;
    const keep = Math.pow(0.5, (bytes + FRAME_BYTES) / HALF_LIFE_BYTES);
    this.frames = this.frames * keep + 1;
    this.bytes = this.bytes * keep + bytes + FRAME_BYTES;
    this.losses = this.losses * keep + dL;
  }

  /** Some frame was delivered (lossPerByte has something to go on). */
  get delivering(): boolean {
    return this.frames > 0;
  }

  /** The estimated probability that a byte is lost (0 until losses are seen: one may be a late ACK). */
  get lossPerByte(): number {
    if (this.frames <= 0 || this.losses < MIN_LOSSES) return 0;
    return Math.min(0.05, Math.log1p(this.losses / this.frames) / (this.bytes / this.frames));
  }

  /** Samples for the next frame: a multiple of `unit` up to `max` (`max` itself when the line is clean). */
  choose(unit: number, max: number, bytesPerSample: number): number {
    const p = this.lossPerByte;
    if (p === 0 || max <= unit) return max;
    const cost = (k: number) => {
      const wire = FRAME_BYTES + k * bytesPerSample;
      return (wire + PER_FRAME_COST) / (k * Math.pow(1 - p, wire));
    };
    // From the whole batch down; a smaller frame must be clearly cheaper (the estimate is noisy).
    let best = max, bestCost = cost(max);
    for (let k = Math.floor(max / 2 / unit) * unit; k >= unit; k = Math.floor(k / 2 / unit) * unit) {
      const c = cost(k);
      if (c < bestCost * 0.95) { best = k; bestCost = c; }
    }
    return best;
  }
}

/**
 * Frames to cut one batch of `rows` rows of `bytesPerRow` bytes into (RAW_SLICE; `headerBytes` of labels
 * and header besides the rows), at least `min`, at `p` losses per byte: the count with the least expected
 * line time for the batch, if clearly below that of `min` frames. A slice costs its bytes (no answer of its
 * own: only the batch's last slice gets a REPORT), and each lost copy costs them twice more: once resent,
 * once for what followed it on the wire until the device's GAP came back (go-back-N), so
 * n x wire x (2 / P(intact) - 1). Measured on the simulated board at 1e-3 faults per byte: 8 slices of a
 * 1.4 KB window (this rule's choice) took 2.6x the clean time, 5 slices (PER_FRAME_COST's choice) 2.9x.
 */
export function sliceCount(p: number, rows: number, bytesPerRow: number, headerBytes: number, min = 1): number {
  const cost = (n: number) => {
    const wire = FRAME_BYTES + headerBytes + Math.ceil(rows / n) * bytesPerRow;
    return n * wire * (2 / Math.pow(1 - p, wire) - 1);
  };
  const first = Math.max(1, Math.min(min, rows));
  if (p === 0) return first;
  let best = first, bestCost = cost(first);
  for (let n = first + 1; n <= rows; n++) {
    const c = cost(n);
    if (c < bestCost) { best = n; bestCost = c; }
  }
  return bestCost < cost(first) * 0.95 ? best : first;
}

/**
 * The loss per byte before any frame got through: `lossEvents` on frames of `frameBytes`, as if one of
 * them had arrived (f = L / (1 + L)). A line that loses every long frame must not count as clean.
 */
export function lossBeforeDelivery(lossEvents: number, frameBytes: number): number {
  return lossEvents < MIN_LOSSES ? 0 : Math.min(0.05, Math.log1p(lossEvents) / (frameBytes + FRAME_BYTES));
}

/** The size the schedule gives batch id `frame` (Infinity before its first breakpoint: whole batches). */
export function scheduledSize(schedule: readonly FrameSizeBreakpoint[], frame: number): number {
  let size = Infinity;
  for (const b of schedule) if (b.frame <= frame) size = b.size;
  return size;
}
