// `mc/config` inside XS for the simulator: filled by __sim.boot() before main() runs.
import { relay } from "./relay";

const config: Record<string, unknown> = new Proxy({}, {
  get: (_t, key) => (typeof key === "string" ? relay.config[key] : undefined),
});

export default config;
