// Receive-side sequencing (docs/protocol.md section 4): which device frame comes next, duplicates
// (discarded, re-acked), frames past a gap (discarded, one ACK+GAP per gap), and a standalone ACK shortly
// after an accepted frame unless a frame of ours has carried that ack meanwhile.
import * as P from "../../src/protocol/index";
import type { Clock, TimerHandle } from "./clock";
import type { LinkStats } from "./types";

/** Delay of the standalone ACK after an accepted frame (lets a frame of ours carry it instead). */
const ACK_DELAY_MS = 2;

export class Receiver {
  private expected = 1;
  /** The cumulative ack the latest frame we wrote carried. */
  private lastAckSent = -1;
  /** The `expected` value we last sent a GAP for. */
  private lastGapSentFor = -1;
  private ackTimer: TimerHandle | undefined;

  /** `sendAck` writes a standalone ACK (with GAP if asked) carrying `ack`. */
  constructor(private readonly clock: Clock, private readonly stats: LinkStats, private readonly sendAck: (gap: boolean) => void) {}

  /** Our cumulative acknowledgement: the last in-order device frame. */
  get ack(): number {
    return P.seqAdd(this.expected, -1);
  }

  /** A frame of ours carried `ack` in its header. */
  carried(ack: number): void {
    this.lastAckSent = ack;
  }

  begin(): void {
    this.expected = 1;
    this.lastAckSent = -1;
  }

  drop(): void {
    this.lastGapSentFor = -1;
    this.stop();
  }

  stop(): void {
    if (this.ackTimer !== undefined) this.clock.clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  /** A sequenced device frame: true when it is the next in order (then deliver it). */
  accept(seq: number): boolean {
    const d = P.seqDiff(seq, this.expected);
    if (d < 0) {
      this.stats.duplicatesFromDevice++;
      this.flush(true);
      return false;
    }
    if (d > 0) {
      if (this.lastGapSentFor !== this.expected) {
        this.lastGapSentFor = this.expected;
        this.flush(true, true);
      }
      return false;
    }
    this.expected = P.seqAdd(this.expected, 1);
    if (this.ackTimer === undefined) {
      this.ackTimer = this.clock.setTimeout(() => {
        this.ackTimer = undefined;
        this.flush(false);
      }, ACK_DELAY_MS);
    }
    return true;
  }

  /** A standalone ACK, unless the latest frame we wrote already carried this ack and nothing forces one. */
  flush(force: boolean, gap = false): void {
    if (!force && !gap && this.ack === this.lastAckSent) return;
    this.lastAckSent = this.ack;
    this.sendAck(gap);
  }
}
