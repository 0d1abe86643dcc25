// Stand-in for Moddable's `instrumentation` module inside XS for the simulator: "System Free Memory" is the
// figure the simulated board was given at boot (relay.freeMemory; 0 = compiled out, as in a release build).
import { relay } from "./relay";
import { freeMemoryInstrumentation } from "../free-memory";

export default freeMemoryInstrumentation(() => relay.freeMemory);
