// `tinyprop info`: handshake with a board and print what it announces (model, memory, link limits), its
// checkpoint state (CHECKPOINT_GET) and the round trip.
import type { Command } from "./command";
import { describeDevice, openLink } from "../link/open";
import type { DeviceInfo, HostLink } from "../link/link";
import { linkOptions } from "./options";
import { resolvePort } from "./ports";
import { describeCheckpoints } from "./checkpoint";
import { canInstall, describeSpec } from "./weights";
import { readPipeline, readSpec } from "../../src/modelfile/index";
import { describeFeatures } from "../../src/features/spec";
import { float32Text } from "../text";

/** The board's model as `info` describes it: spec, dtype, classes, inputs, memory plan, budget, free memory. */
export async function modelLines(link: HostLink): Promise<string[]> {
  if (!canInstall(link)) return [];
  const m = await link.getModelSpec();
  const file = (await link.getModel()).blob;
  const spec = readSpec(file);
  const pipeline = readPipeline(file);
  const o = spec.optimizer;
  const lines = [
    `model spec: ${describeSpec(spec)}, ${spec.loss}, ${o.type}${o.momentum ? ` momentum ${float32Text(o.momentum)}` : ""} lr ${float32Text(o.learningRate)}, batch ${spec.batchSize ?? 1}, ${spec.frozen ?? 0} frozen layer(s)`,
    pipeline
      ? `model classes: ${pipeline.classes.length ? pipeline.classes.join(", ") : "(not named)"}; inputs: ${pipeline.columns.join(",")}, window ${pipeline.window}, features ${describeFeatures(pipeline)}`
      : "model classes: (not named: the model has no stored pipeline)",
    `model memory: plan ${m.planBytes} bytes, model budget ${m.budget > 0 ? `${m.budget} bytes` : "unlimited"}, free memory ${m.freeBytes > 0 ? `${m.freeBytes} bytes` : "unknown (the firmware does not report it)"}`,
  ];
  return lines;
}

/** What `info` prints about a connected board. */
export async function infoLines(link: HostLink, info: DeviceInfo): Promise<string[]> {
  // CAPS says on/off; CHECKPOINT_STATE adds the partition size and the last save.
  const lines = describeDevice(info).filter((l) => !l.startsWith("checkpoints:"));
  lines.push(...await modelLines(link));
  lines.push(...describeCheckpoints(await link.checkpointState()));
  const ping = await link.ping();
  lines.push(`round trip ${ping.rttMs.toFixed(1)} ms, device up ${(ping.uptimeMs / 1000).toFixed(1)} s`);
  return lines;
}

export const infoCommand: Command = {
  name: "info",
  summary: "connect to a board (or the simulator) and print its protocol version, model, memory, checkpoints and link parameters",
  options: { ...linkOptions },
  examples: ["tinyprop info --port /dev/ttyUSB0", "tinyprop info --port auto"],
  async run(args) {
    const port = await resolvePort(args.string("port"));
    const { link, info } = await openLink(port, args.number("baud"));
    try {
      console.log(`device on ${port}:`);
      for (const line of await infoLines(link, info)) console.log(`  ${line}`);
    } finally {
      await link.close();
    }
    return 0;
  },
};
