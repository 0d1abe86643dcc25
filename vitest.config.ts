import { defineConfig } from "vitest/config";

export default defineConfig({
  // lib/manifest.json's module names (tinyprop/engine/..., tinyprop/features/...), for code written against
  // the Moddable library (test/moddable-library/main.ts) and run in Node too.
  resolve: { alias: [{ find: /^tinyprop\/(engine|features|modelfile|protocol|util|app)\//, replacement: `${new URL("./src/", import.meta.url).pathname}$1/` }] },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
