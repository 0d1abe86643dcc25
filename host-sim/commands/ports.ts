// `tinyprop ports`: the serial ports of this machine (serialport's list()), marking the USB-serial bridges
// ESP32 boards use, and `--port auto` for the other commands: the one likely board, or a usage error.
//
// TINYPROP_PORTS_FILE=<json> replaces list() with the array in that file (same fields as list() returns):
// how the tests, and a user without hardware, see what the command prints.
import { readFileSync } from "node:fs";
import { UsageError } from "../args";
import type { Command } from "./command";

export interface PortEntry {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  pnpId?: string;
}

/** USB vendor:product ids (lower-case hex) of the bridges on ESP32 boards. */
const BRIDGES: { vendor: string; product?: string; name: string }[] = [
  { vendor: "10c4", name: "Silicon Labs CP210x" },
  { vendor: "1a86", name: "WCH CH340/CH9102" },
  { vendor: "0403", name: "FTDI" },
  { vendor: "303a", name: "Espressif USB-JTAG/serial" },
];

/** The bridge a port's USB ids name, if it is one ESP32 boards use. */
export function esp32Bridge(p: PortEntry): string | undefined {
  const vendor = p.vendorId?.toLowerCase().replace(/^0x/, "").padStart(4, "0");
  return BRIDGES.find((b) => b.vendor === vendor)?.name;
}

export async function listPorts(): Promise<PortEntry[]> {
  const stub = process.env.TINYPROP_PORTS_FILE;
  if (stub) return JSON.parse(readFileSync(stub, "utf8")) as PortEntry[];
  const { SerialPort } = await import("serialport");
  try {
    return await SerialPort.list();
  } catch (e) {
    throw new Error(`cannot list serial ports: ${(e as Error).message}`);
  }
}

/** `auto` -> the only port with an ESP32 bridge; any other value is returned as it is. */
export async function resolvePort(port: string): Promise<string> {
  if (port !== "auto") return port;
  const boards = (await listPorts()).filter((p) => esp32Bridge(p));
  if (boards.length === 1) return boards[0]!.path;
  throw new UsageError(boards.length === 0
    ? "--port auto: no serial port with an ESP32 USB bridge (CP210x, CH340, FTDI, USB-JTAG) found; see tinyprop ports"
    : `--port auto: ${boards.length} likely boards (${boards.map((b) => b.path).join(", ")}); name one with --port PATH`);
}

export const portsCommand: Command = {
  name: "ports",
  summary: "list serial ports, marking the USB bridges of ESP32 boards (CP210x, CH340, FTDI, USB-JTAG)",
  options: { json: { type: "flag", help: "print the list as JSON" } },
  async run(args) {
    const ports = await listPorts();
    if (args.flag("json")) {
      console.log(JSON.stringify(ports.map((p) => ({ ...p, esp32: esp32Bridge(p) ?? null }))));
      return 0;
    }
    if (ports.length === 0) {
      console.log("no serial ports found");
      return 0;
    }
    for (const p of ports) {
      const ids = p.vendorId ? ` [${p.vendorId}:${p.productId ?? "?"}]` : "";
      const bridge = esp32Bridge(p);
      console.log(`${p.path}${ids}${p.manufacturer ? " " + p.manufacturer : ""}${bridge ? `  <- likely ESP32 (${bridge})` : ""}`);
    }
    return 0;
  },
};
