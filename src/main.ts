// Device entry module (manifest.json "main"): opens the UART, builds the model and serves the protocol.
// The same file runs on the ESP32 and in the host simulator, which provides stand-ins for the imports.
// The model is data, not code: the newest checkpoint's (whatever model the host installed last), else the
// default spec in the manifest's config.model.spec; config.model.budget bounds what the host may install.
import Serial from "embedded:io/serial";
import Timer from "timer";
import config from "mc/config";
import Flash from "flash";
import Instrumentation from "instrumentation";
import { buildModel, plan } from "./engine/build";
import type { DenseModel } from "./engine/model-api";
import type { ModelSpec } from "./engine/spec";
import { modelCost, modelFromBytes, type InstalledModel } from "./app/model-install";
import { DeviceSession } from "./app/device";
import { CheckpointStore, type FlashLike } from "./app/checkpoint";
import { LinuxSerialAdapter, freeMemoryReader, type InstrumentationLike, type LinuxSerial } from "./app/platform";
import type { DeviceSerial } from "./app/transport";
import { homeMode, openSensor, type SensorConfig } from "./app/sensor-config";
import { openButton } from "./app/sensor-button";
import { imuBus, imuDriver } from "./board/imu";
import { buttonDigital } from "./board/button";

interface SerialConfig {
  port?: number;
  transmit?: number;
  receive?: number;
  baud?: number;
  maxFrame?: number;
  /** Largest frame the board sends (default maxFrame): raw windows need a large receive limit, replies do not. */
  txMaxFrame?: number;
  /** Credit window in bytes; larger than the FIFO only when the app provably keeps up (docs/protocol.md). */
  rxWindow?: number;
  /** Moddable Linux host builds: the serial device path (its driver is named by `device`, not pins). */
  device?: string;
}

interface CheckpointConfig {
  /** Flash data partition for checkpoints ("" disables them). */
  partition?: string;
  /** Save every this many trained batches. */
  every?: number;
}

interface ModelConfig {
  /** The model a board without a usable checkpoint starts with (a ModelSpec, as JSON). */
  spec?: ModelSpec;
  /** Bytes a model may cost (arena, weights staging, objects); clamped by the free memory where known. */
  budget?: number;
}

type TraceFn = (text: string) => void;

function setting(value: unknown, fallback: number): number {
  return typeof value === "number" && value === value ? value : fallback;
}

export default function main(): void {
  const sc = ((config as Record<string, unknown>).serial ?? {}) as SerialConfig;
  const g = globalThis as unknown as { trace?: TraceFn };
  const trace = g.trace;
  const log = (text: string): void => {
    if (trace !== undefined) trace(text + "\n");
  };
  const mc = ((config as Record<string, unknown>).model ?? {}) as ModelConfig;
  const budget = setting(mc.budget, 0);
  const freeBytes = freeMemoryReader(Instrumentation as unknown as InstrumentationLike);

  // Resume from the newest crash-safe checkpoint, if the partition exists and holds one: its spec (the
  // model the host installed, its frozen layers, its pipeline) is the model, within the budget.
  const cc = ((config as Record<string, unknown>).checkpoint ?? {}) as CheckpointConfig;
  let store: CheckpointStore | null = null;
  let installed: InstalledModel | null = null;
  let lastBatchId = 0;
  let restoredBatchId = -1;
  if (cc.partition !== "") {
    try {
      store = new CheckpointStore(new Flash(cc.partition ?? "storage") as unknown as FlashLike);
      const limit = budget;
      const restored = store.restoreFile((file) => modelFromBytes(file, limit, false));
      if (restored !== null) {
        installed = restored.value;
        lastBatchId = installed.lastBatchId < 0 ? 0 : installed.lastBatchId;
        restoredBatchId = lastBatchId;
        log("checkpoint restored: batch " + lastBatchId + ", step " + installed.model.step);
      }
    } catch (e) {
      // No partition (manifest.json creates "storage" on esp32 builds; other tables may lack it): the
      // board trains without checkpoints, and says so in CAPS and CHECKPOINT_STATE (info, stream warn).
      store = null;
      log("checkpoints off: " + String(e));
    }
  }
  const saver = store;
  let model: DenseModel;
  if (installed !== null) {
    model = installed.model;
  } else {
    if (mc.spec === undefined) throw new Error("manifest config.model.spec: no default model");
    model = buildModel(mc.spec);
    const cost = modelCost(plan(mc.spec));
    if (budget > 0 && cost > budget) log("default model costs " + cost + " bytes, over the budget of " + budget);
  }

  // Callbacks run in later turns, after `session` below exists.
  const onReadable = (count: number): void => session.onReadable(count);
  const onWritable = (count: number): void => session.onWritable(count);
  const baud = setting(sc.baud, 921600);
  let port: DeviceSerial;
  if (typeof sc.device === "string") {
    // Moddable's Linux host driver: a device path; read(count)/write(ArrayBuffer) (docs/moddable-serial.md).
    const options = { device: sc.device, baud, format: "buffer", onReadable, onWritable };
    port = new LinuxSerialAdapter(new Serial(options as unknown as ConstructorParameters<typeof Serial>[0]) as unknown as LinuxSerial);
  } else {
    const serial = new Serial({
      port: setting(sc.port, 0), transmit: setting(sc.transmit, 1), receive: setting(sc.receive, 3), baud,
      format: "buffer", onReadable, onWritable,
    });
    port = serial as unknown as DeviceSerial; // ECMA-419: read(buffer) fills it in place; write(view)
  }
  // A UART driver with an interrupt-filled receive ring (src/native/uart-ring.c, or the simulator's "ring"
  // board) says how big it is; Moddable's plain ECMA-419 serial has none (undefined).
  const rxBuffer = (port as unknown as { receiveBuffer?: unknown }).receiveBuffer;

  // The board's own IMU (config "sensor"); a board without one (or with "sensor": {}) serves the link only.
  // With one, it may run a mode from boot (config.sensor.mode) and have a learn button (config.sensor.button).
  const sensorConfig = ((config as Record<string, unknown>).sensor ?? {}) as SensorConfig;
  const sensor = openSensor(sensorConfig, imuBus, imuDriver, log);
  const button = sensor === null ? null : openButton(sensorConfig.button, buttonDigital, () => session.onButtonEdge(), log);

  const session = new DeviceSession(model, {
    sensor: sensor ?? undefined,
    home: sensor === null ? undefined : homeMode(sensorConfig, log),
    button: button === null || sensorConfig.button === undefined ? undefined : { input: button, config: sensorConfig.button },
    lastCommittedBatchId: lastBatchId,
    saveEvery: saver === null ? 0 : setting(cc.every, 50),
    checkpoints: saver === null ? undefined : {
      save(m, id, pipelineBytes) {
        saver.save(m, id, pipelineBytes);
      },
      partitionBytes: saver.flash.byteLength,
      restoredBatchId,
    },
    freeBytes,
    modelBudget: budget,
    pipeline: installed === null ? null : installed.pipeline,
    pipelineBytes: installed === null ? null : installed.pipelineBytes,
    // Math.random is seeded from hardware on the ESP32; the clock guards against a fixed seed elsewhere.
    bootNonce: (((Math.random() * 4294967296) >>> 0) ^ (Date.now() % 4294967296)) >>> 0,
    now: Date.now,
    log,
    maxFrame: setting(sc.maxFrame, 1024),
    txMaxFrame: typeof sc.txMaxFrame === "number" ? sc.txMaxFrame : undefined,
    rxWindow: typeof sc.rxWindow === "number" ? sc.rxWindow : undefined,
    rxBuffer: typeof rxBuffer === "number" ? rxBuffer : 0,
  });
  session.start(port, Timer);
}
