// tinyprop device-side API: everything here runs unchanged in Node and under Moddable XS.
export { buildModel, plan } from "./engine/build";
export { type DenseModel, type LayerViews, type Tensor, type Evaluation } from "./engine/model-api";
export { Model, type Layer } from "./engine/model";
export { planFloat32 } from "./engine/plan";
export { type MemoryPlan, type LayerPlan, type Slice, MAX_ARENA_BYTES } from "./engine/layout";
export { resolveSpec, type ModelSpec, type LayerSpec, type OptimizerSpec, type ScheduleSpec, type ActivationName, type LossName } from "./engine/spec";
export * as codes from "./engine/codes";
export { Random } from "./engine/random";
export * as math from "./engine/math";
export { FixedModel, buildFixedModel, type FixedLayer } from "./engine/fixed/model";
export { quantize, dequantize } from "./engine/quantize";
export { planFixed, type FixedSpec, type FixedPlan, type FixedLayerFormat } from "./engine/fixed/plan";
export * as protocol from "./protocol/index";
export { gestureModelSpec, GESTURE_CLASSES } from "./app/gesture-model";
export * as modelfile from "./modelfile/index";
export * as features from "./features/index";
export { CheckpointStore, type FlashLike, type RestoreResult, type SaveResult } from "./app/checkpoint";
export { DeviceSession, type DeviceSerial, type DeviceTimers, type DeviceOptions, type DeviceStats } from "./app/device";
