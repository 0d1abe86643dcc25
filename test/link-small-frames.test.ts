// A host that receives only the smallest frames (HELLO maxFrame 128, 112 payload bytes): CAPS fits it for
// any model (the device encodes it within the host's limit, and 16 layers take 72 bytes); weights and
// model files come in chunks; MODEL_SPEC, which is one frame, cannot fit, and the host says what limit
// it needs instead of passing on TOO_LARGE. Simulated board, virtual time.
import { hostConnection } from "./link-helpers";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../host-sim/sim/clock";
import { startSimulator } from "../host-sim/sim/simulator";
import { HostLink } from "../host-sim/link/link";
import * as P from "../src/protocol/index";

describe("a host with a 128-byte frame limit", () => {
  it("CAPS of the deepest reportable model fits 112 payload bytes", () => {
    const c = new P.Caps();
    c.major = P.PROTOCOL_VERSION;
    c.layerCount = P.MAX_LAYERS;
    c.layerSizes.fill(0xffff);
    const view = new DataView(new ArrayBuffer(512));
    const n = P.encodeCaps(view, 0, P.MIN_FRAME_LIMIT - P.FRAME_OVERHEAD, c);
    expect(n).toBe(40 + 2 * P.MAX_LAYERS);
  });

  it("connects, reads weights and the model file in chunks, and explains why MODEL_SPEC cannot come", async () => {
    const clock = new VirtualClock({ seed: 5 });
    await clock.run(async () => {
      const sim = await startSimulator({ engine: "node", pty: false, clock, cost: "zero" });
      try {
        const port = hostConnection(sim);
        const link = new HostLink(port, { clock, maxFrame: P.MIN_FRAME_LIMIT });
        const info = await link.connect();
        expect(info.layerSizes).toEqual([30, 32, 5]);
        expect((await link.getWeights()).blob.length).toBe(info.stateBytes);
        expect((await link.getModel()).blob.length).toBeGreaterThan(info.stateBytes);
        // 16 + 16 + SPEC payload (128 + 8 x 2 layers) + freeBytes 4 = 180.
        await expect(link.getModelSpec()).rejects.toThrow("the device's MODEL_SPEC for its 2-layer model needs a host frame limit of at least 180 bytes; this link receives at most 128");
        link.destroy();
      } finally {
        await sim.stop();
      }
    }, { limitMs: 600_000 });
  }, 60_000);
});
