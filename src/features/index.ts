// Signal pipeline (windowing, features, normalisation) shared by the board and the host: docs/dataset.md.
export * from "./spec";
export { FeaturePipeline } from "./pipeline";
export { RealFft } from "./fft";
export { learnNormalisation } from "./normalise";
