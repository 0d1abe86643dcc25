// Host-side byte credit (docs/protocol.md section 5): how far the host may write, in its own write
// positions, from the device's latest ACK (read + window) and the frame ends the device may stop at
// (rule 2: never more than RX_SAFE beyond the first one it has not read past). Also notices the one case
// credit cannot resolve by itself: blocked while the device keeps refreshing the same read position.
import * as P from "../../src/protocol/index";

/** Refreshes of one unchanged read position, while blocked, after which the host re-anchors by a handshake. */
const STALLED_REFRESHES = 5;

export class Credit {
  /** Where the device says it has read up to (its latest ACK, mapped onto our write position). */
  private read = 0;
  /** The device's window beyond `read`. */
  private window = 0;

  /** Writes no further than this position (exclusive) are allowed now. */
  limit(): number {
    const stops = this.stops;
    while (stops.length > 0 && stops[0]! <= this.read) stops.shift();
    let lim = this.read + this.window;
    // Rule 2, unless the device's UART buffers the whole window while the app is busy (CAPS RX_BUFFER).
    if (!this.buffered && stops.length > 0 && stops[0]! + P.RX_SAFE < lim) lim = stops[0]! + P.RX_SAFE;
    return lim;
  }

  /** The device's read position as of its latest ACK, in our write positions. */
  get readPosition(): number {
    return this.read;
  }

  /** Bytes written beyond the device's read position. */
  outstanding(written: number): number {
    return written - this.read;
  }

  /** The device has a receive buffer holding its whole window (CAPS flag RX_BUFFER): rule 2 does not apply. */
  private buffered = false;

  /** A new session: no credit until the device's first ACK, which is anchored on the HELLO's end. */
  anchor(helloEnd: number, rxBuffered = false): void {
    this.buffered = rxBuffered;
    this.read = helloEnd;
    this.window = 0;
    this.stops = [];
    this.lastFrameEnd = helloEnd;
    this.lastBlockedRead = -1;
    this.stalledRefreshes = 0;
  }

  // ---- Frame boundaries the device may stop reading at.

  /**
   * Write positions just after each delimiter that can end a frame at the device (frame ends; the leading
   * delimiter of a frame written after an abandoned one), ascending.
   */
  private stops: number[] = [];
  private lastFrameEnd = 0;

  /** A frame starting at `pos` is about to be written: after a frame abandoned half-way, its leading
   * delimiter ends that garbage at the device, so the device may stop there. */
  frameStart(pos: number): void {
    if (pos !== this.lastFrameEnd) this.stops.push(pos + 1);
  }

  frameEnd(end: number): void {
    this.stops.push(end);
    this.lastFrameEnd = end;
  }

  // ---- The device's ACKs.

  /** Take the device's read position (u32 in our byte space) and window; `written` = our position now. */
  update(readU32: number, window: number, written: number): void {
    // The nearest value to what we wrote; it cannot be ahead of that (inserted garbage could make it look so).
    let read = written + ((readU32 - written) | 0);
    if (read > written) read = written;
    this.read = read;
    this.window = window;
  }

  private lastBlockedRead = -1;
  private stalledRefreshes = 0;

  /**
   * Last resort: blocked by credit while the device keeps refreshing the same read position (it is idle,
   * yet by its count we may not write: more bytes were lost than the window). True when a new session
   * must re-anchor the mapping. `refresh`: a plain ACK that released nothing, while we have bytes waiting.
   */
  stalled(refresh: boolean, written: number): boolean {
    if (!refresh || this.limit() > written) {
      this.stalledRefreshes = 0;
      this.lastBlockedRead = -1;
      return false;
    }
    if (this.read !== this.lastBlockedRead) {
      this.lastBlockedRead = this.read;
      this.stalledRefreshes = 0;
      return false;
    }
    if (++this.stalledRefreshes < STALLED_REFRESHES) return false;
    this.stalledRefreshes = 0;
    this.lastBlockedRead = -1;
    return true;
  }
}
