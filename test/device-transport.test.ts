// The device session (src/app/device.ts) driven in Node through a fake serial port, fake timers and a
// simulated clock: frame limits, HELLO checks, gap reports, batch id limits and checkpoint messages, each
// as a deterministic function of the bytes given (no wall time).
import { describe, expect, it } from "vitest";
import { DeviceSession } from "../src/app/device";
import { GAP_REPEAT_MS } from "../src/app/transport";
import { LinuxSerialAdapter, freeMemoryReader } from "../src/app/platform";
import { buildModel } from "../src/engine/build";
import { gestureModelSpec } from "../src/app/gesture-model";
import { FrameDecoder, FrameEncoder, MAX_FRAME, PROTOCOL_VERSION } from "../src/protocol/frame";
import * as M from "../src/protocol/messages";
import type { DenseModel } from "../src/engine/model-api";

interface Out { type: number; seq: number; decodedLength: number; payload: Uint8Array }

/** A session with a host that writes frames at exact positions and reads everything the device writes. */
function rig(opts: { checkpoints?: { saves: number[]; partitionBytes: number; restoredBatchId: number; fail?: boolean } } = {}) {
  let clock = 1000;
  let input = new Uint8Array(0);
  let at = 0;
  let hostPos = 0;
  const out: Out[] = [];
  const decoder = new FrameDecoder(MAX_FRAME, (type, seq, _ack, view, off, len) => {
    const payload = new Uint8Array(len);
    for (let i = 0; i < len; i++) payload[i] = view.getUint8(off + i);
    out.push({ type, seq, decodedLength: len + 16, payload });
  });
  const serial = {
    read(buffer: Uint8Array): number {
      const n = Math.min(buffer.length, input.length - at);
      for (let i = 0; i < n; i++) buffer[i] = input[at + i];
      at += n;
      return n;
    },
    write(buffer: Uint8Array): void {
      decoder.push(buffer.slice());
    },
  };
  let tick: (() => void) | null = null;
  const timers = { repeat: (cb: (t: unknown) => void) => (tick = () => cb(null)), clear: () => (tick = null) };
  const ck = opts.checkpoints;
  const session = new DeviceSession(buildModel(gestureModelSpec(30)), {
    bootNonce: 7, now: () => clock, saveEvery: 0,
    checkpoints: ck === undefined ? undefined : {
      save(_m: DenseModel, id: number) {
        if (ck.fail) throw new Error("flash failed");
        ck.saves.push(id);
      },
      partitionBytes: ck.partitionBytes, restoredBatchId: ck.restoredBatchId,
    },
  });
  session.start(serial, timers);
  const enc = new FrameEncoder(MAX_FRAME);
  const wire = new Uint8Array(2 * MAX_FRAME);
  const pump = (): void => {
    for (let k = 0; k < 200; k++) {
      session.onWritable(128);
      session.onReadable(input.length - at);
    }
  };
  return {
    session, out,
    advance(ms: number) {
      clock += ms;
      if (tick) tick();
      pump();
    },
    /** Host frame: raw header fields, payload as given. */
    send(type: number, seq: number, payload: Uint8Array, ack = 0) {
      enc.position = hostPos;
      const n = enc.encodeBytes(type, seq, ack, payload, wire);
      if (n < 0) throw new Error("encode");
      hostPos += n;
      const next = new Uint8Array(input.length - at + n);
      next.set(input.subarray(at));
      next.set(wire.subarray(0, n), input.length - at);
      input = next;
      at = 0;
      pump();
    },
    hello(maxFrame: number, major = PROTOCOL_VERSION) {
      const p = new Uint8Array(M.HELLO_SIZE);
      const v = new DataView(p.buffer);
      v.setUint8(M.HELLO_MAJOR, major);
      v.setUint32(M.HELLO_NONCE, 0x1234, true);
      v.setUint16(M.HELLO_MAX_FRAME, maxFrame, true);
      this.send(M.MSG_HELLO, 0, p);
    },
  };
}

const u32s = (...values: number[]): Uint8Array => {
  const b = new Uint8Array(4 * values.length);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint32(4 * i, x >>> 0, true));
  return b;
};
const acks = (r: ReturnType<typeof rig>) => r.out.filter((f) => f.type === M.MSG_ACK).map((f) => new DataView(f.payload.buffer).getUint8(M.ACK_FLAGS));
const errors = (r: ReturnType<typeof rig>) => r.out.filter((f) => f.type === M.MSG_ERROR).map((f) => {
  const v = new DataView(f.payload.buffer);
  return { code: v.getUint16(M.ERROR_CODE, true), detail: v.getUint32(M.ERROR_DETAIL, true) };
});

describe("device session limits", () => {
  it("keeps every reply within the host's maxFrame: HELLO maxFrame 128, then WEIGHTS_GET of 1000 bytes", () => {
    const r = rig();
    r.hello(128);
    r.send(M.MSG_WEIGHTS_GET, 1, u32s(0, 1000));
    const data = r.out.filter((f) => f.type === M.MSG_WEIGHTS_DATA);
    expect(data.length).toBe(1);
    expect(data[0].decodedLength).toBeLessThanOrEqual(128);
    expect(data[0].payload.length).toBe(128 - 16); // a short chunk, as large as the limit allows
  });

  it("refuses a HELLO whose maxFrame is below 128 whatever its major version (no session opens)", () => {
    for (const major of [PROTOCOL_VERSION, PROTOCOL_VERSION + 1]) {
      const r = rig();
      r.advance(0);
      const boot = r.out.length; // the unsolicited CAPS
      expect(boot).toBe(1);
      r.hello(16, major);
      r.send(M.MSG_PING, 0, u32s(5));
      expect(r.out.slice(boot).map((f) => f.type), `major ${major}`).toEqual([]);
    }
    const r = rig();
    r.hello(128, PROTOCOL_VERSION + 1); // another version with a valid limit: CAPS, so the host can tell
    expect(r.out.filter((f) => f.type === M.MSG_CAPS).length).toBe(2);
  });

  it("repeats a gap report (rate-limited) while the same frame is missing", () => {
    const r = rig();
    r.hello(1024);
    // Frame 1 is lost: 2 arrives, then 2 and 3 again (the host's go-back-N lost 1 a second time).
    r.send(M.MSG_MODEL_SPEC_GET, 2, new Uint8Array(0));
    expect(acks(r).filter((f) => f & M.ACK_GAP).length).toBe(1);
    r.advance(GAP_REPEAT_MS - 10);
    r.send(M.MSG_MODEL_SPEC_GET, 3, new Uint8Array(0));
    expect(acks(r).filter((f) => f & M.ACK_GAP).length, "within GAP_REPEAT_MS: no new report").toBe(1);
    r.advance(20);
    r.send(M.MSG_MODEL_SPEC_GET, 2, new Uint8Array(0));
    expect(acks(r).filter((f) => f & M.ACK_GAP).length, "after GAP_REPEAT_MS: reported again").toBe(2);
  });

  it("refuses WEIGHTS_COMMIT with batch id 2^32 - 1, in the codec on both sides", () => {
    const m = new M.WeightsCommit();
    m.batchId = 0xffffffff;
    const v = new DataView(new ArrayBuffer(M.WCOMMIT_SIZE));
    expect(M.encodeWeightsCommit(v, 0, M.WCOMMIT_SIZE, m)).toBe(-M.ERR_BAD_VALUE);
    m.batchId = M.MAX_BATCH_ID;
    expect(M.encodeWeightsCommit(v, 0, M.WCOMMIT_SIZE, m)).toBe(M.WCOMMIT_SIZE);
    v.setUint32(M.WCOMMIT_BATCH_ID, 0xffffffff, true);
    expect(M.decodeWeightsCommit(v, 0, M.WCOMMIT_SIZE, new M.WeightsCommit())).toBe(M.ERR_BAD_VALUE);

    const r = rig();
    r.hello(1024);
    const total = r.session.blob.byteLength;
    const snapshot = new Uint8Array(total);
    r.session.blob.write(snapshot, new DataView(snapshot.buffer));
    let seq = 1;
    for (let off = 0; off < total; off += 900) {
      const chunk = snapshot.subarray(off, Math.min(total, off + 900));
      const p = new Uint8Array(8 + chunk.length);
      p.set(u32s(off, total));
      p.set(chunk, 8);
      r.send(M.MSG_WEIGHTS_PUT, seq++, p);
    }
    let crc = 0xffffffff;
    for (const b of snapshot) { crc ^= b; for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1)); }
    r.send(M.MSG_WEIGHTS_COMMIT, seq++, u32s(total, ~crc >>> 0, 0xffffffff));
    expect(errors(r).map((e) => e.code)).toEqual([M.ERR_BAD_VALUE]);
    expect(r.session.lastCommittedBatchId).toBe(0);
  });
});

describe("device checkpoint messages", () => {
  it("CAPS and CHECKPOINT_STATE say when the board has no checkpoints; SAVE then saves nothing", () => {
    const r = rig();
    r.hello(1024);
    const caps = new M.Caps();
    const c = r.out.filter((f) => f.type === M.MSG_CAPS).pop()!;
    expect(M.decodeCaps(new DataView(c.payload.buffer), 0, c.payload.length, caps)).toBe(M.ERR_OK);
    expect(caps.flags & M.CAPS_FLAG_CHECKPOINT_MSGS).not.toBe(0);
    expect(caps.flags & M.CAPS_FLAG_CHECKPOINTS_ON).toBe(0);
    r.send(M.MSG_CHECKPOINT_SAVE, 1, new Uint8Array(0));
    const f = r.out.filter((x) => x.type === M.MSG_CHECKPOINT_STATE).pop()!;
    const st = new M.CheckpointState();
    expect(M.decodeCheckpointState(new DataView(f.payload.buffer), 0, f.payload.length, st)).toBe(M.ERR_OK);
    expect(st).toMatchObject({ flags: 0, partitionBytes: 0, checkpointBytes: 0, saves: 0 });
  });

  it("CHECKPOINT_SAVE forces a save and answers with the committed batch id; GET reports the state", () => {
    const ck = { saves: [] as number[], partitionBytes: 65536, restoredBatchId: 3 };
    const r = rig({ checkpoints: ck });
    r.hello(1024);
    const caps = new M.Caps();
    const c = r.out.filter((f) => f.type === M.MSG_CAPS).pop()!;
    M.decodeCaps(new DataView(c.payload.buffer), 0, c.payload.length, caps);
    expect(caps.flags & M.CAPS_FLAG_CHECKPOINTS_ON).not.toBe(0);
    const state = () => {
      const f = r.out.filter((x) => x.type === M.MSG_CHECKPOINT_STATE).pop()!;
      const st = new M.CheckpointState();
      M.decodeCheckpointState(new DataView(f.payload.buffer), 0, f.payload.length, st);
      return st;
    };
    r.send(M.MSG_CHECKPOINT_GET, 1, new Uint8Array(0));
    expect(state()).toMatchObject({ flags: M.CKPT_ON | M.CKPT_SAVED, savedBatchId: 3, partitionBytes: 65536, saves: 0 });
    expect(state().checkpointBytes).toBeGreaterThan(4 * 1157);
    r.send(M.MSG_CHECKPOINT_SAVE, 2, new Uint8Array(0));
    expect(ck.saves).toEqual([0]); // lastCommittedBatchId is 0 on this board (the restored id is only reported)
    expect(state()).toMatchObject({ flags: M.CKPT_ON | M.CKPT_SAVED, savedBatchId: 0, lastCommittedBatchId: 0, saves: 1 });
    r.send(M.MSG_CHECKPOINT_SAVE, 3, new Uint8Array(0));
    expect(ck.saves, "already durable: no second write of the same weights").toEqual([0]);
  });

  it("a failed save is reported, not hidden", () => {
    const ck = { saves: [] as number[], partitionBytes: 65536, restoredBatchId: -1, fail: true };
    const r = rig({ checkpoints: ck });
    r.hello(1024);
    r.send(M.MSG_CHECKPOINT_SAVE, 1, new Uint8Array(0));
    const f = r.out.filter((x) => x.type === M.MSG_CHECKPOINT_STATE).pop()!;
    const st = new M.CheckpointState();
    M.decodeCheckpointState(new DataView(f.payload.buffer), 0, f.payload.length, st);
    expect(st.flags).toBe(M.CKPT_ON | M.CKPT_SAVE_FAILED);
  });
});

describe("platform shims", () => {
  it("the Linux serial adapter maps read(buffer)/write(view) onto read(count) -> ArrayBuffer and write(ArrayBuffer)", () => {
    const written: number[][] = [];
    let pending = [1, 2, 3, 4, 5];
    const linux = {
      read(count?: number): ArrayBuffer | undefined {
        if (pending.length === 0) return undefined;
        const n = Math.min(count ?? pending.length, pending.length);
        const b = new Uint8Array(pending.slice(0, n));
        pending = pending.slice(n);
        return b.buffer;
      },
      write(buffer: ArrayBuffer): void {
        expect(buffer).toBeInstanceOf(ArrayBuffer);
        written.push([...new Uint8Array(buffer)]);
      },
    };
    const a = new LinuxSerialAdapter(linux);
    const stage = new Uint8Array(3);
    expect(a.read(stage)).toBe(3);
    expect([...stage]).toEqual([1, 2, 3]);
    expect(a.read(stage)).toBe(2);
    expect(a.read(stage)).toBe(0);
    const src = new Uint8Array([9, 8, 7, 6]);
    a.write(src.subarray(0, 2));
    a.write(src.subarray(1, 4));
    expect(written).toEqual([[9, 8], [8, 7, 6]]);
  });

  it("free memory comes from the System Free Memory instrument, 0 where instrumentation is compiled out", () => {
    expect(freeMemoryReader(undefined)()).toBe(0);
    expect(freeMemoryReader({ map: () => undefined, get: () => undefined })()).toBe(0);
    expect(freeMemoryReader({ map: (n) => (n === "System Free Memory" ? 12 : undefined), get: (i) => (i === 12 ? 91234 : undefined) })()).toBe(91234);
  });
});
