/**
 * A post-quantum session over one connection: the handshake statechart (machines/pq-handshake.ts)
 * driving lib/crypto's steps, then sealed frames (session-channel.ts) with rekeying by a fresh
 * hybrid exchange every `rekeyAfterFrames` frames or `rekeyAfterMs` (session-rekey.ts). The
 * session's initiator runs rekeys; the responder asks for one when its own limit is reached.
 *
 * Transport-agnostic: `send` writes one record (a handshake message or a sealed frame) and
 * `receive` takes one, in order. Payloads handed to `send` before the handshake ends wait, in
 * order, and go out as soon as it does.
 */
import { createActor, type Actor } from 'xstate';
import { realClock, type Clock, type TimerHandle } from '../runtime/contracts/clock.js';
import { CryptoError } from '../../lib/crypto/crypto-errors.js';
import { HandshakeError, type HandshakeFailureReason } from '../../lib/crypto/handshake-error.js';
import type { Pqc } from '../../lib/crypto/liboqs.js';
import {
  completeResponder,
  finishInitiator,
  respond,
  startInitiator,
  type Established,
  type HandshakeContext,
  type InitiatorState,
  type LocalIdentity,
  type PeerIdentity,
  type ResponderState,
} from '../../lib/crypto/pq-handshake.js';
import { DEFAULT_SUITES, type SuiteName } from '../../lib/crypto/pq-suites.js';
import { nodeKeyFingerprint } from '../../lib/crypto/node-record.js';
import {
  DEFAULT_MAX_FRAMES_PER_KEY,
  DEFAULT_REKEY_AFTER_FRAMES,
  DEFAULT_REKEY_AFTER_MS,
  FrameError,
  INNER,
  SessionChannel,
} from '../../lib/crypto/session-channel.js';
import { answerRekey, completeRekey, offerRekey, type PendingRekey } from '../../lib/crypto/session-rekey.js';
import { createPqHandshakeMachine, DEFAULT_HANDSHAKE_TIMEOUT_MS, type HandshakeRole } from '../../machines/pq-handshake.js';

export interface SessionMetricsHooks {
  handshake?(info: { role: HandshakeRole; suite: SuiteName; durationMs: number }): void;
  rekey?(info: { role: HandshakeRole; epoch: number }): void;
  failure?(info: { role: HandshakeRole; reason: HandshakeFailureReason | FrameError['reason'] | 'internal' }): void;
}

export interface PqSessionOptions {
  role: HandshakeRole;
  pqc: Pqc;
  local: LocalIdentity;
  peer: PeerIdentity;
  exporter: Uint8Array;
  /** Initiator: offered in preference order; responder: accepted. */
  suites?: readonly SuiteName[];
  /** Writes one record, given in the buffers it was made in (a sealed frame's header, ciphertext and tag): together and in order. */
  send(record: readonly Uint8Array[]): void;
  onMessage(payload: Buffer): void;
  onEstablished?(established: Established): void;
  /** Once; the session is unusable after it. */
  onFailed(error: HandshakeError | FrameError): void;
  metrics?: SessionMetricsHooks;
  rekeyAfterFrames?: number;
  rekeyAfterMs?: number;
  maxFramesPerKey?: number;
  handshakeTimeoutMs?: number;
  /** How long a rekey we offered or asked for may wait for the peer before the session fails (default REKEY_ANSWER_DEADLINE_MS). */
  rekeyAnswerDeadlineMs?: number;
  /** Time for the handshake timeout, the timed rekey and the key epochs (the link's Clock; the real one by default). */
  clock?: Clock;
}

/** Payloads queued before the handshake ends: beyond this the caller is sending into a session that is not coming up. */
export const MAX_QUEUED_BEFORE_ESTABLISHED = 4_096;

/**
 * A rekey is one round trip and one hybrid encapsulation; a peer that has not answered within
 * 10 s is not going to, and would otherwise let this side's frame counter run on to its cap.
 */
export const REKEY_ANSWER_DEADLINE_MS = 10_000;

export class PqSession {
  private readonly clock: Clock;
  private readonly now: () => number;
  private handshake: Actor<ReturnType<typeof createPqHandshakeMachine<InitiatorState, ResponderState, Established>>> | undefined;
  private channel: SessionChannel | undefined;
  private established: Established | undefined;
  private pendingRekey: PendingRekey | undefined;
  private rekeyRequested = false;
  private rekeyTimer: TimerHandle | undefined;
  /** Set while a rekey we offered (initiator) or asked for (responder) waits for the peer. */
  private rekeyDeadline: TimerHandle | undefined;
  private queued: Uint8Array[] = [];
  private startedAt = 0;
  private peerFingerprint: string | undefined;
  state: 'handshaking' | 'established' | 'failed' | 'closed' = 'handshaking';
  rekeys = 0;

  constructor(private readonly options: PqSessionOptions) {
    this.clock = options.clock ?? realClock;
    this.now = () => this.clock.now();
  }

  get suite(): SuiteName | undefined {
    return this.established?.suite;
  }

  /** The SHA-256 (hex) of the peer's ML-DSA-65 public key, from the node record the handshake verified (hashed once: status reads it often). */
  get peerKeyFingerprint(): string | undefined {
    if (!this.established) return undefined;
    this.peerFingerprint ??= nodeKeyFingerprint(this.established.peerRecord.mldsaPublicKey);
    return this.peerFingerprint;
  }

  get epoch(): number {
    return this.channel?.epoch ?? 0;
  }

  start(): void {
    const { options } = this;
    const context: HandshakeContext = {
      pqc: options.pqc,
      local: options.local,
      peer: options.peer,
      exporter: options.exporter,
      suites: options.suites ?? DEFAULT_SUITES,
      now: this.now,
    };
    const machine = createPqHandshakeMachine<InitiatorState, ResponderState, Established>(
      options.role,
      {
        start: () => startInitiator(context),
        respond: (hello) => respond(context, hello),
        finish: (state, accept) => finishInitiator(context, state, accept),
        complete: (state, finish) => completeResponder(context, state, finish),
        reasonOf: (error) => (error instanceof HandshakeError ? error.reason : 'internal'),
      },
      options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    );
    this.startedAt = this.clock.monotonicNow();
    const actor = createActor(machine, { clock: this.clock });
    actor.on('handshake.send', (event) => options.send([event.bytes]));
    actor.on('handshake.established', (event) => this.onEstablished(event.result));
    actor.on('handshake.failed', (event) => this.fail(new HandshakeError(event.reason as HandshakeFailureReason, event.message)));
    this.handshake = actor;
    actor.start();
  }

  /** One record from the peer, in order. */
  receive(record: Uint8Array): void {
    if (this.state === 'handshaking') {
      this.handshake?.send({ type: 'handshake.message', bytes: record });
      return;
    }
    if (this.state !== 'established') return;
    this.guarded(() => this.onFrame(record));
  }

  /**
   * Seals and sends a payload (queued until the handshake ends). Never throws for the session's own
   * reasons: a session that cannot send (keys exhausted, a rekey never answered, the queue full
   * before the handshake) fails, reports it once through onFailed, and returns false; what the link
   * had not seen acknowledged goes again on its next connection.
   */
  send(payload: Uint8Array): boolean {
    if (this.state === 'handshaking') {
      if (this.queued.length >= MAX_QUEUED_BEFORE_ESTABLISHED) {
        this.fail(new FrameError('too-large', `${MAX_QUEUED_BEFORE_ESTABLISHED} payloads already wait for the handshake`));
        return false;
      }
      this.queued.push(payload);
      return true;
    }
    if (this.state !== 'established') return false;
    return this.guarded(() => {
      this.options.send(this.channel!.seal(INNER.data, payload));
      this.maybeRekey();
    });
  }

  close(): void {
    if (this.state === 'handshaking' || this.state === 'established') this.state = 'closed';
    this.stopTimers();
    this.handshake?.stop();
  }

  /**
   * Runs a step of the established session; a FrameError or HandshakeError fails the session
   * instead of escaping, and so does a failure of liboqs itself (a key share it could not make):
   * the connection ends, never the thread its timer or listener runs in.
   */
  private guarded(step: () => void): boolean {
    try {
      step();
      return true;
    } catch (error) {
      if (error instanceof FrameError || error instanceof HandshakeError) {
        this.fail(error);
        return false;
      }
      if (error instanceof CryptoError) {
        this.fail(new HandshakeError('key-material', `the post-quantum library failed: ${error.message}`, { cause: error }));
        return false;
      }
      throw error;
    }
  }

  private stopTimers(): void {
    this.clock.clearTimeout(this.rekeyTimer);
    this.clock.clearTimeout(this.rekeyDeadline);
    this.rekeyDeadline = undefined;
  }

  /** Fails the session if the rekey just offered or asked for is not done within the deadline. */
  private awaitRekeyAnswer(what: string): void {
    this.clock.clearTimeout(this.rekeyDeadline);
    const deadlineMs = this.options.rekeyAnswerDeadlineMs ?? REKEY_ANSWER_DEADLINE_MS;
    this.rekeyDeadline = this.clock.setTimeout(() => {
      this.rekeyDeadline = undefined;
      this.fail(new HandshakeError('timeout', `the peer did not answer the ${what} within ${deadlineMs} ms`));
    }, deadlineMs);
    (this.rekeyDeadline as { unref?: () => void } | undefined)?.unref?.();
  }

  private onEstablished(result: Established): void {
    if (this.state !== 'handshaking') return;
    this.established = result;
    this.channel = new SessionChannel(result.keys, this.now(), this.options.maxFramesPerKey !== undefined ? { maxFramesPerKey: this.options.maxFramesPerKey } : {});
    this.state = 'established';
    this.options.metrics?.handshake?.({ role: this.options.role, suite: result.suite, durationMs: this.clock.monotonicNow() - this.startedAt });
    this.options.onEstablished?.(result);
    this.scheduleTimedRekey();
    const queued = this.queued;
    this.queued = [];
    for (const payload of queued) if (!this.send(payload)) return;
  }

  private onFrame(record: Uint8Array): void {
    const channel = this.channel!;
    const { inner, payload } = channel.open(record);
    switch (inner) {
      case INNER.data:
        this.options.onMessage(payload);
        return;
      case INNER.rekeyOffer: {
        if (this.options.role !== 'responder') throw new HandshakeError('unexpected-message', 'only the session initiator offers rekeys');
        const { accept, next } = answerRekey(this.options.pqc, channel.keys, this.established!.suite, payload);
        this.options.send(channel.seal(INNER.rekeyAccept, accept));
        channel.installEpoch(next, this.now());
        this.afterRekey(next.epoch);
        return;
      }
      case INNER.rekeyAccept: {
        if (!this.pendingRekey) throw new HandshakeError('unexpected-message', 'a rekey accept with no rekey pending');
        const next = completeRekey(this.pendingRekey, channel.keys, payload);
        this.pendingRekey = undefined;
        channel.installEpoch(next, this.now());
        this.afterRekey(next.epoch);
        return;
      }
      case INNER.rekeyRequest:
        if (this.options.role === 'initiator') this.startRekey();
        return;
    }
  }

  private afterRekey(epoch: number): void {
    this.rekeys++;
    this.rekeyRequested = false;
    this.clock.clearTimeout(this.rekeyDeadline);
    this.rekeyDeadline = undefined;
    this.options.metrics?.rekey?.({ role: this.options.role, epoch });
    this.scheduleTimedRekey();
  }

  private maybeRekey(): void {
    const channel = this.channel!;
    const due = channel.framesSent >= (this.options.rekeyAfterFrames ?? DEFAULT_REKEY_AFTER_FRAMES) || this.now() - channel.epochStartedAt >= (this.options.rekeyAfterMs ?? DEFAULT_REKEY_AFTER_MS);
    if (!due) return;
    if (this.options.role === 'initiator') this.startRekey();
    else if (!this.rekeyRequested) {
      this.rekeyRequested = true;
      this.options.send(channel.seal(INNER.rekeyRequest, new Uint8Array(0)));
      this.awaitRekeyAnswer('rekey request');
    }
  }

  private startRekey(): void {
    if (this.pendingRekey || this.state !== 'established') return;
    const channel = this.channel!;
    this.pendingRekey = offerRekey(this.options.pqc, channel.keys, this.established!.suite);
    this.options.send(channel.seal(INNER.rekeyOffer, this.pendingRekey.offer));
    this.awaitRekeyAnswer('rekey offer');
  }

  /**
   * Time-based rekeying also happens on an idle session. A timer may fire before the epoch is due
   * by the wall clock the epoch's start was read from (Node's timers count from the event loop's
   * time, cached at the start of the turn that set them: after a turn busy with a rekey's key
   * exchange, that is milliseconds behind): it then waits out the rest, or no timed rekey would ever
   * come again.
   */
  private scheduleTimedRekey(afterMs = this.options.rekeyAfterMs ?? DEFAULT_REKEY_AFTER_MS): void {
    this.clock.clearTimeout(this.rekeyTimer);
    this.rekeyTimer = this.clock.setTimeout(() => {
      if (this.state !== 'established') return;
      const rest = (this.options.rekeyAfterMs ?? DEFAULT_REKEY_AFTER_MS) - (this.now() - this.channel!.epochStartedAt);
      if (rest > 0) {
        this.scheduleTimedRekey(rest);
        return;
      }
      // A timer callback must not throw: a failed seal fails the session instead of the thread.
      this.guarded(() => this.maybeRekey());
    }, afterMs);
    // A real timer must not keep the process alive for a session nobody closed.
    (this.rekeyTimer as { unref?: () => void } | undefined)?.unref?.();
  }

  private fail(error: HandshakeError | FrameError): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'failed';
    this.stopTimers();
    this.options.metrics?.failure?.({ role: this.options.role, reason: error.reason });
    this.options.onFailed(error);
  }
}

export { DEFAULT_MAX_FRAMES_PER_KEY, DEFAULT_REKEY_AFTER_FRAMES, DEFAULT_REKEY_AFTER_MS };
