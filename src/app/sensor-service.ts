// The board's own sensor and its input pipeline on the wire (docs/protocol.md, "Pipeline and sensor"):
// PIPELINE_PUT/GET install and read the model's input pipeline (pipeline-transfer.ts; kept by the model
// service, which also trains raw batches with it), and SENSOR_MODE chooses what the board does with the windows it samples
// from its IMU (an ECMA-419 sensor driver such as embedded:sensor/Accelerometer-Gyroscope/MPU6050):
//   record: each window goes to the host (SENSOR_WINDOW), which writes it as CSV;
//   learn:  each window is one training sample of the class the host named (SENSOR_RESULT with the loss);
//   infer:  each window is classified (SENSOR_RESULT with class and confidence).
// A timer samples at the configured rate into the pipeline's own window ring (FeaturePipeline.pushRow):
// per sample and per window nothing is allocated here (the driver's sample() returns a new object, which
// is Moddable's driver's choice). Recording and learning wait while their window is still on its way.
// A mode is the host's (SENSOR_MODE) or the board's own: the "home" mode of manifest config.sensor.mode,
// started at boot and returned to when a counted host mode ends, and learning while the button is held
// (sensor-button.ts). The board's own modes never wait for the link: their results are dropped (and
// counted) when no host listens. A new model or pipeline restarts the running mode with it.
// Over 400 lines: the three modes, host- or board-driven, share the sampling, window and reply state (one
// timer, one ring, one pending message) that starting, restarting and ending a mode resets; a third of it
// is comments.
import type { FeaturePipeline } from "../features/pipeline";
import type { DenseModel } from "../engine/model-api";
import { PAYLOAD_OFFSET } from "../protocol/frame";
import * as M from "../protocol/messages";
import * as S from "../protocol/sensor";
import type { ModelService } from "./model-service";
import type { DeviceTimers } from "./transport";
import { PipelineTransfer } from "./pipeline-transfer";

/** An ECMA-419 sensor: sample() returns groups of named readings, e.g. { accelerometer: { x, y, z } }. */
export interface SensorDriver {
  sample(): Record<string, Record<string, number> | undefined> | undefined;
}

/** How the sensor's readings become pipeline columns (manifest.json config "sensor"). */
export interface SensorSettings {
  /** Samples per second. */
  hz: number;
  /** Column names the sensor provides, e.g. aX..gZ. */
  columns: string[];
  /** Per column the driver reading, "group.axis", e.g. "accelerometer.x". */
  fields: string[];
  /** Per column the factor from the driver's unit to the column's (e.g. m/s^2 -> g). */
  scales: number[];
}

/** What the sensor service sends on its own initiative (implemented by DeviceTransport). */
export interface SensorReplies {
  readonly view: DataView;
  readonly payloadCap: number;
  /** A session is open and a retention slot stays free for the next reply. */
  readonly canSend: boolean;
  sendUnsolicited(type: number, plen: number): void;
  sendSequenced(type: number, plen: number): void;
  sendError(code: number, refSeq: number, refType: number, detail: number): void;
}


/** The mode the board runs on its own (manifest config.sensor.mode and .label). */
export interface HomeMode {
  /** MODE_IDLE ("off"), MODE_RECORD, MODE_LEARN or MODE_INFER. */
  mode: number;
  /** Learn mode's class: a class name of the model's pipeline, or its index. */
  label: string | number;
}

/** Board-driven learning saves a checkpoint every this many learned steps (and when it ends). */
const BOARD_LEARN_SAVE_EVERY = 50;

export class SensorService {
  mode = S.MODE_IDLE;
  /** Windows completed in the current mode. */
  windows = 0;
  /** Results not sent because the link was busy (infer). */
  dropped = 0;
  /** Sample ticks skipped while a window was still being sent. */
  waits = 0;

  private readonly out: SensorReplies;
  private readonly models: ModelService;
  private readonly driver: SensorDriver | null;
  private readonly settings: SensorSettings | null;
  private readonly log: (text: string) => void;
  private timers: DeviceTimers | null = null;
  private timer: unknown = null;
  /** The running mode was chosen by the host (it waits for the link) or by the board (it never does). */
  private byHost = false;
  private home: HomeMode = { mode: S.MODE_IDLE, label: 0 };
  /** The host set the sensor idle: the board does not go back to its home mode until it restarts. */
  private homeOff = false;
  /** Model and pipeline the running mode was sized for (a new one restarts the mode). */
  private begunModel: DenseModel | null = null;
  private begunFeatures: FeaturePipeline | null = null;
  /** Pipeline the home mode last failed to start with (not retried until it changes). */
  private homeTried: FeaturePipeline | null = null;
  /** Steps learned in the board's own learn mode since the last checkpoint. */
  private unsaved = 0;

  // Sensor readings -> pipeline row, mapped when a mode starts.
  private groups: string[] = [];
  private axes: string[] = [];
  private scales = new Float64Array(0);
  private columnOf = new Int16Array(0);
  private reading = new Float64Array(0);
  private row = new Float64Array(0);
  private label = 0;
  private remaining = 0;

  // Window being sent (record) or result waiting for a slot (learn).
  private window = new Int16Array(0);
  private sendRow = -1;
  private resultPending = false;
  private x = new Float32Array(0);
  private y = new Uint8Array(0);
  private filled = 0;
  private probabilities = new Float32Array(0);
  private lastLoss = 0;
  private lastClass = 0;
  private lastConfidence = 0;

  private readonly pipelines: PipelineTransfer;
  private readonly modeMsg = new S.SensorMode();
  private readonly windowMsg = new S.SensorWindow();
  private readonly resultMsg = new S.SensorResult();
  /** The pipeline's clipped-sample and clipped-feature counts when the mode began (results carry those since). */
  private clippedAtBegin = 0;
  private clippedFeaturesAtBegin = 0;

  constructor(out: SensorReplies, models: ModelService, driver: SensorDriver | null, settings: SensorSettings | null, log: (text: string) => void) {
    this.out = out;
    this.models = models;
    this.driver = driver;
    this.settings = driver !== null ? settings : null;
    this.log = log;
    this.pipelines = new PipelineTransfer(models, out, log);
    if (this.settings !== null) {
      const s = this.settings;
      const C = s.columns.length;
      if (s.fields.length !== C || s.scales.length !== C || !(s.hz > 0 && s.hz <= 1000)) throw new RangeError("sensor: columns, fields and scales need one entry per column, hz 1..1000");
      for (const f of s.fields) {
        const dot = f.indexOf(".");
        if (dot < 1) throw new RangeError(`sensor: field "${f}" is not group.axis`);
        this.groups.push(f.slice(0, dot));
        this.axes.push(f.slice(dot + 1));
      }
      this.scales = Float64Array.from(s.scales);
      this.reading = new Float64Array(C);
    }
  }

  /** Timers for sampling (the transport's, started with it). */
  start(timers: DeviceTimers): void {
    this.timers = timers;
  }

  stop(): void {
    this.setIdle();
  }

  /** CAPS: the board has a sensor. */
  describe(caps: M.Caps): void {
    if (this.driver !== null) caps.flags |= S.CAPS_FLAG_SENSOR;
  }

  onSessionStart(): void {
    this.pipelines.reset();
  }

  onMessage(type: number, seq: number, view: DataView, off: number, len: number): void {
    let code = M.ERR_OK;
    switch (type) {
      case S.MSG_PIPELINE_PUT:
        code = this.pipelines.put(view, off, len);
        if (this.pipelines.installed) this.modelChanged(); // a running mode restarts with it; an idle board may start its home mode
        break;
      case S.MSG_PIPELINE_GET:
        code = this.pipelines.get(view, off, len);
        if (code === M.ERR_OK) return;
        break;
      case S.MSG_SENSOR_MODE:
        code = this.onMode(view, off, len);
        break;
      default:
        code = M.ERR_UNKNOWN_TYPE;
    }
    this.out.sendError(code, seq, type, 0);
  }

  // ---- modes -------------------------------------------------------------------------------------------

  private onMode(view: DataView, off: number, len: number): number {
    const m = this.modeMsg;
    const code = S.decodeSensorMode(view, off, len, m);
    if (code !== M.ERR_OK) return code;
    if (m.mode === S.MODE_IDLE) {
      this.setIdle();
      this.homeOff = true;
      return M.ERR_OK;
    }
    return this.begin(m.mode, m.label, m.count, true);
  }

  /** The board's own mode (config.sensor.mode): started now if the board can, else once it has a pipeline. */
  setHome(home: HomeMode): void {
    this.home = home;
    this.homeOff = false;
    this.homeTried = null;
    if (home.mode !== S.MODE_IDLE && this.models.features === null) this.log("sensor: home mode " + home.mode + " starts once the board has a model with an input pipeline");
    if (this.mode === S.MODE_IDLE && this.sendRow < 0 && !this.resultPending) this.goHome();
  }

  /** Back to the home mode (or idle). */
  private goHome(): void {
    this.setIdle();
    const home = this.home;
    if (home.mode === S.MODE_IDLE || this.homeOff || this.driver === null) return;
    const pipe = this.models.features;
    if (pipe === null || pipe === this.homeTried) return;
    const label = this.classIndex(home.label);
    const code = label < 0 ? M.ERR_BAD_LABEL : this.begin(home.mode, label, 0, false);
    if (code !== M.ERR_OK) {
      this.homeTried = pipe;
      this.log("sensor: home mode " + home.mode + " not started (error " + code + ")");
    }
  }

  /** A class name of the pipeline, or an index, as the model's class index (-1: none such). */
  classIndex(label: string | number): number {
    if (typeof label === "number") return label >= 0 && label < this.models.model.outputs ? label | 0 : -1;
    const names = this.models.pipeline === null ? null : this.models.pipeline.classes;
    return names === null ? -1 : names.indexOf(label);
  }

  /** Classes of the model. */
  get classCount(): number {
    return this.models.model.outputs;
  }

  /** The name of class `index` (the pipeline's, or its number). */
  className(index: number): string {
    const names = this.models.pipeline === null ? null : this.models.pipeline.classes;
    return names !== null && index < names.length ? names[index] : "class " + index;
  }

  /**
   * After any host message: a new model or pipeline (MODEL_COMMIT, CONFIG, PIPELINE_PUT) restarts the
   * running mode sized for it, or starts the home mode on a board that could not start it before.
   */
  modelChanged(): void {
    const models = this.models;
    if (this.mode === S.MODE_IDLE) {
      if (this.home.mode !== S.MODE_IDLE && !this.homeOff && models.features !== null && models.features !== this.homeTried) this.goHome();
      return;
    }
    if (models.model === this.begunModel && models.features === this.begunFeatures) return;
    const code = this.begin(this.mode, this.label, this.remaining, this.byHost);
    if (code !== M.ERR_OK) {
      this.log("sensor: mode stopped by the new model (error " + code + ")");
      this.goHome();
    }
  }

  /** The button is held: learn class `label` from the next window on (the board's own mode). */
  holdLearn(label: number): number {
    return this.begin(S.MODE_LEARN, label, 0, false);
  }

  /** The button is released: returns the windows learned while it was held, and goes back home. */
  releaseLearn(): number {
    if (this.mode !== S.MODE_LEARN || this.byHost) return 0;
    const learned = this.windows;
    this.saveLearned();
    this.goHome();
    return learned;
  }

  /** Start a mode (`byHost`: SENSOR_MODE; else the board's own). Returns an ERR_* code. */
  begin(mode: number, label: number, count: number, byHost: boolean): number {
    const pipe = this.models.features;
    const s = this.settings;
    if (s === null || this.driver === null) return M.ERR_BAD_STATE;
    if (pipe === null) return M.ERR_BAD_STATE;
    if (mode === S.MODE_LEARN && label >= this.models.model.outputs) return M.ERR_BAD_LABEL;
    if (mode === S.MODE_LEARN && this.models.busy) return M.ERR_BAD_STATE;
    // Every pipeline column must come from the sensor (by name).
    const C = pipe.columns;
    const columnOf = new Int16Array(C);
    for (let c = 0; c < C; c++) {
      const k = s.columns.indexOf(pipe.spec.columns[c]);
      if (k < 0) {
        this.log("sensor has no column " + pipe.spec.columns[c]);
        return M.ERR_SHAPE_MISMATCH;
      }
      columnOf[c] = k;
    }
    if (this.mode === S.MODE_LEARN && !this.byHost) this.saveLearned();
    this.setIdle();
    this.byHost = byHost;
    this.begunModel = this.models.model;
    this.begunFeatures = pipe;
    this.columnOf = columnOf;
    this.row = new Float64Array(C);
    this.window = new Int16Array(pipe.windowRows * C);
    const B = this.models.model.batchSize, F = this.models.model.inputs;
    this.x = new Float32Array(B * F);
    this.y = new Uint8Array(B);
    this.probabilities = new Float32Array(this.models.model.outputs);
    this.filled = 0;
    this.mode = mode;
    this.label = label;
    this.remaining = count;
    this.windows = 0;
    this.dropped = 0;
    this.clippedAtBegin = clippedTotal(pipe);
    this.clippedFeaturesAtBegin = pipe.clippedFeatures;
    this.sendRow = -1;
    this.resultPending = false;
    pipe.reset();
    const period = Math.max(1, Math.round(1000 / s.hz));
    if (this.timers !== null) this.timer = this.timers.repeat(() => this.tick(), period);
    return M.ERR_OK;
  }

  private setIdle(): void {
    if (this.timer !== null && this.timers !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.mode = S.MODE_IDLE;
  }

  /** One sample period. */
  tick(): void {
    if (this.mode !== S.MODE_IDLE && (this.models.model !== this.begunModel || this.models.features !== this.begunFeatures)) {
      this.modelChanged();
      return;
    }
    if (this.sendRow >= 0 && !this.byHost && !this.out.canSend) {
      this.sendRow = -1; // the board's own recording: nobody is listening, so the window is dropped
      this.dropped++;
    }
    if (this.sendRow >= 0) this.sendWindowRows();
    if (this.resultPending) this.sendResult(0);
    if (this.sendRow >= 0 || this.resultPending) {
      this.waits++;
      return;
    }
    if (this.mode === S.MODE_IDLE) return;
    const pipe = this.models.features;
    if (pipe === null) return;
    if (!this.readRow()) return;
    if (!pipe.pushRow(this.row, 0)) return;
    this.windows++;
    const mode = this.mode;
    if (mode === S.MODE_RECORD) {
      this.copyWindow();
      this.sendRow = 0;
      this.sendWindowRows();
      pipe.reset(); // the next recording starts with fresh rows
    } else if (mode === S.MODE_LEARN) {
      this.learnWindow();
      pipe.reset();
    } else {
      this.inferWindow();
    }
  }

  /** The driver's reading in the pipeline's column order and units; false if the driver gave none. */
  private readRow(): boolean {
    const r = this.driver!.sample();
    if (r === undefined) return false;
    const reading = this.reading, groups = this.groups, axes = this.axes;
    for (let k = 0; k < reading.length; k++) {
      const g = r[groups[k]];
      reading[k] = g === undefined ? NaN : g[axes[k]] * this.scales[k];
    }
    const row = this.row, map = this.columnOf;
    for (let c = 0; c < row.length; c++) row[c] = reading[map[c]];
    return true;
  }

  private copyWindow(): void {
    const pipe = this.models.features!;
    const C = pipe.columns, N = pipe.windowRows, ring = pipe.ring, w = this.window;
    let r = pipe.oldestRow();
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < C; c++) w[i * C + c] = ring[r * C + c];
      r++;
      if (r === N) r = 0;
    }
  }

  /** Send the recorded window in as many SENSOR_WINDOW messages as it takes, as slots free up. */
  private sendWindowRows(): void {
    const pipe = this.models.features!;
    const C = pipe.columns, N = pipe.windowRows;
    const m = this.windowMsg;
    while (this.sendRow < N && this.out.canSend) {
      let rows = ((this.out.payloadCap - S.SWIN_DATA) / (2 * C)) | 0;
      if (rows > N - this.sendRow) rows = N - this.sendRow;
      if (rows < 1) return; // cannot happen with the minimum frame limit and <= 255 columns... but never loop
      m.window = this.windows - 1;
      m.label = this.label;
      m.columns = C;
      m.firstRow = this.sendRow;
      m.rows = rows;
      m.windowRows = N;
      const v = this.out.view;
      const n = S.encodeSensorWindowHeader(v, PAYLOAD_OFFSET, this.out.payloadCap, m);
      if (n < 0) return;
      const w = this.window, from = this.sendRow * C;
      for (let i = 0; i < rows * C; i++) v.setInt16(PAYLOAD_OFFSET + S.SWIN_DATA + 2 * i, w[from + i], true);
      this.out.sendUnsolicited(S.MSG_SENSOR_WINDOW, n);
      this.sendRow += rows;
    }
    if (this.sendRow < N) return;
    this.sendRow = -1;
    this.countDown();
  }

  private learnWindow(): void {
    const models = this.models;
    if (models.busy) return; // weights are being replaced: this window is not learned
    const model = models.model, pipe = models.features!;
    const F = model.inputs;
    pipe.extract(this.x, this.filled * F);
    this.y[this.filled] = this.label;
    this.filled++;
    if (this.filled < model.batchSize) return;
    this.filled = 0;
    this.lastLoss = model.trainStep(this.x, this.y);
    models.trainedOnBoard();
    this.lastClass = this.label;
    this.lastConfidence = 0;
    this.resultPending = true;
    if (!this.byHost && ++this.unsaved >= BOARD_LEARN_SAVE_EVERY) this.saveLearned();
    this.sendResult(this.byHost ? 0 : 1);
  }

  /** What the board learned on its own survives a power cycle (no host sends CHECKPOINT_SAVE for it). */
  private saveLearned(): void {
    if (this.unsaved === 0) return;
    this.unsaved = 0;
    this.models.saveCheckpoint();
  }

  private inferWindow(): void {
    const models = this.models;
    if (models.busy) return;
    const model = models.model, pipe = models.features!;
    pipe.extract(this.x, 0);
    const p = this.probabilities;
    model.predict(this.x, p, 1);
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
    this.lastClass = best;
    this.lastConfidence = p[best];
    this.lastLoss = 0;
    this.resultPending = true;
    this.sendResult(1);
  }

  /** SENSOR_RESULT of the last window; `droppable`: give up (counted) when the link is busy. */
  private sendResult(droppable: number): void {
    if (!this.out.canSend) {
      if (droppable !== 0) {
        this.dropped++;
        this.resultPending = false;
        this.countDown();
      }
      return;
    }
    this.resultPending = false;
    const done = this.remaining === 1;
    this.writeResult(done ? S.SRES_DONE : 0);
    this.dropped = 0;
    this.countDown();
  }

  private writeResult(flags: number): void {
    const r = this.resultMsg;
    r.mode = this.mode;
    r.classIndex = this.lastClass;
    r.flags = flags;
    r.window = this.windows - 1;
    r.confidence = this.lastConfidence;
    r.loss = this.lastLoss;
    r.remaining = this.remaining > 0 ? this.remaining - 1 : 0;
    r.dropped = this.dropped;
    const pipe = this.models.features;
    r.clipped = pipe === null ? 0 : clippedTotal(pipe) - this.clippedAtBegin;
    r.clippedFeatures = pipe === null ? 0 : pipe.clippedFeatures - this.clippedFeaturesAtBegin;
    const n = S.encodeSensorResult(this.out.view, PAYLOAD_OFFSET, this.out.payloadCap, r);
    if (n > 0) this.out.sendUnsolicited(S.MSG_SENSOR_RESULT, n);
  }

  /** One window of a counted mode done; the last one ends the mode (record says so in a result). */
  private countDown(): void {
    if (this.remaining === 0) return; // unbounded
    this.remaining--;
    if (this.remaining > 0) return;
    if (this.mode === S.MODE_RECORD) {
      // The end of a recording: a result with DONE (it waits for a slot like the windows did).
      if (!this.out.canSend) {
        this.remaining = 1;
        this.resultPending = false;
        this.sendRow = this.models.features!.windowRows; // retry from tick via sendWindowRows
        return;
      }
      this.lastClass = this.label;
      this.lastConfidence = 0;
      this.lastLoss = 0;
      this.remaining = 1;
      this.writeResult(S.SRES_DONE);
      this.remaining = 0;
    }
    this.goHome();
  }
}

/** Samples the pipeline clipped to its columns' ranges, all columns, since it was made. */
function clippedTotal(pipe: FeaturePipeline): number {
  let n = 0;
  for (let c = 0; c < pipe.clippedSamples.length; c++) n += pipe.clippedSamples[c];
  return n;
}
