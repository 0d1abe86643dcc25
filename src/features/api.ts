// The `features` namespace of the package (values only; the PipelineSpec type is exported at the top
// level): rollup-plugin-dts turns a type inside a namespace re-export into a bogus value declaration.
export {
  FEATURE_STATS, FEATURE_SPECTRUM, FEATURE_RAW, STATS, INT16_FULL, MAX_WINDOW, MAX_FFT, DEFAULT_BANDS, DEFAULT_RAW_POINTS, DEFAULT_CLIP,
  fftSize, perColumnWidth, featureWidth, featureNames, describeFeatures, pipelineIssue, pipelineProblem, checkPipeline,
} from "./spec";
export { FeaturePipeline } from "./pipeline";
export { RealFft } from "./fft";
export { learnNormalisation } from "./normalise";
