// Host-side file helpers for .tpm model files (format: docs/model-format.md; codec: src/modelfile/).
// For `tinyprop train -o`, `convert`, `quantize`, `inspect` and `weights get|put`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ModelSpec } from "../src/index";
import { modelFromFile, readHeader, saveModel, withPipeline, type AnyModel, type LoadOptions, type SaveOptions } from "../src/modelfile/index";
import type { PipelineSpec } from "../src/features/index";

/**
 * Save a model to `path` (directories created), with the input pipeline it was trained with when given;
 * returns the number of bytes written.
 */
export function writeModelFile(path: string, model: AnyModel, opts?: SaveOptions, pipeline?: PipelineSpec): number {
  const plain = saveModel(model, opts);
  const bytes = pipeline ? withPipeline(plain, pipeline) : plain;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return bytes.length;
}

/** Read a .tpm file and verify it (magic, version, CRC, sections); throws "model file: ..." errors. */
export function readModelFile(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  try {
    readHeader(bytes);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return bytes;
}

/**
 * Build a model from a .tpm file. `overrides` changes training settings for the new model, e.g.
 * { frozen: spec.layers.length - 1 } to fine-tune only the last layer, or another optimizer/batch size.
 */
export function loadModelFile(path: string, overrides?: Partial<ModelSpec>, opts?: LoadOptions): AnyModel {
  return modelFromFile(readModelFile(path), overrides, opts);
}
