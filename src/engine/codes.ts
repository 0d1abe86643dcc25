// The numeric codes of everything a spec names (activations, losses, optimizers, schedules, dtypes) and
// their names, in one leaf module that every layer imports: the engine's hot loops compare codes, model
// files and the wire store them, specs and messages spell the names. A code is its name's index in the
// name list below, so the two can never drift apart.

export const ACTIVATION_NAMES = ["linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax"] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];
export const Act = { Linear: 0, Relu: 1, Leaky: 2, Sigmoid: 3, Tanh: 4, Softmax: 5 } as const;
export type Act = (typeof Act)[keyof typeof Act];

export const LOSS_NAMES = ["mse", "softmax_cross_entropy", "sigmoid_cross_entropy"] as const;
export type LossName = (typeof LOSS_NAMES)[number];
export const LossCode = { Mse: 0, SoftmaxCE: 1, SigmoidCE: 2 } as const;
export type LossCode = (typeof LossCode)[keyof typeof LossCode];

/** The spec's optimizer.type (what a user writes; a model file's SPEC section stores this code). */
export const OPTIMIZER_TYPE_NAMES = ["sgd", "adam"] as const;
export type OptimizerTypeName = (typeof OPTIMIZER_TYPE_NAMES)[number];
export const OptimizerType = { Sgd: 0, Adam: 1 } as const;
export type OptimizerType = (typeof OptimizerType)[keyof typeof OptimizerType];

/** The optimizer the engine runs (sgd with momentum > 0 is Momentum); TRAINING sections store this code. */
export const OPTIMIZER_NAMES = ["sgd", "momentum", "adam"] as const;
export const Opt = { Sgd: 0, Momentum: 1, Adam: 2 } as const;
export type Opt = (typeof Opt)[keyof typeof Opt];
/** Optimizer state arrays each optimizer keeps (momentum: velocity; adam: m and v). */
export const OPTIMIZER_STATE_ARRAYS: readonly number[] = [0, 1, 2];

export const SCHEDULE_NAMES = ["constant", "step", "cosine"] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];
export const Sched = { Constant: 0, Step: 1, Cosine: 2 } as const;
export type Sched = (typeof Sched)[keyof typeof Sched];

export const DTYPE_NAMES = ["float32", "fixed"] as const;
export type DType = (typeof DTYPE_NAMES)[number];
export const DTypeCode = { Float32: 0, Fixed: 1 } as const;
export type DTypeCode = (typeof DTypeCode)[keyof typeof DTypeCode];

/** The code of `name` in `names`, or -1 when it is not one of them. */
export function codeOf(names: readonly string[], name: unknown): number {
  return typeof name === "string" ? names.indexOf(name) : -1;
}
