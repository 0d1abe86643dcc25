// Sessions (docs/protocol.md section 6): the HELLO/CAPS handshake, noticing a device reset (a CAPS with a
// new boot nonce), and restarting: a new session, CONFIG again, the batch pipeline realigned with the
// device's last committed batch, and every unanswered request re-sent in its original order.
import * as P from "../../src/protocol/index";
import type { BytePort } from "./port";
import type { Transport } from "./transport";
import type { Op, Requests } from "./requests";
import { LinkError, type DeviceInfo, type LinkStats, type ModelExpectation, type ResolvedOptions, type LinkEvent } from "./types";

/** HELLO is retried this often (with a fresh nonce) until a CAPS echoes the latest one. */
const HELLO_RETRY_MS = 250;

/** What a session restart needs from the link around it. */
export interface SessionHooks {
  /** The CONFIG payload to send in every new session, if the user configured one. */
  configPayload(): Uint8Array | undefined;
  /** Realign the batch pipeline (if one runs) with the device of the new session. */
  resume(info: DeviceInfo): Promise<void>;
  /** Throws the link's fatal error, if any. */
  check(): void;
  alive(): boolean;
  fail(err: Error): void;
  changed(): void;
  event(e: LinkEvent): void;
}

export class Session {
  /** Device capabilities of the current session. */
  info: DeviceInfo | undefined;
  private bootNonce: number | undefined;
  private expectation: ModelExpectation = {};

  constructor(private readonly port: BytePort, private readonly opts: ResolvedOptions, private readonly stats: LinkStats,
    private readonly transport: Transport<Op>, private readonly requests: Requests, private readonly hooks: SessionHooks) {}

  /** Handshake, check the protocol version and, if given, the model summary. */
  async connect(expect: ModelExpectation): Promise<DeviceInfo> {
    this.expectation = expect;
    const info = await this.handshake(undefined);
    this.checkModel(info);
    return info;
  }

  /** Check the current session's model against `expect`, and every new session's from now on. */
  expect(expect: ModelExpectation): void {
    this.expectation = expect;
    if (this.info) this.checkModel(this.info);
  }

  // ------------------------------------------------------------------------------------------------
  // Handshake

  private helloNonce = 0;
  /** Set while a HELLO waits for its CAPS; called with undefined when the link fails meanwhile. */
  private capsWait: ((info: DeviceInfo | undefined) => void) | undefined;

  /**
   * HELLO until a CAPS echoes the latest nonce; sets up a fresh session. `restartWhy`: why a running link
   * handshakes again (undefined for connect()).
   */
  private async handshake(restartWhy: string | undefined): Promise<DeviceInfo> {
    this.forgetSession();
    const clock = this.opts.clock;
    const timeoutMs = restartWhy === undefined ? this.opts.handshakeTimeoutMs : this.opts.reconnectTimeoutMs;
    const deadline = clock.now() + timeoutMs;
    const versionErrorsBefore = this.transport.versionErrors;
    let attempts = 0;
    for (;;) {
      this.hooks.check();
      const incompatible = this.transport.versionErrors > versionErrorsBefore;
      if (clock.now() > deadline || (incompatible && attempts >= 3)) {
        if (incompatible) {
          throw new LinkError("INCOMPATIBLE", `the device on ${this.port.name} speaks another protocol major version (this host speaks ${P.PROTOCOL_VERSION}); update the firmware or the host`);
        }
        if (restartWhy === "device silent") {
          throw new LinkError("TIMEOUT", `the board on ${this.port.name} stopped answering: nothing heard for ${this.opts.silenceMs} ms, then no answer to ${attempts} HELLOs in ${timeoutMs} ms (hung, reset into another program, or lost power behind the USB adapter?)`);
        }
        throw new LinkError("NO_DEVICE", `no answer from a tinyprop device on ${this.port.name} after ${attempts} HELLOs in ${timeoutMs} ms (is the app running? is the baud rate right?)`);
      }
      attempts++;
      this.helloNonce = (this.opts.random32() >>> 0) || 1;
      this.transport.sendHello(this.helloNonce);
      const info = await new Promise<DeviceInfo | undefined>((resolve) => {
        const t = clock.setTimeout(() => done(undefined), HELLO_RETRY_MS);
        const done = (c: DeviceInfo | undefined) => {
          clock.clearTimeout(t);
          this.capsWait = undefined;
          // Open the session now, inside the decoder's callback: the device's first ACK (our first
          // credit) is usually in the same chunk right behind CAPS, and would be dropped a turn later.
          if (c) this.opened(c, restartWhy !== undefined);
          resolve(c);
        };
        this.capsWait = done;
      });
      if (info) return info;
    }
  }

  private opened(info: DeviceInfo, isRestart: boolean): void {
    const reset = this.bootNonce !== undefined && info.bootNonce !== this.bootNonce;
    this.bootNonce = info.bootNonce;
    this.info = info;
    this.stats.sessions++;
    if (reset) this.stats.resets++;
    this.transport.begin(info.maxFrame, ((info.flags ?? 0) & P.CAPS_FLAG_RX_BUFFER) !== 0);
    this.hooks.event({ kind: "session", info, reset: reset || isRestart });
  }

  /** Drop the transport state of a session (its requests are re-sent as operations in the next one). */
  private forgetSession(): void {
    this.transport.drop();
    this.requests.forgetSeqs();
  }

  /** The link failed: stop waiting for a CAPS. */
  abort(): void {
    this.capsWait?.(undefined);
  }

  private readonly mCaps = new P.Caps();

  /** Any CAPS: the answer to our HELLO, or (with a new boot nonce) a device that rebooted. */
  onCaps(view: DataView, off: number, len: number): void {
    const err = P.decodeCaps(view, off, len, this.mCaps);
    if (err === P.ERR_UNSUPPORTED_VERSION) {
      this.hooks.fail(new LinkError("INCOMPATIBLE", `the device speaks protocol ${this.mCaps.major}.${this.mCaps.minor}; this host speaks ${P.PROTOCOL_VERSION}`));
      return;
    }
    if (err !== P.ERR_OK) return;
    const c = this.mCaps;
    if (this.capsWait) {
      // CAPS for older nonces, or an unsolicited boot CAPS, during a handshake: ignored.
      if (c.hostNonce >>> 0 === this.helloNonce) this.capsWait(capsInfo(c));
      return;
    }
    if (this.transport.ready && this.bootNonce !== undefined && c.bootNonce >>> 0 !== this.bootNonce) {
      this.restart("device reset"); // everything in flight is gone
    }
  }

  checkModel(info: DeviceInfo): void {
    const e = this.expectation;
    const problems: string[] = [];
    if (e.inputDtype !== undefined && info.inputDtype !== e.inputDtype) problems.push(`input dtype ${info.inputDtype} (expected ${e.inputDtype})`);
    const width = info.inputDims[0]! * (info.inputDims[1] || 1) * (info.inputDims[2] || 1);
    if (e.inputs !== undefined && width !== e.inputs) problems.push(`${width} inputs (the data has ${e.inputs} features)`);
    if (e.classes !== undefined && info.classes !== e.classes) problems.push(`${info.classes} classes (the data has ${e.classes})`);
    if (problems.length) {
      throw new LinkError("MODEL_MISMATCH", `the device's model does not fit the data: ${problems.join(", ")}; model layers ${info.layerSizes.join("-")}`);
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Restart

  private task: Promise<void> | undefined;
  private restartWanted = false;

  /** True while no restart is under way and a session is open. */
  get ready(): boolean {
    return this.transport.ready && !this.task;
  }

  /** Blocks until any restart in progress is over. */
  async settled(): Promise<void> {
    while (this.task) await this.task;
    this.hooks.check();
  }

  /**
   * The device reset, stopped answering, or refused a batch as out of order: open a new session, restore
   * CONFIG, let the batch pipeline resume, and re-send every unanswered operation. Runs once at a time.
   */
  restart(why: string): void {
    if (!this.hooks.alive()) return;
    if (this.task) {
      // Already re-establishing: start over (e.g. the device reset again); abort the task's own requests.
      this.restartWanted = true;
      this.requests.settleAll((op) => op.internal, new LinkError("TIMEOUT", `session restart (${why})`));
      return;
    }
    this.task = this.restartLoop(why);
  }

  private async restartLoop(why: string): Promise<void> {
    try {
      for (;;) {
        this.restartWanted = false;
        this.forgetSession();
        // Batches in flight are regenerated by the pipeline from the device's lastCommittedBatchId; a CONFIG
        // in flight is replaced by the one sent below.
        this.requests.settleAll((op) => op.batchId > 0 || op.type === P.MSG_CONFIG, undefined);
        const info = await this.handshake(why);
        this.checkModel(info);
        this.requests.internal = true;
        try {
          const config = this.hooks.configPayload();
          if (config) await this.requests.request(P.MSG_CONFIG, config, true);
          await this.hooks.resume(info);
        } catch (e) {
          if (this.restartWanted) continue;
          throw e;
        } finally {
          this.requests.internal = false;
        }
        if (this.restartWanted) continue;
        // Re-send what was not answered and not yet queued in this session, in the original order.
        this.requests.resendUnsent(this.stats.sessions);
        break;
      }
    } catch (e) {
      this.hooks.fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.task = undefined;
      this.hooks.changed();
    }
  }
}

function capsInfo(c: P.Caps): DeviceInfo {
  return {
    minor: c.minor, bootNonce: c.bootNonce >>> 0, maxFrame: c.maxFrame, rxWindow: c.rxWindow,
    lastCommittedBatchId: c.lastCommittedBatchId, planBytes: c.planBytes, stateBytes: c.stateBytes,
    inputDtype: c.inputDtype, inputRank: c.inputRank, inputDims: [...c.inputDims], classes: c.classes,
    layerSizes: c.layerSizes.slice(0, c.layerCount), modelDtype: c.modelDtype, flags: c.flags,
  };
}
