// A fault-injecting relay between two byte ports: seeded bit flips, dropped bytes, inserted bytes and
// bursts of ESP32-style boot text, independently per direction. Used by the end-to-end tests and handy
// for trying a link by hand (`host ↔ relay ↔ simulator`). Deterministic for a given seed and chunking.
import type { BytePort } from "./port";

export interface FaultRates {
  /** Probability per byte of flipping one random bit. */
  bitFlip?: number;
  /** Probability per byte of dropping it. */
  drop?: number;
  /** Probability per byte of inserting a random byte before it. */
  insert?: number;
  /** Probability per chunk of inserting a line of boot/debug text before it. */
  garbage?: number;
}

export interface FaultCounts {
  bitFlips: number;
  drops: number;
  inserts: number;
  garbageBursts: number;
  bytes: number;
}

const BOOT_LINES = [
  "ets Jun  8 2016 00:22:57\r\n",
  "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n",
  "configsip: 0, SPIWP:0xee\r\nclk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n",
  "mode:DIO, clock div:2\r\nload:0x3fff0030,len:4\r\nentry 0x400806a8\r\n",
  "I (29) boot: ESP-IDF v6.0 2nd stage bootloader\r\n",
  "xsbug: connecting...\r\n",
];

/** xorshift32: small, seedable, fast. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x / 0x100000000;
  }
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

class Direction {
  enabled = true;
  readonly counts: FaultCounts = { bitFlips: 0, drops: 0, inserts: 0, garbageBursts: 0, bytes: 0 };
  constructor(private readonly rng: Rng, public rates: FaultRates) {}

  apply(chunk: Uint8Array): Uint8Array {
    this.counts.bytes += chunk.length;
    const r = this.rates;
    if (!this.enabled || (!r.bitFlip && !r.drop && !r.insert && !r.garbage)) return chunk;
    const out: number[] = [];
    if (r.garbage && this.rng.next() < r.garbage) {
      this.counts.garbageBursts++;
      const line = BOOT_LINES[this.rng.below(BOOT_LINES.length)]!;
      for (let i = 0; i < line.length; i++) out.push(line.charCodeAt(i));
    }
    for (let i = 0; i < chunk.length; i++) {
      let b = chunk[i]!;
      if (r.insert && this.rng.next() < r.insert) {
        out.push(this.rng.below(256));
        this.counts.inserts++;
      }
      if (r.drop && this.rng.next() < r.drop) {
        this.counts.drops++;
        continue;
      }
      if (r.bitFlip && this.rng.next() < r.bitFlip) {
        b ^= 1 << this.rng.below(8);
        this.counts.bitFlips++;
      }
      out.push(b);
    }
    return Uint8Array.from(out);
  }
}

export interface FaultRelayOptions {
  seed?: number;
  /** Faults on bytes going from the host to the device. */
  toDevice?: FaultRates;
  /** Faults on bytes going from the device to the host. */
  toHost?: FaultRates;
}

export class FaultRelay {
  private readonly down: Direction;
  private readonly up: Direction;

  constructor(readonly hostSide: BytePort, readonly deviceSide: BytePort, options: FaultRelayOptions = {}) {
    const rng = new Rng(options.seed ?? 1);
    this.down = new Direction(rng, options.toDevice ?? {});
    this.up = new Direction(rng, options.toHost ?? {});
    hostSide.onData((b) => {
      const out = this.down.apply(b);
      if (out.length) deviceSide.write(out);
    });
    deviceSide.onData((b) => {
      const out = this.up.apply(b);
      if (out.length) hostSide.write(out);
    });
  }

  /** Turn fault injection on or off (both directions). */
  set enabled(on: boolean) {
    this.down.enabled = on;
    this.up.enabled = on;
  }

  /** Inject text towards the host right now (e.g. a boot banner). */
  injectToHost(text: string): void {
    this.hostSide.write(new TextEncoder().encode(text));
  }

  get counts(): { toDevice: FaultCounts; toHost: FaultCounts } {
    return { toDevice: { ...this.down.counts }, toHost: { ...this.up.counts } };
  }

  async close(): Promise<void> {
    await Promise.all([this.hostSide.close(), this.deviceSide.close()]);
  }
}
