// `tinyprop sim`: a simulated board on a pseudo-terminal, running the device app unchanged.
import type { Command } from "./command";
import { UsageError, numberOption, stringOption } from "../args";
import { startSimulator, type Engine } from "../sim/simulator";

export { startSimulator } from "../sim/simulator";
export type { Simulator, SimulatorOptions, SimPort } from "../sim/simulator";

export const simCommand: Command = {
  summary: "start a simulated ESP32 running the device app on a pseudo-terminal; prints its device path",
  usage: "tinyprop sim [--engine node|xs] [--baud N] [--slowdown X] [--trace]",
  flags: ["trace"],
  async run(args) {
    const engine = (stringOption(args, "engine", "node") ?? "node") as Engine;
    if (engine !== "node" && engine !== "xs") throw new UsageError(`--engine must be node or xs, got "${engine}"`);
    const baud = args.options.has("baud") ? numberOption(args, "baud", 921600, { min: 300, max: 20000000, integer: true }) : undefined;
    const cpuSlowdown = numberOption(args, "slowdown", 1, { min: 1, max: 10000 });
    const trace = args.options.get("trace") === true;
    const sim = await startSimulator({
      engine, baud, pty: true, cpuSlowdown,
      trace: trace ? (text) => process.stderr.write(`[device] ${text}`) : undefined,
    });
    console.log(sim.path);
    console.error(`simulated board (${engine} engine, ${sim.baud} baud) on ${sim.path}; Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
    });
    const st = sim.stats();
    await sim.stop();
    console.error(`stopped: ${st.rxBytes} bytes in, ${st.txBytes} out, ${st.rxOverflow} lost to FIFO overflow`);
    return 0;
  },
};
