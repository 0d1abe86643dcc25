// The PIPELINE section (tag 5) of a .tpm file: the input pipeline (src/features/spec.ts) a model was trained
// with, so the PC and a board compute the same inputs. Layout in docs/model-format.md. Kept apart from
// format.ts: the section is not critical (older readers skip it), so adding or reading it needs no change
// to the core reader; withPipeline() re-seals the file (length, section count, CRC).
import { checkPipeline, featureWidth, pipelineProblem, type PipelineSpec } from "../features/spec";
import { crc32Final, crc32Update, CRC32_INIT } from "../util/crc32";
import { modelFileSize, readHeader, saveModelInto, type SaveOptions } from "./format";
import type { DenseModel } from "../engine/model-api";

export const TAG_PIPELINE = 5;
export const PIPELINE_VERSION = 1;
const FIXED = 32;
const HEADER = 16;
const SECTION_HEADER = 8;
const CRC = 4;

function fail(message: string): never {
  throw new Error("model file: pipeline: " + message);
}

function utf8(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** Decode UTF-8 bytes[at, at + n); throws on a malformed sequence. */
function fromUtf8(bytes: Uint8Array, at: number, n: number): string {
  let s = "";
  for (let i = at; i < at + n; ) {
    const b = bytes[i];
    const extra = b < 0x80 ? 0 : b >= 0xf0 && b < 0xf8 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : -1;
    if (extra < 0 || i + extra >= at + n) fail("malformed UTF-8 in a name");
    let c = extra === 0 ? b : b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) {
      const t = bytes[i + k];
      if ((t & 0xc0) !== 0x80) fail("malformed UTF-8 in a name");
      c = (c << 6) | (t & 63);
    }
    i += extra + 1;
    if (c < 0x10000) s += String.fromCharCode(c);
    else s += String.fromCharCode(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 0x3ff));
  }
  return s;
}

/** The section payload of a pipeline. */
export function encodePipeline(p: PipelineSpec): Uint8Array {
  checkPipeline(p);
  const C = p.columns.length, M = p.mean.length, K = p.classes.length;
  const names = [...p.columns, ...p.units, ...p.classes].map((t) => {
    const b = utf8(t);
    if (b.length > 255) fail(`name "${t.slice(0, 20)}..." is longer than 255 bytes`);
    return b;
  });
  let length = FIXED + 8 * C + 16 * M;
  for (const b of names) length += 1 + b.length;
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint16(0, PIPELINE_VERSION, true);
  v.setUint8(2, C);
  v.setUint8(3, p.features);
  v.setUint32(4, p.window, true);
  v.setUint32(8, p.stride, true);
  v.setUint16(12, p.bands, true);
  v.setUint16(14, p.rawPoints, true);
  v.setFloat64(16, p.clip, true);
  v.setUint16(24, featureWidth(p), true);
  v.setUint16(26, M, true);
  v.setUint8(28, K);
  let at = FIXED;
  for (let c = 0; c < C; c++, at += 8) v.setFloat64(at, p.ranges[c], true);
  for (let i = 0; i < M; i++, at += 8) v.setFloat64(at, p.mean[i], true);
  for (let i = 0; i < M; i++, at += 8) v.setFloat64(at, p.scale[i], true);
  for (const b of names) {
    out[at++] = b.length;
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Decode and validate a section payload. */
export function decodePipeline(bytes: Uint8Array): PipelineSpec {
  if (bytes.length < FIXED) fail(`section of ${bytes.length} bytes is too short`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint16(0, true);
  if (version !== PIPELINE_VERSION) fail(`version ${version} is not supported (this build reads ${PIPELINE_VERSION})`);
  const C = v.getUint8(2), M = v.getUint16(26, true), K = v.getUint8(28);
  let at = FIXED;
  const f64s = (n: number): number[] => {
    if (at + 8 * n > bytes.length) fail("section too short for its values");
    const a: number[] = [];
    for (let i = 0; i < n; i++, at += 8) a.push(v.getFloat64(at, true));
    return a;
  };
  const ranges = f64s(C), mean = f64s(M), scale = f64s(M);
  const strings = (n: number): string[] => {
    const a: string[] = [];
    for (let i = 0; i < n; i++) {
      if (at >= bytes.length) fail("section too short for its names");
      const len = bytes[at++];
      if (at + len > bytes.length) fail("section too short for its names");
      a.push(fromUtf8(bytes, at, len));
      at += len;
    }
    return a;
  };
  const columns = strings(C), units = strings(C), classes = strings(K);
  if (at !== bytes.length) fail(`${bytes.length - at} unexpected bytes at the end of the section`);
  const p: PipelineSpec = {
    columns, ranges, units, window: v.getUint32(4, true), stride: v.getUint32(8, true), features: v.getUint8(3),
    bands: v.getUint16(12, true), rawPoints: v.getUint16(14, true), clip: v.getFloat64(16, true), mean, scale, classes,
  };
  const why = pipelineProblem(p);
  if (why !== "") fail(why);
  if (v.getUint16(24, true) !== featureWidth(p)) fail(`feature count ${v.getUint16(24, true)} does not match the feature set (${featureWidth(p)})`);
  return p;
}

/** Payload offset and length of each section of a verified file, by tag. */
function sections(file: Uint8Array): { tag: number; at: number; length: number }[] {
  readHeader(file); // magic, version, length, CRC, section table
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: { tag: number; at: number; length: number }[] = [];
  let at = HEADER;
  for (let i = v.getUint32(12, true); i > 0; i--) {
    const length = v.getUint32(at + 4, true);
    out.push({ tag: v.getUint16(at, true), at: at + SECTION_HEADER, length });
    at += SECTION_HEADER + ((length + 3) & ~3);
  }
  return out;
}

/** The file's pipeline, or null when it has none. Verifies the whole file first. */
export function readPipeline(file: Uint8Array): PipelineSpec | null {
  const s = sections(file).find((x) => x.tag === TAG_PIPELINE);
  return s ? decodePipeline(file.subarray(s.at, s.at + s.length)) : null;
}

/**
 * A copy of the model file with `pipeline` as its PIPELINE section (replacing any). The pipeline's feature
 * count must equal the model's inputs and its classes (when named) the model's outputs.
 */
export function withPipeline(file: Uint8Array, pipeline: PipelineSpec): Uint8Array {
  const summary = readHeader(file);
  const width = featureWidth(pipeline);
  if (width !== summary.inputs) fail(`the pipeline makes ${width} features, the model takes ${summary.inputs} inputs`);
  const outputs = summary.units[summary.units.length - 1];
  if (pipeline.classes.length > 0 && pipeline.classes.length !== outputs) fail(`${pipeline.classes.length} class names for ${outputs} outputs`);
  const payload = encodePipeline(pipeline);
  const kept = sections(file).filter((x) => x.tag !== TAG_PIPELINE);
  let total = HEADER + CRC + SECTION_HEADER + ((payload.length + 3) & ~3);
  for (const s of kept) total += SECTION_HEADER + ((s.length + 3) & ~3);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  out.set(file.subarray(0, HEADER));
  v.setUint32(8, total, true);
  v.setUint32(12, kept.length + 1, true);
  let at = HEADER;
  for (const s of kept) {
    const padded = SECTION_HEADER + ((s.length + 3) & ~3);
    out.set(file.subarray(s.at - SECTION_HEADER, s.at - SECTION_HEADER + padded), at);
    at += padded;
  }
  v.setUint16(at, TAG_PIPELINE, true);
  v.setUint16(at + 2, 0, true); // not critical: a reader without pipelines can still run the network
  v.setUint32(at + 4, payload.length, true);
  out.set(payload, at + SECTION_HEADER);
  at += SECTION_HEADER + ((payload.length + 3) & ~3);
  v.setUint32(at, crc32Final(crc32Update(CRC32_INIT, out, 0, at)), true);
  return out;
}

/** The PIPELINE section payload of a verified file (a view into it), or null when it has none. */
export function pipelineSection(file: Uint8Array): Uint8Array | null {
  const s = sections(file).find((x) => x.tag === TAG_PIPELINE);
  return s ? file.subarray(s.at, s.at + s.length) : null;
}

/** Bytes of the model's file (saveModelInto with `opts`) plus a PIPELINE section of `payload` (null: none). */
export function fileSizeWithSection(model: DenseModel, opts: SaveOptions, payload: Uint8Array | null): number {
  const n = modelFileSize(model, opts);
  return payload === null ? n : n + SECTION_HEADER + ((payload.length + 3) & ~3);
}

/**
 * saveModelInto(), then the PIPELINE section `payload` (already encoded, e.g. kept by the device) appended in
 * place: the device's checkpoints and MODEL_GET snapshots, written into a buffer it reuses. Returns the length.
 */
export function saveWithSectionInto(model: DenseModel, out: Uint8Array, opts: SaveOptions, payload: Uint8Array | null): number {
  const n = saveModelInto(model, out, opts);
  if (payload === null) return n;
  const total = fileSizeWithSection(model, opts, payload);
  if (out.length < total) fail(`output buffer has ${out.length} bytes, the file needs ${total}`);
  const v = new DataView(out.buffer, out.byteOffset, total);
  let at = n - CRC;
  v.setUint32(8, total, true);
  v.setUint32(12, v.getUint32(12, true) + 1, true);
  v.setUint16(at, TAG_PIPELINE, true);
  v.setUint16(at + 2, 0, true);
  v.setUint32(at + 4, payload.length, true);
  out.set(payload, at + SECTION_HEADER);
  at += SECTION_HEADER + payload.length;
  while ((at & 3) !== 0) out[at++] = 0;
  v.setUint32(at, crc32Final(crc32Update(CRC32_INIT, out, 0, at)), true);
  return total;
}
