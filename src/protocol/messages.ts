// Message types and payload codecs, by family. Layouts: docs/protocol.md, section 3.
//   codes.ts              message types, error codes, dtypes, flags and limits
//   layout.ts             field layouts: one table per payload, read and written by one loop each (the
//                         device's per-frame side is written out in the family files: layout.ts says why)
//   session-messages.ts   HELLO, CAPS, ACK, PING, PONG, ERROR, LOG
//   training-messages.ts  CONFIG, SAMPLE_BATCH, PREDICT_REQ, REPORT, PREDICT_RESULT
//   transfer-messages.ts  WEIGHTS_* (and the MODEL_* transfers that reuse them), MODEL_SPEC, CHECKPOINT_STATE
//   raw-messages.ts       RAW_SLICE (a raw batch in several frames of rows)
//   sensor.ts             PIPELINE_*, SENSOR_* (exported separately, see index.ts)
//
// Every codec works on a DataView at explicit offsets and never throws or allocates:
//  - decodeX(view, off, len, out) fills the caller-owned `out` and returns ERR_OK or an ERR_* code;
//  - encodeX(view, off, cap, msg, ...) writes at most `cap` bytes and returns the payload length, or
//    -ERR_* (negative) when the message is invalid or does not fit.
// The validation is the same on both sides, so a host cannot send what the device would refuse.
// Fixed-layout payloads may be longer than their layout (fields appended by later minor versions).
export * from "./codes.js";
export * from "./session-messages.js";
export * from "./training-messages.js";
export * from "./transfer-messages.js";
export * from "./raw-messages.js";
