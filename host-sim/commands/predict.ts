// `tinyprop predict`: classify the gestures of a CSV file (or folder) on the board. With labels (a folder
// of per-class files, or a label column) it also prints the accuracy.
import type { Command } from "./command";
import { dataOptions, linkOptions } from "./options";
import { resolvePort } from "./ports";
import { requirePath } from "./files";
import { loadGestures, extractFeatures, FEATURE_WIDTH } from "../data/gestures";
import { DTYPE_F32 } from "../../src/protocol/index";
import { openLink } from "../link/open";

export const predictCommand: Command = {
  name: "predict",
  summary: "classify the gestures in a CSV file or folder on the board",
  positionals: [{ name: "data", help: "CSV file or folder of per-class CSV files" }],
  options: { ...linkOptions, ...dataOptions },
  async run(args) {
    const source = requirePath(args.positional(0, "a CSV file or folder"));
    const port = await resolvePort(args.string("port"));
    // Validate and featurize everything before talking to the board.
    const set = loadGestures(source, { labelColumn: args.string("label-column") });
    const x = new Float32Array(set.gestures.length * FEATURE_WIDTH);
    set.gestures.forEach((g, i) => extractFeatures(g.values, x, i * FEATURE_WIDTH));
    const { link, info } = await openLink(port, args.number("baud"),
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
