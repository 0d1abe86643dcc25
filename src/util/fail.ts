// The errors thrown on bad input, one function per subject so every message starts the same way.
// Only failure paths build these strings.

/** A spec (or its fixed-point settings) that the engine refuses. */
export function failSpec(message: string): never {
  throw new Error("invalid model spec: " + message);
}

/** A model file (.tpm) that the reader refuses. */
export function failModelFile(message: string): never {
  throw new Error("model file: " + message);
}
