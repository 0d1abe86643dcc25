// Moddable's `instrumentation` module as the simulators provide it: only "System Free Memory", read from
// the simulated board's figure (0 = instrumentation compiled out, as in a release build). No imports, so
// the Node board (instrumentation.ts) and the XS bundle (xs/instrumentation.ts) share it.
const FREE = 1;

export function freeMemoryInstrumentation(freeMemory: () => number) {
  return {
    map(name: string): number | undefined {
      return name === "System Free Memory" && freeMemory() > 0 ? FREE : undefined;
    },
    get(index: number): number | undefined {
      return index === FREE ? freeMemory() : undefined;
    },
    name(index: number): string | undefined {
      return index === FREE ? "System Free Memory" : undefined;
    },
  };
}
