// Opening a link for the CLI: serial port + HostLink + handshake, with errors a user can act on.
import { HostLink, type DeviceInfo, type LinkOptions, type ModelExpectation } from "./link";
import { openSerialPort, type BytePort } from "./port";
import { CAPS_FLAG_CHECKPOINTS_ON, CAPS_FLAG_CHECKPOINT_MSGS, DTYPE_F32, DTYPE_I16, DTYPE_I8, DTYPE_U8, PROTOCOL_VERSION } from "../../src/protocol/index";

export const DEFAULT_BAUD = 921600;

/** `path`: a serial port to open, or a port already open (the simulator's in-process port in tests). */
export async function openLink(path: string | BytePort, baud = DEFAULT_BAUD, expect: ModelExpectation = {}, options: LinkOptions = {}): Promise<{ link: HostLink; info: DeviceInfo }> {
  const port = typeof path === "string" ? await openSerialPort(path, baud) : path;
  const link = new HostLink(port, {
    onLog: (level, text) => process.stderr.write(`[device${level >= 3 ? " error" : ""}] ${text}${text.endsWith("\n") ? "" : "\n"}`),
    ...options,
  });
  try {
    const info = await link.connect(expect);
    return { link, info };
  } catch (err) {
    link.destroy();
    throw err;
  }
}

export function dtypeName(d: number): string {
  return d === DTYPE_F32 ? "float32" : d === DTYPE_I16 ? "int16" : d === DTYPE_I8 ? "int8" : d === DTYPE_U8 ? "uint8" : `dtype ${d}`;
}

export function describeDevice(info: DeviceInfo): string[] {
  const dims = info.inputDims.slice(0, info.inputRank).join("x");
  return [
    `protocol ${PROTOCOL_VERSION}.${info.minor}, boot nonce ${info.bootNonce.toString(16).padStart(8, "0")}`,
    `model: ${info.layerSizes.join(" -> ")} (${dtypeName(info.modelDtype)}), input ${dims} ${dtypeName(info.inputDtype)}, ${info.classes} classes`,
    `memory: plan ${info.planBytes} bytes, weights blob ${info.stateBytes} bytes`,
    `link: receive limit ${info.maxFrame} bytes per frame, credit window ${info.rxWindow} bytes`,
    `last committed batch: ${info.lastCommittedBatchId}`,
    checkpointLine(info.flags ?? 0),
  ];
}

/** CAPS flags: does the board keep its training over a power cycle? (info prints it, stream warns.) */
export function checkpointLine(flags: number): string {
  if ((flags & CAPS_FLAG_CHECKPOINT_MSGS) === 0) return "checkpoints: not reported by this device";
  if ((flags & CAPS_FLAG_CHECKPOINTS_ON) !== 0) return "checkpoints: on (flash partition present)";
  return "checkpoints: OFF - WARNING: this board has no checkpoint partition; its training is lost at the next reset or power cycle";
}
