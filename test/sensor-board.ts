// A simulated board with a replayed IMU, in virtual time, for the sensor-mode tests: the replay keeps the
// sensor's rate on the simulator's clock, so a loaded machine cannot make the board miss samples or a host
// wait time out. Boards started inside a run are stopped before its clock is.
import { HostLink } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator, type Engine } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";

export class SensorBoards {
  private clock: VirtualClock | undefined;
  private readonly stops: (() => Promise<void> | void)[] = [];

  constructor(private readonly seed: number, private readonly shape: { inputs: number; classes: number }) {}

  /** Runs `body` in virtual time on a fresh clock. */
  async run(body: () => Promise<void>): Promise<void> {
    const clock = (this.clock = new VirtualClock({ seed: this.seed }));
    try {
      await clock.run(async () => {
        try {
          await body();
        } finally {
          for (const stop of this.stops.splice(0).reverse()) await stop();
        }
      });
    } finally {
      this.clock = undefined;
    }
  }

  /** Inside run(): a board replaying `imu` (null: no sensor), no flash, computing in no time; a link connected. */
  async board(engine: Engine, imu: string | null): Promise<HostLink> {
    const sim = await startSimulator({ engine, pty: false, clock: this.clock, cost: "zero", flashFile: null, imu: imu ?? undefined });
    this.stops.push(() => sim.stop());
    const link = new HostLink(asBytePort(sim.port!, "board"));
    this.stops.push(() => link.destroy());
    await link.connect(this.shape);
    return link;
  }
}
