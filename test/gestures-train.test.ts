// The bundled gesture dataset: the default model reaches >= 80 % test accuracy, in Node and under XS,
// with the same numbers (same bundle, same driver, bit-identical weights).
import { describe, expect, it } from "vitest";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { readXsBundle, runInNode, runInXs } from "../host-sim/xs/twin";
import { gestureModelSpec } from "../src/app/gesture-model";

const EPOCHS = 60;

describe("gesture model on the bundled dataset", () => {
  it("reaches at least 80 % test accuracy, identically in Node and XS", async () => {
    const data = loadDefaultDataset();
    const spec = gestureModelSpec(data.inputWidth, data.classes.length);
    const driver = `
      const spec = ${JSON.stringify(spec)};
      const trainX = new Float32Array(${JSON.stringify(Array.from(data.train.x))});
      const trainY = new Uint8Array(${JSON.stringify(Array.from(data.train.y))});
      const testX = new Float32Array(${JSON.stringify(Array.from(data.test.x))});
      const testY = new Uint8Array(${JSON.stringify(Array.from(data.test.y))});
      const w = spec.inputs, n = trainY.length;
      const m = tinyprop.buildModel(spec), rng = new tinyprop.Random(7);
      const order = new Uint32Array(n); for (let i = 0; i < n; i++) order[i] = i;
      const x = new Float32Array(w), y = new Uint8Array(1);
      for (let e = 0; e < ${EPOCHS}; e++) {
        rng.shuffle(order);
        for (let s = 0; s < n; s++) { const k = order[s]; for (let i = 0; i < w; i++) x[i] = trainX[k * w + i]; y[0] = trainY[k]; m.trainStep(x, y); }
      }
      const r = m.evaluate(testX, testY);
      const u = new Uint8Array(m.parameters.buffer, 0, m.parameters.byteLength); let hex = "";
      for (let i = 0; i < u.length; i++) hex += (u[i] < 16 ? "0" : "") + u[i].toString(16);
      print("accuracy " + r.accuracy + " loss " + r.loss);
      print("weights " + hex);`;
    const bundle = readXsBundle();
    const node = runInNode([bundle, driver]);
    const xs = await runInXs([bundle, driver]);
    expect(xs.lines).toEqual(node);
    const accuracy = Number(node[0].split(" ")[1]);
    expect(accuracy).toBeGreaterThanOrEqual(0.8);
  });
});
