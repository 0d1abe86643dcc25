// Values inside valid files: a .tpm whose CRC is right but whose numbers would poison training (NaN or
// infinite weights, NaN or negative Adam state, int16 -32768), whose reserved bits are set, or whose spec
// is too large to plan, is refused with a "model file:" error and the target model is untouched. Then a
// structure-aware fuzzer re-seals (length and CRC) files mutated where the format has meaning (values,
// sizes, section lengths and counts, reserved fields) and checks every verdict, in Node and under XS.
import { beforeAll, describe, expect, it } from "vitest";
import { buildModel, MAX_ARENA_BYTES, plan, Random, type DenseModel, type ModelSpec } from "../src/index";
import { loadInto, modelFromFile, parseModel, readHeader, saveModel } from "../src/modelfile/index";
import { MAX_LAST_BATCH_ID } from "../src/modelfile/format";
import { MAX_BATCH_ID } from "../src/protocol/messages";
import { WeightsBlob } from "../src/app/weights-blob";
import { crc32 } from "../src/util/crc32";
import { readXsBundle, runInNode, runInXs } from "../host-sim/xs/twin";

const ADAM: ModelSpec = {
  inputs: 4, layers: [{ units: 5, activation: "relu" }, { units: 3, activation: "softmax" }],
  loss: "softmax_cross_entropy", optimizer: { type: "adam", learningRate: 0.01 }, batchSize: 2, seed: 3,
};
const FIXED: ModelSpec = { ...ADAM, optimizer: { type: "sgd", learningRate: 0.05, momentum: 0.9 }, dtype: "fixed" };

function trained(spec: ModelSpec, steps: number): DenseModel {
  const m: DenseModel = buildModel(spec);
  const rng = new Random(5);
  const x = new Float32Array(spec.batchSize * spec.inputs), y = new Uint8Array(spec.batchSize);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
    for (let s = 0; s < y.length; s++) y[s] = x[s * spec.inputs] > 0 ? 1 : 2;
    m.trainStep(x, y);
  }
  return m;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);
/** Fix the header's length field and the CRC after a mutation, so only the meaning is wrong. */
function reseal(b: Uint8Array): Uint8Array {
  dv(b).setUint32(8, b.length, true);
  dv(b).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
  return b;
}

/** Payload offsets of every section (tag -> offset, length), read from a valid file. */
function sections(b: Uint8Array): Map<number, { at: number; length: number; header: number }> {
  const v = dv(b), out = new Map<number, { at: number; length: number; header: number }>();
  let at = 16;
  for (let i = 0; i < v.getUint32(12, true); i++) {
    const length = v.getUint32(at + 4, true);
    out.set(v.getUint16(at, true), { at: at + 8, length, header: at });
    at += 8 + ((length + 3) & ~3);
  }
  return out;
}
const SPEC = 1, QFORMAT = 2, PARAMS = 3, TRAINING = 4;

const state = (m: DenseModel) => [m.parameters, ...m.optimizerState].map((a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).join(",")).join("|") + `|${m.step}`;

describe("values in a valid-CRC model file", () => {
  const source = trained(ADAM, 6);
  const file = saveModel(source, { lastBatchId: 9 });
  const s = sections(file);
  const params = s.get(PARAMS)!.at + 8, training = s.get(TRAINING)!.at, n = source.plan.trainableCount;
  const cases: [string, (b: Uint8Array) => void, RegExp][] = [
    ["a NaN weight", (b) => dv(b).setFloat32(params + 4 * 3, NaN, true), /parameter 3 is NaN, not a finite number/],
    ["an infinite bias", (b) => dv(b).setFloat32(params + 4 * 20, -Infinity, true), /parameter 20 is -Infinity/],
    ["a NaN Adam m", (b) => dv(b).setFloat32(training + 48 + 4 * 2, NaN, true), /TRAINING state array 0 value 2 is NaN/],
    ["a negative Adam v", (b) => dv(b).setFloat32(training + 48 + 4 * (n + 1), -0.5, true), /Adam second moment v\[1\] is -0.5, must be >= 0/],
    ["an infinite Adam v", (b) => dv(b).setFloat32(training + 48 + 4 * (n + 4), Infinity, true), /TRAINING state array 1 value 4 is Infinity/],
    ["beta1Power above 1", (b) => dv(b).setFloat64(training + 32, 2, true), /beta1Power is 2, not in \[0, 1\]/],
    ["reserved TRAINING flag bit", (b) => (b[training + 12] |= 0x80), /TRAINING has reserved bits set/],
    ["reserved TRAINING byte", (b) => (b[training + 15] = 1), /TRAINING has reserved bits set/],
    ["reserved SPEC flag bit", (b) => (b[s.get(SPEC)!.at + 4] |= 2), /SPEC has reserved bits set/],
    ["reserved SPEC layer byte", (b) => (b[s.get(SPEC)!.at + 128 + 8 + 6] = 1), /SPEC has reserved bits set/],
    ["reserved PARAMS byte", (b) => (b[s.get(PARAMS)!.at + 2] = 1), /PARAMS has reserved bytes/],
  ];
  for (const [name, mutate, re] of cases) {
    it(`refuses ${name} everywhere and leaves the model untouched`, () => {
      const bad = file.slice();
      mutate(bad);
      reseal(bad);
      const target = trained(ADAM, 2);
      const before = state(target);
      expect(() => loadInto(target, bad, { state: "auto" })).toThrow(re);
      expect(() => loadInto(target, bad, { state: "require" })).toThrow(/^model file: /);
      expect(() => modelFromFile(bad)).toThrow(re);
      expect(state(target)).toBe(before);
      if (!/TRAINING/.test(name)) expect(() => parseModel(bad)).toThrow(/^model file: /);
    });
  }

  it("refuses int16 -32768 and reserved QFORMAT bits in a fixed-point file", () => {
    const fixedFile = saveModel(trained(FIXED, 4));
    const fs = sections(fixedFile);
    const bad = fixedFile.slice();
    dv(bad).setInt16(fs.get(PARAMS)!.at + 8 + 2 * 5, -32768, true);
    expect(() => modelFromFile(reseal(bad))).toThrow("model file: parameter 5 is -32768, outside the int16 range -32767..32767 the kernels accept");
    const flags = fixedFile.slice();
    flags[fs.get(QFORMAT)!.at + 5] |= 4;
    expect(() => modelFromFile(reseal(flags))).toThrow("model file: QFORMAT has reserved bits set (they must be 0)");
  });

  it("refuses lastBatchId 2^32-1 (the protocol's MAX_BATCH_ID is 2^32-2) when reading and when writing", () => {
    expect(MAX_LAST_BATCH_ID).toBe(MAX_BATCH_ID);
    const last = file.slice();
    dv(last).setUint32(training + 8, MAX_BATCH_ID, true);
    expect(readHeader(reseal(last)).lastBatchId).toBe(MAX_BATCH_ID);
    expect(parseModel(last).training?.lastBatchId).toBe(MAX_BATCH_ID);
    const over = file.slice();
    dv(over).setUint32(training + 8, 0xffffffff, true);
    reseal(over);
    const message = `model file: TRAINING lastBatchId 4294967295 is above ${MAX_BATCH_ID}, the largest batch id (the next batch would not be a u32)`;
    expect(() => readHeader(over)).toThrow(message);
    expect(() => parseModel(over)).toThrow(message);
    const target = trained(ADAM, 2), before = state(target);
    expect(() => loadInto(target, over)).toThrow(message);
    expect(state(target)).toBe(before);
    // Without the valid flag the field means nothing and is not checked.
    over[training + 12] &= ~1;
    expect(readHeader(reseal(over)).lastBatchId).toBe(-1);
    expect(() => saveModel(source, { lastBatchId: 0xffffffff })).toThrow(`model file: lastBatchId must be an integer in 0..${MAX_BATCH_ID} (the next batch, id + 1, must still be a u32), got 4294967295`);
    expect(readHeader(saveModel(source, { lastBatchId: MAX_BATCH_ID })).lastBatchId).toBe(MAX_BATCH_ID);
  });

  it("loads step 2^32-1 with Adam and trains on at once (bias correction is O(1) in the step)", () => {
    const big = file.slice();
    dv(big).setUint32(training, 0xffffffff, true);
    const m = modelFromFile(reseal(big), undefined, { state: "require" });
    expect(m.step).toBe(0xffffffff);
    m.trainStep(new Float32Array(8).fill(0.5), Uint8Array.of(1, 2));
    expect(m.step).toBe(2 ** 32);
    expect(Array.from(m.parameters).every(Number.isFinite)).toBe(true);
  });

  it("a weights blob with step 2^32-1 loads at once and continues like the model it came from", () => {
    const a = trained(ADAM, 6), b = trained(ADAM, 1);
    const blobA = new WeightsBlob(a), bytes = new Uint8Array(blobA.byteLength), view = dv(bytes);
    blobA.write(bytes, view);
    const blobB = new WeightsBlob(b);
    expect(blobB.check(view)).toBe(true);
    blobB.read(bytes, view);
    const x = new Float32Array(8).fill(0.25), y = Uint8Array.of(0, 2);
    expect(b.trainStep(x, y)).toBe(a.trainStep(x, y));
    expect(Array.from(b.parameters)).toEqual(Array.from(a.parameters));
    view.setUint32(4, 0xffffffff, true);
    blobB.read(bytes, view);
    expect(b.step).toBe(0xffffffff);
    b.trainStep(x, y);
    expect(Array.from(b.parameters).every(Number.isFinite)).toBe(true);
    view.setFloat32(bytes.length - 4, -1, true); // Adam's last v
    expect(blobB.check(view)).toBe(false);
  });

  it("refuses a spec whose plan exceeds the arena limit, with the numbers, before allocating", () => {
    const huge: ModelSpec = { ...ADAM, inputs: 65535, layers: [{ units: 65535, activation: "relu" }, { units: 3, activation: "softmax" }], batchSize: 4096 };
    expect(() => plan(huge)).toThrow(`invalid model spec: the model needs 71942799360 bytes of arena, more than the limit of ${MAX_ARENA_BYTES} (1 GiB)`);
    expect(() => buildModel(huge)).toThrow(/more than the limit/);
    const wideFixed: ModelSpec = { inputs: 64, layers: [{ units: 65535, activation: "linear" }], loss: "mse", optimizer: { type: "sgd", learningRate: 0.1 }, batchSize: 4096, seed: 1, dtype: "fixed" };
    expect(() => plan(wideFixed)).toThrow(/the model needs 3230236544 bytes of arena, more than the limit/);
    const wide = file.slice();
    dv(wide).setUint32(s.get(SPEC)!.at + 8, 65535, true); // inputs: the spec is valid, its plan is not
    dv(wide).setUint32(s.get(SPEC)!.at + 12, 4096, true);
    dv(wide).setUint32(s.get(SPEC)!.at + 128, 65535, true);
    expect(() => readHeader(reseal(wide))).toThrow(/^model file: PARAMS has/);
    expect(() => modelFromFile(wide)).toThrow(/^model file: the spec in the file is invalid: invalid model spec: the model needs \d+ bytes of arena/);
  });
});

// --- structure-aware fuzzing -------------------------------------------------------------------------

const SPECIAL_F32 = [NaN, Infinity, -Infinity, -0, 3.4e38, 1.4e-45, -1e-3, 1e30];
const SPECIAL_U32 = [0, 1, 2, 3, 4, 7, 8, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** One mutation of a valid file where the format gives bytes a meaning; the result is resealed. */
function mutate(file: Uint8Array, rng: Random): Uint8Array {
  let b = file.slice();
  const v = () => dv(b);
  const secs = sections(b);
  const pick = <T,>(a: readonly T[]) => a[rng.below(a.length)];
  const u32 = () => (rng.below(2) ? pick(SPECIAL_U32) : rng.below(0x10000) * 0x10000 + rng.below(0x10000));
  const sec = secs.get(pick([...secs.keys()]))!;
  switch (rng.below(9)) {
    case 0: { // a parameter value
      const p = secs.get(PARAMS)!, width = b[p.at] === 1 ? 2 : 4, count = (p.length - 8) / width;
      const at = p.at + 8 + width * rng.below(count);
      if (width === 4) v().setFloat32(at, pick(SPECIAL_F32), true); else v().setInt16(at, pick([-32768, 32767, -32767, 0]), true);
      break;
    }
    case 1: { // a TRAINING field or state value
      const t = secs.get(TRAINING);
      if (!t) return mutate(file, rng);
      if (rng.below(2)) v().setUint32(t.at + 4 * rng.below(8), u32(), true);
      else if (rng.below(2)) v().setFloat64(t.at + 32 + 8 * rng.below(2), pick([NaN, -1, 2, 0, 1, 1e-300]), true);
      else v().setFloat32(t.at + 48 + 4 * rng.below((t.length - 48) / 4), pick(SPECIAL_F32), true);
      break;
    }
    case 2: { // sizes in SPEC: layer count, inputs, batch, frozen, units
      const sp = secs.get(SPEC)!;
      const field = pick([6, 8, 12, 16, 128, 136]);
      if (field === 6) v().setUint16(sp.at + 6, pick([0, 1, 2, 3, 0xffff]), true);
      else if (field < sp.length) v().setUint32(sp.at + field, rng.below(2) ? u32() : v().getUint32(sp.at + field, true) + pick([1, -1, 2]), true);
      break;
    }
    case 3: // a section's length
      v().setUint32(sec.header + 4, rng.below(2) ? u32() : sec.length + pick([1, -1, 4, -4, 8]), true);
      break;
    case 4: // the section count, or a section's tag
      if (rng.below(2)) v().setUint32(12, pick([0, 1, 2, 3, 5, 0xffffffff]), true);
      else v().setUint16(sec.header, pick([0, 1, 2, 3, 4, 5, 99]), true);
      break;
    case 5: // PARAMS count
      v().setUint32(secs.get(PARAMS)!.at + 4, rng.below(2) ? u32() : v().getUint32(secs.get(PARAMS)!.at + 4, true) + pick([1, -1]), true);
      break;
    case 6: { // a spec double
      const sp = secs.get(SPEC)!;
      v().setFloat64(sp.at + 24 + 8 * rng.below(13), pick([NaN, Infinity, -1, 0, 1e300, 0.5, 2 ** 53]), true);
      break;
    }
    case 7: // a reserved or flag byte anywhere in a section header or payload
      b[sec.at + rng.below(Math.min(sec.length, 32))] ^= 1 << rng.below(8);
      break;
    default: { // cut or grow the body (header length follows, so only the structure is wrong)
      const body = b.length - 4, cut = rng.below(2) ? -(1 + rng.below(16)) : 1 + rng.below(16);
      const next = new Uint8Array(b.length + cut);
      next.set(b.subarray(0, Math.min(body, body + cut)));
      b = next;
    }
  }
  return reseal(b);
}

/** The loader's verdict on one file, as a line: "ok <trained-finite>" or "err <message>". */
const VERDICT = `
function verdict(bytes) {
  let m;
  try { m = tinyprop.modelfile.modelFromFile(bytes); } catch (e) { return "err " + (e instanceof Error ? "" : "NOT-AN-ERROR ") + e.message; }
  const x = new Float32Array(m.batchSize * m.inputs).fill(0.5);
  const y = m.config.loss === 1 ? new Uint8Array(m.batchSize) : new Float32Array(m.batchSize * m.outputs).fill(0.5);
  m.trainStep(x, y);
  let finite = true;
  const p = m.parameters;
  for (let i = 0; i < p.length; i++) if (p[i] - p[i] !== 0) finite = false;
  return "ok " + finite + " " + m.step;
}
`;

function corpus(count: number, seed: number): Uint8Array[] {
  const files = [saveModel(trained(ADAM, 5), { lastBatchId: 3 }), saveModel(trained({ ...ADAM, optimizer: { type: "sgd", learningRate: 0.1, momentum: 0.5 } }, 5), { state: true }), saveModel(trained(FIXED, 5))];
  const rng = new Random(seed);
  return Array.from({ length: count }, (_, i) => mutate(files[i % files.length], rng));
}

describe("structure-aware fuzzing of the .tpm reader (valid CRC and length)", () => {
  it("Node: 3000 mutated files each load and train to finite weights, or fail with a model-file error and change nothing", () => {
    const target = trained(ADAM, 3);
    const before = state(target);
    const messages = new Set<string>();
    let loaded = 0;
    for (const bad of corpus(3000, 1)) {
      let m: DenseModel | null = null;
      try {
        m = modelFromFile(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).constructor).toBe(Error); // no RangeError or TypeError from inside the reader
        expect((e as Error).message).toMatch(/^model file: /);
        messages.add((e as Error).message.replace(/-?\d[\d.e+-]*/g, "N"));
      }
      if (m !== null) {
        loaded++;
        const x = new Float32Array(m.batchSize * m.inputs).fill(0.5);
        const y = m.config.loss === 1 ? new Uint8Array(m.batchSize) : new Float32Array(m.batchSize * m.outputs).fill(0.5);
        m.trainStep(x, y);
        expect(Array.from(m.parameters).every(Number.isFinite)).toBe(true);
      }
      try { loadInto(target, bad, { state: "auto" }); } catch { /* refused: checked below that nothing changed */ }
      if (state(target) !== before) { target.initialize(); loadInto(target, saveModel(trained(ADAM, 3))); }
    }
    expect(loaded).toBeGreaterThan(100); // the fuzzer also reaches files that are valid
    expect(messages.size).toBeGreaterThan(25); // and many distinct refusals
  });

  describe("under XS", () => {
    let bundle = "";
    beforeAll(() => {
      bundle = readXsBundle();
    });

    it("XS gives every one of 300 mutated files the same verdict as Node", async () => {
      const files = corpus(300, 2);
      const script = `${VERDICT}
        function unhex(s) { const u = new Uint8Array(s.length / 2); for (let i = 0; i < u.length; i++) u[i] = parseInt(s.substr(2 * i, 2), 16); return u; }
        const files = ${JSON.stringify(files.map((f) => Buffer.from(f).toString("hex")))};
        for (let i = 0; i < files.length; i++) print(i + " " + verdict(unhex(files[i])));
      `;
      const inNode = runInNode([bundle, script]);
      const { lines: inXs } = await runInXs([bundle, script]);
      expect(inNode.length).toBe(300);
      expect(inXs).toEqual(inNode);
      expect(inNode.filter((l) => / ok true /.test(l)).length).toBeGreaterThan(10);
      expect(inNode.filter((l) => / ok false /.test(l))).toEqual([]);
      expect(inNode.filter((l) => / err /.test(l) && !/ err model file: /.test(l))).toEqual([]);
    }, 120_000);
  });
});
