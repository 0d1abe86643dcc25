import type { Command } from "./command";
import { numberOption } from "../args";
import { train } from "./train";
import { loadDefaultDataset } from "../data/gestures";
import { gestureModelSpec } from "../../src/app/gesture-model";

export const demo: Command = {
  summary: "train the default gesture model on the bundled dataset in the host simulator",
  usage: "tinyprop demo [--epochs N]",
  async run(args) {
    const data = loadDefaultDataset();
    const epochs = numberOption(args, "epochs", 60, { min: 1, max: 10000, integer: true });
    const spec = gestureModelSpec(data.inputWidth, data.classes.length);
    const { history } = train(spec, data, { epochs, shuffleSeed: 7, chartPath: "out/demo-chart.svg", logPath: "out/demo-log.json", print: console.log });
    const last = history[history.length - 1];
    console.log(`final test accuracy: ${(last.testAccuracy * 100).toFixed(1)}% (${data.test.count} gestures held out)`);
    return 0;
  },
};
