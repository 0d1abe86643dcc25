// Stand-in for Moddable's `instrumentation` module inside XS for the simulator: "System Free Memory" is the
// figure the simulated board was given at boot (relay.freeMemory; 0 = compiled out, as in a release build).
import { relay } from "./relay";

const FREE = 1;

const Instrumentation = {
  map(name: string): number | undefined {
    return name === "System Free Memory" && relay.freeMemory > 0 ? FREE : undefined;
  },
  get(index: number): number | undefined {
    return index === FREE ? relay.freeMemory : undefined;
  },
  name(index: number): string | undefined {
    return index === FREE ? "System Free Memory" : undefined;
  },
};

export default Instrumentation;
