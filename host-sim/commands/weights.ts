// `tinyprop weights get|put`: copy the board's weights blob to a file and back.
// The blob is the device's raw parameter blob (WEIGHTS_GET/PUT). All file I/O is in readWeightsFile and
// writeWeightsFile, so switching to the .tpm model-file format later touches only these two functions.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "./command";
import { UsageError, numberOption, stringOption } from "../args";
import { DEFAULT_BAUD, openLink } from "../link/open";
import type { WeightsSnapshot } from "../link/link";
import { crc32 } from "../../src/protocol/index";

/** Raw blob for now; `batchId` travels in a sidecar-free way: not stored (put uses --batch-id). */
export function writeWeightsFile(path: string, w: WeightsSnapshot): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, w.blob);
}

export function readWeightsFile(path: string): WeightsSnapshot {
  const blob = new Uint8Array(readFileSync(path));
  return { blob, crc: crc32(blob), batchId: 0 };
}

export const weightsCommand: Command = {
  summary: "read the board's weights into a file, or write a file to the board",
  usage: "tinyprop weights get|put --port PATH <file> [--baud N] [--batch-id N]",
  async run(args) {
    const [action, file] = args.positionals;
    const port = stringOption(args, "port");
    if ((action !== "get" && action !== "put") || !file || !port) throw new UsageError("usage: tinyprop weights get|put --port PATH <file>");
    const baud = numberOption(args, "baud", DEFAULT_BAUD, { min: 300, max: 20000000, integer: true });
    const toPut = action === "put" ? readWeightsFile(file) : undefined;
    const { link, info } = await openLink(port, baud);
    try {
      if (toPut) {
        const batchId = numberOption(args, "batch-id", 0, { min: 0, max: 0xffffffff, integer: true });
        await link.putWeights(toPut.blob, batchId);
        console.log(`wrote ${toPut.blob.length} bytes (crc ${toPut.crc.toString(16).padStart(8, "0")}) to the board; committed as batch ${batchId}`);
      } else {
        const w = await link.getWeights();
        writeWeightsFile(file, w);
        console.log(`read ${w.blob.length} bytes (crc ${w.crc.toString(16).padStart(8, "0")}, after batch ${w.batchId}) into ${file}; model ${info.layerSizes.join("-")}`);
      }
    } finally {
      await link.close();
    }
    return 0;
  },
};
