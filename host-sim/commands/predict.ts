// `tinyprop predict`: classify the gestures of a CSV file (or folder) on the board. With labels (a folder
// of per-class files, or a label column) it also prints the accuracy.
import type { Command } from "./command";
import { UsageError, numberOption, stringOption } from "../args";
import { loadGestures, extractFeatures, FEATURE_WIDTH } from "../data/gestures";
import { DTYPE_F32 } from "../../src/protocol/index";
import { DEFAULT_BAUD, openLink } from "../link/open";

export const predictCommand: Command = {
  summary: "classify the gestures in a CSV file or folder on the board",
  usage: "tinyprop predict --port PATH <csv file | folder> [--label-column NAME] [--baud N]",
  async run(args) {
    const source = args.positionals[0];
    const port = stringOption(args, "port");
    if (!source || !port) throw new UsageError("predict needs --port PATH and a CSV file or folder");
    // Validate and featurize everything before talking to the board.
    const set = loadGestures(source, { labelColumn: stringOption(args, "label-column") });
    const x = new Float32Array(set.gestures.length * FEATURE_WIDTH);
    set.gestures.forEach((g, i) => extractFeatures(g.values, x, i * FEATURE_WIDTH));
    const { link, info } = await openLink(port, numberOption(args, "baud", DEFAULT_BAUD, { min: 300, max: 20000000, integer: true }),
      { inputs: FEATURE_WIDTH, inputDtype: DTYPE_F32 });
    try {
      const scores = await link.predict(x, set.gestures.length);
      const k = info.classes;
      let correct = 0;
      set.gestures.forEach((g, s) => {
        let best = 0;
        for (let c = 1; c < k; c++) if (scores[s * k + c]! > scores[s * k + best]!) best = c;
        if (best === g.label) correct++;
        const name = set.classes[best] ?? `class ${best}`;
        console.log(`${g.source}:${g.line}  ${name}  (${(scores[s * k + best]! * 100).toFixed(1)}%)  expected ${set.classes[g.label]}`);
      });
      if (set.classes.length === k) {
        console.log(`accuracy: ${((correct / set.gestures.length) * 100).toFixed(1)}% of ${set.gestures.length} gestures`);
      }
    } finally {
      await link.close();
    }
    return 0;
  },
};
