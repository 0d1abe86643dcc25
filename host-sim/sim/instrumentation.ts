// Stand-in for Moddable's `instrumentation` module on a simulated board: "System Free Memory" is the
// figure the board was given (SimBoard freeMemory; 0 = instrumentation compiled out, as in a release build).
import { currentBoard } from "./board";
import { freeMemoryInstrumentation } from "./free-memory";

export default freeMemoryInstrumentation(() => currentBoard().freeMemory);
