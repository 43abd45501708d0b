/**
 * Messages between any two members, over as many hops as the routes take (mesh-routing.ts):
 * `mesh.send {to, topic, payload}` reaches `to` exactly once and in order, whether `to` is a direct
 * peer or five hops away, and whether or not the route changes on the way.
 *
 * - Sealed end to end (lib/mesh/e2e-session.ts): the origin opens a session to the destination
 *   (X-Wing to the key in its member record, signed with the origin's ML-DSA key) and seals every
 *   message for it; forwarders read only the envelope (lib/mesh/mesh-envelope.ts): who from, who to,
 *   how many hops are left.
 * - Reliable end to end: the destination delivers in order and drops duplicates
 *   (lib/mesh/e2e-inbox.ts) and acknowledges cumulatively, sealed; the origin holds each message
 *   (lib/mesh/e2e-outbox.ts) until then, and sends it again when its route changes (at once, on the
 *   new route) or when no acknowledgement came within the retransmission timeout (a forwarder on
 *   the path died holding it). Hop by hop, each link is itself reliable (link-stream.ts), so a
 *   resend is needed only when a node on the path fails.
 * - A destination that lost a session (it restarted) answers its data with a reset signed with its
 *   ML-DSA key; the origin opens a new session and sends what it holds again. A forwarder can
 *   neither forge a reset nor replay an old one (it names the session it ends).
 *
 * Every envelope a neighbour hands over is bounded and parsed before anything else, and every
 * refusal is counted by reason; none closes the link (a forwarder relays what others wrote).
 */
import { SecondBudget } from '../../lib/timing/second-budget.js';
import { randomBytes, randomInt } from 'node:crypto';
import type { Pqc } from '../../lib/crypto/liboqs.js';
import { WireWriter } from '../../lib/crypto/wire.js';
import type { XWingKeyPair } from '../../lib/crypto/xwing.js';
import { EndToEndInbox } from '../../lib/mesh/e2e-inbox.js';
import { EndToEndOutbox, OutboxFullError } from '../../lib/mesh/e2e-outbox.js';
import { acceptSession, EndToEndError, openAck, openData, openSession, sealAck, sealData, SESSION_ID_BYTES, type SessionKeys } from '../../lib/mesh/e2e-session.js';
import { NO_END_TO_END, type EndToEndDrop, type EndToEndRefusal, type EndToEndState } from '../../lib/mesh/end-to-end-state.js';
import { decodeDataPlaintext, decodeEnvelope, DEFAULT_HOP_LIMIT, encodeDataPlaintext, MAX_MESH_PAYLOAD_BYTES, MAX_TOPIC_BYTES, encodeEnvelope, envelopeAad, MeshEnvelopeError, withHopLimit, type MeshEnvelope } from '../../lib/mesh/mesh-envelope.js';
import type { Clock, TimerHandle } from '../../lib/timing/clock.js';

/** The reserved topic envelopes travel on between neighbours. */
export const FORWARD_TOPIC = '$fwd';
/**
 * Messages an origin holds for one destination, and their bytes: a destination that cannot be
 * reached pins at most this much. Beyond it `mesh.send` is refused (and counted), as a full link
 * window refuses it.
 */
export const MAX_HELD_PER_DESTINATION = 4_096;
export const MAX_HELD_BYTES_PER_DESTINATION = 16 * 1024 * 1024;
/** Messages out at once per destination, and the destination's reorder buffer per origin (the same number, and 8 MiB). */
export const IN_FLIGHT = 512;
export const REORDER_BUFFER_BYTES = 8 * 1024 * 1024;
/** What every origin's reorder buffer holds together at most: a reroute reorders a few origins' messages at once, not thousands'. */
export const MAX_REORDER_BYTES = 64 * 1024 * 1024;
/**
 * Retransmission timeout bounds. The floor is above a loaded machine's scheduling stalls (a
 * resend is only needed when a node on the path failed, so a spurious one costs bandwidth and
 * nothing else); the ceiling bounds how long a message waits once the path heals.
 */
export const MIN_RTO_MS = 250;
export const MAX_RTO_MS = 4_000;
/** Before any round trip is measured. */
export const INITIAL_RTO_MS = 500;
/**
 * A destination with no alive member record, or no route, for this long: what is held for it is
 * dropped (counted unknown-destination or no-route). Long
 * enough for a node that has just started to learn the mesh (gossip brings every record within a
 * few round trips, and a loaded machine may take seconds to start its peers), so that a message
 * sent at start waits for its destination's record instead of being refused.
 */
export const UNKNOWN_DESTINATION_MS = 30_000;
/** Destinations this node holds messages for at once: as many as there can be members. */
export const MAX_OUTGOING_SESSIONS = 4_096;
/** Bytes held for all destinations together: what unreachable destinations can pin of this node's memory. */
export const MAX_HELD_BYTES = 64 * 1024 * 1024;
/** Acknowledgements are coalesced over this long, or sent at once after this many deliveries. */
export const ACK_DELAY_MS = 5;
export const ACK_EVERY = 32;
/** Sessions a destination once accepted from an origin and replaced, remembered so that none is accepted again (a replayed opening). */
const RETIRED_SESSIONS_KEPT = 16;
/** A destination tries an origin's opening at most this often: each costs an ML-DSA verification and a decapsulation. */
export const OPENING_INTERVAL_MS = 100;
/**
 * Openings a node tries per second, whatever origins they claim: the envelope's origin is only a
 * claim until the opening's signature checks, so one member could otherwise name every member in
 * turn. About a fifth of a core at most; a thousand honest origins opening at once wait a few seconds.
 */
export const OPENINGS_PER_SECOND = 200;
/** A destination signs a reset for one origin at most this often: a signature costs about a millisecond. */
const RESET_INTERVAL_MS = 200;
/** Incoming sessions kept: one per origin, as many origins as there can be members. */
const MAX_INCOMING_SESSIONS = 4_096;
const RESET_CONTEXT = Buffer.from('x0tta6bl4 mesh e2e reset v1\0');
/**
 * Resets a node signs per second, whatever origins the data claims: data of an unknown session is
 * unauthenticated, so one member could otherwise make it sign for every member in turn. Honest
 * resets follow a restart of this node, one per origin that was sending to it.
 */
export const RESETS_PER_SECOND = 50;

export interface EndToEndMember {
  kemPublicKey: Uint8Array;
  mldsaPublicKey: Uint8Array;
}

export interface EndToEndPorts {
  clock: Clock;
  /** This node's SPIFFE ID; undefined before its first SVID. */
  self(): string | undefined;
  pqc(): Pqc;
  /** This node's X-Wing key pair (sessions to it) and ML-DSA secret key (its openings and resets). */
  kem(): XWingKeyPair;
  signingSecretKey(): Uint8Array;
  /** Whether this node admits a member of this SPIFFE ID at all (its peer-link policy): messages to others are refused at once. */
  admits(spiffeId: string): boolean;
  /** A member's keys while it is held alive (or suspect), from its verified record. */
  member(spiffeId: string): EndToEndMember | undefined;
  /** The neighbour the route to `destination` goes through now. */
  nextHop(destination: string): string | undefined;
  /** Queues an envelope on the link to a neighbour; false when no link leads there or its window is full. */
  forward(neighbour: string, bytes: Buffer): boolean;
  /** A message that arrived for this node, in its origin's order, exactly once. */
  deliver(origin: string, topic: string, payload: Buffer, hops: number): void;
  changed(): void;
  log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
}

interface OutgoingSession {
  destination: string;
  id: Buffer;
  keys: SessionKeys | undefined;
  opening: Uint8Array | undefined;
  /** The destination's X-Wing key the session was opened for. */
  openedFor: Buffer | undefined;
  /** The destination acknowledged this session: its data no longer carries the opening. */
  confirmed: boolean;
  /** Reopened since the last pump: everything held goes out under the new keys (a full scan). */
  keysChanged: boolean;
  /** The next hop its messages last went to (undefined: none yet, or no route then). */
  lastHop: string | undefined;
  outbox: EndToEndOutbox;
  srttMs: number | undefined;
  rttVarMs: number;
  rtoMs: number;
  timer: TimerHandle | undefined;
  /** Since when no alive member record of the destination, or no route to it, was found (monotonic ms). */
  unknownSince: number | undefined;
}

interface Incoming {
  topic: string;
  payload: Buffer;
  hops: number;
}

interface IncomingSession {
  id: Buffer;
  keys: SessionKeys;
  inbox: EndToEndInbox<Incoming>;
  ackSeq: number;
  deliveredSinceAck: number;
  ackTimer: TimerHandle | undefined;
  retired: string[];
}


const seqBytes = (value: number) => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
};

export class EndToEnd {
  private readonly outgoing = new Map<string, OutgoingSession>();
  private readonly incoming = new Map<string, IncomingSession>();
  private readonly lastResetTo = new Map<string, number>();
  /** When each origin's last opening was tried (monotonic ms): OPENING_INTERVAL_MS apart at most. */
  private readonly openingTriedAt = new Map<string, number>();
  private readonly openingBudget = new SecondBudget(OPENINGS_PER_SECOND);
  private readonly resetBudget = new SecondBudget(RESETS_PER_SECOND);
  /** Every counter of the report but `held` and `sessions`, which state() reads from the sessions. */
  private readonly counters = structuredClone(NO_END_TO_END);
  private stopped = false;
  /** Topic and payload bytes held for every destination (each outbox counts its own; this is their sum), and sent before this node had its identity. */
  private heldBytes = 0;
  /** Bytes waiting in every incoming session's reorder buffer. */
  private reorderBytes = 0;
  private readonly early: { to: string; topic: string; payload: Buffer }[] = [];

  constructor(private readonly ports: EndToEndPorts) {}

  /**
   * Queues a message for any member, also one whose record has not reached this node yet (it waits
   * UNKNOWN_DESTINATION_MS for it); false (and counted) when this node has no identity yet, would
   * admit no member of that ID, or holds its limit of unacknowledged messages for it or for all.
   */
  send(to: string, topic: string, payload: Buffer): boolean {
    if (this.stopped) return false;
    const self = this.ports.self();
    if (self === undefined) return this.holdEarly(to, topic, payload);
    if (to === self) {
      this.ports.deliver(self, topic, payload, 0);
      return true;
    }
    // What an envelope cannot carry is refused here, never found out when it is sealed (mesh-envelope.ts).
    if (Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES || payload.length > MAX_MESH_PAYLOAD_BYTES) throw new RangeError(`a topic of at most ${MAX_TOPIC_BYTES} bytes and a payload of at most ${MAX_MESH_PAYLOAD_BYTES} bytes`);
    let session = this.outgoing.get(to);
    if (!session) {
      if (!this.ports.admits(to)) {
        this.drop('unknown-destination');
        return false;
      }
      if (this.outgoing.size >= MAX_OUTGOING_SESSIONS && !this.evictIdleOutgoing()) {
        this.drop('held-full');
        return false;
      }
      session = this.newOutgoing(to);
    }
    const refused = () => {
      // A session opened for this message alone holds nothing: it goes with it.
      if (session.outbox.pending === 0 && session.keys === undefined) this.outgoing.delete(to);
      this.drop('held-full');
      return false;
    };
    if (this.heldBytes + payload.length + topic.length > MAX_HELD_BYTES) return refused();
    try {
      session.outbox.push(topic, payload);
      this.heldBytes += payload.length + topic.length;
    } catch (error) {
      if (!(error instanceof OutboxFullError)) throw error;
      return refused();
    }
    this.pump(session);
    return true;
  }

  /**
   * Before this node has its first SVID it knows neither who it is nor whom it admits: what actors
   * send meanwhile (they start with the node) waits here, within the same byte bound, and is sent
   * once the identity is known (identityKnown).
   */
  private holdEarly(to: string, topic: string, payload: Buffer): boolean {
    if (this.early.length >= MAX_HELD_PER_DESTINATION || this.heldBytes + payload.length + topic.length > MAX_HELD_BYTES) {
      this.drop('held-full');
      return false;
    }
    this.early.push({ to, topic, payload });
    this.heldBytes += payload.length + topic.length;
    return true;
  }

  /** This node has its identity: what was sent before it goes out now, in the order it was sent. */
  identityKnown(): void {
    const early = this.early.splice(0);
    for (const message of early) {
      this.heldBytes -= message.payload.length + message.topic.length;
      this.send(message.to, message.topic, message.payload);
    }
  }

  /** The routes changed: what is held goes out on the new next hops (what went by another one, again at once). */
  routesChanged(): void {
    // Only sessions whose next hop moved (or appeared): a metric change elsewhere costs a lookup per
    // session, not a scan of every window.
    for (const session of this.outgoing.values()) {
      if (session.outbox.pending > 0 && this.ports.nextHop(session.destination) !== session.lastHop) this.pump(session, true);
    }
  }

  /** An envelope a neighbour handed over: for this node (delivered or acknowledged), or forwarded on. */
  receive(from: string, bytes: Buffer): void {
    const self = this.ports.self();
    if (this.stopped || self === undefined) return;
    let envelope: MeshEnvelope;
    try {
      envelope = decodeEnvelope(bytes);
    } catch (error) {
      if (!(error instanceof MeshEnvelopeError)) throw error;
      this.refuse(error.reason, from, error.message);
      return;
    }
    if (envelope.hopLimit === 0) {
      this.drop('hop-limit');
      return;
    }
    if (envelope.destination !== self) {
      this.forwardOn(from, envelope, bytes);
      return;
    }
    const hops = DEFAULT_HOP_LIMIT - envelope.hopLimit + 1;
    if (envelope.kind === 'data') this.receiveData(envelope, hops);
    else if (envelope.kind === 'ack') this.receiveAck(envelope);
    else this.receiveReset(envelope);
  }

  state(): EndToEndState {
    const held = [...this.outgoing.values()].reduce((sum, session) => sum + session.outbox.pending, this.early.length);
    return {
      ...this.counters,
      resets: { ...this.counters.resets },
      dropped: { ...this.counters.dropped },
      refused: { ...this.counters.refused },
      held,
      sessions: { outgoing: this.outgoing.size, incoming: this.incoming.size },
    };
  }

  stop(): void {
    this.stopped = true;
    for (const session of this.outgoing.values()) this.ports.clock.clearTimeout(session.timer);
    for (const session of this.incoming.values()) this.ports.clock.clearTimeout(session.ackTimer);
  }

  /**
   * Sessions to as many destinations as there can be members are open: one that holds nothing makes
   * room (a later message to it opens a new session, at the cost of a signature). False when every
   * one holds messages.
   */
  private evictIdleOutgoing(): boolean {
    for (const [destination, session] of this.outgoing) {
      if (session.outbox.pending > 0) continue;
      this.disarm(session);
      this.outgoing.delete(destination);
      return true;
    }
    return false;
  }

  private newOutgoing(destination: string): OutgoingSession {
    const session: OutgoingSession = {
      destination,
      id: randomBytes(SESSION_ID_BYTES),
      keys: undefined,
      opening: undefined,
      openedFor: undefined,
      confirmed: false,
      keysChanged: false,
      lastHop: undefined,
      outbox: new EndToEndOutbox({ maxMessages: MAX_HELD_PER_DESTINATION, maxBytes: MAX_HELD_BYTES_PER_DESTINATION, maxInFlight: IN_FLIGHT }),
      srttMs: undefined,
      rttVarMs: 0,
      rtoMs: INITIAL_RTO_MS,
      timer: undefined,
      unknownSince: undefined,
    };
    this.outgoing.set(destination, session);
    return session;
  }

  /** Sends what is due for one destination now, and sets the timer for what will be. */
  /**
   * Sends what is due for one destination now, and sets the timer for what will be. `scan`: look at
   * every message out (the route changed, or the timer fired), not only those never sent (a send or
   * an acknowledgement: cheap, so a busy session does not rescan its window per message).
   * `timedOut`: the retransmission timer fired; what is resent because of it doubles the timeout
   * afterwards (RFC 6298 5.5: resend first, then back off).
   */
  private pump(session: OutgoingSession, scan = false, timedOut = false): void {
    if (this.stopped) return;
    const self = this.ports.self()!;
    const now = this.ports.clock.monotonicNow();
    if (session.outbox.pending === 0) {
      this.disarm(session);
      return;
    }
    const member = this.ports.member(session.destination);
    const reachable = member !== undefined && this.ports.nextHop(session.destination) !== undefined;
    if (!reachable) {
      session.unknownSince ??= now;
      if (now - session.unknownSince >= UNKNOWN_DESTINATION_MS) {
        // As a TCP connection gives up on a peer it cannot reach: what waits is dropped, counted, and the sender's next message starts afresh.
        const reason = member ? 'no-route' : 'unknown-destination';
        this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + session.outbox.pending;
        this.ports.log('warn', member ? 'dropped the messages held for a member no route led to' : 'dropped the messages held for a destination that is no alive member', { destination: session.destination, messages: session.outbox.pending, waitedMs: UNKNOWN_DESTINATION_MS });
        this.disarm(session);
        this.heldBytes -= session.outbox.pendingBytes;
        this.outgoing.delete(session.destination);
        this.ports.changed();
        return;
      }
      if (!member) {
        this.arm(session, MIN_RTO_MS);
        return;
      }
    } else session.unknownSince = undefined;
    if (session.keys && !session.confirmed && !Buffer.from(member.kemPublicKey).equals(session.openedFor!)) {
      // The destination restarted (a new X-Wing key in its record) before it acknowledged this
      // session: its opening can no longer be accepted, so it is opened again for the new key.
      this.reopen(session);
    }
    if (!session.keys) {
      const opened = openSession({
        pqc: this.ports.pqc(),
        origin: self,
        destination: session.destination,
        sessionId: session.id,
        destinationKemPublicKey: member.kemPublicKey,
        originSigningSecretKey: this.ports.signingSecretKey(),
      });
      session.keys = opened.keys;
      session.opening = opened.opening;
      session.openedFor = Buffer.from(member.kemPublicKey);
      this.counters.sessionsOpened++;
    }
    const hop = this.ports.nextHop(session.destination);
    session.lastHop = hop;
    let resent = false;
    if (hop !== undefined) {
      for (const message of scan || session.keysChanged ? session.outbox.due(now, session.rtoMs, hop) : session.outbox.unsent()) {
        const envelope: MeshEnvelope = {
          kind: 'data',
          hopLimit: DEFAULT_HOP_LIMIT,
          origin: self,
          destination: session.destination,
          sessionId: session.id,
          seq: message.seq,
          opening: session.confirmed ? new Uint8Array(0) : session.opening!,
          body: new Uint8Array(0),
        };
        envelope.body = sealData(session.keys, message.seq, envelopeAad(envelope), encodeDataPlaintext(message.topic, message.payload));
        if (!this.ports.forward(hop, encodeEnvelope(envelope))) {
          this.drop('link-full');
          break;
        }
        if (message.attempts > 0) {
          this.counters.resent++;
          resent = true;
        } else this.counters.sent++;
        session.outbox.markSent(message, now, hop);
      }
    }
    session.keysChanged = false;
    if (timedOut && resent) session.rtoMs = Math.min(MAX_RTO_MS, session.rtoMs * 2);
    // Armed once and re-armed when it fires (a timer that fires early, its messages acknowledged meanwhile, finds nothing due).
    if (session.timer === undefined) {
      const oldest = session.outbox.oldestSentAt();
      this.arm(session, oldest === undefined ? session.rtoMs : Math.max(0, oldest + session.rtoMs - now));
    }
    this.ports.changed();
  }

  /** The retransmission timer: what went out longest ago and is still unacknowledged goes again, and the timeout doubles (RFC 6298). */
  private arm(session: OutgoingSession, inMs: number): void {
    this.disarm(session);
    session.timer = this.ports.clock.setTimeout(() => {
      session.timer = undefined;
      this.pump(session, true, true);
    }, inMs);
  }

  private disarm(session: OutgoingSession): void {
    this.ports.clock.clearTimeout(session.timer);
    session.timer = undefined;
  }

  private forwardOn(from: string, envelope: MeshEnvelope, bytes: Buffer): void {
    if (envelope.hopLimit < 2) {
      this.drop('hop-limit');
      return;
    }
    const next = this.ports.nextHop(envelope.destination);
    if (next === undefined) {
      this.drop('no-route');
      return;
    }
    // Routes are loop-free (mesh-routing.ts); a neighbour that routes through this node to where this node routes through it is out of date.
    if (next === from) {
      this.drop('loop');
      return;
    }
    if (!this.ports.forward(next, withHopLimit(bytes, envelope.hopLimit - 1))) {
      this.drop('link-full');
      return;
    }
    this.counters.forwarded++;
    this.ports.changed();
  }

  private receiveData(envelope: MeshEnvelope, hops: number): void {
    const origin = envelope.origin;
    const member = this.ports.member(origin);
    if (!member) {
      // Its record has not arrived yet, or it is held dead: it sends again until it is acknowledged.
      this.refuse('unknown-origin', origin);
      return;
    }
    const session = this.incomingFor(envelope, member);
    if (!session) return;
    if (envelope.seq < session.inbox.receiveNext) {
      // Already delivered: the acknowledgement was lost or is late; the origin gets a new one.
      this.counters.duplicates++;
      this.acknowledgeSoon(origin, session, true);
      return;
    }
    let message: Incoming;
    try {
      const plaintext = decodeDataPlaintext(openData(session.keys, envelope.seq, envelopeAad(envelope), envelope.body));
      message = { topic: plaintext.topic, payload: plaintext.payload, hops };
    } catch (error) {
      if (error instanceof EndToEndError || error instanceof MeshEnvelopeError) {
        this.refuse(error.reason, origin, error.message);
        return;
      }
      throw error;
    }
    // Ahead of a gap, a message waits in the reorder buffer: within the node's total for all origins too.
    if (envelope.seq > session.inbox.receiveNext && this.reorderBytes + message.payload.length > MAX_REORDER_BYTES) {
      this.drop('beyond-window');
      this.acknowledgeSoon(origin, session, false);
      return;
    }
    const bufferedBefore = session.inbox.bufferedBytes;
    const reception = session.inbox.receive(envelope.seq, message, message.payload.length);
    this.reorderBytes += session.inbox.bufferedBytes - bufferedBefore;
    if (reception.kind === 'duplicate') this.counters.duplicates++;
    else if (reception.kind === 'beyond-window') this.drop('beyond-window');
    else {
      for (const item of reception.items) {
        this.counters.delivered++;
        session.deliveredSinceAck++;
        this.ports.deliver(origin, item.topic, item.payload, item.hops);
      }
    }
    this.acknowledgeSoon(origin, session, false);
  }

  /** The session this data belongs to: known, or opened now by the opening it carries; otherwise a reset goes back. */
  private incomingFor(envelope: MeshEnvelope, member: EndToEndMember): IncomingSession | undefined {
    const origin = envelope.origin;
    const id = Buffer.from(envelope.sessionId);
    const known = this.incoming.get(origin);
    if (known && known.id.equals(id)) return known;
    if (envelope.opening.length === 0) {
      this.sendReset(envelope);
      return undefined;
    }
    const hex = id.toString('hex');
    if (known?.retired.includes(hex)) {
      this.refuse('replayed-session', origin);
      return undefined;
    }
    if (!known && this.incoming.size >= MAX_INCOMING_SESSIONS && !this.evictIncomingOfNonMembers()) {
      this.drop('held-full');
      return undefined;
    }
    // An opening costs an ML-DSA verification and a decapsulation: one origin gets one tried per
    // OPENING_INTERVAL_MS (an honest origin opens a session per run and per restart of its
    // destination; its opening rides on every resend until acknowledged, so a refused one comes again).
    const now = this.ports.clock.monotonicNow();
    const lastTried = this.openingTriedAt.get(origin);
    if ((lastTried !== undefined && now - lastTried < OPENING_INTERVAL_MS) || !this.openingBudget.take(now)) {
      this.drop('opening-rate');
      return undefined;
    }
    this.noteOpeningTried(origin, now);
    let keys: SessionKeys;
    try {
      keys = acceptSession({
        pqc: this.ports.pqc(),
        origin,
        destination: envelope.destination,
        sessionId: id,
        opening: envelope.opening,
        destinationKemKeyPair: this.ports.kem(),
        originSigningPublicKey: member.mldsaPublicKey,
      });
    } catch (error) {
      if (!(error instanceof EndToEndError)) throw error;
      this.refuse(error.reason, origin, error.message);
      return undefined;
    }
    if (known) {
      this.ports.clock.clearTimeout(known.ackTimer);
      this.reorderBytes -= known.inbox.bufferedBytes;
    }
    const retired = known ? [...known.retired, known.id.toString('hex')].slice(-RETIRED_SESSIONS_KEPT) : [];
    // Acknowledgements are numbered from a random point: should an opening this node accepted once be
    // accepted again (its session id no longer among the retired), the same keys never seal two
    // acknowledgements under one nonce (a collision needs two of 2^40 starting points within the
    // acknowledgements of a session).
    const session: IncomingSession = { id, keys, inbox: new EndToEndInbox(IN_FLIGHT, REORDER_BUFFER_BYTES), ackSeq: randomInt(2 ** 40), deliveredSinceAck: 0, ackTimer: undefined, retired };
    this.incoming.set(origin, session);
    this.counters.sessionsAccepted++;
    return session;
  }

  private noteOpeningTried(origin: string, now: number): void {
    // Bounded like the sessions: past that many origins, those that tried longer ago than the interval are forgotten.
    if (this.openingTriedAt.size >= MAX_INCOMING_SESSIONS) {
      for (const [other, at] of this.openingTriedAt) if (now - at >= OPENING_INTERVAL_MS) this.openingTriedAt.delete(other);
    }
    this.openingTriedAt.set(origin, now);
  }

  /** As many origins as there can be members have sessions here: those of origins no longer alive members make room. */
  private evictIncomingOfNonMembers(): boolean {
    let evicted = false;
    for (const [origin, session] of this.incoming) {
      if (this.ports.member(origin)) continue;
      this.ports.clock.clearTimeout(session.ackTimer);
      this.reorderBytes -= session.inbox.bufferedBytes;
      this.incoming.delete(origin);
      evicted = true;
    }
    return evicted;
  }

  private acknowledgeSoon(origin: string, session: IncomingSession, now: boolean): void {
    if (now || session.deliveredSinceAck >= ACK_EVERY) {
      this.ports.clock.clearTimeout(session.ackTimer);
      session.ackTimer = undefined;
      this.sendAck(origin, session);
      return;
    }
    session.ackTimer ??= this.ports.clock.setTimeout(() => {
      session.ackTimer = undefined;
      if (!this.stopped) this.sendAck(origin, session);
    }, ACK_DELAY_MS);
  }

  private sendAck(origin: string, session: IncomingSession): void {
    session.deliveredSinceAck = 0;
    const hop = this.ports.nextHop(origin);
    // No route back now: the origin sends again, and this node acknowledges that.
    if (hop === undefined) return;
    const envelope: MeshEnvelope = { kind: 'ack', hopLimit: DEFAULT_HOP_LIMIT, origin: this.ports.self()!, destination: origin, sessionId: session.id, seq: session.ackSeq++, opening: new Uint8Array(0), body: new Uint8Array(0) };
    envelope.body = sealAck(session.keys, envelope.seq, envelopeAad(envelope), seqBytes(session.inbox.receiveNext));
    if (this.ports.forward(hop, encodeEnvelope(envelope))) this.counters.acked++;
  }

  private receiveAck(envelope: MeshEnvelope): void {
    const session = this.outgoing.get(envelope.origin);
    if (!session?.keys || !session.id.equals(envelope.sessionId)) return;
    let receiveNext: number;
    try {
      const plaintext = openAck(session.keys, envelope.seq, envelopeAad(envelope), envelope.body);
      if (plaintext.length !== 8) throw new EndToEndError('malformed', `an acknowledgement of ${plaintext.length} bytes`);
      const value = plaintext.readBigUInt64BE(0);
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new EndToEndError('malformed', 'an acknowledgement beyond any sequence number');
      receiveNext = Number(value);
    } catch (error) {
      if (!(error instanceof EndToEndError)) throw error;
      this.refuse(error.reason === 'authentication' ? 'authentication' : 'bad-ack', envelope.origin, error.message);
      return;
    }
    const now = this.ports.clock.monotonicNow();
    const newest = session.outbox.message(receiveNext - 1);
    const heldBefore = session.outbox.pendingBytes;
    const freed = session.outbox.acknowledge(receiveNext);
    this.heldBytes -= heldBefore - session.outbox.pendingBytes;
    if (freed === false) {
      this.refuse('bad-ack', envelope.origin, `acknowledges ${receiveNext} of ${session.outbox.sendNext} sent`);
      return;
    }
    session.confirmed = true;
    if (freed > 0) {
      // Karn: a round trip is measured only on a message sent once.
      if (newest?.sentAt !== undefined && newest.attempts === 1) this.sampleRtt(session, now - newest.sentAt);
      this.pump(session);
    }
  }

  /** RFC 6298's smoothed round trip and its variation, within the floor and ceiling. */
  private sampleRtt(session: OutgoingSession, rttMs: number): void {
    if (session.srttMs === undefined) {
      session.srttMs = rttMs;
      session.rttVarMs = rttMs / 2;
    } else {
      session.rttVarMs = 0.75 * session.rttVarMs + 0.25 * Math.abs(session.srttMs - rttMs);
      session.srttMs = 0.875 * session.srttMs + 0.125 * rttMs;
    }
    session.rtoMs = Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, session.srttMs + 4 * session.rttVarMs));
  }

  private resetSigned(origin: string, destination: string, sessionId: Uint8Array): Buffer {
    return new WireWriter().fixed(RESET_CONTEXT).vector16(Buffer.from(origin, 'utf8')).vector16(Buffer.from(destination, 'utf8')).fixed(sessionId).finish();
  }

  /** Data of a session this node does not know (it restarted since): a signed reset tells the origin to open a new one. */
  private sendReset(data: MeshEnvelope): void {
    const now = this.ports.clock.monotonicNow();
    const last = this.lastResetTo.get(data.origin);
    if (last !== undefined && now - last < RESET_INTERVAL_MS) return;
    const hop = this.ports.nextHop(data.origin);
    if (hop === undefined || !this.resetBudget.take(now)) return;
    this.lastResetTo.set(data.origin, now);
    const self = this.ports.self()!;
    const signature = this.ports.pqc().mldsa65.sign(this.resetSigned(data.origin, self, data.sessionId), this.ports.signingSecretKey());
    const reset: MeshEnvelope = { kind: 'reset', hopLimit: DEFAULT_HOP_LIMIT, origin: self, destination: data.origin, sessionId: data.sessionId, seq: 0, opening: new Uint8Array(0), body: signature };
    if (this.ports.forward(hop, encodeEnvelope(reset))) this.counters.resets.sent++;
  }

  private receiveReset(envelope: MeshEnvelope): void {
    const session = this.outgoing.get(envelope.origin);
    const member = this.ports.member(envelope.origin);
    // Only a session the destination acknowledged can have been lost by it. Before that, a reset says
    // only that some data reached it without the opening (a forwarder can strip one): the opening
    // goes on every resend until the first acknowledgement, so nothing is reopened or sent twice.
    if (!session || !member || !session.confirmed || !session.id.equals(envelope.sessionId)) return;
    const signed = this.resetSigned(this.ports.self()!, envelope.origin, envelope.sessionId);
    if (!this.ports.pqc().mldsa65.verify(signed, envelope.body, member.mldsaPublicKey)) {
      this.refuse('bad-reset', envelope.origin);
      return;
    }
    this.counters.resets.received++;
    this.ports.log('info', 'the destination lost its end-to-end session (it restarted): opening a new one', { destination: envelope.origin, held: session.outbox.pending });
    this.reopen(session);
    this.pump(session);
  }

  /** A new session to the same destination: a new id and keys, what is held numbered from 0 again. */
  private reopen(session: OutgoingSession): void {
    session.id = randomBytes(SESSION_ID_BYTES);
    session.keys = undefined;
    session.opening = undefined;
    session.openedFor = undefined;
    session.confirmed = false;
    session.keysChanged = true;
    session.rtoMs = INITIAL_RTO_MS;
    session.outbox.renumber();
  }

  private drop(reason: EndToEndDrop): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    this.ports.changed();
  }

  private refuse(reason: EndToEndRefusal, from: string, detail?: string): void {
    const count = (this.counters.refused[reason] ?? 0) + 1;
    this.counters.refused[reason] = count;
    // The first few and then every hundredth: a flood is counted whole, its log kept short.
    if (count <= 10 || count % 100 === 0) this.ports.log('warn', 'refused an end-to-end envelope', { from, reason, times: count, ...(detail !== undefined ? { detail } : {}) });
    this.ports.changed();
  }
}
