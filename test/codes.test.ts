// src/engine/codes.ts keeps each family as a name list and a code object whose codes index the list; the
// codes are stored in model files and checkpoints, so they are a file format: each code object must be a
// one-to-one map onto its list, each key must name what it indexes, and the lists must read as
// docs/model-format.md documents them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as C from "../src/engine/codes";

const families: [string, readonly string[], Record<string, number>, Record<string, string>][] = [
  ["activation", C.ACTIVATION_NAMES, C.Act, { Linear: "linear", Relu: "relu", Leaky: "leaky_relu", Sigmoid: "sigmoid", Tanh: "tanh", Softmax: "softmax" }],
  ["loss", C.LOSS_NAMES, C.LossCode, { Mse: "mse", SoftmaxCE: "softmax_cross_entropy", SigmoidCE: "sigmoid_cross_entropy" }],
  ["optimizer type", C.OPTIMIZER_TYPE_NAMES, C.OptimizerType, { Sgd: "sgd", Adam: "adam" }],
  ["engine optimizer", C.OPTIMIZER_NAMES, C.Opt, { Sgd: "sgd", Momentum: "momentum", Adam: "adam" }],
  ["schedule", C.SCHEDULE_NAMES, C.Sched, { Constant: "constant", Step: "step", Cosine: "cosine" }],
  ["dtype", C.DTYPE_NAMES, C.DTypeCode, { Float32: "float32", Fixed: "fixed" }],
];

/** "0 mse, 1 softmax_cross_entropy, ..." after `label` in the model-format spec, as a name list. */
function documented(label: string): string[] {
  const doc = readFileSync("docs/model-format.md", "utf8");
  const line = doc.split("\n").find((l) => l.includes(`${label}: 0 `) || l.includes(`${label} (0 `));
  if (!line) throw new Error(`docs/model-format.md has no "${label}" code list`);
  // The list ends at a closing parenthesis or at the column of spaces before a remark.
  const rest = line.slice(line.indexOf(label) + label.length).split(/\)| {2}/)[0];
  const list = rest.match(/(\d+) ([a-z0-9_]+)/g) ?? [];
  return list.map((item, i) => {
    const [code, name] = item.split(" ");
    expect(Number(code)).toBe(i);
    return name;
  });
}

describe("engine codes", () => {
  it.each(families)("%s: the codes index the name list one to one, and each key names its entry", (_f, names, codes, expected) => {
    expect([...Object.values(codes)].sort((a, b) => a - b)).toEqual(names.map((_, i) => i));
    expect(Object.fromEntries(Object.entries(codes).map(([key, code]) => [key, names[code]]))).toEqual(expected);
  });

  it("the name lists are the ones docs/model-format.md documents", () => {
    expect(documented("activation")).toEqual([...C.ACTIVATION_NAMES]);
    expect(documented("loss")).toEqual([...C.LOSS_NAMES]);
    expect(documented("optimizer")).toEqual([...C.OPTIMIZER_TYPE_NAMES]);
    expect(documented("optimizer kind")).toEqual([...C.OPTIMIZER_NAMES]);
    expect(documented("schedule")).toEqual([...C.SCHEDULE_NAMES]);
    expect(documented("dtype")).toEqual([...C.DTYPE_NAMES]);
  });
});
