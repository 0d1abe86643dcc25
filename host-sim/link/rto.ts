// The host's retransmission timer (docs/protocol.md section 4): one timer, its timeout adapted from the
// measured round trip (smoothed RTT + 4 x variation + 20 ms, clamped), doubled on every expiry.
import type { Clock, TimerHandle } from "./clock";

export class RetransmitTimer {
  private timer: TimerHandle | undefined;
  private srtt = 0;
  private rttvar = 0;
  private rto: number;

  constructor(private readonly clock: Clock, private readonly minMs: number, private readonly maxMs: number,
    private readonly onExpire: () => void) {
    this.rto = minMs;
  }

  /** The current timeout (ms). */
  get ms(): number {
    return this.rto;
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Start the timer unless it runs already. */
  arm(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.onExpire();
    }, this.rto);
  }

  clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** An expiry: wait twice as long next time. */
  backoff(): void {
    this.rto = Math.min(this.maxMs, this.rto * 2);
  }

  /** A new session starts from the estimate (or the minimum before any sample), not from a backed-off value. */
  resetBackoff(): void {
    this.rto = this.srtt > 0 ? this.fromEstimate() : this.minMs;
  }

  /** A round trip measured on a frame sent once (Karn: never on a retransmitted one). */
  sample(ms: number): void {
    if (this.srtt === 0) {
      this.srtt = ms;
      this.rttvar = ms / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
      this.srtt = 0.875 * this.srtt + 0.125 * ms;
    }
    this.rto = this.fromEstimate();
  }

  private fromEstimate(): number {
    return Math.min(this.maxMs, Math.max(this.minMs, this.srtt + 4 * this.rttvar + 20));
  }
}
