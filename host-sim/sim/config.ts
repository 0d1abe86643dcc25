// Stand-in for Moddable's `mc/config`: the manifest's "config" object of the board being run.
import { currentBoard } from "./board";

const config: Record<string, unknown> = new Proxy({}, {
  get: (_t, key) => (typeof key === "string" ? currentBoard().config[key] : undefined),
  has: (_t, key) => typeof key === "string" && key in currentBoard().config,
});

export default config;
