/**
 * The peer links of a node: a listener and a dialer per configured peer over a Transport (mutual
 * TLS unless a simulation gives another), each link a reliable ordered message stream
 * (link-stream.ts) carried by one connection at a time, its waits and retries a statechart
 * (machines/peer-link-lifecycle.ts) run on the injected Clock.
 *
 * A new SVID serves new connections at once, and every established link re-authenticates: the
 * dialer opens a new connection with the new SVID, the link moves to it once the Hellos are
 * exchanged, and the old connection is closed after that (make before break), so traffic never
 * stops. A connection is also re-authenticated when a quarter of its lifetime remains, and it is
 * closed when either SVID expires, whichever side's SVID rotates first.
 */
import { randomBytes } from 'node:crypto';
import { createActor } from 'xstate';
import { DEFAULT_SUITES, type SuiteName } from '../../lib/crypto/pq-suites.js';
import type { LinkRole, MeshLinksState } from '../../lib/mesh/links-state.js';
import { encodeMemberRecord, verifyMemberRecord } from '../../lib/mesh/member-record.js';
import { parseRemotePayload, RemotePayloadError } from '../../lib/mesh/remote-payload.js';
import { canonicalHostPort, formatHostPort, parseHostPort, type HostPort } from '../../lib/net/host-port.js';
import { allows, type PeerPolicy } from '../../lib/spiffe/peer-policy.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { realClock, type Clock } from '../../lib/timing/clock.js';
import { realRandom, type Random } from '../../lib/timing/random.js';
import { createPeerLinkLifecycleMachine, linkPhase, REAUTH_ANSWER_MS, type LinkLifecycleEvent, type LinkLifecycleTiming } from '../../machines/peer-link-lifecycle.js';
import { ReauthNotAnsweredError } from './reauth-not-answered-error.js';
import type { NodeCredentials, Transport, TransportConnection, TransportEvents } from '../runtime/contracts/transport.js';
import { toPeerPolicies, type AuthorizeEntry } from './authorize.js';
import { LINK_ID_BYTES, LINK_PROTOCOL_VERSION, type LinkFrame } from './frame-codec.js';
import { LinkConnection } from './link-connection.js';
import { LinkFrameError } from './link-frame-error.js';
import { DEFAULT_HEARTBEAT_TIMING, LinkHeartbeat, LocalHealth, type HeartbeatTiming } from './link-heartbeat.js';
import { RESPONSIVE_PHI } from '../../lib/mesh/failure-detection.js';
import { PeerSilentError } from './peer-silent-error.js';
import { stillTrusted, TrustAnchorRemovedError } from '../../lib/spiffe/trust-anchor.js';
import { LinkStatistics } from './link-statistics.js';
import { LinkStream, SendWindowFullError } from './link-stream.js';
import { LinkTable, type Link, type PeerEndpoint } from './link-table.js';
import { CONTROL_TOPIC_PREFIX, MEMBER_TOPIC, Membership } from './membership.js';
import { EndToEnd, FORWARD_TOPIC } from './end-to-end.js';
import { MeshRouting, ROUTE_TOPIC } from './mesh-routing.js';
import { MeshPing, PING_TOPIC, PONG_TOPIC } from './mesh-ping.js';
import type { MeshPingRequest, MeshPingResult } from '../../lib/mesh/mesh-ping-result.js';
import { CLAIM_TOPIC, type ProbeVerdict, type SuspicionTiming } from './member-suspicion.js';
import { PROBE_TOPIC } from '../../lib/mesh/indirect-probe-message.js';
import { AddressProbe } from './address-probe.js';
import { PqIdentity } from './pq-identity.js';
import { TlsTransport } from './tls-transport.js';
import { LinkFaults } from './link-faults.js';
import { MeshTelemetry, type MeshReading } from '../../lib/mesh/mesh-telemetry.js';
import type { TelemetrySample } from '../../lib/mape/telemetry.js';
import type { LinkFaultRequest, MeshRemedyRequest, MeshRemedyResult } from '../../lib/mesh/mesh-remedy.js';
import { PeerQuarantinedError } from './peer-quarantined-error.js';

/** The post-quantum session every connection carries (no link goes without one). */
export interface LinksPostQuantum {
  /** Offered (dialer, in preference order) and accepted (acceptor). */
  suites: readonly SuiteName[];
  rekeyAfterFrames?: number;
  rekeyAfterMs?: number;
}

/**
 * Open connections one authenticated peer may hold with this node: the link's current one, its
 * replacement while re-authenticating, one said goodbye to and draining, and one more for a dial
 * crossing ours. Beyond that, an incoming connection from the peer is shed.
 */
export const MAX_CONNECTIONS_PER_PEER = 4;


/** Socket errors that say the peer or the path to it failed (not the protocol on it). */
const PEER_FAILURE_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * Whether a link's connection ending says something of its peer's health: it closed without a
 * goodbye (the peer's process ended, or the network), the failure detector found the peer silent,
 * or the network failed it (a reset, a timeout, no route). A connection this node ended for a
 * reason of the connection's own (a protocol breach, an expired SVID, a re-authentication not
 * answered; it says goodbye first, link-connection.ts) says nothing of whether the peer is alive.
 */
function lossSuggestsFailure(error: Error | undefined): boolean {
  if (error === undefined || error instanceof PeerSilentError) return true;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && PEER_FAILURE_CODES.has(code);
}

/**
 * How long a stopping node waits for its connections to finish writing what they hold (the leave
 * record among it) before it cuts them: a loopback or LAN peer takes milliseconds; the stop of a
 * node whose peers do not read is not held longer than this.
 */
export const STOP_DRAIN_MS = 1_000;

/** The goodbye a node says on the link it retires because its peer dials it too (keepOneLinkPerPair). */
export const ONE_LINK_PER_PAIR = 'one link per pair: the lower SPIFFE ID dials';

/**
 * How long a reroute-around avoids a link by default: long enough that a degraded link does not
 * draw traffic back within the incident's life, short enough that a repaired one is used again
 * within minutes. Only while the link lasts: a link that goes down and comes back is measured anew.
 */
export const DEFAULT_AVOID_MS = 120_000;
/** How long a quarantined peer is refused by default. */
export const DEFAULT_QUARANTINE_MS = 60_000;
/** Bridge links (reconnect-members) a node holds at most: a partition is bridged by a few links, not a full mesh. */
export const MAX_BRIDGE_LINKS = 16;
/** The mesh's telemetry goes to the monitor this often by default, as the runtime's own sampling does. */
export const DEFAULT_TELEMETRY_EVERY_MS = 1_000;

export interface PeerLinksTiming extends LinkLifecycleTiming {
  /** A connection that has not said Hello by then is dropped. */
  helloTimeoutMs: number;
  /** State reports are coalesced over this long. */
  reportEveryMs: number;
}

export const DEFAULT_PEER_LINKS_TIMING: PeerLinksTiming = {
  helloTimeoutMs: 5_000,
  ackDelayMs: 20,
  reconnectMinMs: 100,
  reconnectMaxMs: 10_000,
  resumeWindowMs: 60_000,
  reportEveryMs: 100,
};

export interface PeerLinksOptions {
  listen?: HostPort;
  postQuantum?: LinksPostQuantum;
  peers: readonly PeerEndpoint[];
  authorize: readonly AuthorizeEntry[];
  /** A peer's message, its payload parsed and bounded (lib/mesh/remote-payload.ts); a refused one is counted, not delivered. */
  onMessage(from: string, topic: string, payload: unknown): void;
  onState(state: MeshLinksState): void;
  onLog?(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
  /** Work from the network, as the actor's input (ActorIo.inputHandled): each record read, each connection set up. */
  onInput?(count: number): void;
  timing?: Partial<PeerLinksTiming>;
  /** The network (default: mutual TLS, tls-transport.ts). */
  transport?: (events: TransportEvents) => Transport;
  /** Time and timers (default: the process's own). */
  clock?: Clock;
  /** Redial jitter (default: Math.random). */
  random?: Random;
  /** The node's ML-DSA key file, which the node made before its actors started (without one the key lasts as long as this object). */
  nodeKeyFile?: string;
  /** Where members reach this node (its member record); default: the address it listens on, unless that is an any-address. */
  advertise?: readonly string[];
  /** Heartbeats and the failure detector on every link (link-heartbeat.ts). */
  heartbeat?: Partial<HeartbeatTiming>;
  /** How long a suspected member has to refute before it is held dead (member-suspicion.ts). */
  suspicion?: Partial<SuspicionTiming>;
  /** Whether a lost member's addresses refuse connections (default: TCP connections, address-probe.ts; a simulation gives its own). */
  probe?(addresses: readonly string[]): Promise<ProbeVerdict>;
  /** The mesh as telemetry (lib/mesh/mesh-telemetry.ts): every `telemetryEveryMs`, and at once when a neighbour is declared dead. */
  onTelemetry?(sample: TelemetrySample): void;
  telemetryEveryMs?: number;
  /** Whether chaos may inject link faults (`fault`): false in production mode (default: false). */
  allowChaos?: boolean;
}

/** A topic of the links' own (membership): no actor may send on one (membership.ts). */
export function isControlTopic(topic: string): boolean {
  return topic.startsWith(CONTROL_TOPIC_PREFIX);
}

/**
 * A reserved topic the links count apart from the node's messages (`controlSent`, `controlDelivered`):
 * membership and routing. End-to-end envelopes carry the actors' messages (mesh.send, this node's
 * own or forwarded), so they count as the link's messages.
 */
function isLinkControl(topic: string): boolean {
  return isControlTopic(topic) && topic !== FORWARD_TOPIC;
}

export class PeerLinks {
  private readonly timing: PeerLinksTiming;
  private readonly clock: Clock;
  private readonly random: Random;
  /** The link each linked neighbour's messages go on, as of the last neighboursChanged. */
  private readonly routedOn = new Map<string, string>();
  private readonly transport: Transport;
  private readonly table = new LinkTable();
  private readonly identity: PqIdentity;
  private readonly statistics = new LinkStatistics();
  /** Every open connection, bound to a link or not yet (handshaking, awaiting Hello) or no longer (draining). */
  private readonly connections = new Set<LinkConnection>();
  private readonly membership: Membership;
  private readonly routing: MeshRouting;
  private readonly endToEnd: EndToEnd;
  private readonly pinger: MeshPing;
  /** Addresses of peers whose link this node retired for the one they dial (keepOneLinkPerPair): dialed again if theirs is given up. */
  private readonly parked = new Map<string, PeerEndpoint>();
  /** The failure detector of each bound connection that is its link's current one. */
  private readonly heartbeats = new Map<LinkConnection, LinkHeartbeat>();
  private readonly heartbeatTiming: HeartbeatTiming;
  private readonly addressProbe = new AddressProbe();
  /** This node's own event loop, as its heartbeat timers see it: shared by every link (Lifeguard). */
  private readonly health = new LocalHealth();
  private credentials: NodeCredentials | undefined;
  private policies: readonly PeerPolicy[] = [];
  private listening: string | undefined;
  private reportTimer: unknown;
  private stopped = false;
  /** Called when the last connection closes while the stop waits for them (drained). */
  private onAllClosed: (() => void) | undefined;
  /** The node's bus holds the peers' messages back: bound connections do not read (holdReading). */
  private readingHeld = false;
  /** Chaos on the links with some peers (link-faults.ts). */
  private readonly faults: LinkFaults;
  /**
   * Peers whose links cost as much as a long detour (reroute-around), until when (monotonic ms: a
   * wall-clock step moves no deadline), for the incarnation avoided: a link that bounces stays
   * avoided, a node restarted (a new incarnation) is measured anew.
   */
  private readonly avoided = new Map<string, { until: number; incarnation: bigint | undefined }>();
  /** Peers refused (quarantine-peer), until when (monotonic ms). */
  private readonly quarantined = new Map<string, number>();
  private readonly telemetry = new MeshTelemetry();
  private telemetryTimer: unknown;

  constructor(private readonly options: PeerLinksOptions) {
    this.timing = { ...DEFAULT_PEER_LINKS_TIMING, ...options.timing };
    this.heartbeatTiming = { ...DEFAULT_HEARTBEAT_TIMING, ...options.heartbeat };
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? realRandom;
    this.identity = new PqIdentity(options.nodeKeyFile);
    this.faults = new LinkFaults(this.clock, this.random);
    const events: TransportEvents = {
      onConnection: (carrier) => {
        if (this.stopped || this.isQuarantined(carrier.peer.spiffeId)) carrier.destroy();
        else if (this.openConnectionsOf(carrier.peer.spiffeId) >= MAX_CONNECTIONS_PER_PEER) {
          // An authenticated peer opening connection after connection (from any number of addresses).
          carrier.destroy();
          this.statistics.shed['per-peer']++;
          this.report();
        } else this.connection(carrier);
      },
      onRefused: (error, peer) => this.refuse(peer, error),
      onHandshakeFailure: () => {
        this.statistics.handshakeFailures++;
        this.report();
      },
      onShed: (reason) => {
        this.statistics.shed[reason]++;
        this.report();
      },
      onListenerError: (error) => this.log('warn', 'the peer-link listener failed to accept a connection', { error: `${error.name}: ${error.message}` }),
    };
    this.transport = (options.transport ?? ((handlers) => new TlsTransport(handlers)))(events);
    this.membership = this.createMembership();
    this.routing = this.createRouting();
    this.endToEnd = this.createEndToEnd();
    this.pinger = new MeshPing({ clock: this.clock, send: (to, topic, payload) => this.endToEnd.send(to, topic, payload), nextHop: (destination) => this.routing.nextHop(destination) });
    for (const endpoint of options.peers) this.newLink(randomBytes(LINK_ID_BYTES), 'dialer', endpoint.spiffeId, endpoint);
  }

  /** The node's SVID, first or rotated: the first starts listening and dialing, each later one re-authenticates every link. */
  async updateCredentials(credentials: NodeCredentials): Promise<void> {
    if (this.stopped) return;
    const previous = this.credentials;
    const first = previous === undefined;
    await this.identity.bind(credentials);
    // Stopped meanwhile: nothing may listen or dial after the stop.
    if (this.stopped) return;
    const policies = toPeerPolicies(this.options.authorize, credentials.trustDomain);
    try {
      this.transport.useCredentials(credentials, policies);
    } catch (error) {
      // TLS refused them: the links go on with the SVID they have, the post-quantum identity too.
      if (previous) await this.identity.bind(previous);
      throw error;
    }
    this.credentials = credentials;
    this.policies = policies;
    if (first) {
      if (this.options.listen) {
        this.listening = await this.transport.listen(this.options.listen);
        this.log('info', 'peer link listening', { address: this.listening });
      }
      if (this.stopped) return;
      // Signed before the first link can come up, so the first link-up carries it.
      this.membership.announce();
      this.routing.start(credentials.spiffeId);
      this.endToEnd.identityKnown();
      this.scheduleTelemetry();
      for (const link of this.table.dialerLinks()) this.signal(link, { type: 'start' });
    } else {
      // A record whose chain is the new SVID's: the old one's expiry would end this node's membership.
      this.membership.announce();
      this.endConnectionsAnchoredOutside(credentials);
      for (const link of this.table.values()) this.reauthenticate(link, 'the node SVID was rotated');
    }
    this.report();
  }

  /**
   * A bundle update that dropped the root a connection's peer chained to ends that connection at
   * once: the CA may have been retired for a reason. A dialer's link redials (and verifies anew
   * against the new bundle); an acceptor's waits for its peer to.
   */
  private endConnectionsAnchoredOutside(credentials: NodeCredentials): void {
    for (const link of this.table.values()) {
      const connection = link.active;
      if (!connection || stillTrusted(connection.peer.anchor, credentials.bundles)) continue;
      this.log('warn', 'peer link closed: its peer chained to a CA the trust bundle no longer holds', { peer: link.peer, ca: connection.peer.anchor.subject });
      connection.closeSaying(new TrustAnchorRemovedError(connection.peer.anchor));
    }
  }

  /**
   * Queues a message for any member, sealed for it and carried over whatever route leads there,
   * delivered exactly once and in order (end-to-end.ts): what `mesh.send` does. False (and counted)
   * when the destination is unknown or holds its limit of unacknowledged messages.
   */
  sendEndToEnd(to: string, topic: string, payload: Buffer): boolean {
    if (isControlTopic(topic)) throw new RangeError(`the topic ${topic} is reserved for the links' own messages`);
    return this.endToEnd.send(to, topic, payload);
  }

  /** End-to-end pings to any member (`x0tta6bl4 mesh ping`): each reply's round trip and hops (mesh-ping.ts). */
  ping(request: MeshPingRequest): Promise<MeshPingResult> {
    return this.pinger.ping(request);
  }

  /** Queues a message for a direct peer on the link to it; false when no link leads there or the link's window is full. */
  send(to: string, topic: string, payload: Buffer): boolean {
    if (isControlTopic(topic)) throw new RangeError(`the topic ${topic} is reserved for the links' own messages`);
    return this.enqueue(to, topic, payload);
  }

  private enqueue(to: string, topic: string, payload: Buffer): boolean {
    const link = this.table.route(to);
    if (!link) {
      this.statistics.unroutable++;
      this.report();
      return false;
    }
    try {
      link.stream.enqueue(topic, payload);
    } catch (error) {
      if (!(error instanceof SendWindowFullError)) throw error;
      link.dropped++;
      link.lastError = error.message;
      this.report();
      return false;
    }
    if (isLinkControl(topic)) link.controlSent++;
    this.writeBacklog(link);
    this.report();
    return true;
  }

  /**
   * Writes what the link holds unwritten, in order, while its connection takes it: a congested
   * connection (the peer or the network slower than the writes) leaves the rest in the stream until
   * it drains. A full window resent after a reconnection thus costs the plaintext the stream holds
   * anyway, not a sealed copy of all of it queued in the socket at once.
   */
  private writeBacklog(link: Link): void {
    const connection = link.active;
    if (!connection || connection.linkKey !== link.key) return;
    while (connection.open && !connection.congested) {
      const message = link.stream.takeNextToWrite();
      if (!message) return;
      connection.send({ kind: 'data', ...message });
    }
  }

  /**
   * The node cannot take the peers' messages now (the bus holds them back: a subscriber of
   * mesh.recv has a full mailbox) or can again. Connections bound to a link stop reading, so a
   * peer's data waits in its own send window and the network's buffers rather than in this
   * node's memory; acknowledgements and rekeys wait with it, which only slows that peer down.
   * Connections still saying Hello carry no messages and go on, so links keep forming.
   */
  holdReading(held: boolean): void {
    if (held === this.readingHeld) return;
    this.readingHeld = held;
    if (held) this.statistics.readHolds++;
    for (const connection of this.connections) if (connection.linkKey !== undefined) connection.setReading(!held);
    for (const heartbeat of this.heartbeats.values()) heartbeat.hold(held);
    this.report();
  }

  /**
   * A remedy of the MAPE-K loop (lib/mape/actions.ts's mesh actions and their undos), performed at
   * once; what it did, or why it could not, in the result.
   */
  remedy(request: MeshRemedyRequest): MeshRemedyResult {
    if (this.stopped || !this.credentials) return { ok: false, detail: 'the peer links are not serving' };
    // The runtime stopped waiting by then and reported the action refused: performing it now would leave an effect nothing tracks.
    if (request.notAfter !== undefined && this.clock.now() > request.notAfter) return { ok: false, detail: `the request expired at ${new Date(request.notAfter).toISOString()} before it was performed` };
    const { kind, target } = request;
    const now = this.clock.monotonicNow();
    /** A deadline as an operator reads it. */
    const shown = (until: number) => new Date(this.clock.now() + (until - now)).toISOString();
    switch (kind) {
      case 'reroute-around': {
        // A link up now is avoided, this incarnation of its peer: one that comes back as a new
        // incarnation (a node restarted after it died) is measured anew. With no link up (a dead
        // neighbour, a cut link), what is left to do is ask for routes around it at once.
        const linked = this.linkedPeers().has(target);
        const until = now + (request.durationMs ?? DEFAULT_AVOID_MS);
        if (linked) this.avoided.set(target, { until, incarnation: this.membership.aliveMember(target)?.incarnation });
        // The cost rises at once, not at the next cost reading; routes worth having are asked for now.
        const asked = this.routing.reassess(target);
        this.report();
        return { ok: true, detail: `${linked ? `the link to ${target} is avoided until ${shown(until)}` : `no link to ${target} is up`}; fresh routes asked for ${asked} destinations` };
      }
      case 'unreroute-around': {
        const had = this.avoided.delete(target);
        this.routing.reassess(target);
        this.report();
        return { ok: true, detail: had ? `the link to ${target} costs what it measures again` : `the link to ${target} was not avoided` };
      }
      case 'quarantine-peer': {
        if (target === this.credentials.spiffeId) return { ok: false, detail: 'a node does not quarantine itself' };
        // Cutting off the only way to a member would turn a degraded link into an outage.
        const stranded = this.routing.strandedWithout(target);
        if (stranded.length > 0) return { ok: false, detail: `${target} is the only way to ${stranded.length} members (${stranded.slice(0, 3).join(', ')}${stranded.length > 3 ? ', …' : ''}): not quarantined` };
        const until = now + (request.durationMs ?? DEFAULT_QUARANTINE_MS);
        this.quarantined.set(target, until);
        let closed = 0;
        for (const connection of this.connections) {
          if (connection.peer.spiffeId !== target) continue;
          closed++;
          connection.closeSaying(new PeerQuarantinedError(target, shown(until)));
        }
        this.report();
        return { ok: true, detail: `${target} quarantined until ${shown(until)} (${closed} connections closed)` };
      }
      case 'unquarantine-peer': {
        const had = this.quarantined.delete(target);
        for (const link of this.table.values()) if (link.peer === target && !link.active && link.role === 'dialer') this.signal(link, { type: 'start' });
        this.report();
        return { ok: true, detail: had ? `${target} is let back` : `${target} was not quarantined` };
      }
      case 'reconnect-members':
        return this.reconnectMembers();
    }
  }

  /** Chaos on the links with one peer (link-faults.ts): refused unless `allowChaos` (never in production mode). */
  fault(request: LinkFaultRequest): MeshRemedyResult {
    if (this.stopped) return { ok: false, detail: 'the peer links are stopped' };
    if (this.options.allowChaos !== true) return { ok: false, detail: 'link faults are refused: chaos is off on this node (production mode)' };
    switch (request.kind) {
      case 'cut-link':
        this.faults.cut(request.peer, request.durationMs);
        return { ok: true, detail: `nothing passes to or from ${request.peer}` };
      case 'lossy-link': {
        const share = request.share ?? 0.3;
        this.faults.lossy(request.peer, share, request.durationMs);
        return { ok: true, detail: `${Math.round(share * 100)}% of the heartbeats to and from ${request.peer} are dropped` };
      }
      case 'heal-link':
        return { ok: true, detail: this.faults.heal(request.peer) ? `the link to ${request.peer} is healed` : `the link to ${request.peer} had no fault` };
    }
  }

  /**
   * Members held alive that no route leads to and no link joins are dialed directly at the first
   * address their signed record gives: a partition of the mesh's links bridged over the network
   * underneath, where it still connects them.
   */
  private reconnectMembers(): MeshRemedyResult {
    const self = this.credentials!.spiffeId;
    const routed = new Set(this.routing.state().routes.map((route) => route.destination));
    const linked = new Set([...this.table.values()].map((link) => link.peer));
    const dialed: string[] = [];
    const bridges = [...this.table.values()].filter((link) => link.bridge === true).length;
    for (const member of this.membership.state(this.linkedPeers()).members) {
      if (bridges + dialed.length >= MAX_BRIDGE_LINKS) break;
      const id = member.spiffeId;
      if (member.state !== 'alive' || id === self || routed.has(id) || linked.has(id) || this.isQuarantined(id) || !this.admits(id)) continue;
      const address = member.addresses[0];
      if (address === undefined) continue;
      let endpoint: PeerEndpoint;
      try {
        endpoint = { address: parseHostPort(address), spiffeId: id };
      } catch {
        continue;
      }
      const link = this.newLink(randomBytes(LINK_ID_BYTES), 'dialer', id, endpoint);
      link.bridge = true;
      this.signal(link, { type: 'start' });
      dialed.push(id);
    }
    this.report();
    if (dialed.length === 0) return { ok: false, detail: bridges >= MAX_BRIDGE_LINKS ? `this node holds its ${MAX_BRIDGE_LINKS} bridge links already` : 'no member held alive lacks a route or a link: nothing to dial' };
    return { ok: true, detail: `dialing ${dialed.length} unreachable members directly: ${dialed.join(', ')}` };
  }

  /** Bridge links whose member is no longer held alive (dead, left, forgotten) go: they would redial it for ever. */
  private forgetLostBridges(): void {
    for (const link of [...this.table.values()]) {
      if (link.bridge !== true || this.membership.aliveMember(link.peer) !== undefined) continue;
      this.log('info', 'bridge link forgotten: its member is no longer held alive', { peer: link.peer });
      this.forget(link);
    }
  }

  private isAvoided(peer: string): boolean {
    const avoided = this.avoided.get(peer);
    if (avoided === undefined) return false;
    if (avoided.until > this.clock.monotonicNow() && avoided.incarnation === this.membership.aliveMember(peer)?.incarnation) return true;
    this.avoided.delete(peer);
    return false;
  }

  private isQuarantined(peer: string): boolean {
    return this.inForce(this.quarantined, peer);
  }

  /** Whether a remedy's deadline for the peer is still ahead; a passed one is forgotten. */
  private inForce(deadlines: Map<string, number>, peer: string): boolean {
    const until = deadlines.get(peer);
    if (until === undefined) return false;
    if (until > this.clock.monotonicNow()) return true;
    deadlines.delete(peer);
    return false;
  }

  /** Every telemetryEveryMs: the mesh's sample. */
  private scheduleTelemetry(): void {
    if (this.stopped || !this.options.onTelemetry) return;
    const every = this.options.telemetryEveryMs ?? DEFAULT_TELEMETRY_EVERY_MS;
    this.telemetryTimer = this.clock.setTimeout(() => {
      this.telemetryTimer = undefined;
      if (this.stopped) return;
      this.options.onTelemetry!(this.telemetry.sample(this.reading(this.state()), this.clock.now(), every));
      this.scheduleTelemetry();
    }, every);
  }

  /** What mesh-telemetry.ts reads: links per peer (up if any is), with the current connection's heartbeat. */
  private reading(state: MeshLinksState): MeshReading {
    const links = new Map<string, MeshReading['links'][number]>();
    for (const link of this.table.values()) {
      const heartbeat = link.active ? this.heartbeats.get(link.active) : undefined;
      if (links.get(link.peer)?.up) continue;
      links.set(link.peer, link.active ? { peer: link.peer, up: true, ...(heartbeat ? { phi: heartbeat.phi, lossRatio: heartbeat.lossRatio, ...(heartbeat.rttMs !== undefined ? { rttMs: heartbeat.rttMs } : {}) } : {}) } : { peer: link.peer, up: false, ...(this.isQuarantined(link.peer) ? { quarantined: true } : {}) });
    }
    return { self: state.spiffeId, members: state.membership.members, links: [...links.values()], routes: state.routing.routes, routeChanges: state.routing.routeChanges };
  }

  state(): MeshLinksState {
    return this.statistics.state(
      {
        listening: this.listening,
        spiffeId: this.credentials?.spiffeId,
        nodeKey: this.identity.fingerprint,
        readingHeld: this.readingHeld,
        localHealth: this.health.current,
        membership: this.membership.state(new Set(this.linkedPeers())),
        routing: this.routing.state(),
        endToEnd: this.endToEnd.state(),
      },
      this.table.values(),
      (connection) => this.heartbeats.get(connection),
    );
  }

  /** Peers with a link up now, each once (two links to one peer exist only until one of them is dropped). */
  private linkedPeers(): Set<string> {
    const peers = new Set<string>();
    for (const link of this.table.values()) if (link.active) peers.add(link.peer);
    return peers;
  }

  private createMembership(): Membership {
    return new Membership({
      clock: this.clock,
      random: this.random,
      send: (peer, topic, bytes) => this.enqueue(peer, topic, bytes),
      probe: this.options.probe ?? ((addresses) => this.addressProbe.probe(addresses)),
      linkedPeers: () => this.linkedPeers(),
      responsive: (peer) => {
        for (const link of this.table.values()) {
          if (link.peer !== peer || !link.active) continue;
          const heartbeat = this.heartbeats.get(link.active);
          if (heartbeat && heartbeat.phi < RESPONSIVE_PHI) return true;
        }
        return false;
      },
      verify: (bytes) => {
        const credentials = this.credentials!;
        return verifyMemberRecord(bytes, {
          bundles: credentials.bundles,
          authorize: (spiffeId) => this.policies.some((policy) => allows(policy, parseSpiffeId(spiffeId))),
          signer: this.identity.pqc.mldsa65,
          now: this.clock.now(),
        });
      },
      signing: () => {
        const credentials = this.credentials;
        if (!credentials) return undefined;
        const local = this.identity.local;
        return {
          spiffeId: credentials.spiffeId,
          addresses: this.advertisedAddresses(),
          kemPublicKey: this.identity.kem.publicKey,
          signing: { chain: credentials.chain.map((certificate) => new Uint8Array(certificate.rawData)), binding: local.record, secretKey: local.mldsa.secretKey, signer: this.identity.pqc.mldsa65 },
        };
      },
      sign: encodeMemberRecord,
      changed: () => this.report(),
      learned: (spiffeId) => this.routing.memberKnown(spiffeId),
      misbehaved: (peer, error) => {
        for (const connection of this.connections) {
          if (connection.peer.spiffeId === peer) connection.destroy(new LinkFrameError('forged-record', `the peer sent a membership message refused as ${error.reason}: ${error.message}`));
        }
      },
      fail: (error) => {
        // A fault of this code, never a peer's: thrown where nothing catches it, so the actor fails and is restarted.
        this.clock.setTimeout(() => {
          throw error;
        }, 0);
      },
      log: (level, message, fields) => this.log(level, message, fields),
    }, this.options.suspicion);
  }

  /** Whether this node admits a member of this SPIFFE ID at all: its peer-link policy, as for links and records. */
  private admits(spiffeId: string): boolean {
    try {
      return this.policies.some((policy) => allows(policy, parseSpiffeId(spiffeId)));
    } catch {
      return false;
    }
  }

  private createRouting(): MeshRouting {
    return new MeshRouting({
      clock: this.clock,
      admits: (spiffeId) => this.admits(spiffeId),
      isMember: (spiffeId) => this.membership.aliveMember(spiffeId) !== undefined,
      send: (neighbour, topic, bytes) => this.enqueue(neighbour, topic, bytes),
      quality: (neighbour) => {
        for (const link of this.table.values()) {
          if (link.peer !== neighbour || !link.active) continue;
          const heartbeat = this.heartbeats.get(link.active);
          if (heartbeat) return { phi: heartbeat.phi, lossRatio: heartbeat.lossRatio, avoided: this.isAvoided(neighbour), ...(heartbeat.rttMs !== undefined ? { rttMs: heartbeat.rttMs } : {}) };
        }
        return { avoided: this.isAvoided(neighbour) };
      },
      routesChanged: () => this.endToEnd.routesChanged(),
      changed: () => this.report(),
      log: (level, message, fields) => this.log(level, message, fields),
    });
  }

  private createEndToEnd(): EndToEnd {
    return new EndToEnd({
      clock: this.clock,
      self: () => this.credentials?.spiffeId,
      admits: (spiffeId) => this.admits(spiffeId),
      pqc: () => this.identity.pqc,
      kem: () => this.identity.kem,
      signingSecretKey: () => this.identity.local.mldsa.secretKey,
      member: (spiffeId) => this.membership.aliveMember(spiffeId),
      nextHop: (destination) => this.routing.nextHop(destination),
      forward: (neighbour, bytes) => this.enqueue(neighbour, FORWARD_TOPIC, bytes),
      deliver: (origin, topic, payload, hops) => {
        if (topic === PING_TOPIC || topic === PONG_TOPIC) this.pinger.receive(origin, topic, payload, hops);
        else if (isControlTopic(topic)) {
          // A reserved topic end to end that this version does not know: a newer peer's, never an actor's.
          this.statistics.unknownControl++;
          this.report();
        } else this.deliver(origin, topic, payload);
      },
      changed: () => this.report(),
      log: (level, message, fields) => this.log(level, message, fields),
    });
  }

  /**
   * The routes learn which neighbours are linked now (after a link came up or went down). A
   * neighbour whose messages now go on another link than before gets every member record and the
   * whole route table again on it (MeshRouting.resync): membership and routes saw no neighbour go
   * and come back, yet the other end of the new link may be a restarted process (its new link came
   * up while the old one still counted), and what went on the old link's stream never reaches it.
   */
  private neighboursChanged(): void {
    const linked = this.linkedPeers();
    this.routing.linksChanged(linked);
    for (const peer of [...this.routedOn.keys()]) if (!linked.has(peer)) this.routedOn.delete(peer);
    for (const peer of linked) {
      const key = this.table.route(peer)?.key;
      const before = this.routedOn.get(peer);
      if (key === undefined || key === before) continue;
      this.routedOn.set(peer, key);
      if (before === undefined) continue;
      // Records before routes, as at link-up: routes to members it does not know yet would wait.
      this.membership.linkUp(peer);
      this.routing.resync(peer);
    }
  }

  /** What this node's member record says about where to reach it. */
  private advertisedAddresses(): string[] {
    if (this.options.advertise) return this.options.advertise.map(canonicalHostPort);
    if (!this.listening) return [];
    const { host } = parseHostPort(this.listening);
    return host === '0.0.0.0' || host === '::' ? [] : [canonicalHostPort(this.listening)];
  }

  async stop(): Promise<void> {
    for (const heartbeat of this.heartbeats.values()) heartbeat.stop();
    this.heartbeats.clear();
    // A graceful leave, before the goodbyes: the record goes out on each link ahead of them.
    this.membership.leave();
    this.membership.stop();
    this.routing.stop();
    this.endToEnd.stop();
    this.stopped = true;
    this.clock.clearTimeout(this.reportTimer);
    this.clock.clearTimeout(this.telemetryTimer);
    const active = new Set<LinkConnection>();
    for (const link of this.table.values()) {
      link.lifecycle.stop();
      if (link.active) active.add(link.active);
      this.writeEverything(link);
      link.active?.goodbye('the node is stopping');
    }
    // The rest (a handshake or Hello under way, a superseded one draining) have nothing left to
    // say, and the listener's close waits for every connection it accepted.
    for (const connection of this.connections) if (!active.has(connection)) connection.destroy();
    await this.transport.close();
    // A connection said goodbye to is ended after what it holds is written: cut at once, the leave
    // record still in its socket's buffer would be lost, and the peer would see the node fail instead
    // of leave. Dialed connections (the listener's close does not wait for them) get a short while.
    await this.drained(STOP_DRAIN_MS);
    for (const connection of this.connections) connection.destroy();
  }

  /** Resolves once every connection has closed (as each close reports it), or after `withinMs`. */
  private drained(withinMs: number): Promise<void> {
    if (this.connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => done(), withinMs);
      const done = () => {
        this.clock.clearTimeout(timer);
        this.onAllClosed = undefined;
        resolve();
      };
      this.onAllClosed = done;
    });
  }

  /**
   * At the stop: what the link holds unwritten goes on its connection before the goodbye, congested
   * or not (the leave record among it), since a goodbye written ahead of it would end the connection
   * before the peer reads it. Bounded by the link's window.
   */
  private writeEverything(link: Link): void {
    const connection = link.active;
    if (!connection || connection.linkKey !== link.key) return;
    for (let message = link.stream.takeNextToWrite(); message && connection.open; message = link.stream.takeNextToWrite()) connection.send({ kind: 'data', ...message });
  }

    /** Dialer: a new connection for the link, which says Hello once it is made. */
  private dial(link: Link): void {
    const endpoint = link.endpoint!;
    if (this.isQuarantined(endpoint.spiffeId)) {
      // Not even a handshake with a peer this node would refuse; the link waits its backoff and asks again.
      this.clock.setTimeout(() => this.linkFailed(link, new PeerQuarantinedError(endpoint.spiffeId, 'its quarantine ends')), 0);
      return;
    }
    this.transport.dial(endpoint.address, endpoint.spiffeId).then(
      (carrier) => {
        if (this.stopped) {
          carrier.destroy();
          return;
        }
        if (this.isQuarantined(carrier.peer.spiffeId)) {
          carrier.destroy();
          this.linkFailed(link, new PeerQuarantinedError(carrier.peer.spiffeId, 'its quarantine ends'));
          return;
        }
        let connection: LinkConnection;
        try {
          connection = this.connection(carrier, link.key);
        } catch (error) {
          // A connection that cannot be set up (closed as it arrived) is a failed dial, never an unhandled rejection.
          carrier.destroy();
          this.linkFailed(link, error instanceof Error ? error : new Error(String(error)));
          return;
        }
        connection.send({ kind: 'hello', version: LINK_PROTOCOL_VERSION, linkId: link.linkId, incarnation: link.stream.incarnation, receiveNext: link.stream.receiveNext });
      },
      (error: Error) => this.linkFailed(link, error),
    );
  }

  private connection(carrier: TransportConnection, dialedLinkKey?: string): LinkConnection {
    const connection = this.linkConnection(carrier, this.options.postQuantum, dialedLinkKey);
    // Its constructor may already have closed it (a session that failed at once).
    if (!connection.ended) this.connections.add(connection);
    return connection;
  }

  /** Open connections of one peer, accepted and dialed: what MAX_CONNECTIONS_PER_PEER bounds. */
  private openConnectionsOf(peer: string): number {
    let open = 0;
    for (const connection of this.connections) if (connection.peer.spiffeId === peer) open++;
    return open;
  }

  private linkConnection(carrier: TransportConnection, pq: LinksPostQuantum | undefined, dialedLinkKey: string | undefined): LinkConnection {
    // A connection set up is input too: its TLS and post-quantum handshakes cost more CPU than any frame.
    this.options.onInput?.(1);
    return new LinkConnection(
      carrier,
      {
        clock: this.clock,
        helloTimeoutMs: this.timing.helloTimeoutMs,
        ...(dialedLinkKey !== undefined ? { dialedLinkKey } : {}),
        faults: this.faults,
        postQuantum: {
          pqc: this.identity.pqc,
          local: this.identity.local,
          suites: pq?.suites ?? DEFAULT_SUITES,
          ...(pq?.rekeyAfterFrames !== undefined ? { rekeyAfterFrames: pq.rekeyAfterFrames } : {}),
          ...(pq?.rekeyAfterMs !== undefined ? { rekeyAfterMs: pq.rekeyAfterMs } : {}),
          metrics: this.statistics.sessionHooks(() => this.report()),
        },
      },
      {
        onRecords: (count) => this.options.onInput?.(count),
        onFrame: (connection, frame) => {
          // Stopping: nothing more is bound or delivered (a Hello now would bind a connection the stop already passed).
          if (this.stopped) {
            connection.destroy();
            return;
          }
          try {
            this.onFrame(connection, frame);
          } catch (error) {
            connection.destroy(error as Error);
          }
        },
        onClose: (connection, error) => {
          this.connections.delete(connection);
          if (this.connections.size === 0) this.onAllClosed?.();
          this.stopHeartbeat(connection);
          this.onClose(connection, error);
        },
        onDrain: (connection) => {
          const link = this.table.get(connection.linkKey);
          if (link?.active === connection && !this.stopped) {
            this.writeBacklog(link);
            this.report();
          }
        },
      },
    );
  }

  /**
   * Hands a peer's message to the node. A payload whose structure is refused is counted and dropped
   * (it was acknowledged in the stream, so the peer does not resend it); the link goes on, since
   * one malformed message does not make the peer's other messages untrustworthy.
   */
  private deliver(peer: string, topic: string, bytes: Buffer): void {
    let payload: unknown;
    try {
      payload = parseRemotePayload(bytes);
    } catch (error) {
      if (!(error instanceof RemotePayloadError)) throw error;
      this.statistics.rejectedPayloads[error.reason]++;
      this.log('warn', 'refused a peer message', { peer, topic, bytes: bytes.length, reason: error.reason });
      return;
    }
    this.options.onMessage(peer, topic, payload);
  }

  private onFrame(connection: LinkConnection, frame: LinkFrame): void {
    if (connection.linkKey === undefined) {
      if (frame.kind === 'goodbye') throw new Error(`refused by the peer: ${frame.reason}`);
      if (frame.kind !== 'hello') throw new LinkFrameError('unexpected', `a ${frame.kind} frame before Hello`);
      const dialedFor = this.table.get(connection.dialedLinkKey);
      const link = dialedFor ?? this.acceptedLink(connection, frame);
      if (!dialedFor) {
        connection.send({ kind: 'hello', version: LINK_PROTOCOL_VERSION, linkId: link.linkId, incarnation: link.stream.incarnation, receiveNext: link.stream.receiveNext });
      }
      this.bind(link, connection, frame);
      return;
    }
    const link = this.table.get(connection.linkKey);
    if (!link) return;
    if (link.active === connection) this.heartbeats.get(connection)?.arrived();
    switch (frame.kind) {
      case 'ping':
        connection.send({ kind: 'pong', nonce: frame.nonce });
        return;
      case 'pong':
        this.heartbeats.get(connection)?.pong(frame.nonce);
        return;
      case 'data':
        if (link.stream.receive(frame.seq) === 'deliver') {
          if (!isControlTopic(frame.topic)) this.deliver(link.peer, frame.topic, frame.payload);
          else {
            if (isLinkControl(frame.topic)) link.controlDelivered++;
            if (frame.topic === MEMBER_TOPIC) this.membership.receive(link.peer, frame.payload);
            else if (frame.topic === CLAIM_TOPIC) this.membership.receiveClaim(link.peer, frame.payload);
            else if (frame.topic === PROBE_TOPIC) this.membership.receiveProbe(link.peer, frame.payload);
            else if (frame.topic === ROUTE_TOPIC) this.routing.receive(link.peer, frame.payload);
            else if (frame.topic === FORWARD_TOPIC) this.endToEnd.receive(link.peer, frame.payload);
            else this.statistics.unknownControl++;
          }
        }
        this.acknowledgeSoon(link, connection);
        this.report();
        return;
      case 'ack':
        link.stream.acknowledge(frame.receiveNext);
        this.retireIfDrained(link);
        this.report();
        return;
      case 'reauth':
        // Only an acceptor asks (the dialer is the side that dials the replacement): a dialer that
        // asks breaks the protocol, and answering would let it make this side seal frames on demand.
        if (link.role === 'acceptor') throw new LinkFrameError('unexpected', 'the dialer asked this acceptor to re-authenticate; only acceptors ask');
        if (link.active) this.signal(link, { type: 'reauth', reason: 'the peer asked', fromPeer: true });
        return;
      case 'goodbye':
        // The peer moved on (to a newer connection, or away): finish this one; it sends no more heartbeats on it.
        connection.carrier.end();
        this.stopHeartbeat(connection);
        if (link.active !== connection) return;
        if (link.role === 'acceptor' && frame.reason === ONE_LINK_PER_PAIR) {
          // The peer retired its half of a doubled pair (keepOneLinkPerPair) after all it carried
          // was acknowledged: this node's own link to it carries on (its Hello may not have come yet).
          this.forget(link);
          return;
        }
        if (linkPhase(link.lifecycle.getSnapshot()) === 'reauthenticating') {
          // The acceptor bound our replacement connection before we heard its Hello there: not a
          // loss of the link. Traffic waits in the stream and goes out when the replacement binds.
          link.active = undefined;
          link.stream.rewind();
          this.log('info', 'peer link moving to its new connection', { peer: link.peer });
          return;
        }
        this.detach(link, `the peer said goodbye: ${frame.reason}`);
        return;
      case 'hello':
        throw new LinkFrameError('unexpected', 'a second Hello on one connection');
    }
  }

  /** The acceptor's link for an incoming Hello: the one it resumes (same link, same peer), or a new one. */
  private acceptedLink(connection: LinkConnection, hello: Extract<LinkFrame, { kind: 'hello' }>): Link {
    const peer = connection.peer.spiffeId;
    const admitted = this.table.admit(hello.linkId.toString('hex'), peer);
    if ('resumes' in admitted) return admitted.resumes;
    if (admitted.displaces) this.forget(admitted.displaces);
    return this.newLink(Buffer.from(hello.linkId), 'acceptor', peer);
  }

  /** Moves the link to this connection: resend what the peer has not got, then close the one it replaces. */
  private bind(link: Link, connection: LinkConnection, hello: Extract<LinkFrame, { kind: 'hello' }>): void {
    const previous = link.active;
    connection.linkKey = link.key;
    if (this.readingHeld) connection.setReading(false);
    link.active = connection;
    delete link.lastError;
    this.signal(link, { type: 'bound', establishedAt: connection.establishedAt, expiresAt: connection.expiresAt });
    link.stream.onHello(hello.incarnation, hello.receiveNext);
    this.writeBacklog(link);
    this.watch(link, connection);
    if (previous && previous !== connection) {
      this.stopHeartbeat(previous);
      previous.goodbye('re-authenticated on a new connection');
    }
    this.log('info', 'peer link up', { peer: link.peer, role: link.role, connection: connection.id, expiresAt: new Date(connection.expiresAt).toISOString() });
    // Before the records go out, so that they go on the link that stays.
    this.keepOneLinkPerPair(link.peer);
    if (!previous) this.membership.linkUp(link.peer);
    // After the records: the peer learns the members before the routes to them.
    this.neighboursChanged();
    this.report();
  }

  /**
   * Two nodes that both dial each other (each names the other as a peer, or both dial at once)
   * hold two links where one does: the one the node with the lower SPIFFE ID dials stays. The
   * higher one retires its own link once the lower one's is up: nothing new goes on it (route()
   * takes the accepted link), and once the peer has acknowledged everything it carried, it says
   * goodbye with ONE_LINK_PER_PAIR, and the lower one forgets that half at once. The higher one
   * keeps the peer's address parked: should the accepted link be given up (the peer stopped
   * dialing), it dials again.
   */
  private keepOneLinkPerPair(peer: string): void {
    const self = this.credentials?.spiffeId;
    if (self === undefined || self <= peer) return;
    const dialer = this.table.dialerTo(peer);
    const acceptedUp = [...this.table.values()].some((link) => link.role === 'acceptor' && link.peer === peer && link.active);
    if (!dialer || !acceptedUp || dialer.retiring) return;
    dialer.retiring = true;
    this.log('info', 'peer link retiring: the peer dials this node too, and the lower SPIFFE ID dials', { peer, unacknowledged: dialer.stream.pending });
    this.retireIfDrained(dialer);
  }

  /** A retiring link goes once the peer has acknowledged all it carried, so nothing sent on it is lost. */
  private retireIfDrained(link: Link): void {
    if (!link.retiring || link.stream.pending > 0 || !link.endpoint) return;
    const connection = link.active;
    link.active = undefined;
    if (connection) {
      this.stopHeartbeat(connection);
      // Ended with a goodbye, not destroyed: the peer learns why and forgets its half of this link.
      connection.goodbye(ONE_LINK_PER_PAIR);
    }
    this.parked.set(link.peer, link.endpoint);
    this.forget(link);
  }

  /** An accepted link was given up: the peer it came from is dialed again if this node once dialed it. */
  private unpark(peer: string): void {
    const endpoint = this.parked.get(peer);
    if (!endpoint || this.stopped || this.table.dialerTo(peer) || [...this.table.values()].some((link) => link.peer === peer)) return;
    this.parked.delete(peer);
    const link = this.newLink(randomBytes(LINK_ID_BYTES), 'dialer', peer, endpoint);
    if (this.credentials) this.signal(link, { type: 'start' });
  }

  private onClose(connection: LinkConnection, error?: Error): void {
    const key = connection.linkKey;
    if (key === undefined) {
      const dialedFor = this.table.get(connection.dialedLinkKey);
      if (dialedFor) this.linkFailed(dialedFor, error ?? new Error('the peer closed the connection before Hello'));
      else if (error) this.refuse(connection.peer.spiffeId, error);
      return;
    }
    const link = this.table.get(key);
    if (link && link.active === connection) {
      this.detach(link, error ? `${error.name}: ${error.message}` : 'the connection closed');
      if (lossSuggestsFailure(error)) this.membership.lost(link.peer, error ? `${error.name}: ${error.message}` : 'the connection closed without a goodbye');
    }
  }

  /**
   * Failure detection on the connection the link now uses: its heartbeats, and when the peer falls
   * silent (phi past the threshold) the connection closes, as if TCP had said the peer was gone: a
   * dialer redials, an acceptor waits for the peer to come back.
   */
  private watch(link: Link, connection: LinkConnection): void {
    const heartbeat = new LinkHeartbeat({
      clock: this.clock,
      timing: this.heartbeatTiming,
      health: this.health,
      ping: (nonce) => connection.send({ kind: 'ping', nonce }),
      onFirstRoundTrip: () => {
        if (link.active === connection && !this.stopped) this.routing.linkMeasured(link.peer);
      },
      onSilent: ({ phi, silenceMs }) => {
        this.heartbeats.delete(connection);
        if (link.active !== connection || this.stopped) return;
        this.statistics.silentPeers++;
        connection.closeSaying(new PeerSilentError(link.peer, phi, silenceMs));
      },
    });
    this.heartbeats.set(connection, heartbeat);
    if (this.readingHeld) heartbeat.hold(true);
    heartbeat.start();
  }

  private stopHeartbeat(connection: LinkConnection): void {
    this.heartbeats.get(connection)?.stop();
    this.heartbeats.delete(connection);
  }

  /** The link lost its connection: a dialer reconnects; an acceptor waits for the peer to resume. */
  private detach(link: Link, reason: string): void {
    if (link.active) this.stopHeartbeat(link.active);
    link.active = undefined;
    // Its connection lost before the peer acknowledged everything: it redials and resends as any link does, and retires again once up.
    link.retiring = false;
    link.stream.rewind();
    link.lastError = reason;
    if (this.stopped) return;
    this.signal(link, { type: 'detached' });
    this.neighboursChanged();
    this.log('warn', 'peer link down', { peer: link.peer, role: link.role, reason });
    this.report();
  }

  private linkFailed(link: Link, error: Error): void {
    link.lastError = `${error.name}: ${error.message}`;
    if (this.stopped) return;
    this.signal(link, { type: 'dial.failed' });
    this.log('warn', 'peer link attempt failed', { peer: link.peer, address: link.endpoint && formatHostPort(link.endpoint.address), reason: link.lastError });
    this.report();
  }

  private reauthenticate(link: Link, reason: string): void {
    if (link.active) this.signal(link, { type: 'reauth', reason });
  }

  private acknowledgeSoon(link: Link, connection: LinkConnection): void {
    if (link.stream.ackDue) {
      connection.send({ kind: 'ack', receiveNext: link.stream.takeAck() });
      this.signal(link, { type: 'acked' });
    } else {
      this.signal(link, { type: 'delivered' });
    }
  }

  private newLink(linkId: Buffer, role: LinkRole, peer: string, endpoint?: PeerEndpoint): Link {
    const link: Link = {
      key: linkId.toString('hex'),
      linkId,
      role,
      peer,
      ...(endpoint ? { endpoint } : {}),
      stream: new LinkStream(randomBytes(LINK_ID_BYTES)),
      active: undefined,
      dropped: 0,
      controlSent: 0,
      controlDelivered: 0,
      lifecycle: createActor(
        createPeerLinkLifecycleMachine({
          role,
          clock: this.clock,
          random: this.random,
          timing: this.timing,
          ports: {
            dial: () => this.dial(link),
            reauthenticate: (reason) => {
              this.log('info', 'peer link re-authenticating', { peer: link.peer, role: link.role, reason });
              if (role === 'acceptor') link.active?.send({ kind: 'reauth' });
            },
            sendAck: () => {
              if (link.stream.ackPending) link.active?.send({ kind: 'ack', receiveNext: link.stream.takeAck() });
            },
            forget: () => this.forget(link),
            endUnanswered: () => {
              this.log('warn', 'peer link closed: the dialer did not re-authenticate when asked', { peer: link.peer, waitedMs: REAUTH_ANSWER_MS });
              link.active?.closeSaying(new ReauthNotAnsweredError(link.peer, REAUTH_ANSWER_MS));
            },
          },
        }),
        { clock: this.clock },
      ),
    };
    this.table.add(link);
    link.lifecycle.start();
    return link;
  }

  /** Drops a link for good (an acceptor's peer that did not come back, or one displaced by its restart). */
  private forget(link: Link): void {
    this.table.delete(link);
    link.active?.destroy();
    // Possibly called from the link's own statechart: it stops once its current step is over.
    queueMicrotask(() => link.lifecycle.stop());
    if (link.role === 'acceptor') this.unpark(link.peer);
    this.neighboursChanged();
    this.report();
  }

  /** An event for a link's statechart; none once the node stops (its statecharts are stopped). */
  private signal(link: Link, event: LinkLifecycleEvent): void {
    if (!this.stopped) link.lifecycle.send(event);
  }

  private refuse(peer: string | undefined, error: Error): void {
    const reason = this.statistics.refusal(peer, error);
    this.log('warn', 'peer connection refused', { peer, reason });
    this.report();
  }

  /** Coalesced: per-message counters change constantly, the report goes at most every reportEveryMs. */
  private report(): void {
    if (this.stopped || this.reportTimer !== undefined) return;
    this.reportTimer = this.clock.setTimeout(() => {
      this.reportTimer = undefined;
      if (this.stopped) return;
      this.forgetLostBridges();
      const state = this.state();
      this.options.onState(state);
      // A neighbour declared dead reaches the loop at once, not at the next interval's sample.
      if (this.options.onTelemetry) {
        const event = this.telemetry.observe(this.reading(state), this.clock.now());
        if (event) this.options.onTelemetry(event);
      }
    }, this.timing.reportEveryMs);
  }

  private log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void {
    this.options.onLog?.(level, message, fields);
  }
}
