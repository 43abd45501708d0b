/**
 * The deterministic simulation's network: the wires of a mesh (each with its latency, and the
 * faults the simulator puts on it), and connections over them that behave as the peer links' TCP
 * connections do where it matters to membership, failure detection and routing:
 * - in order and reliable while the wire is whole; a lossy wire drops a share of the heartbeats
 *   (Ping, Pong: the links' loss probes) and delays a share of the messages by a retransmission
 *   timeout, as TCP under loss does (link-faults.ts does the same on real links);
 * - a cut wire (a cut cable, a dropped route) carries nothing and closes nothing: what is sent
 *   waits and goes through if the wire is whole again before the connection is closed;
 * - a process that ends (kill -9) has its kernel reset every connection it held, which its peers
 *   learn one latency later (when the wire lets them); a frozen one (SIGSTOP) answers nothing, its
 *   kernel still takes the bytes, and it reads them when it resumes;
 * - a dial succeeds after the handshake's round trips, is refused when the far process is gone
 *   (its port closed), and times out when the wire is cut or the far process does not answer.
 */
import type { Random } from '../../../lib/timing/random.js';
import type { ProcessClock } from '../../../lib/sim/process-clock.js';
import type { SimScheduler } from '../../../lib/sim/sim-scheduler.js';

/** What travels on a simulated connection. */
export type SimMessage = { kind: 'data'; topic: string; bytes: Buffer } | { kind: 'ping'; nonce: number } | { kind: 'pong'; nonce: number };

/** A TLS 1.3 handshake with the post-quantum session on top: about three round trips before Hello. */
export const HANDSHAKE_ROUND_TRIPS = 3;
/** TCP's minimum retransmission timeout (RFC 6298 allows 1 s; Linux uses 200 ms): what a lost segment costs the stream. */
export const RETRANSMIT_MS = 200;

/** One end of a simulated connection, as its node sees it. */
export interface SimConnectionEnd {
  readonly peer: string;
  /** Messages from the peer, in order. */
  onMessage(message: SimMessage): void;
  /** The peer closed (goodbye: it said why first) or its process ended (reset). */
  onClose(goodbye: boolean): void;
}

/** A process on the network: where its bytes are delivered, and whether it can answer. */
export interface SimHost {
  readonly id: string;
  readonly clock: ProcessClock;
  /** A dial from `peer` arrived and completed: the end that takes its messages. */
  accept(peer: string, connection: SimConnection): SimConnectionEnd;
}

interface Wire {
  latencyMs: number;
  cut: boolean;
  lossShare: number;
  /** Per direction (keyed by the sender): when the last message sent that way arrives, so that none overtakes another. */
  lastArrival: Map<string, number>;
  /** Sent while cut, per direction, in order: they go when the wire is whole again. */
  held: Map<string, (() => void)[]>;
}

export class SimConnection {
  private open = true;
  private readonly ends = new Map<string, SimConnectionEnd>();

  constructor(
    private readonly network: SimNetwork,
    readonly dialer: string,
    readonly acceptor: string,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  attach(side: string, end: SimConnectionEnd): void {
    this.ends.set(side, end);
  }

  otherSide(side: string): string {
    return side === this.dialer ? this.acceptor : this.dialer;
  }

  /** From `side` to the other side, in order after what it sent before. */
  send(side: string, message: SimMessage): void {
    if (!this.open) return;
    const to = this.otherSide(side);
    this.network.carry(side, to, message, () => {
      if (this.open) this.ends.get(to)?.onMessage(message);
    });
  }

  /** `side` closes: the other side learns it when its FIN (or the reset) arrives. */
  close(side: string, goodbye: boolean): void {
    if (!this.open) return;
    const to = this.otherSide(side);
    this.network.carry(side, to, undefined, () => {
      if (!this.open) return;
      this.open = false;
      this.network.untrack(this);
      this.ends.get(to)?.onClose(goodbye);
    });
    this.ends.delete(side);
  }
}

export interface SimNetworkOptions {
  scheduler: SimScheduler;
  random: Random;
  /** Latency jitter: each message takes up to this much longer than the wire's latency. */
  jitterMs: number;
  /** How long a dial waits for a handshake that does not come (listener-limits.ts's handshake deadline). */
  dialTimeoutMs: number;
}

function wireKey(a: string, b: string): string {
  return a < b ? `${a}\n${b}` : `${b}\n${a}`;
}

export class SimNetwork {
  private readonly hosts = new Map<string, SimHost>();
  private readonly wires = new Map<string, Wire>();
  /** Each host's wired peers, sorted. */
  private readonly adjacent = new Map<string, string[]>();
  /** Every connection not yet closed at both ends, by host: what a process's end resets. */
  private readonly connectionsOf = new Map<string, Set<SimConnection>>();
  /** Dials whose ClientHello a process has not read yet (it is frozen), by host: what its end refuses. */
  private readonly handshakesUnread = new Map<string, Set<() => void>>();
  private readonly scheduler: SimScheduler;
  private readonly random: Random;
  /** Messages carried, heartbeats dropped on lossy wires, messages delayed by a retransmission. */
  readonly counters = { carried: 0, dropped: 0, retransmitted: 0 };

  constructor(private readonly options: SimNetworkOptions) {
    this.scheduler = options.scheduler;
    this.random = options.random;
  }

  /** A wire between two hosts (both ways) with its one-way latency. */
  addWire(a: string, b: string, latencyMs: number): void {
    this.wires.set(wireKey(a, b), { latencyMs, cut: false, lossShare: 0, lastArrival: new Map(), held: new Map() });
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const peers = this.adjacent.get(from) ?? [];
      peers.push(to);
      peers.sort();
      this.adjacent.set(from, peers);
    }
  }

  /** The hosts a wire joins to `id`, sorted. */
  wiredTo(id: string): readonly string[] {
    return this.adjacent.get(id) ?? [];
  }

  /** A process starts (or starts again) at this host. */
  attach(host: SimHost): void {
    this.hosts.set(host.id, host);
  }

  /** Cuts (true) or mends (false) the wire between two hosts: what waited on it goes now, in order. */
  setCut(a: string, b: string, cut: boolean): void {
    const wire = this.wireBetween(a, b);
    if (wire.cut === cut) return;
    wire.cut = cut;
    if (cut) return;
    for (const [from, held] of wire.held) {
      wire.held.delete(from);
      for (const send of held) send();
    }
  }

  setLoss(a: string, b: string, share: number): void {
    this.wireBetween(a, b).lossShare = share;
  }

  isCut(a: string, b: string): boolean {
    return this.wireBetween(a, b).cut;
  }

  /**
   * `from` dials `to`: `done` gets the connection (both ends attached) after the handshake, or the
   * reason it failed. Timers run on the dialing process's clock, so a dialer frozen meanwhile sees
   * the result when it resumes.
   *
   * The far kernel completes TCP whatever its process is doing; the handshake proceeds when the
   * process reads the ClientHello. A frozen process (SIGSTOP) reads it when it resumes, so a dial
   * to it completes then, unless the dialer's deadline (dialTimeoutMs) has passed first: a dial
   * made during a freeze, or frozen in the middle of its handshake, is not lost to the timeout
   * after a resume, as it is not on real sockets.
   */
  dial(from: SimHost, to: string, end: (connection: SimConnection) => SimConnectionEnd, done: (result: SimConnection | 'refused' | 'timeout') => void): void {
    const wire = this.wireBetween(from.id, to);
    const target = this.hosts.get(to);
    const roundTrip = 2 * wire.latencyMs;
    if (!wire.cut && (!target || !target.clock.alive)) {
      // The far kernel answers with a reset: one round trip.
      from.clock.setTimeout(() => done('refused'), roundTrip);
      return;
    }
    let settled = false;
    const settle = (result: SimConnection | 'refused' | 'timeout'): boolean => {
      if (settled) return false;
      settled = true;
      from.clock.clearTimeout(deadline);
      done(result);
      return true;
    };
    const deadline = from.clock.setTimeout(() => settle('timeout'), this.options.dialTimeoutMs);
    if (wire.cut || !target) return;
    const refusedByReset = () => this.scheduler.schedule(wire.latencyMs, () => from.clock.deliver(() => settle('refused')));
    // Work of the far process in the handshake: now, or when it resumes if frozen; a reset (refused) if it ends first.
    const atTarget = (work: () => void): void => {
      this.awaitingHandshake(to).add(refusedByReset);
      target.clock.deliver(() => {
        this.awaitingHandshake(to).delete(refusedByReset);
        work();
      });
    };
    const complete = (): void => {
      if (settled) return;
      // Checked again when the handshake would complete: the far side may have ended or been cut off meanwhile.
      if (wire.cut || !target.clock.alive || this.hosts.get(to) !== target) {
        if (!target.clock.alive) settle('refused');
        return;
      }
      if (target.clock.frozen) {
        // Frozen in the middle of the handshake: it answers the last flight when it resumes.
        atTarget(() => this.scheduler.schedule(wire.latencyMs, () => from.clock.deliver(complete)));
        return;
      }
      const connection = new SimConnection(this, from.id, to);
      connection.attach(to, target.accept(from.id, connection));
      connection.attach(from.id, end(connection));
      this.track(from.id, connection);
      this.track(to, connection);
      settle(connection);
    };
    // The ClientHello reaches the far process after one latency; it answers when it runs, and the
    // rest of the handshake's round trips end back at the dialer.
    this.scheduler.schedule(wire.latencyMs, () => {
      if (!target.clock.alive) refusedByReset();
      else atTarget(() => this.scheduler.schedule(HANDSHAKE_ROUND_TRIPS * roundTrip - wire.latencyMs, () => from.clock.deliver(complete)));
    });
  }

  /** The process at `id` ended: its kernel resets every connection it held; its peers learn it one latency later. */
  processEnded(id: string): void {
    const unread = this.handshakesUnread.get(id);
    this.handshakesUnread.delete(id);
    for (const reset of unread ?? []) reset();
    const connections = this.connectionsOf.get(id);
    this.connectionsOf.delete(id);
    for (const connection of connections ?? []) connection.close(id, false);
  }

  /** Whether a process answers at `id` now: the simulation's address probe (refused when it is gone and the wire is whole). */
  refuses(from: string, id: string): boolean {
    const host = this.hosts.get(id);
    const wire = this.wires.get(wireKey(from, id));
    if (wire?.cut === true) return false;
    return host === undefined || !host.clock.alive;
  }

  /** Latency between two wired hosts; a probe to an unwired host takes this by default. */
  latencyBetween(a: string, b: string): number | undefined {
    return this.wires.get(wireKey(a, b))?.latencyMs;
  }

  /** Schedules `arrive` at the receiving process, after the wire's latency and in order; `message` undefined: a FIN or reset. */
  carry(from: string, to: string, message: SimMessage | undefined, arrive: () => void): void {
    const wire = this.wireBetween(from, to);
    if (wire.cut) {
      let held = wire.held.get(from);
      if (!held) wire.held.set(from, (held = []));
      held.push(() => this.carry(from, to, message, arrive));
      return;
    }
    let delay = wire.latencyMs + this.random() * this.options.jitterMs;
    if (wire.lossShare > 0 && message !== undefined && this.random() < wire.lossShare) {
      if (message.kind !== 'data') {
        this.counters.dropped++;
        return;
      }
      this.counters.retransmitted++;
      delay += RETRANSMIT_MS;
    }
    const now = this.scheduler.now;
    const arrival = Math.max(now + delay, wire.lastArrival.get(from) ?? 0);
    wire.lastArrival.set(from, arrival);
    this.counters.carried++;
    const receiver = this.hosts.get(to);
    this.scheduler.schedule(arrival - now, () => {
      // A host restarted meanwhile is a new process: what was sent to the old one is lost with it.
      const current = this.hosts.get(to);
      if (current === receiver && current) current.clock.deliver(arrive);
    });
  }

  /** Dials whose ClientHello waits at a (frozen) process that has not read it yet. */
  private awaitingHandshake(id: string): Set<() => void> {
    let set = this.handshakesUnread.get(id);
    if (!set) this.handshakesUnread.set(id, (set = new Set()));
    return set;
  }

  private track(id: string, connection: SimConnection): void {
    let set = this.connectionsOf.get(id);
    if (!set) this.connectionsOf.set(id, (set = new Set()));
    set.add(connection);
  }

  /** A connection closed at both ends is no longer tracked. */
  untrack(connection: SimConnection): void {
    this.connectionsOf.get(connection.dialer)?.delete(connection);
    this.connectionsOf.get(connection.acceptor)?.delete(connection);
  }

  private wireBetween(a: string, b: string): Wire {
    const wire = this.wires.get(wireKey(a, b));
    if (!wire) throw new RangeError(`no wire between ${a} and ${b}`);
    return wire;
  }
}
