// tinyprop device-side API: everything here runs unchanged in Node and under Moddable XS.
export { Model, buildModel, type Layer, type Evaluation } from "./engine/model";
export { plan, type MemoryPlan, type LayerPlan, type Slice } from "./engine/plan";
export { resolveSpec, type ModelSpec, type LayerSpec, type OptimizerSpec, type ScheduleSpec, type ActivationName, type LossName } from "./engine/spec";
export { Random } from "./engine/random";
export * as math from "./engine/math";
export { FixedModel, buildFixedModel, type FixedLayer } from "./engine/fixed/model";
export { quantize, dequantize } from "./engine/fixed/ptq";
export { planFixed, type FixedSpec, type FixedPlan, type FixedLayerFormat } from "./engine/fixed/plan";
export * as protocol from "./protocol/index";
export { gestureModelSpec, GESTURE_CLASSES } from "./app/gesture-model";
export * as modelfile from "./modelfile/index";
export { CheckpointStore, type FlashLike, type RestoreResult, type SaveResult } from "./app/checkpoint";
export { DeviceSession, type DeviceSerial, type DeviceTimers, type DeviceOptions, type DeviceStats } from "./app/device";
