// Wire protocol v2 (docs/protocol.md), the package's `tinyprop/protocol` entry: CRC-32 (from util/), COBS
// and framing (cobs.ts, frame.ts), and the message codecs, by family (messages.ts lists the files).
export * from "../util/crc32.js";
export * from "./cobs.js";
export * from "./frame.js";
export * from "./messages.js";
export * from "./sensor.js";
