// Device transmit path: a byte ring of whole encoded frames, written to the UART in slices no larger than
// the count the last onWritable reported (ECMA-419 write() throws "output full" beyond it).
// Frames stay contiguous on the wire; an ACK can be slipped in between two frames (never inside one).
// Everything is allocated in the constructor; push/flush allocate nothing.

export interface SerialWriter {
  write(buffer: Uint8Array): void;
}

const MAX_SLICE = 128; // the ESP32 TX FIFO; onWritable never reports more
const MAX_FRAMES = 32;

export class TxQueue {
  readonly capacity: number;
  /** Bytes written to the UART, in all. */
  written = 0;
  /** write() calls that threw (a stand-in or driver disagreeing with onWritable). */
  writeErrors = 0;
  /** Frames refused because the ring was full. */
  dropped = 0;

  private readonly ring: Uint8Array;
  private head = 0; // next byte to write
  private used = 0;
  private readonly lengths = new Int32Array(MAX_FRAMES);
  private lenHead = 0;
  private lenCount = 0;
  /** Bytes of the frame at the ring head not yet written (0: at a frame boundary). */
  private inFrame = 0;
  // An out-of-band frame (ACK) written between ring frames.
  private readonly side: Uint8Array;
  private sideLen = 0;
  private sidePos = 0;
  private readonly stage = new Uint8Array(MAX_SLICE);
  /** stage views of 128, 64, ..., 1 bytes: write() takes a whole buffer, so slices need exact lengths. */
  private readonly slices: Uint8Array[] = [];
  /** Bytes the UART will take now (count from onWritable minus what was written since). */
  writable = 0;

  constructor(capacity: number, sideCapacity: number) {
    this.capacity = capacity;
    this.ring = new Uint8Array(capacity);
    this.side = new Uint8Array(sideCapacity);
    for (let k = MAX_SLICE; k >= 1; k >>= 1) this.slices.push(new Uint8Array(this.stage.buffer, 0, k));
  }

  get free(): number {
    return this.lenCount >= MAX_FRAMES ? 0 : this.capacity - this.used;
  }

  get pending(): number {
    return this.used + this.sideLen - this.sidePos;
  }

  /** Appends one whole frame; false (and nothing queued) when it does not fit. */
  push(src: Uint8Array, start: number, length: number): boolean {
    if (length <= 0 || length > this.free) {
      this.dropped++;
      return false;
    }
    const ring = this.ring, cap = this.capacity;
    let at = this.head + this.used;
    if (at >= cap) at -= cap;
    for (let i = 0; i < length; i++) {
      ring[at++] = src[start + i];
      if (at === cap) at = 0;
    }
    this.used += length;
    let q = this.lenHead + this.lenCount;
    if (q >= MAX_FRAMES) q -= MAX_FRAMES;
    this.lengths[q] = length;
    this.lenCount++;
    return true;
  }

  /** Drops every queued frame that has not started going out (a new session starts). */
  dropUnstarted(): void {
    // The frame going out (if any) was already taken off the length queue; only its tail stays.
    this.used = this.inFrame;
    this.lenCount = 0;
  }

  /** True when nothing is half written, so an out-of-band frame may go next. */
  get atBoundary(): boolean {
    return this.inFrame === 0 && this.sidePos >= this.sideLen;
  }

  /** Space for an out-of-band frame; call sideReady(n) after writing n wire bytes into it. */
  get sideBuffer(): Uint8Array {
    return this.side;
  }

  sideReady(n: number): void {
    this.sideLen = n;
    this.sidePos = 0;
  }

  /** Writes as much as `writable` allows. */
  flush(serial: SerialWriter): void {
    while (this.writable > 0) {
      if (this.sidePos < this.sideLen) {
        const n = this.min3(this.writable, this.sideLen - this.sidePos);
        if (!this.emit(serial, this.side, this.sidePos, n, 0)) return;
        this.sidePos += n;
        continue;
      }
      if (this.inFrame === 0) {
        if (this.lenCount === 0) return;
        this.inFrame = this.lengths[this.lenHead];
        this.lenHead = this.lenHead + 1 === MAX_FRAMES ? 0 : this.lenHead + 1;
        this.lenCount--;
      }
      let n = this.min3(this.writable, this.inFrame);
      const toEnd = this.capacity - this.head;
      if (n > toEnd) n = toEnd;
      if (!this.emit(serial, this.ring, this.head, n, 1)) return;
      this.head += n;
      if (this.head === this.capacity) this.head = 0;
      this.used -= n;
      this.inFrame -= n;
    }
  }

  private min3(a: number, b: number): number {
    let n = a < b ? a : b;
    if (n > MAX_SLICE) n = MAX_SLICE;
    return n;
  }

  /** Writes src[start, start + n) (n <= 128) as power-of-two slices copied through the stage buffer. */
  private emit(serial: SerialWriter, src: Uint8Array, start: number, n: number, _kind: number): boolean {
    const stage = this.stage;
    let done = 0;
    while (done < n) {
      let k = MAX_SLICE, idx = 0;
      while (k > n - done) {
        k >>= 1;
        idx++;
      }
      for (let i = 0; i < k; i++) stage[i] = src[start + done + i];
      try {
        serial.write(this.slices[idx]);
      } catch {
        this.writeErrors++;
        this.writable = 0;
        this.unwind(src, start, done, n);
        return false;
      }
      done += k;
      this.written += k;
      this.writable -= k;
    }
    return true;
  }

  /** After a failed write in the middle of a slice sequence: account for the bytes that did go out. */
  private unwind(src: Uint8Array, start: number, done: number, _n: number): void {
    if (done === 0) return;
    // Advance whichever source we were writing by `done` bytes.
    if (src === this.side) {
      this.sidePos += done;
    } else {
      this.head += done;
      if (this.head >= this.capacity) this.head -= this.capacity;
      this.used -= done;
      this.inFrame -= done;
    }
    void start;
  }
}
