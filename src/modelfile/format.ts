// Model files (.tpm), format version 1: docs/model-format.md is the specification; this file follows it.
// Runs under XS: Uint8Array/DataView only, and loadInto() validates everything before it touches the model.
// Over 400 lines: the writer and the validating reader of one format side by side, so that both follow
// docs/model-format.md section by section and stay in step.
import { buildModel, plan } from "../engine/build";
import type { DenseModel } from "../engine/model-api";
import {
  Act, ACTIVATION_NAMES, DTypeCode, LOSS_NAMES, Opt, OPTIMIZER_STATE_ARRAYS, OptimizerType, Sched,
  type ActivationName, type LossName,
} from "../engine/codes";
import { powInt } from "../engine/math";
import type { ModelSpec, ResolvedSpec, ScheduleSpec } from "../engine/spec";
import { crc32Final, crc32Update, CRC32_INIT } from "../util/crc32";
import { failModelFile as fail } from "../util/fail";

export const MODEL_FILE_VERSION = 1;
/** 0x89 'T' 'P' 'M'. */
export const MODEL_FILE_MAGIC = [0x89, 0x54, 0x50, 0x4d] as const;

export const TAG_SPEC = 1;
export const TAG_QFORMAT = 2;
export const TAG_PARAMS = 3;
export const TAG_TRAINING = 4;
const SECTION_CRITICAL = 1;

const HEADER = 16;
const SECTION_HEADER = 8;
const CRC = 4;
const SPEC_FIXED = 128;
const SPEC_LAYER = 8;
/** The SPEC section's float64 fields, 8 bytes each from byte SPEC_DOUBLES_AT, in file order. */
const SPEC_DOUBLES = [
  "seed", "learningRate", "momentum", "beta1", "beta2", "epsilon", "weightDecay", "clipNorm", "leakySlope",
  "scheduleEvery", "scheduleGamma", "scheduleSteps", "minLearningRate",
] as const;
const SPEC_DOUBLES_AT = 24;
/** Offset of a float64 field in the SPEC payload. */
const specDoubleAt = (name: (typeof SPEC_DOUBLES)[number]): number => SPEC_DOUBLES_AT + 8 * SPEC_DOUBLES.indexOf(name);
const PARAMS_HEADER = 8;
const TRAINING_HEADER = 48;
const QFORMAT_FIXED = 16;
const QFORMAT_LAYER = 4;
const QFORMAT_VERSION = 1;
/** Fraction bits the fixed-point momentum velocity keeps beyond its parameter's format (FixedModel). */
export const VELOCITY_EXTRA_FRAC = 4;

// Codes stored in the file are those of src/engine/codes.ts (dtype, loss, optimizer type, schedule,
// activation, and the engine's optimizer in TRAINING); only the PARAMS encoding is the file's own.
const ENC_FLOAT32 = 0;
const ENC_INT16 = 1;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Either backend's model (the one model interface): a Float32 Model or a FixedModel (int16 parameters). */
export type AnyModel = DenseModel;

const align4 = (n: number) => (n + 3) & ~3;

// --- saving ----------------------------------------------------------------------------------------

export interface SaveOptions {
  /** Include the TRAINING section (optimizer state, step). Default false. */
  state?: boolean;
  /** Last committed batch id (u32) to record; implies state. */
  lastBatchId?: number;
}

function withTraining(opts: SaveOptions | undefined): boolean {
  return opts !== undefined && (opts.state === true || opts.lastBatchId !== undefined);
}

function dtypeOf(model: AnyModel): number {
  return model.dtype === "fixed" ? DTypeCode.Fixed : DTypeCode.Float32;
}

/** Exact byte size of the file saveModel(model, opts) writes. */
export function modelFileSize(model: AnyModel, opts?: SaveOptions): number {
  const L = model.config.units.length;
  const width = model.dtype === "fixed" ? 2 : 4;
  let n = HEADER + SECTION_HEADER + align4(SPEC_FIXED + SPEC_LAYER * L);
  if (model.dtype === "fixed") n += SECTION_HEADER + align4(QFORMAT_FIXED + QFORMAT_LAYER * L);
  n += SECTION_HEADER + align4(PARAMS_HEADER + width * model.plan.parameterCount);
  if (withTraining(opts)) n += SECTION_HEADER + align4(TRAINING_HEADER + width * model.optimizerState.length * model.plan.trainableCount);
  return n + CRC;
}

/** The stochastic-rounding state of a fixed-point model (0: none; the state itself is never 0). */
function roundingStateOf(model: AnyModel): number {
  const state = (model as { roundingState?: Int32Array | null }).roundingState;
  return state ? state[0] : 0;
}

/** Copy n float32 values into out at byte offset `at` (byte copy on little-endian machines). */
function putFloats(v: DataView, out: Uint8Array, at: number, src: Float32Array): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), at);
  } else {
    for (let i = 0; i < src.length; i++) v.setFloat32(at + 4 * i, src[i], true);
  }
}

function putInt16s(v: DataView, out: Uint8Array, at: number, src: Int16Array): void {
  if (LITTLE_ENDIAN) out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), at);
  else for (let i = 0; i < src.length; i++) v.setInt16(at + 2 * i, src[i], true);
}

function getInt16s(v: DataView, bytes: Uint8Array, at: number, dst: Int16Array): void {
  if (LITTLE_ENDIAN) new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(bytes.subarray(at, at + dst.byteLength));
  else for (let i = 0; i < dst.length; i++) dst[i] = v.getInt16(at + 2 * i, true);
}

function getFloats(v: DataView, bytes: Uint8Array, at: number, dst: Float32Array): void {
  if (LITTLE_ENDIAN) {
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(bytes.subarray(at, at + dst.byteLength));
  } else {
    for (let i = 0; i < dst.length; i++) dst[i] = v.getFloat32(at + 4 * i, true);
  }
}

/**
 * Largest lastBatchId a file may carry: the protocol's MAX_BATCH_ID (src/protocol/codes.ts; a test
 * checks they agree), 2^32 - 2, so that a board resumed from the file can take batch lastBatchId + 1.
 * Kept here so that model files do not depend on the protocol.
 */
export const MAX_LAST_BATCH_ID = 0xfffffffe;

function checkBatchId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_LAST_BATCH_ID) {
    fail(`lastBatchId must be an integer in 0..${MAX_LAST_BATCH_ID} (the next batch, id + 1, must still be a u32), got ${id}`);
  }
}

/**
 * Write the model file into out (at least modelFileSize(model, opts) bytes) from offset 0 and return its
 * length. Allocates nothing but a DataView: the device reuses one buffer for every checkpoint.
 */
export function saveModelInto(model: AnyModel, out: Uint8Array, opts?: SaveOptions): number {
  const total = modelFileSize(model, opts);
  if (out.length < total) fail(`output buffer has ${out.length} bytes, the file needs ${total}`);
  if (opts?.lastBatchId !== undefined) checkBatchId(opts.lastBatchId);
  const r = model.config;
  const L = r.units.length;
  const training = withTraining(opts);
  out.fill(0, 0, total);
  const v = new DataView(out.buffer, out.byteOffset, total);
  out[0] = MODEL_FILE_MAGIC[0]; out[1] = MODEL_FILE_MAGIC[1]; out[2] = MODEL_FILE_MAGIC[2]; out[3] = MODEL_FILE_MAGIC[3];
  v.setUint16(4, MODEL_FILE_VERSION, true);
  v.setUint16(6, 0, true);
  v.setUint32(8, total, true);
  const fixed = model.dtype === "fixed";
  v.setUint32(12, 2 + (fixed ? 1 : 0) + (training ? 1 : 0), true);

  // SPEC
  let at = HEADER;
  const specLength = SPEC_FIXED + SPEC_LAYER * L;
  v.setUint16(at, TAG_SPEC, true); v.setUint16(at + 2, SECTION_CRITICAL, true); v.setUint32(at + 4, specLength, true);
  let p = at + SECTION_HEADER;
  writeSpecPayload(v, p, model);
  at = p + align4(specLength);

  // QFORMAT (fixed point only)
  const qf = r.fixed;
  if (fixed && qf) {
    const qLength = QFORMAT_FIXED + QFORMAT_LAYER * L;
    v.setUint16(at, TAG_QFORMAT, true); v.setUint16(at + 2, SECTION_CRITICAL, true); v.setUint32(at + 4, qLength, true);
    p = at + SECTION_HEADER;
    v.setUint16(p, QFORMAT_VERSION, true);
    v.setUint16(p + 2, L, true);
    v.setInt8(p + 4, qf.inputFrac);
    v.setUint8(p + 5, qf.stochasticRounding ? 1 : 0);
    v.setFloat64(p + 8, qf.outputRange, true);
    for (let l = 0; l < L; l++) {
      v.setInt8(p + QFORMAT_FIXED + QFORMAT_LAYER * l, qf.activationFrac[l]);
      v.setInt8(p + QFORMAT_FIXED + QFORMAT_LAYER * l + 1, qf.weightFrac[l]);
      v.setInt8(p + QFORMAT_FIXED + QFORMAT_LAYER * l + 2, qf.biasFrac[l]);
    }
    at = p + align4(qLength);
  }

  // PARAMS
  const count = model.plan.parameterCount;
  const size = fixed ? 2 : 4;
  v.setUint16(at, TAG_PARAMS, true); v.setUint16(at + 2, SECTION_CRITICAL, true); v.setUint32(at + 4, PARAMS_HEADER + size * count, true);
  p = at + SECTION_HEADER;
  v.setUint8(p, fixed ? ENC_INT16 : ENC_FLOAT32);
  v.setUint32(p + 4, count, true);
  if (model.parameters instanceof Int16Array) putInt16s(v, out, p + PARAMS_HEADER, model.parameters);
  else putFloats(v, out, p + PARAMS_HEADER, model.parameters);
  at = p + PARAMS_HEADER + align4(size * count);

  // TRAINING (the state arrays in the model's element type: f32, or int16 for dtype fixed)
  if (training) {
    const state = model.optimizerState;
    const n = model.plan.trainableCount;
    v.setUint16(at, TAG_TRAINING, true); v.setUint16(at + 2, 0, true); v.setUint32(at + 4, TRAINING_HEADER + size * state.length * n, true);
    p = at + SECTION_HEADER;
    if (!(model.step >= 0 && model.step <= 0xffffffff)) fail(`step ${model.step} does not fit in u32`);
    v.setUint32(p, model.step, true);
    v.setUint32(p + 4, model.rejectedSteps >>> 0, true);
    const id = opts?.lastBatchId;
    v.setUint32(p + 8, id === undefined ? 0 : id, true);
    v.setUint8(p + 12, id === undefined ? 0 : 1);
    v.setUint8(p + 13, r.optimizer);
    v.setUint8(p + 14, state.length);
    v.setUint32(p + 16, model.plan.trainableStart, true);
    v.setUint32(p + 20, n, true);
    if (fixed) {
      v.setInt32(p + 24, roundingStateOf(model), true);
      v.setInt8(p + 28, VELOCITY_EXTRA_FRAC);
    }
    v.setFloat64(p + 32, r.optimizer === Opt.Adam ? powInt(r.beta1, model.step) : 1, true);
    v.setFloat64(p + 40, r.optimizer === Opt.Adam ? powInt(r.beta2, model.step) : 1, true);
    for (let k = 0; k < state.length; k++) {
      const a = state[k];
      if (a instanceof Int16Array) putInt16s(v, out, p + TRAINING_HEADER + 2 * n * k, a);
      else putFloats(v, out, p + TRAINING_HEADER + 4 * n * k, a);
    }
    at = p + align4(TRAINING_HEADER + size * n * state.length);
  }
  if (at !== total - CRC) fail(`internal error: wrote ${at + CRC} bytes, planned ${total}`);
  v.setUint32(at, crc32Final(crc32Update(CRC32_INIT, out, 0, at)), true);
  return total;
}

/** Bytes of a SPEC section payload (no section header) for a model of L layers. */
export function specPayloadLength(L: number): number {
  return SPEC_FIXED + SPEC_LAYER * L;
}

/**
 * Write the SPEC section payload (docs/model-format.md) of the model's current resolved spec at byte `p`
 * of `v`: specPayloadLength(L) bytes, reserved bytes included. The device sends it in MODEL_SPEC.
 */
export function writeSpecPayload(v: DataView, p: number, model: AnyModel): void {
  const r = model.config;
  const L = r.units.length;
  v.setUint8(p, dtypeOf(model));
  v.setUint8(p + 1, r.loss);
  v.setUint8(p + 2, r.optimizer === Opt.Adam ? OptimizerType.Adam : OptimizerType.Sgd);
  v.setUint8(p + 3, r.schedule);
  v.setUint8(p + 4, r.keepGradients ? 1 : 0);
  v.setUint8(p + 5, 0);
  v.setUint16(p + 6, L, true);
  v.setUint32(p + 8, r.inputs, true);
  v.setUint32(p + 12, r.batchSize, true);
  v.setUint32(p + 16, r.frozen, true);
  v.setUint32(p + 20, 0, true);
  for (let i = 0; i < SPEC_DOUBLES.length; i++) v.setFloat64(p + SPEC_DOUBLES_AT + 8 * i, r[SPEC_DOUBLES[i]], true);
  for (let l = 0; l < L; l++) {
    v.setUint32(p + SPEC_FIXED + SPEC_LAYER * l, r.units[l], true);
    v.setUint8(p + SPEC_FIXED + SPEC_LAYER * l + 4, r.activations[l]);
    v.setUint8(p + SPEC_FIXED + SPEC_LAYER * l + 5, 0);
    v.setUint16(p + SPEC_FIXED + SPEC_LAYER * l + 6, 0, true);
  }
}

/** Decode a SPEC section payload (as written by writeSpecPayload) into a ModelSpec (dtype float32). */
export function specFromPayload(bytes: Uint8Array): ModelSpec {
  if (bytes.length < SPEC_FIXED) fail(`SPEC payload of ${bytes.length} bytes is too short`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const L = v.getUint16(6, true);
  if (bytes.length < SPEC_FIXED + SPEC_LAYER * L) fail(`SPEC payload of ${bytes.length} bytes is too short for ${L} layers`);
  if (v.getUint8(0) !== DTypeCode.Float32) fail("a fixed-point SPEC needs its QFORMAT section");
  return specFrom(v, 0, -1);
}

/** The model as a new .tpm file. */
export function saveModel(model: AnyModel, opts?: SaveOptions): Uint8Array {
  const out = new Uint8Array(modelFileSize(model, opts));
  saveModelInto(model, out, opts);
  return out;
}

// --- reading ---------------------------------------------------------------------------------------

/** Byte offsets of the sections found by scan(), or -1 when absent (payload start; length alongside). */
interface Sections {
  spec: number;
  specLength: number;
  qformat: number;
  qformatLength: number;
  params: number;
  paramsLength: number;
  training: number;
  trainingLength: number;
}

/** Check magic, version, length, CRC and the section table. Returns a DataView and the section offsets. */
function scan(bytes: Uint8Array): { v: DataView; s: Sections } {
  if (!(bytes instanceof Uint8Array)) fail("expected a Uint8Array");
  const n = bytes.length;
  if (n < HEADER + CRC) fail(`truncated: ${n} bytes, a model file has at least ${HEADER + CRC}`);
  if (bytes[0] !== MODEL_FILE_MAGIC[0] || bytes[1] !== MODEL_FILE_MAGIC[1] || bytes[2] !== MODEL_FILE_MAGIC[2] || bytes[3] !== MODEL_FILE_MAGIC[3]) {
    fail("bad magic: not a tinyprop model file");
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, n);
  const version = v.getUint16(4, true);
  if (version !== MODEL_FILE_VERSION) fail(`unsupported format version ${version} (this build reads version ${MODEL_FILE_VERSION})`);
  if (v.getUint16(6, true) !== 0) fail("unknown header flags");
  const length = v.getUint32(8, true);
  if (length !== n) fail(length > n ? `truncated: the header says ${length} bytes, got ${n}` : `length mismatch: the header says ${length} bytes, got ${n}`);
  const stored = v.getInt32(n - CRC, true);
  if ((~crc32Update(CRC32_INIT, bytes, 0, n - CRC)) !== stored) fail("CRC mismatch: the file is corrupted");

  const s: Sections = { spec: -1, specLength: 0, qformat: -1, qformatLength: 0, params: -1, paramsLength: 0, training: -1, trainingLength: 0 };
  const count = v.getUint32(12, true);
  let at = HEADER;
  const end = n - CRC;
  for (let i = 0; i < count; i++) {
    if (at + SECTION_HEADER > end) fail(`section ${i} starts beyond the end of the file`);
    const tag = v.getUint16(at, true), flags = v.getUint16(at + 2, true), len = v.getUint32(at + 4, true);
    const p = at + SECTION_HEADER;
    if (len > end - p) fail(`section ${i} (tag ${tag}) runs past the end of the file`);
    if ((flags & ~SECTION_CRITICAL) !== 0) fail(`section ${i} (tag ${tag}) has unknown flags`);
    if (i === 0 && tag !== TAG_SPEC) fail("the first section must be SPEC");
    if (tag === TAG_SPEC) {
      if (s.spec >= 0) fail("duplicate SPEC section");
      s.spec = p; s.specLength = len;
    } else if (tag === TAG_QFORMAT) {
      if (s.qformat >= 0) fail("duplicate QFORMAT section");
      s.qformat = p; s.qformatLength = len;
    } else if (tag === TAG_PARAMS) {
      if (s.params >= 0) fail("duplicate PARAMS section");
      s.params = p; s.paramsLength = len;
    } else if (tag === TAG_TRAINING) {
      if (s.training >= 0) fail("duplicate TRAINING section");
      s.training = p; s.trainingLength = len;
    } else if ((flags & SECTION_CRITICAL) !== 0) {
      fail(`unknown critical section tag ${tag}: written by a newer tinyprop`);
    }
    at = p + align4(len);
    if (at > end) fail(`section ${i} padding runs past the end of the file`);
  }
  if (at !== end) fail(`${end - at} bytes after the last section`);
  if (s.spec < 0) fail("no SPEC section");
  if (s.params < 0) fail("no PARAMS section");
  if (s.specLength < SPEC_FIXED) fail("SPEC section too short");
  const L = v.getUint16(s.spec + 6, true);
  if (L < 1 || s.specLength !== SPEC_FIXED + SPEC_LAYER * L) fail(`SPEC section length ${s.specLength} does not match ${L} layers`);
  const sp = s.spec;
  let reserved = (v.getUint8(sp + 4) & ~1) | v.getUint8(sp + 5) | v.getUint32(sp + 20, true);
  for (let l = 0; l < L; l++) reserved |= v.getUint8(sp + SPEC_FIXED + SPEC_LAYER * l + 5) | v.getUint16(sp + SPEC_FIXED + SPEC_LAYER * l + 6, true);
  if (reserved !== 0) fail("SPEC has reserved bits set (they must be 0)");
  const dtype = v.getUint8(s.spec);
  if (dtype === DTypeCode.Fixed) {
    if (s.qformat < 0) fail("no QFORMAT section in a fixed-point file");
    if (v.getUint16(s.qformat, true) !== QFORMAT_VERSION) fail(`QFORMAT version ${v.getUint16(s.qformat, true)} is not supported (this build reads ${QFORMAT_VERSION})`);
    if (v.getUint16(s.qformat + 2, true) !== L || s.qformatLength !== QFORMAT_FIXED + QFORMAT_LAYER * L) fail("QFORMAT section does not match the layer count");
    const q = s.qformat;
    reserved = (v.getUint8(q + 5) & ~1) | v.getUint16(q + 6, true);
    for (let l = 0; l < L; l++) reserved |= v.getUint8(q + QFORMAT_FIXED + QFORMAT_LAYER * l + 3);
    if (reserved !== 0) fail("QFORMAT has reserved bits set (they must be 0)");
  } else if (dtype === DTypeCode.Float32) {
    if (s.qformat >= 0) fail("QFORMAT section in a float32 file");
  } else {
    fail(`unknown dtype code ${dtype}`);
  }
  const t = s.training;
  if (t >= 0 && s.trainingLength >= 13 && (v.getUint8(t + 12) & 1) !== 0 && v.getUint32(t + 8, true) > MAX_LAST_BATCH_ID) {
    fail(`TRAINING lastBatchId ${v.getUint32(t + 8, true)} is above ${MAX_LAST_BATCH_ID}, the largest batch id (the next batch would not be a u32)`);
  }
  return { v, s };
}

/** Parameter count implied by the SPEC section. */
function specParameterCount(v: DataView, spec: number): number {
  const L = v.getUint16(spec + 6, true);
  let inputs = v.getUint32(spec + 8, true), count = 0;
  for (let l = 0; l < L; l++) {
    const units = v.getUint32(spec + SPEC_FIXED + SPEC_LAYER * l, true);
    count += units * (inputs + 1);
    inputs = units;
  }
  return count;
}

/** Index of the first of n float32 values at byte `from` that is NaN or infinite (exponent bits all set), or -1. */
function firstNonFinite(v: DataView, from: number, n: number): number {
  for (let i = 0; i < n; i++) if ((v.getInt32(from + 4 * i, true) & 0x7f800000) === 0x7f800000) return i;
  return -1;
}

/** PARAMS encoding, count and values (finite floats; int16 in -32767..32767). Returns the count. */
function checkParams(v: DataView, s: Sections): number {
  const enc = v.getUint8(s.params);
  const fixed = v.getUint8(s.spec) === DTypeCode.Fixed;
  if (enc !== (fixed ? ENC_INT16 : ENC_FLOAT32)) fail(`PARAMS encoding ${enc} does not match dtype ${fixed ? "fixed" : "float32"}`);
  const count = v.getUint32(s.params + 4, true);
  const expected = specParameterCount(v, s.spec);
  if (count !== expected) fail(`PARAMS has ${count} values, the spec needs ${expected}`);
  if (s.paramsLength !== PARAMS_HEADER + (fixed ? 2 : 4) * count) fail(`PARAMS section length ${s.paramsLength} does not match ${count} ${fixed ? "int16" : "float32"} values`);
  if (v.getUint8(s.params + 1) !== 0 || v.getUint16(s.params + 2, true) !== 0) fail("PARAMS has reserved bytes that are not 0");
  const from = s.params + PARAMS_HEADER;
  if (fixed) {
    // -32768 is outside the kernels' symmetric range: two such products would overflow an int32 pair sum.
    for (let i = 0; i < count; i++) if (v.getInt16(from + 2 * i, true) === -32768) fail(`parameter ${i} is -32768, outside the int16 range -32767..32767 the kernels accept`);
  } else {
    const at = firstNonFinite(v, from, count);
    if (at >= 0) fail(`parameter ${at} is ${v.getFloat32(from + 4 * at, true)}, not a finite number`);
  }
  return count;
}

/** TRAINING section fields (offsets into the file). */
function checkTraining(v: DataView, s: Sections): { arrays: number; start: number; count: number } {
  const p = s.training;
  if (s.trainingLength < TRAINING_HEADER) fail("TRAINING section too short");
  const arrays = v.getUint8(p + 14), start = v.getUint32(p + 16, true), count = v.getUint32(p + 20, true);
  const opt = v.getUint8(p + 13);
  const fixed = v.getUint8(s.spec) === DTypeCode.Fixed;
  if (opt > Opt.Adam) fail(`TRAINING optimizer code ${opt} is unknown`);
  if (fixed && opt === Opt.Adam) fail("TRAINING of a fixed-point file with Adam state (fixed point trains with SGD or momentum)");
  if (arrays !== OPTIMIZER_STATE_ARRAYS[opt]) fail("TRAINING state array count does not match its optimizer");
  if ((v.getUint8(p + 12) & ~1) !== 0 || v.getUint8(p + 15) !== 0 || v.getUint16(p + 30, true) !== 0 || v.getUint8(p + 29) !== 0 ||
    (!fixed && (v.getUint32(p + 24, true) !== 0 || v.getUint8(p + 28) !== 0))) {
    fail("TRAINING has reserved bits set (they must be 0)");
  }
  if (fixed) {
    if (v.getInt8(p + 28) !== VELOCITY_EXTRA_FRAC) fail(`TRAINING velocity format: ${v.getInt8(p + 28)} extra fraction bits, this build keeps ${VELOCITY_EXTRA_FRAC}`);
    const rounding = v.getInt32(p + 24, true);
    const stochastic = (v.getUint8(s.qformat + 5) & 1) !== 0;
    if (stochastic ? rounding === 0 : rounding !== 0) fail(`TRAINING rounding state ${rounding} is not valid for ${stochastic ? "stochastic" : "nearest"} rounding`);
  }
  const width = fixed ? 2 : 4;
  if (s.trainingLength !== TRAINING_HEADER + width * arrays * count) fail("TRAINING section length does not match its state arrays");
  const total = specParameterCount(v, s.spec);
  if (start > total || count !== total - start) fail("TRAINING trainable range does not match the spec");
  for (let k = 0; k < 2; k++) {
    const power = v.getFloat64(p + 32 + 8 * k, true);
    if (!(power >= 0 && power <= 1)) fail(`TRAINING beta${k + 1}Power is ${power}, not in [0, 1]`);
  }
  if (fixed) {
    // int16 velocity: -32768 is outside the kernels' symmetric range
    for (let i = 0; i < arrays * count; i++) {
      if (v.getInt16(p + TRAINING_HEADER + 2 * i, true) === -32768) fail(`TRAINING state value ${i} is -32768, outside -32767..32767`);
    }
    return { arrays, start, count };
  }
  // Optimizer state must be finite, and Adam's second moment v (the second array) never negative: a NaN
  // or negative v would turn every parameter into NaN at the first update.
  for (let k = 0; k < arrays; k++) {
    const from = p + TRAINING_HEADER + 4 * count * k;
    const at = firstNonFinite(v, from, count);
    if (at >= 0) fail(`TRAINING state array ${k} value ${at} is ${v.getFloat32(from + 4 * at, true)}, not a finite number`);
    if (opt === Opt.Adam && k === 1) {
      for (let i = 0; i < count; i++) {
        if (v.getFloat32(from + 4 * i, true) < 0) fail(`TRAINING Adam second moment v[${i}] is ${v.getFloat32(from + 4 * i, true)}, must be >= 0`);
      }
    }
  }
  return { arrays, start, count };
}

/** What a file holds, without building a model. */
export interface ModelFileSummary {
  version: number;
  bytes: number;
  dtype: "float32" | "fixed";
  inputs: number;
  units: number[];
  activations: ActivationName[];
  loss: LossName;
  parameterCount: number;
  frozen: number;
  batchSize: number;
  hasTraining: boolean;
  step: number;
  /** -1 when the file records none. */
  lastBatchId: number;
}

/** Verify the file (magic, version, CRC, sections) and summarise it. */
export function readHeader(bytes: Uint8Array): ModelFileSummary {
  const { v, s } = scan(bytes);
  const L = v.getUint16(s.spec + 6, true);
  const units: number[] = [], activations: ActivationName[] = [];
  for (let l = 0; l < L; l++) {
    units.push(v.getUint32(s.spec + SPEC_FIXED + SPEC_LAYER * l, true));
    const a = v.getUint8(s.spec + SPEC_FIXED + SPEC_LAYER * l + 4);
    if (a >= ACTIVATION_NAMES.length) fail(`layer ${l} has unknown activation code ${a}`);
    activations.push(ACTIVATION_NAMES[a]);
  }
  const lossCode = v.getUint8(s.spec + 1);
  if (lossCode >= LOSS_NAMES.length) fail(`unknown loss code ${lossCode}`);
  const t = s.training;
  return {
    version: v.getUint16(4, true), bytes: bytes.length, dtype: v.getUint8(s.spec) === DTypeCode.Fixed ? "fixed" : "float32",
    inputs: v.getUint32(s.spec + 8, true), units, activations, loss: LOSS_NAMES[lossCode],
    parameterCount: checkParams(v, s),
    frozen: v.getUint32(s.spec + 16, true), batchSize: v.getUint32(s.spec + 12, true),
    hasTraining: t >= 0,
    step: t >= 0 ? v.getUint32(t, true) : 0,
    lastBatchId: t >= 0 && (v.getUint8(t + 12) & 1) !== 0 ? v.getUint32(t + 8, true) : -1,
  };
}

function specFrom(v: DataView, p: number, q: number): ModelSpec {
  const L = v.getUint16(p + 6, true);
  const layers = [];
  for (let l = 0; l < L; l++) {
    const a = v.getUint8(p + SPEC_FIXED + SPEC_LAYER * l + 4);
    if (a >= ACTIVATION_NAMES.length) fail(`layer ${l} has unknown activation code ${a}`);
    layers.push({ units: v.getUint32(p + SPEC_FIXED + SPEC_LAYER * l, true), activation: ACTIVATION_NAMES[a] });
  }
  const lossCode = v.getUint8(p + 1);
  if (lossCode >= LOSS_NAMES.length) fail(`unknown loss code ${lossCode}`);
  const opt = v.getUint8(p + 2), sched = v.getUint8(p + 3);
  if (opt > OptimizerType.Adam) fail(`unknown optimizer code ${opt}`);
  const f = (name: (typeof SPEC_DOUBLES)[number]) => v.getFloat64(p + specDoubleAt(name), true);
  let schedule: ScheduleSpec;
  if (sched === Sched.Constant) schedule = { type: "constant" };
  else if (sched === Sched.Step) schedule = { type: "step", every: f("scheduleEvery"), gamma: f("scheduleGamma") };
  else if (sched === Sched.Cosine) schedule = { type: "cosine", steps: f("scheduleSteps"), minLearningRate: f("minLearningRate") };
  else fail(`unknown schedule code ${sched}`);
  const optimizer: ModelSpec["optimizer"] = opt === OptimizerType.Adam
    ? { type: "adam", learningRate: f("learningRate"), beta1: f("beta1"), beta2: f("beta2"), epsilon: f("epsilon"), weightDecay: f("weightDecay"), clipNorm: f("clipNorm"), schedule }
    : { type: "sgd", learningRate: f("learningRate"), momentum: f("momentum"), beta1: f("beta1"), beta2: f("beta2"), epsilon: f("epsilon"), weightDecay: f("weightDecay"), clipNorm: f("clipNorm"), schedule };
  const spec: ModelSpec = {
    inputs: v.getUint32(p + 8, true), layers, loss: LOSS_NAMES[lossCode], optimizer,
    batchSize: v.getUint32(p + 12, true), seed: f("seed"), frozen: v.getUint32(p + 16, true),
    leakySlope: f("leakySlope"), dtype: "float32",
  };
  if (q >= 0) {
    const L2 = v.getUint16(q + 2, true);
    const a: number[] = [], w: number[] = [], b: number[] = [];
    for (let l = 0; l < L2; l++) {
      a.push(v.getInt8(q + QFORMAT_FIXED + QFORMAT_LAYER * l));
      w.push(v.getInt8(q + QFORMAT_FIXED + QFORMAT_LAYER * l + 1));
      b.push(v.getInt8(q + QFORMAT_FIXED + QFORMAT_LAYER * l + 2));
    }
    spec.dtype = "fixed";
    spec.fixed = { inputFrac: v.getInt8(q + 4), activationFrac: a, weightFrac: w, biasFrac: b, stochasticRounding: (v.getUint8(q + 5) & 1) !== 0 };
    const range = v.getFloat64(q + 8, true);
    if (range > 0) spec.fixed.outputRange = range;
    if (spec.optimizer.type === "sgd") spec.optimizer.clipNorm = undefined;
  }
  if ((v.getUint8(p + 4) & 1) !== 0) spec.keepGradients = true;
  try {
    plan(spec); // resolves and validates the spec, and refuses one whose arena is over the limit
  } catch (e) {
    fail(`the spec in the file is invalid: ${(e as Error).message}`);
  }
  return spec;
}

export interface ParsedTraining {
  step: number;
  rejectedSteps: number;
  /** -1 when the file records none. */
  lastBatchId: number;
  beta1Power: number;
  beta2Power: number;
  /** Optimizer state arrays (velocity, or m then v), trainableCount values each. */
  state: Float32Array[];
}

export interface ParsedModelFile {
  version: number;
  spec: ModelSpec;
  /** All parameters, layer by layer (the layout of Model.parameters): int16 Q values for dtype fixed. */
  parameters: Float32Array | Int16Array;
  training: ParsedTraining | null;
}

/** Verify the file (magic, version, CRC, sections, parameter values) and return its spec, building nothing. */
export function readSpec(bytes: Uint8Array): ModelSpec {
  const { v, s } = scan(bytes);
  const spec = specFrom(v, s.spec, s.qformat);
  checkParams(v, s);
  return spec;
}

/** Verify and decode a whole file into plain data (copies; for host tools). */
export function parseModel(bytes: Uint8Array): ParsedModelFile {
  const { v, s } = scan(bytes);
  const spec = specFrom(v, s.spec, s.qformat);
  const count = checkParams(v, s);
  let parameters: Float32Array | Int16Array;
  if (s.qformat >= 0) {
    parameters = new Int16Array(count);
    getInt16s(v, bytes, s.params + PARAMS_HEADER, parameters);
  } else {
    parameters = new Float32Array(count);
    getFloats(v, bytes, s.params + PARAMS_HEADER, parameters);
  }
  let training: ParsedTraining | null = null;
  if (s.training >= 0) {
    const t = checkTraining(v, s), p = s.training;
    const state: Float32Array[] = [];
    for (let k = 0; k < t.arrays; k++) {
      const a = new Float32Array(t.count);
      getFloats(v, bytes, p + TRAINING_HEADER + 4 * t.count * k, a);
      state.push(a);
    }
    training = {
      step: v.getUint32(p, true), rejectedSteps: v.getUint32(p + 4, true),
      lastBatchId: (v.getUint8(p + 12) & 1) !== 0 ? v.getUint32(p + 8, true) : -1,
      beta1Power: v.getFloat64(p + 32, true), beta2Power: v.getFloat64(p + 40, true), state,
    };
  }
  return { version: v.getUint16(4, true), spec, parameters, training };
}

export interface LoadOptions {
  /** Use the file's TRAINING section: "auto" (default) if present and compatible, "require", or "skip". */
  state?: "auto" | "require" | "skip";
}

export interface LoadResult {
  /** True when optimizer state, step and Adam's powers were loaded too. */
  stateLoaded: boolean;
  /** The file's step (0 without TRAINING). */
  step: number;
  /** The file's last committed batch id, -1 when it records none. */
  lastBatchId: number;
}

/** Does the SPEC section describe the same network as the model's resolved spec? Returns a reason or "". */
function incompatibility(v: DataView, p: number, r: ResolvedSpec): string {
  const L = v.getUint16(p + 6, true);
  if (v.getUint8(p) !== (r.dtype === "fixed" ? DTypeCode.Fixed : DTypeCode.Float32)) return `dtype differs (model ${r.dtype})`;
  const inputs = v.getUint32(p + 8, true);
  if (inputs !== r.inputs) return `inputs differ (file ${inputs}, model ${r.inputs})`;
  if (L !== r.units.length) return `layer count differs (file ${L}, model ${r.units.length})`;
  let leaky = false;
  for (let l = 0; l < L; l++) {
    const units = v.getUint32(p + SPEC_FIXED + SPEC_LAYER * l, true);
    const a = v.getUint8(p + SPEC_FIXED + SPEC_LAYER * l + 4);
    if (units !== r.units[l]) return `layer ${l} units differ (file ${units}, model ${r.units[l]})`;
    if (a !== r.activations[l]) return `layer ${l} activation differs (file ${ACTIVATION_NAMES[a] ?? a}, model ${ACTIVATION_NAMES[r.activations[l]]})`;
    if (a === Act.Leaky) leaky = true;
  }
  const loss = v.getUint8(p + 1);
  if (loss !== r.loss) return `loss differs (file ${LOSS_NAMES[loss] ?? loss}, model ${LOSS_NAMES[r.loss]})`;
  if (leaky && v.getFloat64(p + specDoubleAt("leakySlope"), true) !== r.leakySlope) return "leakySlope differs";
  return "";
}

/** For fixed point: do the file's Q formats equal the model's? Returns a reason or "". */
function qformatIncompatibility(v: DataView, q: number, r: ResolvedSpec): string {
  const f = r.fixed;
  if (!f) return "the model has no Q formats";
  if (v.getInt8(q + 4) !== f.inputFrac) return `input format differs (file frac ${v.getInt8(q + 4)}, model ${f.inputFrac})`;
  for (let l = 0; l < f.weightFrac.length; l++) {
    const o = q + QFORMAT_FIXED + QFORMAT_LAYER * l;
    if (v.getInt8(o) !== f.activationFrac[l] || v.getInt8(o + 1) !== f.weightFrac[l] || v.getInt8(o + 2) !== f.biasFrac[l]) return `layer ${l} Q formats differ`;
  }
  return "";
}

/**
 * Load a file into an existing model. Everything (magic, version, length, CRC, sections, compatibility
 * with the model, and the TRAINING section when used) is checked first; on any problem this throws and
 * the model is unchanged.
 */
export function loadInto(model: AnyModel, bytes: Uint8Array, opts?: LoadOptions): LoadResult {
  const { v, s } = scan(bytes);
  let why = incompatibility(v, s.spec, model.config);
  if (why === "" && s.qformat >= 0) why = qformatIncompatibility(v, s.qformat, model.config);
  if (why !== "") fail(`does not fit the target model: ${why}`);
  const count = checkParams(v, s);
  if (count !== model.parameters.length) fail(`internal error: ${count} parameters in the file, ${model.parameters.length} in the model`);
  const mode = opts?.state ?? "auto";
  let useState = false;
  if (mode !== "skip") {
    if (s.training < 0) {
      if (mode === "require") fail("no TRAINING section (optimizer state) in the file");
    } else {
      const t = checkTraining(v, s);
      const opt = v.getUint8(s.training + 13);
      // a fixed model with stochastic rounding needs the file's rounding state, one without it none
      const rounding = model.dtype === "fixed" && (roundingStateOf(model) !== 0) !== (v.getInt32(s.training + 24, true) !== 0);
      const ok = opt === model.config.optimizer && t.start === model.plan.trainableStart && t.count === model.plan.trainableCount &&
        t.arrays === model.optimizerState.length && !rounding;
      if (!ok && mode === "require") fail("the TRAINING section does not match the model's optimizer, frozen layers or rounding");
      useState = ok;
    }
  }
  // Nothing has been written yet; from here on nothing can fail.
  const P = model.parameters;
  if (P instanceof Int16Array) getInt16s(v, bytes, s.params + PARAMS_HEADER, P);
  else getFloats(v, bytes, s.params + PARAMS_HEADER, P);
  const p = s.training;
  let step = 0, lastBatchId = -1;
  if (p >= 0) {
    step = v.getUint32(p, true);
    lastBatchId = (v.getUint8(p + 12) & 1) !== 0 ? v.getUint32(p + 8, true) : -1;
  }
  if (useState) {
    // Adam's b^t are derived from the step (Model computes them from it), so the file's copies are not read.
    const state = model.optimizerState, n = model.plan.trainableCount;
    for (let k = 0; k < state.length; k++) {
      const a = state[k];
      if (a instanceof Int16Array) getInt16s(v, bytes, p + TRAINING_HEADER + 2 * n * k, a);
      else getFloats(v, bytes, p + TRAINING_HEADER + 4 * n * k, a);
    }
    const rounding = (model as { roundingState?: Int32Array | null }).roundingState;
    if (rounding) rounding[0] = v.getInt32(p + 24, true);
    model.step = step;
    model.rejectedSteps = v.getUint32(p + 4, true);
  }
  model.weightsChanged();
  return { stateLoaded: useState, step, lastBatchId };
}

/**
 * Build a model from a file. `overrides` changes training settings (e.g. { frozen: 2 } or a new
 * optimizer) before the model is built; the network itself must stay the same.
 */
export function modelFromFile(bytes: Uint8Array, overrides?: Partial<ModelSpec>, opts?: LoadOptions): AnyModel {
  const { v, s } = scan(bytes);
  let spec = specFrom(v, s.spec, s.qformat);
  if (overrides) spec = { ...spec, ...overrides };
  const model = buildModel(spec);
  loadInto(model, bytes, opts);
  return model;
}
