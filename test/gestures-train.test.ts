// The bundled gesture dataset: the default model reaches >= 80 % test accuracy, in Node and under XS,
// with the same numbers (same bundle, same driver, bit-identical weights).
import { describe, expect, it } from "vitest";
import { loadDefaultDataset } from "../host-sim/data/gestures";
import { readXsBundle, runInNode, runInXs } from "../host-sim/xs/twin";
import { gestureModelSpec } from "../src/app/gesture-model";
import { DRIVER_HELPERS, datasetScript } from "./xs-scripts";

const EPOCHS = 60;

describe("gesture model on the bundled dataset", () => {
  it("reaches at least 80 % test accuracy, identically in Node and XS", async () => {
    const data = loadDefaultDataset();
    const spec = gestureModelSpec(data.inputWidth, data.classes.length);
    const driver = `
      const spec = ${JSON.stringify(spec)};
      ${datasetScript(data)}
      const m = tinyprop.buildModel(spec);
      fit(m, trainX, trainY, ${EPOCHS});
      const r = m.evaluate(testX, testY);
      print("accuracy " + r.accuracy + " loss " + r.loss);
      print("weights " + hex(m.parameters));`;
    const bundle = readXsBundle();
    const node = runInNode([bundle, DRIVER_HELPERS, driver]);
    const xs = await runInXs([bundle, DRIVER_HELPERS, driver]);
    expect(xs.lines).toEqual(node);
    const accuracy = Number(node[0].split(" ")[1]);
    expect(accuracy).toBeGreaterThanOrEqual(0.8);
  });
});
