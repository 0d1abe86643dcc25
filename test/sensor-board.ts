// A simulated board with a replayed IMU, in virtual time, for the sensor-mode tests: the replay keeps the
// sensor's rate on the simulator's clock, so a loaded machine cannot make the board miss samples or a host
// wait time out. Boards started inside a run are stopped before its clock is.
import { HostLink } from "../host-sim/link/link";
import { asBytePort } from "../host-sim/link/port";
import { startSimulator, type Engine } from "../host-sim/sim/simulator";
import { VirtualClock } from "../host-sim/sim/clock";
import type { SensorConfig } from "../src/app/sensor-config";
import { FeaturePipeline, type PipelineSpec } from "../src/features/index";

/** The int16 counts the pipeline stores for the window of `rows` starting at row `first` (as record sends). */
export function windowCounts(pipeline: PipelineSpec, rows: ArrayLike<number>, first: number): number[] {
  const pipe = new FeaturePipeline({ ...pipeline, mean: [], scale: [] });
  const C = pipeline.columns.length;
  for (let r = first; r < first + pipeline.window; r++) pipe.pushRow(rows, r * C);
  return Array.from(pipe.ring);
}

/** The host's model inputs for the window of `rows` (row-major, `pipeline`'s columns) starting at row `first`. */
export function windowInputs(pipeline: PipelineSpec, rows: ArrayLike<number>, first: number): Float32Array {
  const pipe = new FeaturePipeline(pipeline);
  const C = pipeline.columns.length;
  for (let r = first; r < first + pipeline.window; r++) pipe.pushRow(rows, r * C);
  const x = new Float32Array(pipe.width);
  pipe.extract(x, 0);
  return x;
}

export class SensorBoards {
  private clock: VirtualClock | undefined;
  private readonly stops: (() => Promise<void> | void)[] = [];

  /** `shape`: the model the boards must have (the link checks it), or none for a board to be given one. */
  constructor(private readonly seed: number, private readonly shape?: { inputs: number; classes: number }) {}

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

  /**
   * Inside run(): a board replaying `imu` (null: no sensor) with the manifest's sensor settings and `sensor`
   * over them, no flash, computing in no time; a link connected.
   */
  async board(engine: Engine, imu: string | null, sensor?: SensorConfig): Promise<HostLink> {
    const sim = await startSimulator({ engine, pty: false, clock: this.clock, cost: "zero", flashFile: null, imu: imu ?? undefined, sensor });
    this.stops.push(() => sim.stop());
    const link = new HostLink(asBytePort(sim.port!, "board"));
    this.stops.push(() => link.destroy());
    await link.connect(this.shape);
    return link;
  }
}
