/**
 * One node of the deterministic simulation: the node's own membership (with its suspicion and
 * indirect probes), its failure detector on every link, and its routing — the same classes the peer
 * links run (membership.ts, link-heartbeat.ts, mesh-routing.ts) — wired to a simulated network
 * instead of TLS connections, on its process's simulated clock and a seeded Random.
 *
 * What the peer links do around those classes, this does the same way, in fewer lines because a
 * simulated connection needs no Hello, no stream resend and no post-quantum session: the node with
 * the lower SPIFFE ID dials (one link per pair), a dialer redials with the links' own backoff, a
 * link's connection is watched by its heartbeats and closed when the peer falls silent, and a link
 * lost without a goodbye makes its peer suspected. Crypto is the simulation's stand-in
 * (lib/sim/stand-in-signer.ts): records and claims keep their real encoding and sizes.
 */
import { DEFAULT_HEARTBEAT_TIMING, RESPONSIVE_PHI, type HeartbeatTiming, type SuspicionTiming } from '../../../lib/mesh/failure-detection.js';
import { encodeMemberRecord, memberRecordSignature, MemberRecordError, peekMemberRecord, type VerifiedMemberRecord } from '../../../lib/mesh/member-record.js';
import type { Signer } from '../../../lib/crypto/liboqs.js';
import { XWING_PUBLIC_KEY_BYTES } from '../../../lib/crypto/xwing.js';
import { backoffDelayMs } from '../../../lib/timing/backoff.js';
import type { Random } from '../../../lib/timing/random.js';
import type { ProcessClock } from '../../../lib/sim/process-clock.js';
import { RECONNECT_JITTER } from '../../../machines/peer-link-lifecycle.js';
import { LinkHeartbeat, LocalHealth } from '../link-heartbeat.js';
import { MEMBER_TOPIC, Membership } from '../membership.js';
import { CLAIM_TOPIC } from '../member-suspicion.js';
import { MeshRouting, ROUTE_TOPIC } from '../mesh-routing.js';
import { PROBE_TOPIC } from '../../../lib/mesh/indirect-probe-message.js';
import { DEFAULT_PEER_LINKS_TIMING } from '../peer-links.js';
import type { SimConnection, SimConnectionEnd, SimHost, SimMessage, SimNetwork } from './sim-network.js';

/** What the simulation gives every node alike. */
export interface SimNodeContext {
  network: SimNetwork;
  signer: Signer;
  /** Each simulated node's ML-DSA stand-in public key, by SPIFFE ID: the simulation's trust domain. */
  publicKeys: ReadonlyMap<string, Uint8Array>;
  /**
   * Records verified so far, by the very bytes object (a relayed record is the same object at every
   * node: the simulated network carries references, and membership relays what it took): a record
   * one node verified is not hashed again by the next, and all nodes share its parsed form, which is
   * what lets a thousand nodes hold a thousand members each in one process.
   */
  verified: WeakMap<Uint8Array, VerifiedMemberRecord>;
  /** The SPIFFE ID a simulated address belongs to. */
  hostAt(address: string): string | undefined;
  heartbeat: HeartbeatTiming;
  suspicion: Partial<SuspicionTiming>;
  /** A node's log line (the simulation's trace). */
  log(node: SimNode, level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
  nextHopChanged(node: SimNode, destination: string, nextHop: string | undefined, previous: string | undefined): void;
  /** A fault of the mesh code (never of the simulated network): the run fails with it. */
  fail(error: unknown): void;
}

/** A node's identity in the simulation. */
export interface SimIdentity {
  spiffeId: string;
  address: string;
  secretKey: Uint8Array;
}

/** Stands for the SVID chain and the node record a member record carries (never parsed in the simulation). */
const STAND_IN_CHAIN = [Buffer.from('simulated SVID chain')];
const STAND_IN_BINDING = Buffer.from('simulated node record');

/** What a simulated member record proves for as long as the run lasts. */
const NEVER_EXPIRES = Number.MAX_SAFE_INTEGER;

interface LinkEnd extends SimConnectionEnd {
  connection: SimConnection;
  heartbeat: LinkHeartbeat;
}

export class SimNode implements SimHost {
  readonly id: string;
  private readonly membership: Membership;
  private readonly routing: MeshRouting;
  private readonly health = new LocalHealth();
  /** The link to each peer with a connection up. */
  private readonly links = new Map<string, LinkEnd>();
  /** Peers this node dials (a higher SPIFFE ID than its own), with their redial state. */
  private readonly dials = new Map<string, { attempts: number; dialing: boolean; timer: unknown }>();
  private readonly kemPublicKey: Uint8Array;
  /** Peers whose link the reroute-around remedy avoids (PeerLinks.remedy): their link costs AVOID_PENALTY more. */
  private readonly avoided = new Set<string>();
  private stopped = false;

  constructor(
    readonly identity: SimIdentity,
    readonly clock: ProcessClock,
    private readonly random: Random,
    private readonly context: SimNodeContext,
  ) {
    this.id = identity.spiffeId;
    // The X-Wing key's bytes as the record carries them (end-to-end sealing does not run in the simulation).
    this.kemPublicKey = new Uint8Array(XWING_PUBLIC_KEY_BYTES);
    const log = (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => context.log(this, level, message, fields);
    this.membership = new Membership(
      {
        clock,
        random,
        send: (peer, topic, bytes) => this.send(peer, { kind: 'data', topic, bytes }),
        probe: (addresses) =>
          new Promise((resolve) => {
            const ids = addresses.map((address) => context.hostAt(address));
            const refused = ids.length > 0 && ids.every((id) => id !== undefined && context.network.refuses(this.id, id));
            const latency = Math.max(...ids.map((id) => (id === undefined ? 0 : (context.network.latencyBetween(this.id, id) ?? 1))));
            clock.setTimeout(() => resolve(refused ? 'refused' : 'unknown'), 2 * latency);
          }),
        linkedPeers: () => this.links.keys(),
        responsive: (peer) => {
          const link = this.links.get(peer);
          return link !== undefined && link.heartbeat.phi < RESPONSIVE_PHI;
        },
        verify: (bytes) => Promise.resolve(this.verifyRecord(bytes)),
        signing: () => ({
          spiffeId: this.id,
          addresses: [identity.address],
          kemPublicKey: this.kemPublicKey,
          signing: { chain: STAND_IN_CHAIN, binding: STAND_IN_BINDING, secretKey: identity.secretKey, signer: context.signer },
        }),
        sign: encodeMemberRecord,
        changed: () => undefined,
        learned: (spiffeId) => this.routing.memberKnown(spiffeId),
        misbehaved: (peer, error) => context.fail(new Error(`${this.id} refused ${peer}'s membership message as ${error.reason}: ${error.message}`)),
        fail: (error) => context.fail(error),
        log,
      },
      context.suspicion,
    );
    this.routing = new MeshRouting({
      clock,
      admits: (spiffeId) => context.publicKeys.has(spiffeId),
      isMember: (spiffeId) => this.membership.aliveMember(spiffeId) !== undefined,
      send: (neighbour, topic, bytes) => this.send(neighbour, { kind: 'data', topic, bytes }),
      quality: (neighbour) => {
        const heartbeat = this.links.get(neighbour)?.heartbeat;
        const avoided = this.avoided.has(neighbour);
        if (!heartbeat) return { avoided };
        return { phi: heartbeat.phi, lossRatio: heartbeat.lossRatio, avoided, ...(heartbeat.rttMs !== undefined ? { rttMs: heartbeat.rttMs } : {}) };
      },
      routesChanged: () => undefined,
      changed: () => undefined,
      log,
      nextHopChanged: (destination, nextHop, previous) => context.nextHopChanged(this, destination, nextHop, previous),
    });
  }

  /** The process starts: its record is signed, its route originated, and it dials the wired peers above it. */
  start(): void {
    this.membership.announce();
    this.routing.start(this.id);
    for (const peer of this.context.network.wiredTo(this.id)) {
      if (peer > this.id) {
        this.dials.set(peer, { attempts: 0, dialing: false, timer: undefined });
        this.dial(peer);
      }
    }
  }

  /** A graceful leave: the `left` record to every linked peer, then each link closed with a goodbye once it went out. */
  leave(): void {
    this.membership.leave();
    this.clock.setTimeout(() => this.stop(true), 0);
  }

  /** The process ends (a leave's last step, or the simulation's end); a kill -9 is the network's and the clock's (SimMesh). */
  stop(goodbye: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    this.membership.stop();
    this.routing.stop();
    for (const dial of this.dials.values()) this.clock.clearTimeout(dial.timer);
    for (const [peer, link] of this.links) {
      link.heartbeat.stop();
      link.connection.close(this.id, goodbye);
      this.links.delete(peer);
    }
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  nextHop(destination: string): string | undefined {
    return this.routing.nextHop(destination);
  }

  /** What the reroute-around remedy does to a peer's link (or its undo): its cost is read again and routes worth having are asked for at once. */
  avoid(peer: string, avoided: boolean): void {
    if (avoided) this.avoided.add(peer);
    else this.avoided.delete(peer);
    this.routing.reassess(peer);
  }

  /** The member's record while this node holds it alive or suspect (undefined: dead, left or unknown). */
  aliveMember(spiffeId: string): VerifiedMemberRecord | undefined {
    return this.membership.aliveMember(spiffeId);
  }

  linkedPeers(): string[] {
    return [...this.links.keys()];
  }

  membershipState() {
    return this.membership.state(new Set(this.links.keys()));
  }

  accept(peer: string, connection: SimConnection): SimConnectionEnd {
    return this.bind(peer, connection);
  }

  /** The stand-in for verifyMemberRecord: the real head parse and bounds, the signature checked under the key the simulation's trust domain holds for the ID. */
  private verifyRecord(bytes: Uint8Array): VerifiedMemberRecord {
    const known = this.context.verified.get(bytes);
    if (known) return known;
    const head = peekMemberRecord(bytes);
    const publicKey = this.context.publicKeys.get(head.spiffeId);
    if (!publicKey) throw new MemberRecordError('unauthorized', `${head.spiffeId} is not a member of the simulation`);
    const { message, signature } = memberRecordSignature(bytes);
    if (!this.context.signer.verify(message, signature, publicKey)) throw new MemberRecordError('signature', `the member record of ${head.spiffeId} is not signed by its key`);
    const verified = { ...head, mldsaPublicKey: publicKey, expiresAt: NEVER_EXPIRES };
    this.context.verified.set(bytes, verified);
    return verified;
  }

  private send(peer: string, message: SimMessage): boolean {
    const link = this.links.get(peer);
    if (!link) return false;
    link.connection.send(this.id, message);
    return true;
  }

  private dial(peer: string): void {
    const state = this.dials.get(peer);
    if (!state || state.dialing || this.stopped || this.links.has(peer)) return;
    state.dialing = true;
    this.context.network.dial(this, peer, (connection) => this.bind(peer, connection), (result) => {
      state.dialing = false;
      if (this.stopped) {
        if (typeof result !== 'string') result.close(this.id, true);
        return;
      }
      if (typeof result !== 'string') {
        state.attempts = 0;
        return;
      }
      this.redial(peer, state);
    });
  }

  private redial(peer: string, state: { attempts: number; timer: unknown }): void {
    state.attempts++;
    const timing = DEFAULT_PEER_LINKS_TIMING;
    const delay = backoffDelayMs({ minMs: timing.reconnectMinMs, maxMs: timing.reconnectMaxMs, jitter: RECONNECT_JITTER }, state.attempts, this.random);
    state.timer = this.clock.setTimeout(() => this.dial(peer), delay);
  }

  /** A connection to `peer` is up at this end: heartbeats start, the peer gets every record, routing gets a neighbour. */
  private bind(peer: string, connection: SimConnection): LinkEnd {
    const previous = this.links.get(peer);
    if (previous) {
      // A crossing dial, or a reconnection the peer made before this end saw the old one go: the new one serves.
      previous.heartbeat.stop();
      previous.connection.close(this.id, true);
    }
    const end: LinkEnd = {
      peer,
      connection,
      heartbeat: new LinkHeartbeat({
        clock: this.clock,
        timing: this.context.heartbeat,
        health: this.health,
        ping: (nonce) => connection.send(this.id, { kind: 'ping', nonce }),
        onFirstRoundTrip: () => {
          if (this.links.get(peer) === end) this.routing.linkMeasured(peer);
        },
        onSilent: () => {
          if (this.links.get(peer) !== end) return;
          // As the peer links do: the connection closes saying why (a goodbye the peer reads if it
          // ever resumes, so it does not take the close for a failure of this node).
          connection.close(this.id, true);
          this.lost(peer, end, 'PeerSilentError: the peer fell silent');
        },
      }),
      onMessage: (message) => {
        if (this.links.get(peer) !== end || this.stopped) return;
        end.heartbeat.arrived();
        switch (message.kind) {
          case 'ping':
            connection.send(this.id, { kind: 'pong', nonce: message.nonce });
            return;
          case 'pong':
            end.heartbeat.pong(message.nonce);
            return;
          case 'data':
            this.receive(peer, message.topic, message.bytes);
        }
      },
      onClose: (goodbye) => {
        if (this.links.get(peer) !== end || this.stopped) return;
        this.lost(peer, end, goodbye ? undefined : 'the connection closed without a goodbye');
      },
    };
    this.links.set(peer, end);
    if (this.stopped) return end;
    this.context.log(this, 'info', 'peer link up', { peer });
    end.heartbeat.start();
    if (!previous) this.membership.linkUp(peer);
    this.routing.linksChanged(new Set(this.links.keys()));
    // The routes saw no neighbour go and come back, and the peer (restarted, perhaps) may hold none of them.
    if (previous) this.routing.resync(peer);
    return end;
  }

  private receive(peer: string, topic: string, bytes: Buffer): void {
    if (topic === MEMBER_TOPIC) this.membership.receive(peer, bytes);
    else if (topic === CLAIM_TOPIC) this.membership.receiveClaim(peer, bytes);
    else if (topic === PROBE_TOPIC) this.membership.receiveProbe(peer, bytes);
    else if (topic === ROUTE_TOPIC) this.routing.receive(peer, bytes);
  }

  /** The link's connection is gone: routes through it are withdrawn, its peer suspected when `why` says it failed, a dialer redials. */
  private lost(peer: string, end: LinkEnd, why: string | undefined): void {
    end.heartbeat.stop();
    this.links.delete(peer);
    this.context.log(this, 'info', 'peer link down', { peer, ...(why ? { why } : {}) });
    this.routing.linksChanged(new Set(this.links.keys()));
    if (why !== undefined) this.membership.lost(peer, why);
    const dial = this.dials.get(peer);
    if (dial) this.redial(peer, dial);
  }
}
