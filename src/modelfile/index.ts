// Model files (.tpm): docs/model-format.md.
export {
  saveModel, saveModelInto, writeSpecPayload, specPayloadLength, specFromPayload, modelFileSize, parseModel, readHeader, readSpec, loadInto, modelFromFile,
  MODEL_FILE_VERSION, MODEL_FILE_MAGIC,
  type SaveOptions, type AnyModel, type LoadOptions, type LoadResult, type ModelFileSummary, type ParsedModelFile, type ParsedTraining,
} from "./format";
export { TAG_PIPELINE, encodePipeline, decodePipeline, readPipeline, withPipeline, pipelineSection, fileSizeWithSection, saveWithSectionInto } from "./pipeline-section";
