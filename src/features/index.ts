// Signal pipeline (windowing, features, normalisation) shared by the board and the host: docs/dataset.md.
export * from "./api";
export type { PipelineIssue, PipelineSpec } from "./spec";
