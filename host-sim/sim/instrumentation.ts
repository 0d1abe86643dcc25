// Stand-in for Moddable's `instrumentation` module on a simulated board: "System Free Memory" is the
// figure the board was given (SimBoard freeMemory; 0 = instrumentation compiled out, as in a release build).
import { currentBoard } from "./board";

const FREE = 1;

const Instrumentation = {
  map(name: string): number | undefined {
    return name === "System Free Memory" && currentBoard().freeMemory > 0 ? FREE : undefined;
  },
  get(index: number): number | undefined {
    return index === FREE ? currentBoard().freeMemory : undefined;
  },
  name(index: number): string | undefined {
    return index === FREE ? "System Free Memory" : undefined;
  },
};

export default Instrumentation;
