// The device application's session: the transport (transport.ts: frames, sequencing, acks, credit,
// transmit) wired to the model service (model-service.ts: training, prediction, weights, settings).
// This facade is what src/main.ts, the simulator and the tests hold; it owns no protocol logic itself.
// Nothing here knows whether the serial port, timers and clock are real or simulated.
import type { DenseModel } from "../engine/model-api";
import type * as M from "../protocol/messages";
import type { FrameDecoder } from "../protocol/frame";
import { DeviceTransport, type DeviceSerial, type DeviceTimers, type MessageHandler, type TransportOptions, type TransportStats } from "./transport";
import { ModelService, type ModelServiceOptions, type ModelStats } from "./model-service";
import { SensorService, type HomeMode, type SensorDriver, type SensorSettings } from "./sensor-service";
import { LearnButton, type ButtonConfig, type DigitalInput } from "./sensor-button";
import { isSensorType } from "../protocol/sensor";
import type { WeightsBlob } from "./weights-blob";
import type { PipelineSpec } from "../features/spec";

export { DEVICE_MAX_FRAME, TX_SLOTS, RETRANSMIT_MS, ACK_REFRESH_MS, ACK_STEP } from "./transport";
export type { DeviceSerial, DeviceTimers } from "./transport";

export type DeviceOptions = TransportOptions & ModelServiceOptions & {
  /** The board's own sensor (src/main.ts builds it from manifest config "sensor"), if it has one. */
  sensor?: { driver: SensorDriver; settings: SensorSettings };
  /** The mode the sensor runs in with no host (config.sensor.mode), started with the session. */
  home?: HomeMode;
  /** The learn button's pin (src/main.ts opens it; its edges go to DeviceSession.onButtonEdge). */
  button?: { input: DigitalInput; config: ButtonConfig };
};
export type DeviceStats = TransportStats & ModelStats;

export class DeviceSession implements MessageHandler {
  readonly transport: DeviceTransport;
  readonly service: ModelService;
  readonly sensor: SensorService;
  /** The learn button, once started (null: the board has none). */
  button: LearnButton | null = null;
  private readonly options: DeviceOptions;
  readonly stats: DeviceStats = {
    accepted: 0, duplicates: 0, gaps: 0, deferred: 0, retransmits: 0, acksSent: 0, errorsSent: 0,
    reports: 0, batchesTrained: 0, batchesRefused: 0, handlerErrors: 0,
  };

  constructor(model: DenseModel, options: DeviceOptions) {
    this.options = options;
    this.transport = new DeviceTransport(this, this.stats, options);
    this.service = new ModelService(model, this.transport, this.transport.decoder.buffer, this.stats, options);
    const log = options.log ?? ((): void => {});
    this.sensor = new SensorService(this.transport, this.service, options.sensor?.driver ?? null, options.sensor?.settings ?? null, log);
  }

  /** Starts serving: writes 0x00 and an unsolicited CAPS, starts the tick timer. */
  start(serial: DeviceSerial, timers: DeviceTimers): void {
    this.transport.start(serial, timers);
    this.sensor.start(timers);
    const o = this.options;
    if (o.button !== undefined && o.sensor !== undefined) {
      this.button = new LearnButton(o.button.input, o.button.config, this.sensor, timers, o.now, o.log ?? ((): void => {}));
      if (o.home !== undefined) this.button.first = o.home.label;
    }
    if (o.home !== undefined) this.sensor.setHome(o.home);
  }

  /** An edge on the learn button's pin (its Digital's onReadable). */
  onButtonEdge(): void {
    if (this.button !== null) this.button.onEdge();
  }

  stop(): void {
    this.button?.stop();
    this.sensor.stop();
    this.transport.stop();
  }

  /** Serial onReadable. */
  onReadable(count: number): void {
    this.transport.onReadable(count);
  }

  /** Serial onWritable. */
  onWritable(count: number): void {
    this.transport.onWritable(count);
  }

  // The transport hands every message to the service (the service is built after the transport).
  onMessage(type: number, seq: number, view: DataView, off: number, len: number): void {
    if (isSensorType(type)) {
      this.sensor.onMessage(type, seq, view, off, len);
    } else {
      this.service.onMessage(type, seq, view, off, len);
      this.sensor.modelChanged(); // MODEL_COMMIT or CONFIG may have replaced the model the sensor uses
    }
  }

  onSessionStart(): void {
    this.service.onSessionStart();
    this.sensor.onSessionStart();
  }

  describe(caps: M.Caps): void {
    this.service.describe(caps);
    this.sensor.describe(caps);
  }

  /** The current model (replaced when CONFIG changes its settings or frozen layers). */
  get model(): DenseModel {
    return this.service.model;
  }

  /** The input pipeline and class names stored with the current model (null: none). */
  get pipeline(): PipelineSpec | null {
    return this.service.pipeline;
  }

  get blob(): WeightsBlob {
    return this.service.blob;
  }

  /** Id of the last batch whose training step is reflected in the weights. */
  get lastCommittedBatchId(): number {
    return this.service.lastCommittedBatchId;
  }

  /** Batch-view cache misses (each allocated one typed array). Constant in steady state. */
  get viewAllocations(): number {
    return this.service.viewAllocations;
  }

  get decoder(): FrameDecoder {
    return this.transport.decoder;
  }

  get maxFrame(): number {
    return this.transport.maxFrame;
  }

  get bootNonce(): number {
    return this.transport.bootNonce;
  }

  get inFlight(): number {
    return this.transport.inFlight;
  }

  /** The host position the device may receive up to (what the next ACK would say: read + window). */
  get grantEdge(): number {
    return this.transport.grantEdge;
  }

  /** Credit window (CAPS rxWindow). */
  get rxWindow(): number {
    return this.transport.rxWindow;
  }

  get bytesRead(): number {
    return this.transport.bytesRead;
  }
}
