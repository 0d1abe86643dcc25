// stream's batch sequence trains every training sample once per epoch: when the frame size does not divide
// the set, the epoch ends with a short batch instead of dropping the remainder (issue 10 item 4).
import { describe, expect, it } from "vitest";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { trainingBatches } from "../host-sim/commands/stream";

describe("stream's training batches", () => {
  it("cover every training sample once per epoch, the remainder as a short last batch", () => {
    const data = loadDefaultDataset();
    const n = data.train.count, w = data.inputWidth, batch = 8;
    expect(n % batch).not.toBe(0); // the case that used to drop samples
    const batches = [...trainingBatches(data, 2, batch, 7)];
    const perEpoch = Math.ceil(n / batch);
    expect(batches.length).toBe(2 * perEpoch);
    for (let e = 0; e < 2; e++) {
      const epoch = batches.slice(e * perEpoch, (e + 1) * perEpoch);
      expect(epoch.map((b) => b.y.length)).toEqual([...Array(perEpoch - 1).fill(batch), n % batch]);
      // Every training row exactly once (rows are identified by their features and label).
      const seen = new Map<string, number>();
      for (const b of epoch) for (let s = 0; s < b.y.length; s++) {
        const key = `${b.y[s]}:${Array.from(b.x.subarray(s * w, (s + 1) * w)).join(",")}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      const expected = new Map<string, number>();
      for (let k = 0; k < n; k++) {
        const key = `${data.train.y[k]}:${Array.from(data.train.x.subarray(k * w, (k + 1) * w)).join(",")}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      expect(seen).toEqual(expected);
    }
  });
});
