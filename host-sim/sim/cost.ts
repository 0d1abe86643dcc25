// How long the simulated board is busy: a cost model of the device app on an ESP32, so that a device turn
// lasts the same (virtual) time however fast the PC is. The board charges a turn for what it can observe:
// the turn itself, every byte the app reads (frame decoding: COBS + CRC) and writes (encoding), every
// training step of a SAMPLE_BATCH whose end the app read (the app trains inside that read's turn), every
// prediction of a PREDICT_REQ, and flash erases/writes (checkpoints).
//
// The per-operation figures are XS work units (the xsnap meter: about one per bytecode, docs/xs-meter.md),
// measured under XS for the gesture model (30-32-5, Float32, batch 1). `test/sim-cost.test.ts` re-measures
// them and fails when the app drifts more than 30 % away from these numbers. Units become time through
// `unitsPerUs`, the one figure that is an assumption (see docs/simulator.md): XS on this project's x86-64
// test machine runs ~200 units/µs; an ESP32 (Xtensa LX6, 240 MHz, code in flash behind a cache) is taken
// to be 50 times slower, 4 units/µs. Replace it with a measurement from an instrumented device build when
// one is available; every figure can be overridden (SimulatorOptions.cost).
import { FrameDecoder } from "../../src/protocol/frame";
import { MSG_PREDICT_REQ, MSG_SAMPLE_BATCH } from "../../src/protocol/messages";

export interface CostModel {
  /** XS work units the board executes per µs (the assumption; 0 = infinitely fast). */
  unitsPerUs: number;
  /** Units per device turn (callback dispatch and the app's bookkeeping). */
  turnUnits: number;
  /** Units per byte the app reads (frame decoder: COBS and CRC-32). */
  rxByteUnits: number;
  /** Units per byte the app writes (frame encoder). */
  txByteUnits: number;
  /** Units per training step (one sample of a SAMPLE_BATCH). */
  stepUnits: number;
  /** Units per predicted sample (PREDICT_REQ). */
  predictUnits: number;
  /** Flash: ms per sector erase and µs per byte written (typical SPI NOR: 45 ms / 4 KB, 0.7 ms / 256 B). */
  flashEraseMs: number;
  flashWriteUsPerByte: number;
}

/** The gesture model on an ESP32 (measured units; unitsPerUs assumed, see above). */
export const ESP32_COST: CostModel = {
  unitsPerUs: 4,
  turnUnits: 400,
  rxByteUnits: 134,
  txByteUnits: 88,
  stepUnits: 47300,
  predictUnits: 28500,
  flashEraseMs: 45,
  flashWriteUsPerByte: 2.7,
};

/** A board that takes no time at all (the link alone limits throughput). */
export const ZERO_COST: CostModel = {
  unitsPerUs: 0, turnUnits: 0, rxByteUnits: 0, txByteUnits: 0, stepUnits: 0, predictUnits: 0, flashEraseMs: 0, flashWriteUsPerByte: 0,
};

export function costModel(spec: "esp32" | "zero" | Partial<CostModel> | undefined): CostModel {
  if (spec === undefined || spec === "esp32") return ESP32_COST;
  if (spec === "zero") return ZERO_COST;
  const m = { ...ESP32_COST, ...spec };
  for (const [k, v] of Object.entries(m)) {
    if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new RangeError(`cost model: ${k} must be a finite number >= 0, got ${String(v)}`);
  }
  return m;
}

/**
 * Watches the bytes the app reads, as the app's own decoder will see them, and reports the work their
 * frames cause: training steps for a well-formed SAMPLE_BATCH, predictions for a well-formed PREDICT_REQ
 * (one the device refuses for another reason, e.g. a duplicate batch id, is charged too: pessimistic).
 */
export class WorkMeter {
  private units = 0;
  private readonly decoder: FrameDecoder;

  constructor(private readonly model: CostModel) {
    this.decoder = new FrameDecoder(65551, (type, _seq, _ack, view, offset, length) => {
      if ((type !== MSG_SAMPLE_BATCH && type !== MSG_PREDICT_REQ) || length < 16) return;
      // Only a payload whose length matches its own count and shape can be trained on or predicted
      // (docs/protocol.md section 3); a lying one is refused at once and costs only its bytes.
      const count = view.getUint16(offset + 4, true);
      const elem = [0, 4, 2, 1, 1][view.getUint8(offset + 6)] ?? 0;
      const rank = view.getUint8(offset + 7);
      let perSample = elem;
      for (let d = 0; d < 3; d++) perSample *= d < rank ? view.getUint16(offset + 8 + 2 * d, true) : 1;
      const dataOffset = type === MSG_SAMPLE_BATCH ? (16 + count + 3) & ~3 : 16;
      if (count === 0 || perSample === 0 || rank < 1 || rank > 3 || length !== dataOffset + count * perSample) return;
      this.units += count * (type === MSG_SAMPLE_BATCH ? this.model.stepUnits : this.model.predictUnits);
    });
  }

  /** ms the app spends on `bytes` it has just read (decoding them and handling the frames they end). */
  read(bytes: Uint8Array): number {
    this.units = bytes.length * this.model.rxByteUnits;
    this.decoder.push(bytes);
    return this.toMs(this.units);
  }

  write(count: number): number {
    return this.toMs(count * this.model.txByteUnits);
  }

  turn(): number {
    return this.toMs(this.model.turnUnits);
  }

  flashErase(): number {
    return this.model.flashEraseMs;
  }

  flashWrite(bytes: number): number {
    return (bytes * this.model.flashWriteUsPerByte) / 1000;
  }

  private toMs(units: number): number {
    return this.model.unitsPerUs > 0 ? units / this.model.unitsPerUs / 1000 : 0;
  }

  /** A power cycle: a partial frame is gone. */
  reset(): void {
    this.decoder.reset();
  }
}
