// The board's checkpoints as the commands show them: `info` prints the state (CHECKPOINT_GET), `stream`
// warns at its start when the board has none, and every command that changes the board's training
// (`stream`, `weights put`) ends with CHECKPOINT_SAVE and says whether the result survives a power cycle.
import type { CheckpointInfo, DeviceInfo, HostLink } from "../link/link";
import { LinkError } from "../link/link";
import { CAPS_FLAG_CHECKPOINTS_ON, CAPS_FLAG_CHECKPOINT_MSGS } from "../../src/protocol/index";

/** Where the commands' lines go (an Output fits). */
export interface Printer {
  summary(line: string): void;
  warn(line: string): void;
}

const NO_STORAGE = "the board has no checkpoint storage (no flash partition): its training is lost at the next reset or power cycle";

/** The warning `stream` gives before it starts, or undefined when the board keeps checkpoints. */
export function noCheckpointWarning(info: DeviceInfo): string | undefined {
  const flags = info.flags ?? 0;
  if ((flags & CAPS_FLAG_CHECKPOINT_MSGS) === 0) return "this board's firmware does not report checkpoints: a reset may lose the training since its last automatic save";
  if ((flags & CAPS_FLAG_CHECKPOINTS_ON) === 0) return `${NO_STORAGE}; save it with \`tinyprop weights get -o model.tpm\` (docs/moddable-build.md: the storage partition)`;
  return undefined;
}

function kb(bytes: number): string {
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KB` : `${bytes} bytes`;
}

/** `info`'s lines for a CHECKPOINT_STATE (undefined: firmware without CHECKPOINT_GET). */
export function describeCheckpoints(st: CheckpointInfo | undefined): string[] {
  if (!st) return ["checkpoints: not reported by this device (firmware without CHECKPOINT_GET)"];
  if (!st.on) return [`checkpoints: OFF - WARNING: ${NO_STORAGE}`];
  const fits = st.checkpointBytes > 0 ? `, ${st.checkpointBytes} bytes per checkpoint of this model` : "";
  const every = st.every > 0 ? `every ${st.every} batches, ` : "";
  const last = st.saved ? `last save at batch ${st.savedBatchId}` : "no checkpoint saved yet";
  const lines = [
    `checkpoints: on, partition ${kb(st.partitionBytes)}${fits}`,
    `checkpoint saves: ${every}after a weights put and at the end of each run; ${last}; board at batch ${st.lastCommittedBatchId}` +
      (st.saved && st.savedBatchId !== st.lastCommittedBatchId ? ` (${st.lastCommittedBatchId - st.savedBatchId} batches not yet saved)` : ""),
  ];
  if (st.saveFailed) lines.push("checkpoints: WARNING - the board's last save attempt failed (flash write error)");
  return lines;
}

/**
 * The end of a run: CHECKPOINT_SAVE, answered by CHECKPOINT_STATE, before success is reported. A board
 * without storage (or firmware that cannot say) gets a loud warning and the command still succeeds; a
 * save that failed is an error.
 */
export async function saveAtEnd(link: HostLink, out: Printer): Promise<CheckpointInfo | undefined> {
  const st = await link.saveCheckpoint();
  if (!st) {
    out.warn("this board's firmware cannot save a checkpoint on request: a reset may lose the training since its last automatic save");
    return undefined;
  }
  if (!st.on) {
    out.warn(`${NO_STORAGE}: this run ends at batch ${st.lastCommittedBatchId} in the board's RAM only; keep it with \`tinyprop weights get -o model.tpm\``);
    return st;
  }
  if (!st.durable) {
    throw new LinkError("DEVICE_ERROR", `the board could not save a checkpoint of batch ${st.lastCommittedBatchId}` +
      (st.saved ? ` (its newest checkpoint holds batch ${st.savedBatchId})` : "") + (st.saveFailed ? ": its flash write failed" : ""));
  }
  out.summary(`checkpoint saved at batch ${st.savedBatchId} (survives a reset or power cycle)`);
  return st;
}
