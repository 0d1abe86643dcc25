// tinyprop's native kernels inside the PC's XS engine: the "native" worker variant
// (host-sim/xs/build-worker.mjs) defines each kernel as a global `__tinypropNative_<name>`; the script below
// gathers them into globalThis.tinypropNative, as src/native/kernels.js does on a device, so that the
// engine in the bundle finds them. Evaluate it after starting the variant, before building models.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "./build";

/** The variant's name in build-worker.mjs. */
export const NATIVE_VARIANT = "native";

/** Where build-worker.mjs puts the variant (build/xs/native/xsnap-worker): pass it as XsEngine.start({ binary }). */
export function nativeWorkerPath(): string {
  return join(projectRoot(), "build", "xs", NATIVE_VARIANT, "xsnap-worker");
}

/** Publishes the variant's kernel globals as globalThis.tinypropNative (frozen), like the device module. */
export const XS_NATIVE_SETUP = `(function () {
  const k = {};
  for (const key of Object.getOwnPropertyNames(globalThis)) {
    if (key.startsWith("__tinypropNative_")) k[key.slice(17)] = globalThis[key];
  }
  if (typeof k.version !== "function") throw new Error("this XS worker has no tinyprop native kernels");
  globalThis.tinypropNative = Object.freeze(k);
})();`;

/** Why the native XS variant cannot run here, or undefined when it is built. */
export function nativeVariantMissing(): string | undefined {
  const binary = nativeWorkerPath();
  return existsSync(binary) ? undefined
    : `the XS worker with native kernels is not built (${binary}): npm install builds it, or node host-sim/xs/build-worker.mjs native (needs a C compiler)`;
}
