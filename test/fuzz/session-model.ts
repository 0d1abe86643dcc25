// Model-based fuzzing of message SEQUENCES against the device session (issue 11): fast-check generates
// random interleavings of HELLO variants, pings, batches with edge ids, weights get/put/commit with
// overlapping, missing or poisoned chunks, CONFIG, resent frames, device reboots and the passing of time.
// Raw batches in slices (RAW_SLICE) are fuzzed where the tree has them: the device gets a small input
// pipeline, and slices arrive with edge ids, gaps, restarts, wrong or lying offsets, counts, shapes,
// labels and lengths; the reference assembles the rows and computes the features itself.
// Each command runs against a real DeviceSession (a metered copy of src/, see instrument.ts) through a
// lossless fake serial port and a virtual clock, and against a small reference model of what the device
// must hold: session state and the host's frame limit, the committed batch id, the staged weights, and a
// shadow model (the engine's own buildModel) trained on the same batches, so the device's weights, step
// and optimizer state are known to the byte.
//
// Checked after every command: the device's answers equal the reference's; its model equals the shadow;
// no exception escapes a device turn; no turn runs more than WORK_LIMIT loop iterations (work, not time);
// every frame it writes is CRC-valid and fits the host's announced maxFrame; no gap or skipped sequence
// number on a lossless link; the device's reachable memory stays within FOOTPRINT_FACTOR of its size at
// boot. docs/testing.md describes the commands, the bugs this found, and how to run it longer.
//
// This file imports from src/ only what has stayed stable since before the bugs it must find were fixed
// (bench/fuzz-regressions.sh copies it into those old trees): the frame codec, message constants and
// buildModel. The host side writes every payload itself, so it can send what a valid host would not.
import fc from "fast-check";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { FrameDecoder, FrameEncoder, MAX_FRAME, PROTOCOL_VERSION } from "../../src/protocol/frame";
import * as M from "../../src/protocol/messages";
import { buildModel } from "../../src/index";
import { loadMetered, workMeter, WorkLimitExceeded, type Mutant, type WorkMeter } from "./instrument";

/** 2^32 - 2: the largest batch id (docs/protocol.md section 6). Local: older trees do not export it. */
export const MAX_BATCH_ID = 0xfffffffe;
/** Loop iterations one device turn may run (the largest seen in a long run is in docs/testing.md). */
export const WORK_LIMIT = 200_000;
/** The device's reachable memory may grow to this multiple of its size at boot (a CONFIG rebuild doubles it for a moment). */
export const FOOTPRINT_FACTOR = 3;
const DEVICE_FRAME = 1024; // DeviceSession's default receive and transmit limit
const BLOB_MAGIC = 0x31575054;
/** RAW_SLICE (0x15): local, like MAX_BATCH_ID. Older trees do not know it; the fuzzer sends it only where M has it. */
const MSG_RAW_SLICE = 0x15;
export const RAW_SLICES = (M as { MSG_RAW_SLICE?: number }).MSG_RAW_SLICE === MSG_RAW_SLICE;
/**
 * The device's input pipeline: 2 columns, windows of 5 rows, 2 raw points per column (the window's first 2
 * and last 3 rows averaged), unnormalised: FUZZ_SPEC's 4 inputs. Plain data (src/features/spec.ts).
 */
const FUZZ_PIPELINE = {
  columns: ["a", "b"], ranges: [4, 2.5], units: ["", ""], window: 5, stride: 5, features: 4, bands: 0, rawPoints: 2,
  clip: 8, mean: [], scale: [], classes: [],
};
const WINDOW_ROWS = FUZZ_PIPELINE.window, COLUMNS = FUZZ_PIPELINE.columns.length;

/** The device's model: small, Adam (bias correction from the step), batch size 2, two layers (frozen 0 or 1). */
export const FUZZ_SPEC = {
  inputs: 4,
  layers: [{ units: 6, activation: "relu" }, { units: 3, activation: "softmax" }],
  loss: "softmax_cross_entropy",
  optimizer: { type: "adam", learningRate: 0.01 },
  batchSize: 2,
  seed: 7,
} as const;

// ---- what the device module looks like (as old as the bugs) ---------------------------------------------

type Spec = Parameters<typeof buildModel>[0];
type AnyModel = ReturnType<typeof buildModel>;
interface Session {
  start(serial: { read(b: Uint8Array): number; write(b: Uint8Array): void }, timers: { repeat(cb: (t: unknown) => void, ms: number): unknown; clear(t: unknown): void }): void;
  onReadable(count: number): void;
  onWritable(count: number): void;
  readonly model: AnyModel;
  readonly lastCommittedBatchId?: number;
}
export interface DeviceCode {
  newSession(model: AnyModel, options: { bootNonce: number; now: () => number; pipeline?: object }): Session;
  buildModel(spec: unknown): AnyModel;
}

/** The device code under test: src/ as it is, or with mutants, metered. */
export function meteredDevice(root: string, mutants: readonly Mutant[] = []): DeviceCode {
  installMeter();
  const [device, build] = loadMetered(root, ["src/app/device.ts", buildEntry(root)], mutants);
  const DeviceSession = device.DeviceSession as new (m: AnyModel, o: object) => Session;
  return { newSession: (m, o) => new DeviceSession(m, o), buildModel: build.buildModel as (s: unknown) => AnyModel };
}

/** src/engine/build.ts holds buildModel since the engine restructure; before it, src/index.ts did. */
function buildEntry(root: string): string {
  return existsSync(join(root, "src/engine/build.ts")) ? "src/engine/build.ts" : "src/index.ts";
}

let meter: WorkMeter;
function installMeter(): void {
  const g = globalThis as { __tpWork?: WorkMeter };
  g.__tpWork ??= workMeter(WORK_LIMIT);
  meter = g.__tpWork;
}

// ---- CRC-32 and small helpers ---------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Short fingerprint of bytes for answers that carry data. */
function digest(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).padStart(8, "0");
}

const u32 = (...values: number[]): Uint8Array => {
  const b = new Uint8Array(4 * values.length);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint32(4 * i, x >>> 0, true));
  return b;
};

const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();

// ---- the reference model -------------------------------------------------------------------------------

type Stage = { mode: "none" } | { mode: "snapshot"; bytes: Uint8Array; crc: number; batchId: number } | { mode: "put"; bytes: Uint8Array; filled: number };

/** What the device must hold, and what the host knows. */
export class Reference {
  /** The device has an open session (an accepted HELLO since boot). */
  deviceOpen = false;
  /** The host's receive limit as the device must honour it: maxFrame of the last accepted HELLO. */
  hostLimit = MAX_FRAME;
  committed = 0;
  stage: Stage = { mode: "none" };
  shadow: AnyModel;
  /** Where the host's next WEIGHTS_GET continues, and what it read last. */
  nextGet = 0;
  /** The raw batch the device is assembling from RAW_SLICEs: its id, next row, labels and finished windows' inputs. */
  slice: { id: number; next: number; labels: number[]; x: Float32Array; window: Int16Array } | null = null;
  constructor() {
    this.shadow = buildModel(FUZZ_SPEC as unknown as Spec);
  }

  /** The blob the device's WEIGHTS_GET serves: magic, step, parameters, optimizer state (docs/protocol.md). */
  blob(): Uint8Array {
    const m = this.shadow;
    const parts = [bytesOf(m.parameters as Float32Array), ...m.optimizerState.map((s) => bytesOf(s as Float32Array))];
    const out = new Uint8Array(8 + parts.reduce((n, p) => n + p.length, 0));
    const v = new DataView(out.buffer);
    v.setUint32(0, BLOB_MAGIC, true);
    v.setUint32(4, m.step >>> 0, true);
    let at = 8;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  blobSize(): number {
    const m = this.shadow;
    return 8 + 4 * (m.parameters.length + m.optimizerState.reduce((n, s) => n + s.length, 0));
  }

  /** A blob the device accepts: magic, finite values, Adam's v >= 0. */
  blobValid(b: Uint8Array): boolean {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (v.getUint32(0, true) !== BLOB_MAGIC) return false;
    for (let at = 8; at < b.length; at += 4) if (!Number.isFinite(v.getFloat32(at, true))) return false;
    const vLen = 4 * this.shadow.optimizerState[this.shadow.optimizerState.length - 1].length;
    for (let at = b.length - vLen; at < b.length; at += 4) if (v.getFloat32(at, true) < 0) return false;
    return true;
  }

  loadBlob(b: Uint8Array): void {
    const m = this.shadow;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let at = 8;
    for (const a of [m.parameters, ...m.optimizerState] as Float32Array[]) {
      for (let i = 0; i < a.length; i++, at += 4) a[i] = v.getFloat32(at, true);
    }
    m.step = v.getUint32(4, true);
    m.weightsChanged?.(); // (older trees have no cached bounds to drop)
  }

  /** Payload the device may send: min(host limit, its own) - 16. */
  payloadCap(): number {
    return Math.min(this.hostLimit, DEVICE_FRAME) - 16;
  }
}

// ---- the real device, behind a lossless fake serial port and a virtual clock ------------------------------

interface Frame { type: number; seq: number; payload: Uint8Array }

export class Rig {
  session!: Session;
  clock = 1000;
  private input = new Uint8Array(0);
  private at = 0;
  private hostPos = 0;
  private readonly enc = new FrameEncoder(MAX_FRAME);
  private readonly wire = new Uint8Array(2 * MAX_FRAME);
  private tick: (() => void) | null = null;
  /** Host sequence numbers: the next one to send, and the next one expected from the device. */
  hostSeq = 1;
  devExpected = 1;
  /** The nonce of the host's latest HELLO, and the limit it announced. */
  helloNonce = -1;
  helloLimit = MAX_FRAME;
  /** The last sequenced frame sent (for "resend"). */
  lastSent: { type: number; seq: number; payload: Uint8Array } | null = null;
  answers: string[] = [];
  problems: string[] = [];
  bootFootprint = 0;
  private written = 0;
  private limitInForce = MAX_FRAME;
  private readonly decoder: FrameDecoder;

  constructor(readonly code: DeviceCode, readonly bootNonce: number) {
    this.decoder = new FrameDecoder(MAX_FRAME, (type, seq, _ack, view, off, len) => {
      const payload = new Uint8Array(len);
      for (let i = 0; i < len; i++) payload[i] = view.getUint8(off + i);
      this.onDeviceFrame({ type, seq, payload }, len + 16);
    });
    this.boot();
  }

  /** Power on (again): a fresh model, nothing committed, no session. */
  boot(): void {
    this.input = new Uint8Array(0);
    this.at = 0;
    this.tick = null;
    const model = this.code.buildModel(FUZZ_SPEC);
    this.session = this.code.newSession(model, { bootNonce: this.bootNonce, now: () => this.clock, pipeline: FUZZ_PIPELINE });
    this.turn("start", () => this.session.start(
      { read: (b) => this.read(b), write: (b) => { this.written += b.length; this.decoder.push(b.slice()); } },
      { repeat: (cb) => (this.tick = () => cb(null)), clear: () => (this.tick = null) }));
    this.pump();
    this.bootFootprint = footprint(this.session);
  }

  /** One device turn: no exception may escape it, and its work is bounded. */
  private turn(what: string, fn: () => void): void {
    meter.reset();
    try {
      fn();
    } catch (e) {
      if (!(e instanceof WorkLimitExceeded)) this.problems.push(`${what}: exception escaped the device: ${(e as Error)?.message ?? e}`);
    }
    meter.settle();
    if (meter.exceeded) this.problems.push(`${what}: one device turn ran more than ${meter.limit} loop iterations`);
    meter.reset();
  }

  private read(buffer: Uint8Array): number {
    const n = Math.min(buffer.length, this.input.length - this.at);
    buffer.set(this.input.subarray(this.at, this.at + n));
    this.at += n;
    return n;
  }

  /** Let the device read everything given and write everything it has (each call is one device turn). */
  pump(): void {
    for (let k = 0; k < 64; k++) {
      const before = this.written;
      this.turn("onWritable", () => this.session.onWritable(4096));
      const unread = this.input.length - this.at;
      if (unread > 0) this.turn("onReadable", () => this.session.onReadable(unread));
      if (unread === 0 && this.written === before) return;
    }
    this.problems.push("the device kept writing for 64 turns after the host stopped");
  }

  advance(ms: number): void {
    for (let t = 0; t < ms; t += 10) {
      this.clock += 10;
      const tick = this.tick;
      if (tick) this.turn("timer tick", tick);
      this.pump();
    }
  }

  /** Send one host frame (sequenced types get the next host seq unless `seq` is given). */
  send(type: number, payload: Uint8Array, seq?: number): void {
    const sequenced = M.isSequenced(type);
    const s = seq ?? (sequenced ? this.hostSeq : 0);
    if (sequenced && seq === undefined) {
      this.hostSeq = (this.hostSeq + 1) & 0xffff;
      this.lastSent = { type, seq: s, payload };
    }
    this.enc.position = this.hostPos;
    const n = this.enc.encodeBytes(type, s, (this.devExpected - 1) & 0xffff, payload, this.wire);
    if (n < 0) throw new Error(`the host could not encode a ${payload.length}-byte payload`);
    this.hostPos = (this.hostPos + n) | 0;
    const rest = this.input.subarray(this.at);
    const next = new Uint8Array(rest.length + n);
    next.set(rest);
    next.set(this.wire.subarray(0, n), rest.length);
    this.input = next;
    this.at = 0;
    this.pump();
  }

  hello(major: number, maxFrame: number, nonce: number): void {
    const p = new Uint8Array(M.HELLO_SIZE);
    const v = new DataView(p.buffer);
    v.setUint8(M.HELLO_MAJOR, major);
    v.setUint32(M.HELLO_NONCE, nonce, true);
    v.setUint16(M.HELLO_MAX_FRAME, maxFrame, true);
    this.helloNonce = nonce;
    this.helloLimit = maxFrame === 0 ? MAX_FRAME : maxFrame;
    this.send(M.MSG_HELLO, p);
  }

  private onDeviceFrame(f: Frame, decoded: number): void {
    if (decoded > this.limitInForce) this.problems.push(`the device sent a ${decoded}-byte frame (type ${f.type}) to a host that receives at most ${this.limitInForce}`);
    const v = new DataView(f.payload.buffer);
    if (f.type === M.MSG_ACK) {
      if (f.payload.length >= M.ACK_SIZE && (v.getUint8(M.ACK_FLAGS) & M.ACK_GAP) !== 0) this.problems.push("the device reported a gap on a lossless link");
      return;
    }
    if (f.type === M.MSG_CAPS) {
      const nonce = v.getUint32(M.CAPS_HOST_NONCE, true);
      if (nonce === this.helloNonce) {
        // The host's session opens: both sides count from 1, and the host receives up to its HELLO's limit.
        this.hostSeq = 1;
        this.devExpected = 1;
        this.lastSent = null; // nothing of the old session is resent into the new one
        this.limitInForce = this.helloLimit;
        this.answers.push(`CAPS nonce=${nonce} committed=${v.getUint32(M.CAPS_LAST_COMMITTED, true)}`);
      } else {
        this.answers.push(`CAPS (not ours) nonce=${nonce} committed=${v.getUint32(M.CAPS_LAST_COMMITTED, true)}`);
      }
      return;
    }
    if (f.type === M.MSG_PONG) {
      this.answers.push(`PONG token=${v.getUint32(M.PONG_TOKEN, true)}`);
      return;
    }
    if (!M.isSequenced(f.type)) {
      this.answers.push(`unsequenced type ${f.type}`);
      return;
    }
    const d = ((f.seq - this.devExpected) << 16) >> 16;
    if (d < 0) return; // a retransmission of something already received
    if (d > 0) this.problems.push(`the device skipped sequence numbers ${this.devExpected}..${f.seq - 1} on a lossless link`);
    this.devExpected = (f.seq + 1) & 0xffff;
    this.answers.push(describeAnswer(f.type, f.payload));
  }
}

function describeAnswer(type: number, p: Uint8Array): string {
  const v = new DataView(p.buffer);
  switch (type) {
    case M.MSG_ERROR:
      return `ERROR code=${v.getUint16(M.ERROR_CODE, true)} refType=${v.getUint8(M.ERROR_REF_TYPE)} detail=${v.getUint32(M.ERROR_DETAIL, true)}`;
    case M.MSG_REPORT:
      return `REPORT batch=${v.getUint32(M.REPORT_BATCH_ID, true)} step=${v.getUint32(M.REPORT_STEP, true)} loss=${v.getFloat32(M.REPORT_LOSS, true)}`;
    case M.MSG_WEIGHTS_DATA:
      return `WEIGHTS_DATA offset=${v.getUint32(M.WDATA_OFFSET, true)} total=${v.getUint32(M.WDATA_TOTAL, true)} crc=${v.getUint32(M.WDATA_BLOB_CRC, true)} batch=${v.getUint32(M.WDATA_BATCH_ID, true)} n=${p.length - M.WDATA_BYTES} bytes=${digest(p.subarray(M.WDATA_BYTES))}`;
    default:
      return `type ${type} (${p.length} bytes)`;
  }
}

/** Bytes reachable from an object: typed arrays by their buffers (each once), plus 8 per value or key. */
export function footprint(root: object): number {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  let bytes = 0;
  while (stack.length > 0) {
    const o = stack.pop();
    if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o as object)) continue;
    seen.add(o as object);
    if (ArrayBuffer.isView(o)) {
      if (!seen.has(o.buffer)) { seen.add(o.buffer); bytes += o.buffer.byteLength; }
      continue;
    }
    if (o instanceof ArrayBuffer) { bytes += o.byteLength; continue; }
    if (typeof o === "function") continue;
    for (const key of Object.getOwnPropertyNames(o)) {
      bytes += 8;
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (d && "value" in d) stack.push(d.value);
    }
  }
  return bytes;
}

/** How often each kind of answer (ERROR by code and message type) was checked: what the runs reached. */
export const seen = new Map<string, number>();

// ---- commands ------------------------------------------------------------------------------------------

type Real = Rig;
type Cmd = fc.Command<Reference, Real>;

/** Runs a command on the device and the reference, then compares everything. */
abstract class Step implements Cmd {
  check(): boolean {
    return true;
  }

  run(ref: Reference, rig: Real): void {
    rig.answers = [];
    const expected = this.apply(ref, rig);
    const problems = rig.problems.splice(0);
    if (problems.length > 0) throw new Error(`${this.toString()}: ${problems.join("; ")}`);
    const got = rig.answers;
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`${this.toString()}: the device answered\n  ${got.join("\n  ") || "(nothing)"}\nwhere the reference expects\n  ${expected.join("\n  ") || "(nothing)"}`);
    }
    compareModels(this.toString(), rig, ref);
    for (const e of expected) {
      const kind = e.startsWith("ERROR") ? e.split(" detail")[0] : e.split(" ")[0];
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
    }
  }

  /** Sends the command and returns the answers the reference expects. */
  protected abstract apply(ref: Reference, rig: Real): string[];
  abstract toString(): string;
}

function compareModels(where: string, rig: Rig, ref: Reference): void {
  const dev = rig.session.model, sh = ref.shadow;
  const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (x: number, i: number) => Object.is(x, b[i]));
  if (dev.step !== sh.step) throw new Error(`${where}: the device's model is at step ${dev.step}, the reference's at ${sh.step}`);
  if (!same(dev.parameters, sh.parameters)) throw new Error(`${where}: the device's parameters differ from the reference's`);
  if (dev.optimizerState.length !== sh.optimizerState.length || !dev.optimizerState.every((s, k) => same(s, sh.optimizerState[k]))) {
    throw new Error(`${where}: the device's optimizer state differs from the reference's`);
  }
  if (dev.config.frozen !== sh.config.frozen || dev.config.learningRate !== sh.config.learningRate) throw new Error(`${where}: the device's settings differ from the reference's`);
  const committed = rig.session.lastCommittedBatchId;
  if (committed !== undefined && committed !== ref.committed) throw new Error(`${where}: the device's committed batch id is ${committed}, the reference's ${ref.committed}`);
  const size = footprint(rig.session);
  if (size > FOOTPRINT_FACTOR * rig.bootFootprint) throw new Error(`${where}: the device holds ${size} bytes, more than ${FOOTPRINT_FACTOR} x its ${rig.bootFootprint} at boot`);
}

/** A host sequenced message: ignored (no answer, no effect) while the device has no session. */
abstract class Sequenced extends Step {
  protected apply(ref: Reference, rig: Real): string[] {
    if (!ref.deviceOpen) {
      const shadow = ref.shadow.step;
      rig.send(this.type(), this.payload(ref));
      if (ref.shadow.step !== shadow) throw new Error("internal: the reference changed without a session");
      return [];
    }
    const payload = this.payload(ref);
    const expected = this.expect(ref, payload);
    rig.send(this.type(), payload);
    return expected;
  }
  protected abstract type(): number;
  protected abstract payload(ref: Reference): Uint8Array;
  /** The reference's answer to the payload; updates the reference. */
  protected abstract expect(ref: Reference, payload: Uint8Array): string[];
}

const error = (code: number, type: number, detail = 0) => `ERROR code=${code} refType=${type} detail=${detail >>> 0}`;

class Hello extends Step {
  constructor(readonly major: number, readonly maxFrame: number, readonly nonce: number) { super(); }
  protected apply(ref: Reference, rig: Real): string[] {
    const limit = this.maxFrame === 0 ? MAX_FRAME : this.maxFrame;
    const accepted = limit >= 128; // any major version: a peer of another version learns ours from CAPS
    rig.hello(this.major, this.maxFrame, this.nonce);
    if (!accepted) return [];
    ref.deviceOpen = true;
    ref.hostLimit = limit;
    ref.stage = { mode: "none" }; // a new session drops a half-done transfer
    ref.slice = null; // and a raw batch half assembled (the host resends it from row 0)
    return [`CAPS nonce=${this.nonce} committed=${ref.committed}`];
  }
  toString() { return `hello(major ${this.major}, maxFrame ${this.maxFrame}, nonce ${this.nonce})`; }
}

class Ping extends Step {
  constructor(readonly token: number) { super(); }
  protected apply(ref: Reference, rig: Real): string[] {
    rig.send(M.MSG_PING, u32(this.token));
    return ref.deviceOpen ? [`PONG token=${this.token}`] : [];
  }
  toString() { return `ping(${this.token})`; }
}

type IdKind = "next" | "duplicate" | "zero" | "gap" | "max" | "2^32-1" | "random";
class Batch extends Sequenced {
  constructor(readonly idKind: IdKind, readonly random: number, readonly count: number, readonly fault: "none" | "label" | "nan" | "shape", readonly dataSeed: number) { super(); }
  private id = 0;
  private x = new Float32Array(0);
  private y = new Uint8Array(0);
  protected type() { return M.MSG_SAMPLE_BATCH; }
  protected payload(ref: Reference): Uint8Array {
    const c = ref.committed;
    const ids: Record<IdKind, number> = { next: c + 1, duplicate: Math.max(c, 1), zero: 0, gap: c + 2, max: MAX_BATCH_ID, "2^32-1": 0xffffffff, random: this.random };
    this.id = ids[this.idKind] >>> 0;
    const inputs = FUZZ_SPEC.inputs + (this.fault === "shape" ? 1 : 0);
    this.x = new Float32Array(this.count * inputs);
    let s = this.dataSeed | 1;
    for (let i = 0; i < this.x.length; i++) { s = (Math.imul(s, 1103515245) + 12345) | 0; this.x[i] = ((s >>> 8) & 0xffff) / 32768 - 1; }
    if (this.fault === "nan") this.x[this.x.length - 1] = NaN;
    this.y = Uint8Array.from({ length: this.count }, (_, i) => ((this.dataSeed + i) >>> 0) % 3);
    if (this.fault === "label") this.y[0] = 3;
    const dataAt = (16 + this.count + 3) & ~3;
    const p = new Uint8Array(dataAt + 4 * this.x.length);
    const v = new DataView(p.buffer);
    v.setUint32(M.TENSOR_ID, this.id, true);
    v.setUint16(M.TENSOR_COUNT, this.count, true);
    v.setUint8(M.TENSOR_DTYPE, M.DTYPE_F32);
    v.setUint8(M.TENSOR_RANK, 1);
    v.setUint16(M.TENSOR_DIMS, inputs, true);
    p.set(this.y, 16);
    p.set(new Uint8Array(this.x.buffer), dataAt);
    return p;
  }
  protected expect(ref: Reference): string[] {
    const T = M.MSG_SAMPLE_BATCH, c = ref.committed, id = this.id;
    const refuse = (code: number) => [error(code, T, c)];
    if (id < 1 || id > MAX_BATCH_ID || this.fault === "nan") return refuse(M.ERR_BAD_VALUE);
    if (this.fault === "shape") return refuse(M.ERR_SHAPE_MISMATCH);
    if (this.fault === "label") return refuse(M.ERR_BAD_LABEL);
    const B = FUZZ_SPEC.batchSize;
    if (this.count % B !== 0) return refuse(M.ERR_SHAPE_MISMATCH);
    if (ref.stage.mode === "put") return refuse(M.ERR_BAD_STATE);
    if (id <= c) return refuse(M.ERR_BATCH_DUPLICATE);
    if (id !== c + 1) return refuse(M.ERR_BATCH_GAP);
    let loss = 0;
    const n = FUZZ_SPEC.inputs, steps = this.count / B;
    for (let s = 0; s < steps; s++) loss += ref.shadow.trainStep(this.x.subarray(s * B * n, (s + 1) * B * n), this.y.subarray(s * B, (s + 1) * B));
    ref.committed = id;
    ref.slice = null; // a half-assembled raw batch of this id can no longer complete
    return [`REPORT batch=${id} step=${ref.shadow.step >>> 0} loss=${Math.fround(loss / steps)}`];
  }
  toString() { return `batch(id ${this.idKind}${this.idKind === "random" ? " " + this.random : ""}, ${this.count} samples${this.fault === "none" ? "" : ", " + this.fault})`; }
}

class WeightsGet extends Sequenced {
  constructor(readonly offsetKind: "zero" | "next" | "random" | "end" | "beyond", readonly random: number, readonly length: number) { super(); }
  private offset = 0;
  protected type() { return M.MSG_WEIGHTS_GET; }
  protected payload(ref: Reference): Uint8Array {
    const size = ref.blobSize();
    this.offset = { zero: 0, next: ref.nextGet, random: this.random % (size + 8), end: size, beyond: size + 1 }[this.offsetKind];
    const p = new Uint8Array(M.WGET_SIZE);
    const v = new DataView(p.buffer);
    v.setUint32(M.WGET_OFFSET, this.offset, true);
    v.setUint16(M.WGET_LENGTH, this.length, true);
    return p;
  }
  protected expect(ref: Reference): string[] {
    const T = M.MSG_WEIGHTS_GET;
    if (this.length < 1) return [error(M.ERR_BAD_VALUE, T)];
    if (this.offset === 0) {
      const bytes = ref.blob();
      ref.stage = { mode: "snapshot", bytes, crc: crc32(bytes), batchId: ref.committed };
    } else if (ref.stage.mode !== "snapshot") {
      return [error(M.ERR_BAD_STATE, T)];
    }
    const st = ref.stage as Extract<Stage, { mode: "snapshot" }>;
    const total = st.bytes.length;
    if (this.offset > total) return [error(M.ERR_BLOB_RANGE, T)];
    const n = Math.min(this.length, total - this.offset, ref.payloadCap() - M.WDATA_BYTES);
    ref.nextGet = this.offset + n;
    const chunk = st.bytes.subarray(this.offset, this.offset + n);
    return [`WEIGHTS_DATA offset=${this.offset} total=${total} crc=${st.crc} batch=${st.batchId} n=${n} bytes=${digest(chunk)}`];
  }
  toString() { return `weightsGet(offset ${this.offsetKind}${this.offsetKind === "random" ? " " + this.random : ""}, length ${this.length})`; }
}

type Content = "current" | "step 0xFFFFFFFF" | "NaN weight" | "negative v" | "garbage";
class WeightsPut extends Sequenced {
  constructor(readonly offsetKind: "zero" | "next" | "overlap" | "hole" | "whole", readonly length: number, readonly content: Content, readonly wrongTotal: boolean) { super(); }
  private offset = 0;
  private total = 0;
  private bytes = new Uint8Array(0);
  protected type() { return M.MSG_WEIGHTS_PUT; }
  protected payload(ref: Reference): Uint8Array {
    const source = ref.blob();
    const v = new DataView(source.buffer);
    if (this.content === "step 0xFFFFFFFF") v.setUint32(4, 0xffffffff, true);
    if (this.content === "NaN weight") v.setFloat32(8, NaN, true);
    if (this.content === "negative v") v.setFloat32(source.length - 4, -1, true);
    if (this.content === "garbage") for (let i = 0; i < source.length; i++) source[i] = (i * 151 + 7) & 0xff;
    const filled = ref.stage.mode === "put" ? ref.stage.filled : 0;
    const size = source.length;
    this.offset = { zero: 0, next: filled, overlap: Math.max(0, filled - 5), hole: filled + 4, whole: 0 }[this.offsetKind];
    const length = this.offsetKind === "whole" ? size : this.length;
    this.total = this.wrongTotal ? size + 4 : size;
    const end = Math.min(this.offset + length, size);
    this.bytes = source.slice(Math.min(this.offset, size), Math.max(end, Math.min(this.offset, size)));
    const p = new Uint8Array(M.WPUT_BYTES + this.bytes.length);
    const pv = new DataView(p.buffer);
    pv.setUint32(M.WPUT_OFFSET, this.offset, true);
    pv.setUint32(M.WPUT_TOTAL, this.total, true);
    p.set(this.bytes, M.WPUT_BYTES);
    return p;
  }
  protected expect(ref: Reference): string[] {
    const T = M.MSG_WEIGHTS_PUT, size = ref.blobSize();
    if (this.offset + this.bytes.length > this.total || this.total !== size) return [error(M.ERR_BLOB_RANGE, T)];
    if (ref.stage.mode !== "put") {
      if (this.offset !== 0) return [error(M.ERR_BLOB_RANGE, T)];
      ref.stage = { mode: "put", bytes: new Uint8Array(size), filled: 0 };
    }
    const st = ref.stage as Extract<Stage, { mode: "put" }>;
    if (this.offset > st.filled) return [error(M.ERR_BLOB_RANGE, T)];
    st.bytes.set(this.bytes, this.offset);
    st.filled = Math.max(st.filled, this.offset + this.bytes.length);
    return [];
  }
  toString() { return `weightsPut(offset ${this.offsetKind}, ${this.offsetKind === "whole" ? "whole blob" : this.length + " bytes"}, ${this.content}${this.wrongTotal ? ", wrong total" : ""})`; }
}

type CommitId = "zero" | "committed" | "next" | "later" | "max" | "2^32-1";
class WeightsCommit extends Sequenced {
  constructor(readonly idKind: CommitId, readonly wrongTotal: boolean, readonly wrongCrc: boolean) { super(); }
  private id = 0;
  private total = 0;
  private crc = 0;
  protected type() { return M.MSG_WEIGHTS_COMMIT; }
  protected payload(ref: Reference): Uint8Array {
    const c = ref.committed;
    this.id = { zero: 0, committed: c, next: c + 1, later: c + 10, max: MAX_BATCH_ID, "2^32-1": 0xffffffff }[this.idKind] >>> 0;
    const size = ref.blobSize();
    this.total = this.wrongTotal ? size - 4 : size;
    const staged = ref.stage.mode === "put" ? ref.stage.bytes : new Uint8Array(size);
    this.crc = (crc32(staged) ^ (this.wrongCrc ? 1 : 0)) >>> 0;
    return u32(this.total, this.crc, this.id);
  }
  protected expect(ref: Reference): string[] {
    const T = M.MSG_WEIGHTS_COMMIT;
    if (this.id > MAX_BATCH_ID) return [error(M.ERR_BAD_VALUE, T)];
    if (ref.stage.mode !== "put") return [error(M.ERR_BAD_STATE, T)];
    const st = ref.stage;
    ref.stage = { mode: "none" };
    if (this.total !== st.bytes.length || st.filled !== st.bytes.length) return [error(M.ERR_BLOB_RANGE, T)];
    if (this.crc !== crc32(st.bytes)) return [error(M.ERR_BLOB_CRC, T)];
    if (!ref.blobValid(st.bytes)) return [error(M.ERR_BAD_VALUE, T)];
    ref.loadBlob(st.bytes);
    ref.committed = this.id;
    ref.slice = null;
    return [error(M.ERR_OK, T, this.id)];
  }
  toString() { return `weightsCommit(id ${this.idKind}${this.wrongTotal ? ", wrong total" : ""}${this.wrongCrc ? ", wrong CRC" : ""})`; }
}

type ConfigKind = "same" | "learning rate" | "other optimizer" | "batch size 3" | "batch size 4" | "clip" | "zero learning rate" | "frozen 0" | "frozen 1" | "frozen 2";
class Config extends Sequenced {
  constructor(readonly kind: ConfigKind) { super(); }
  private c = { learningRate: 0, batchSize: 0, optimizer: 0, flags: 0, beta1: 0, beta2: 0, epsilon: 0, weightDecay: 0, gradClip: 0, frozen: 0 };
  protected type() { return M.MSG_CONFIG; }
  protected payload(ref: Reference): Uint8Array {
    const r = ref.shadow.config;
    const f = Math.fround;
    const c: Config["c"] = { learningRate: f(r.learningRate), batchSize: FUZZ_SPEC.batchSize, optimizer: M.OPT_ADAM, flags: 0, beta1: f(r.beta1), beta2: f(r.beta2), epsilon: f(r.epsilon), weightDecay: f(r.weightDecay), gradClip: f(r.clipNorm), frozen: 0 };
    if (this.kind === "learning rate") c.learningRate = f(r.learningRate === f(0.02) ? 0.005 : 0.02);
    if (this.kind === "other optimizer") c.optimizer = M.OPT_SGD;
    if (this.kind === "batch size 3") c.batchSize = 3;
    if (this.kind === "batch size 4") c.batchSize = 4;
    if (this.kind === "clip") c.gradClip = r.clipNorm > 0 ? 0 : 1;
    if (this.kind === "zero learning rate") c.learningRate = 0;
    if (this.kind.startsWith("frozen")) { c.flags = M.CONFIG_FLAG_FROZEN; c.frozen = Number(this.kind.slice(7)); }
    this.c = c;
    const p = new Uint8Array(c.flags ? M.CONFIG_SIZE_FROZEN : M.CONFIG_SIZE);
    const v = new DataView(p.buffer);
    v.setFloat32(M.CONFIG_LR, c.learningRate, true);
    v.setUint16(M.CONFIG_BATCH_SIZE, c.batchSize, true);
    v.setUint8(M.CONFIG_OPTIMIZER, c.optimizer);
    v.setUint8(M.CONFIG_FLAGS, c.flags);
    v.setFloat32(M.CONFIG_BETA1, c.beta1, true);
    v.setFloat32(M.CONFIG_BETA2, c.beta2, true);
    v.setFloat32(M.CONFIG_EPSILON, c.epsilon, true);
    v.setFloat32(M.CONFIG_WEIGHT_DECAY, c.weightDecay, true);
    v.setFloat32(M.CONFIG_GRAD_CLIP, c.gradClip, true);
    if (c.flags) v.setUint16(M.CONFIG_FROZEN, c.frozen, true);
    return p;
  }
  protected expect(ref: Reference): string[] {
    const T = M.MSG_CONFIG, c = this.c, m = ref.shadow, r = m.config;
    const refuse = (code: number) => [error(code, T, (r.optimizer << 16) | m.batchSize)];
    if (!(c.learningRate > 0)) return refuse(M.ERR_BAD_VALUE);
    if (c.batchSize % m.batchSize !== 0 || c.optimizer !== r.optimizer) return refuse(M.ERR_BAD_VALUE);
    let frozen = r.frozen;
    if (c.flags && c.frozen !== r.frozen) {
      if (c.frozen >= r.units.length) return refuse(M.ERR_BAD_VALUE);
      if (ref.stage.mode === "put") return refuse(M.ERR_BAD_STATE);
      frozen = c.frozen;
    }
    const same = r.learningRate === c.learningRate && r.weightDecay === c.weightDecay && r.clipNorm === c.gradClip &&
      r.beta1 === c.beta1 && r.beta2 === c.beta2 && r.epsilon === c.epsilon;
    if (frozen === r.frozen && same) return [error(M.ERR_OK, T)];
    // The device builds a model with the new settings and keeps weights, step and the optimizer state of
    // the layers that train in both (docs/protocol.md, CONFIG).
    const spec = m.spec;
    const next = buildModel({ ...spec, optimizer: { ...spec.optimizer, learningRate: c.learningRate, weightDecay: c.weightDecay, clipNorm: c.gradClip, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon }, frozen } as Spec);
    next.parameters.set(m.parameters as Float32Array);
    const s0 = m.plan.trainableStart, s1 = next.plan.trainableStart;
    next.optimizerState.forEach((dst, k) => {
      const src = m.optimizerState[k];
      for (let i = 0; i < dst.length; i++) { const j = s1 + i - s0; dst[i] = j >= 0 && j < src.length ? src[j] : 0; }
    });
    next.step = m.step;
    next.rejectedSteps = m.rejectedSteps;
    ref.shadow = next;
    if (frozen !== r.frozen) ref.stage = { mode: "none" };
    return [error(M.ERR_OK, T)];
  }
  toString() { return `config(${this.kind})`; }
}

type SliceId = "next" | "duplicate" | "zero" | "gap";
type SliceStart = "continue" | "start" | "skip" | "back" | "random";
type SliceRows = "rest" | "one" | "window" | "random";
type SliceFault = "none" | "label" | "other labels" | "columns" | "window rows" | "count" | "long" | "short" | "header only";
/** A RAW_SLICE: rows [firstRow, firstRow + rows) of a raw batch of FUZZ_SPEC.batchSize windows. */
class RawSliceCmd extends Sequenced {
  constructor(readonly idKind: SliceId, readonly start: SliceStart, readonly rowsKind: SliceRows, readonly fault: SliceFault,
    readonly random: number, readonly dataSeed: number) { super(); }
  private f = { id: 0, count: 0, columns: 0, windowRows: 0, rows: 0, firstRow: 0, labels: [] as number[], data: new Int16Array(0), lengthOk: true, len: 0 };
  protected type() { return MSG_RAW_SLICE; }
  protected payload(ref: Reference): Uint8Array {
    const c = ref.committed, B = FUZZ_SPEC.batchSize, total = B * WINDOW_ROWS;
    const id = { next: c + 1, duplicate: Math.max(c, 1), zero: 0, gap: c + 2 }[this.idKind] >>> 0;
    const next = ref.slice !== null && ref.slice.id === id ? ref.slice.next : 0;
    const firstRow = { continue: next, start: 0, skip: next + 1, back: Math.max(0, next - 1), random: this.random % (total + 2) }[this.start];
    const rows = { rest: Math.max(1, total - firstRow), one: 1, window: WINDOW_ROWS, random: this.random % (total + 1) }[this.rowsKind];
    const count = this.fault === "count" ? B + 1 : B;
    const columns = this.fault === "columns" ? COLUMNS + 1 : COLUMNS;
    const windowRows = this.fault === "window rows" ? WINDOW_ROWS + 1 : WINDOW_ROWS;
    const same = ref.slice !== null ? ref.slice.labels : [];
    const labels = Array.from({ length: count }, (_, i) => same[i] ?? ((this.dataSeed + i) >>> 0) % 3);
    if (this.fault === "label") labels[0] = 3;
    if (this.fault === "other labels") labels[B - 1] = (labels[B - 1]! + 1) % 3;
    let r = this.dataSeed | 1;
    const data = Int16Array.from({ length: rows * columns }, () => { r = (Math.imul(r, 1103515245) + 12345) | 0; return (r >> 8) & 0xffff; });
    const dataAt = (16 + count + 3) & ~3;
    let len = dataAt + 2 * data.length;
    if (this.fault === "long") len += 2;
    if (this.fault === "short") len -= 2;
    if (this.fault === "header only") len = 12;
    const p = new Uint8Array(Math.max(len, dataAt + 2 * data.length));
    const v = new DataView(p.buffer);
    v.setUint32(0, id, true);
    v.setUint16(4, count, true);
    v.setUint8(6, columns);
    v.setUint16(8, windowRows, true);
    v.setUint16(10, rows, true);
    v.setUint32(12, firstRow, true);
    labels.forEach((l, i) => v.setUint8(16 + i, l));
    data.forEach((x, i) => v.setInt16(dataAt + 2 * i, x, true));
    this.f = { id, count, columns, windowRows, rows, firstRow, labels, data, lengthOk: len === dataAt + 2 * data.length, len };
    return p.subarray(0, len);
  }
  protected expect(ref: Reference): string[] {
    const T = MSG_RAW_SLICE, c = ref.committed, f = this.f, B = FUZZ_SPEC.batchSize;
    const refuse = (code: number) => [error(code, T, c)];
    // The codec's own checks, in its order; then the pipeline's shape, labels, state, order, continuity.
    if (f.len < 16) return refuse(M.ERR_BAD_LENGTH);
    if (f.id < 1 || f.id > MAX_BATCH_ID || f.rows < 1 || f.firstRow + f.rows > f.count * f.windowRows) return refuse(M.ERR_BAD_VALUE);
    if (!f.lengthOk) return refuse(M.ERR_BAD_LENGTH);
    if (f.columns !== COLUMNS || f.windowRows !== WINDOW_ROWS || f.count !== B) return refuse(M.ERR_SHAPE_MISMATCH);
    if (f.labels.some((l) => l >= 3)) return refuse(M.ERR_BAD_LABEL);
    if (ref.stage.mode === "put") return refuse(M.ERR_BAD_STATE);
    if (f.id <= c) return refuse(M.ERR_BATCH_DUPLICATE);
    if (f.id !== c + 1) return refuse(M.ERR_BATCH_GAP);
    if (f.firstRow !== 0) {
      const s = ref.slice;
      if (s === null || s.id !== f.id || s.next !== f.firstRow) return refuse(M.ERR_BLOB_RANGE);
      if (f.labels.some((l, i) => l !== s.labels[i])) return refuse(M.ERR_BAD_VALUE);
    } else {
      ref.slice = { id: f.id, next: 0, labels: f.labels.slice(), x: new Float32Array(B * FUZZ_SPEC.inputs), window: new Int16Array(WINDOW_ROWS * COLUMNS) };
    }
    const s = ref.slice!;
    for (let k = 0; k < f.rows; k++, s.next++) {
      const w = Math.floor(s.next / WINDOW_ROWS), row = s.next % WINDOW_ROWS;
      for (let col = 0; col < COLUMNS; col++) s.window[row * COLUMNS + col] = f.data[k * COLUMNS + col]!;
      if (row === WINDOW_ROWS - 1) windowInputs(s.window, s.x, w * FUZZ_SPEC.inputs);
    }
    if (s.next < B * WINDOW_ROWS) return [];
    seen.set("REPORT after RAW_SLICE", (seen.get("REPORT after RAW_SLICE") ?? 0) + 1);
    const loss = ref.shadow.trainStep(s.x, Uint8Array.from(s.labels));
    ref.committed = f.id;
    ref.slice = null;
    return [`REPORT batch=${f.id} step=${ref.shadow.step >>> 0} loss=${Math.fround(loss)}`];
  }
  toString() {
    return `rawSlice(id ${this.idKind}, from ${this.start}, rows ${this.rowsKind}${this.start === "random" || this.rowsKind === "random" ? " " + this.random : ""}${this.fault === "none" ? "" : ", " + this.fault})`;
  }
}

/**
 * FUZZ_PIPELINE's features of one window (int16 counts, row-major): per column, the mean of rows [0, 2) and
 * of rows [2, 5) in the column's units, as src/features/pipeline.ts computes them, stored as float32.
 */
function windowInputs(window: Int16Array, out: Float32Array, at: number): void {
  const R = FUZZ_PIPELINE.rawPoints;
  for (let col = 0; col < COLUMNS; col++) {
    const quantum = FUZZ_PIPELINE.ranges[col]! / 32767;
    for (let i = 0; i < R; i++) {
      const from = Math.floor((i * WINDOW_ROWS) / R), to = Math.floor(((i + 1) * WINDOW_ROWS) / R);
      let sum = 0;
      for (let r = from; r < to; r++) sum += window[r * COLUMNS + col]!;
      out[at + col * R + i] = (sum / (to - from)) * quantum;
    }
  }
}

class Resend extends Step {
  protected apply(ref: Reference, rig: Real): string[] {
    const last = rig.lastSent;
    if (last !== null) rig.send(last.type, last.payload, last.seq);
    return []; // a duplicate: acked again, never handled twice
  }
  toString() { return "resend the last frame"; }
}

class Advance extends Step {
  constructor(readonly ms: number) { super(); }
  protected apply(_ref: Reference, rig: Real): string[] {
    rig.advance(this.ms);
    return []; // retransmissions are duplicates; nothing new may appear
  }
  toString() { return `advance ${this.ms} ms`; }
}

class Reboot extends Step {
  protected apply(ref: Reference, rig: Real): string[] {
    rig.boot();
    const fresh = new Reference();
    Object.assign(ref, fresh, { hostLimit: ref.hostLimit });
    return [`CAPS (not ours) nonce=0 committed=0`]; // the unsolicited CAPS of a boot
  }
  toString() { return "device reboot (no checkpoint)"; }
}

/** Every command, with edge values weighted in; batches and weight transfers most often. */
export function commandArbitrary(): fc.Arbitrary<Cmd> {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const rarely = fc.constantFrom(false, false, false, true);
  const slice = fc.tuple(
    fc.constantFrom<SliceId>("next", "next", "next", "next", "next", "next", "duplicate", "zero", "gap"),
    fc.constantFrom<SliceStart>("continue", "continue", "continue", "continue", "start", "start", "skip", "back", "random"),
    fc.constantFrom<SliceRows>("rest", "rest", "one", "window", "window", "random"),
    fc.constantFrom<SliceFault>("none", "none", "none", "none", "none", "none", "none", "none", "label", "other labels", "columns", "window rows", "count", "long", "short", "header only"),
    fc.integer({ min: 0, max: 0xffff }), fc.integer()).map(([i, s, r, f, n, d]) => new RawSliceCmd(i, s, r, f, n, d));
  const [hello, ping, batch, get, put, commit, config, resend, advance, reboot] = [
    fc.tuple(fc.constantFrom(PROTOCOL_VERSION, PROTOCOL_VERSION + 1, PROTOCOL_VERSION - 1, 0, 255),
      fc.constantFrom(0, 16, 64, 127, 128, 129, 200, 1024, 4096, 65535), fc.integer({ min: 1, max: 0xffffffff })).map(([a, b, c]) => new Hello(a, b, c)),
    u32.map((t) => new Ping(t)),
    fc.tuple(fc.constantFrom<IdKind>("next", "next", "next", "next", "next", "duplicate", "zero", "gap", "max", "2^32-1", "random"), u32,
      fc.constantFrom(2, 2, 4, 8, 1, 3), fc.constantFrom<"none" | "label" | "nan" | "shape">("none", "none", "none", "none", "none", "label", "nan", "shape"), fc.integer())
      .map(([k, r, n, f, s]) => new Batch(k, r, n, f, s)),
    fc.tuple(fc.constantFrom<"zero" | "next" | "random" | "end" | "beyond">("zero", "next", "next", "random", "end", "beyond"), u32,
      fc.constantFrom(0, 1, 7, 64, 100, 1000, 2000, 65535)).map(([k, r, n]) => new WeightsGet(k, r, n)),
    fc.tuple(fc.constantFrom<"zero" | "next" | "overlap" | "hole" | "whole">("zero", "next", "next", "overlap", "hole", "whole", "whole"),
      fc.constantFrom(0, 1, 13, 100, 400, 1000),
      fc.constantFrom<Content>("current", "current", "step 0xFFFFFFFF", "NaN weight", "negative v", "garbage"), rarely)
      .map(([k, n, c, w]) => new WeightsPut(k, n, c, w)),
    fc.tuple(fc.constantFrom<CommitId>("committed", "next", "later", "zero", "max", "2^32-1"), rarely, rarely)
      .map(([k, t, c]) => new WeightsCommit(k, t, c)),
    fc.constantFrom<ConfigKind>("same", "learning rate", "other optimizer", "batch size 3", "batch size 4", "clip", "zero learning rate", "frozen 0", "frozen 1", "frozen 2").map((k) => new Config(k)),
    fc.constant(new Resend()),
    fc.constantFrom(10, 100, 600, 2000).map((ms) => new Advance(ms)),
    fc.constant(new Reboot()),
  ] as fc.Arbitrary<Cmd>[];
  return fc.oneof(
    { arbitrary: hello, weight: 2 }, { arbitrary: ping, weight: 1 }, { arbitrary: batch, weight: 8 },
    { arbitrary: get, weight: 3 }, { arbitrary: put, weight: 4 }, { arbitrary: commit, weight: 3 },
    { arbitrary: config, weight: 2 }, { arbitrary: resend, weight: 1 }, { arbitrary: advance, weight: 1 },
    { arbitrary: reboot, weight: 1 }, ...(RAW_SLICES ? [{ arbitrary: slice as fc.Arbitrary<Cmd>, weight: 8 }] : []));
}

export interface FuzzOptions {
  numRuns: number;
  seed?: number;
  maxCommands?: number;
  /** Leave out commands whose description matches (to look past a bug already found). */
  exclude?: RegExp;
}

/** The property: any command sequence after a first HELLO (later ones vary) keeps every invariant. */
export function sessionProperty(code: DeviceCode, maxCommands = 40, exclude?: RegExp): fc.IPropertyWithHooks<[Iterable<Cmd>, number]> {
  const all = commandArbitrary();
  const commands = fc.commands([exclude ? all.filter((c) => !exclude.test(c.toString())) : all], { maxCommands, size: "max" });
  return fc.property(commands, fc.integer({ min: 1, max: 0xffff }), (cmds, nonce) => {
    const rig = new Rig(code, nonce);
    const problems = rig.problems.splice(0);
    if (problems.length > 0) throw new Error(`boot: ${problems.join("; ")}`);
    const ref = new Reference();
    fc.modelRun(() => ({ model: ref, real: rig }), [new Hello(PROTOCOL_VERSION, 1024, 0xabc), ...cmds]);
  });
}

/** Runs the fuzzer; returns fast-check's report (failed, counterexample, seed). */
export function fuzzSessions(code: DeviceCode, opts: FuzzOptions): fc.RunDetails<unknown> {
  return fc.check(sessionProperty(code, opts.maxCommands, opts.exclude), { numRuns: opts.numRuns, seed: opts.seed }) as fc.RunDetails<unknown>;
}
