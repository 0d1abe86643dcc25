// `tinyprop sim`: a simulated board on a pseudo-terminal, running the device app unchanged.
import type { Command } from "./command";
import { linkOptions } from "./options";
import { onShutdown, untilSignal } from "../lifecycle";
import { startSimulator, type Engine } from "../sim/simulator";

export { startSimulator } from "../sim/simulator";
export type { Simulator, SimulatorOptions, SimPort } from "../sim/simulator";

export const simCommand: Command = {
  name: "sim",
  summary: "start a simulated ESP32 running the device app on a pseudo-terminal; prints its device path",
  options: {
    engine: { type: "string", value: "NAME", help: "the simulated board's JavaScript engine", choices: ["node", "xs"], default: "node" },
    baud: { ...linkOptions.baud, default: undefined, help: "line rate of the simulated UART (default: the device's manifest setting)" },
    slowdown: { type: "number", value: "X", help: "run the device's CPU X times slower than this machine", default: 1, min: 1, max: 10000 },
    trace: { type: "flag", help: "print the device's trace output on stderr" },
  },
  async run(args) {
    const engine = args.string("engine") as Engine;
    const stopWaiting = untilSignal(); // Ctrl-C from here on stops the board cleanly
    const sim = await startSimulator({
      engine, baud: args.optionalNumber("baud"), pty: true, cpuSlowdown: args.number("slowdown"),
      trace: args.flag("trace") ? (text) => process.stderr.write(`[device] ${text}`) : undefined,
    });
    const unregister = onShutdown(() => sim.stop());
    console.log(sim.path);
    console.error(`simulated board (${engine} engine, ${sim.baud} baud) on ${sim.path}; Ctrl-C to stop`);
    await stopWaiting;
    unregister();
    const st = sim.stats();
    await sim.stop();
    console.error(`stopped: ${st.rxBytes} bytes in, ${st.txBytes} out, ${st.rxOverflow} lost to FIFO overflow`);
    return 0;
  },
};
