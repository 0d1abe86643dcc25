// Corruption: every single-byte flip and every truncation of a model file is refused with a clear error,
// and the target model (weights, optimizer state, step) is left exactly as it was.
import { describe, expect, it } from "vitest";
import { buildModel, Random, type Model, type ModelSpec } from "../src/index";
import { saveModel, loadInto, readHeader, parseModel, modelFromFile } from "../src/modelfile/index";

const spec: ModelSpec = {
  inputs: 5, layers: [{ units: 6, activation: "tanh" }, { units: 3, activation: "softmax" }],
  loss: "softmax_cross_entropy", optimizer: { type: "adam", learningRate: 0.01 }, batchSize: 2, seed: 8,
};

function train(m: Model, steps: number, seed: number): void {
  const rng = new Random(seed);
  const x = new Float32Array(2 * 5), y = new Uint8Array(2);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < x.length; i++) x[i] = 2 * rng.uniform() - 1;
    y[0] = x[0] > 0 ? 1 : 0; y[1] = x[5] > 0 ? 2 : 0;
    m.trainStep(x, y);
  }
}

/** Everything loadInto may write: the whole arena's parameter and optimizer bytes, and the counters. */
function snapshot(m: Model): string {
  const parts = [m.parameters, ...m.optimizerState].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex"));
  return parts.join("|") + `|${m.step}|${m.rejectedSteps}|${m.beta1Power}|${m.beta2Power}`;
}

describe("corrupted model files", () => {
  const source = buildModel(spec);
  train(source, 10, 1);
  const file = saveModel(source, { lastBatchId: 77 });
  const target = buildModel(spec);
  train(target, 3, 2); // distinct from the file, so any partial write would show
  const before = snapshot(target);

  it("the intact file loads (sanity)", () => {
    const m = buildModel(spec);
    expect(loadInto(m, file, { state: "require" }).lastBatchId).toBe(77);
  });

  it(`flipping any single byte (${file.length} positions x 3 patterns) is refused and changes nothing`, () => {
    const messages = new Set<string>();
    for (let i = 0; i < file.length; i++) {
      for (const pattern of [0x01, 0x80, 0xff]) {
        const bad = file.slice();
        bad[i] ^= pattern;
        let error: unknown = null;
        try {
          loadInto(target, bad, { state: "auto" });
        } catch (e) {
          error = e;
        }
        expect(error, `byte ${i} ^ ${pattern}`).toBeInstanceOf(Error);
        const msg = (error as Error).message;
        expect(msg).toMatch(/^model file: /);
        messages.add(msg.replace(/\d+/g, "N"));
        expect(() => parseModel(bad)).toThrow(/^model file: /);
        expect(() => readHeader(bad)).toThrow(/^model file: /);
        expect(() => modelFromFile(bad)).toThrow(/^model file: /);
      }
    }
    expect(snapshot(target)).toBe(before);
    // Each kind of damage is named: magic, version, flags, length and CRC.
    expect([...messages].sort()).toEqual([
      "model file: CRC mismatch: the file is corrupted",
      "model file: bad magic: not a tinyprop model file",
      "model file: length mismatch: the header says N bytes, got N",
      "model file: truncated: the header says N bytes, got N",
      "model file: unknown header flags",
      "model file: unsupported format version N (this build reads version N)",
    ]);
  });

  it(`truncating at every length 0..${file.length - 1} is refused and changes nothing`, () => {
    for (let n = 0; n < file.length; n++) {
      const cut = file.slice(0, n);
      expect(() => loadInto(target, cut), `length ${n}`).toThrow(/^model file: truncated: /);
    }
    expect(snapshot(target)).toBe(before);
  });

  it("appended bytes are refused", () => {
    const longer = new Uint8Array(file.length + 4);
    longer.set(file);
    expect(() => loadInto(target, longer)).toThrow("model file: length mismatch: the header says");
    expect(snapshot(target)).toBe(before);
  });

  it("well-formed but inconsistent files (valid CRC) are refused without touching the model", async () => {
    const { crc32 } = await import("../src/util/crc32");
    const reseal = (b: Uint8Array) => {
      new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
      return b;
    };
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);
    const spec0 = 16 + 8; // SPEC payload
    const cases: [string, (b: Uint8Array) => void, RegExp][] = [
      ["unknown critical section tag", (b) => dv(b).setUint16(16, 99, true), /first section must be SPEC/],
      ["fixed dtype without Q formats", (b) => (b[spec0] = 1), /no QFORMAT section in a fixed-point file/],
      ["unknown dtype", (b) => (b[spec0] = 7), /unknown dtype code 7/],
      ["more sections than present", (b) => dv(b).setUint32(12, 4, true), /starts beyond the end/],
      ["fewer sections", (b) => dv(b).setUint32(12, 2, true), /bytes after the last section/],
      ["wrong parameter count", (b) => dv(b).setUint32(spec0 + 8, 6, true), /inputs differ|PARAMS has/],
      ["bad activation code", (b) => (b[spec0 + 128 + 4] = 9), /activation differs/],
    ];
    for (const [name, mutate, re] of cases) {
      const bad = file.slice();
      mutate(bad);
      reseal(bad);
      expect(() => loadInto(target, bad), name).toThrow(re);
    }
    expect(snapshot(target)).toBe(before);
  });
});
