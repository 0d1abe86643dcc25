// Wire protocol v2: framing, CRC, COBS, message codecs. Spec: docs/protocol.md.
export * from "../util/crc32.js";
export * from "./cobs.js";
export * from "./frame.js";
export * from "./messages.js";
export * from "./sensor.js";
