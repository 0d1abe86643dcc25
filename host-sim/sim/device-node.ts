// The device app (src/main.ts) bundled for Node: rollup maps `embedded:io/serial`, `timer` and
// `mc/config` to the stand-ins in this folder. Loaded by the simulator, which runs main() on a SimBoard.
import { installTrace } from "./board";
import main from "../../src/main";

installTrace();

export { main };
