/**
 * Routes to every member over the peer links: loop-free distance vector after Babel (RFC 8966;
 * lib/mesh/route-table.ts keeps the table and its rules), carried on the links' reliable ordered
 * streams under a reserved topic.
 *
 * Why distance vector and not link state: a node's view changes only through its neighbours, one
 * small update per changed route, and Babel's feasibility condition keeps the routes loop-free at
 * every instant, also while they converge (link state over gossiped records loops transiently
 * whenever two nodes have run Dijkstra on different versions of the map). Why over the links'
 * streams and not datagrams: they are reliable and ordered, so (as in BGP) a neighbour gets the
 * full table once when its link comes up and then only changes, with no periodic updates and no
 * route expiry; a link that goes down withdraws every route through it at once. A neighbour can
 * still miss updates while its link stays up: a send its window refused (full of end-to-end
 * traffic), or a restarted peer whose new link came up while the old one still counted. It then
 * gets the whole table again, with its retractions (resync). Not re-sent: entries it refused over
 * its own caps (route-message.ts, RouteTable's maxDestinations), which honest meshes do not reach.
 *
 * A link's cost is measured by its failure detector (round trip, lateness: lib/mesh/link-cost.ts),
 * read every COST_INTERVAL_MS.
 */
import { COST_STEP, linkCost, type LinkQuality } from '../../lib/mesh/link-cost.js';
import { MAX_MEMBERS } from '../../lib/mesh/member-limits.js';
import { decodeRouteMessage, encodeRouteMessage, MAX_ROUTE_REQUESTS, MAX_ROUTE_UPDATES, RouteMessageError } from '../../lib/mesh/route-message.js';
import { INFINITE_METRIC, MAX_SEQNO_JUMP, RouteTable, type RouteEntry, type SeqnoRequest } from '../../lib/mesh/route-table.js';
import type { RouteRefusalReason, RoutingState } from '../../lib/mesh/routing-state.js';
import type { Clock, TimerHandle } from '../../lib/timing/clock.js';

/** The reserved topic routing messages travel on between neighbours. */
export const ROUTE_TOPIC = '$route';
/** How often links' costs are read again (and lost seqno requests repeated): often enough that a degrading link is left within a few seconds. */
export const COST_INTERVAL_MS = 1_000;
/**
 * A link's cost moves at a reading only by this much or more: a round trip's jitter that tips the
 * quantised cost one step (COST_STEP) and back would otherwise change the metric of every route
 * through the link, each rise advertised across the mesh (a thousand-node simulation spent most of
 * its time on such waves). A step of this size is a quarter of a ten-fold slower link's rise; a late
 * peer, loss and avoidance move the cost by far more.
 */
export const COST_DAMPING = 2 * COST_STEP;
/** A routing message's entries at most, in bytes: a quarter of a link frame's payload, so a full table goes in a few frames. */
const ROUTE_MESSAGE_BUDGET = 256 * 1024;
/** What an entry or a request costs beyond its destination's bytes (length, seqno, metric or hop count), rounded up. */
const ENTRY_OVERHEAD_BYTES = 8;

export interface MeshRoutingPorts {
  clock: Clock;
  /** Whether this node admits a member of this SPIFFE ID at all (its peer-link policy): routes to others are refused. */
  admits(spiffeId: string): boolean;
  /** Whether this node holds a verified record of this member, alive: routes to anything else wait (parked) until it does. */
  isMember(spiffeId: string): boolean;
  /** Queues a routing message on the link to a neighbour; false when the link refused it (its window is full). */
  send(neighbour: string, topic: string, bytes: Buffer): boolean;
  /** What the link's failure detector measures of a neighbour now. */
  quality(neighbour: string): LinkQuality;
  /** Next hops changed: held end-to-end messages go out on the new routes. */
  routesChanged(): void;
  changed(): void;
  log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
  /** A destination's next hop changed, as it changes (route-table.ts's onNextHop). */
  nextHopChanged?(destination: string, nextHop: string | undefined, previous: string | undefined): void;
}

export class MeshRouting {
  private table: RouteTable | undefined;
  private readonly neighbours = new Map<string, number>();
  private costTimer: TimerHandle | undefined;
  /**
   * Neighbours a routing message was refused to (the link's send window was full): they get the
   * whole table again at the next cost reading. A periodic full table to every neighbour did this
   * before, at a price that grows with the mesh's size squared: in a simulated mesh of a thousand
   * nodes, a table every 30 s on each of its links was more route entries a second than all else.
   */
  private readonly owedTable = new Set<string>();
  /**
   * Routes neighbours sent to destinations this node holds no member record of yet (a link-up
   * brings the records and the table together, and records are verified one at a time): each
   * neighbour's latest entry per destination, applied once the record is verified (memberKnown).
   * Bounded per neighbour, so a member inventing destinations fills its own share only, and never
   * the table.
   */
  private readonly parked = new Map<string, Map<string, RouteEntry>>();
  private received = 0;
  private readonly refused: Partial<Record<RouteRefusalReason, number>> = {};
  private stopped = false;

  constructor(private readonly ports: MeshRoutingPorts) {}

  /**
   * This node's identity is known (its first SVID): it originates its route. The first sequence
   * number is the wall clock's seconds, so a restarted node starts above what its neighbours
   * remember of its previous run (a node raises it by far less than one a second).
   */
  start(self: string): void {
    if (this.table || this.stopped) return;
    this.table = new RouteTable({
      self,
      initialSeqno: Math.floor(this.ports.clock.now() / 1000) % 2 ** 32,
      admits: (id) => this.ports.admits(id),
      seqnoCeiling: () => Math.floor(this.ports.clock.now() / 1000) + MAX_SEQNO_JUMP,
      ...(this.ports.nextHopChanged ? { onNextHop: (destination: string, nextHop: string | undefined, previous: string | undefined) => this.ports.nextHopChanged!(destination, nextHop, previous) } : {}),
    });
    this.scheduleCosts();
  }

  /** The neighbours with a link up now: new ones get the full table, lost ones' routes are withdrawn. */
  linksChanged(linked: ReadonlySet<string>): void {
    const table = this.table;
    if (!table || this.stopped) return;
    for (const neighbour of [...this.neighbours.keys()]) {
      if (linked.has(neighbour)) continue;
      this.neighbours.delete(neighbour);
      this.parked.delete(neighbour);
      this.owedTable.delete(neighbour);
      table.neighbourDown(neighbour);
    }
    for (const neighbour of linked) {
      if (this.neighbours.has(neighbour)) continue;
      const cost = linkCost(this.ports.quality(neighbour));
      this.neighbours.set(neighbour, cost);
      table.neighbourUp(neighbour, cost);
      this.sendTo(neighbour, table.fullTable(), []);
    }
    this.flush();
  }

  /**
   * A neighbour that may hold stale routes from this node although its link never went down (its
   * process restarted and its new link came up while the old one still counted): the whole table,
   * with its retractions, now.
   */
  resync(neighbour: string): void {
    const table = this.table;
    if (!table || this.stopped || !this.neighbours.has(neighbour)) return;
    this.sendResync(table, neighbour);
    this.flush();
  }

  /** The whole table with its retractions to one neighbour; owed again if its window refuses it. */
  private sendResync(table: RouteTable, neighbour: string): void {
    this.owedTable.delete(neighbour);
    this.sendTo(neighbour, table.resyncTable(), []);
  }

  /** A routing message a neighbour sent on the route topic. */
  receive(from: string, bytes: Buffer): void {
    const table = this.table;
    if (!table || this.stopped || !this.neighbours.has(from)) return;
    this.received++;
    let message: { updates: RouteEntry[]; requests: SeqnoRequest[] };
    try {
      message = decodeRouteMessage(bytes);
    } catch (error) {
      if (!(error instanceof RouteMessageError)) throw error;
      this.refuse(error.reason, from, error.message);
      return;
    }
    const known: RouteEntry[] = [];
    for (const entry of message.updates) {
      // What the table refuses anyway (a metric 0 from another, a destination not admitted) goes to it to be counted; routes to members not yet known wait.
      const refusable = (entry.metric === 0 && entry.destination !== from) || !this.ports.admits(entry.destination);
      // A retraction never waits: it only takes a route away, and the member it ends a route to is
      // typically one this node already holds dead or gone (the news of a failure travels as fast as
      // the retractions do): parked, it would leave the route through the retracting neighbour in
      // place, a black hole, for as long as the member stays unknown.
      const retraction = entry.metric >= INFINITE_METRIC;
      if (refusable || retraction || entry.destination === from || this.ports.isMember(entry.destination)) {
        // What the neighbour said before about it (parked) is superseded.
        this.parked.get(from)?.delete(entry.destination);
        known.push(entry);
      } else this.park(from, entry);
    }
    for (const { reason, entry } of table.receiveUpdates(from, known).refused) this.refuse(reason, from, `a route to ${entry.destination} at metric ${entry.metric}`);
    const now = this.ports.clock.monotonicNow();
    for (const request of message.requests) {
      const { refused } = table.receiveRequest(from, request, now);
      if (refused !== undefined) this.refuse(refused, from, `a request for ${request.destination} at seqno ${request.seqno}`);
    }
    this.flush();
  }

  /** Membership verified a member's record: the routes to it neighbours sent meanwhile apply now. */
  memberKnown(spiffeId: string): void {
    const table = this.table;
    if (!table || this.stopped) return;
    for (const [neighbour, entries] of this.parked) {
      const entry = entries.get(spiffeId);
      if (!entry) continue;
      entries.delete(spiffeId);
      for (const { reason } of table.receiveUpdates(neighbour, [entry]).refused) this.refuse(reason, neighbour, `a route to ${spiffeId} at metric ${entry.metric}`);
    }
    this.flush();
  }

  private park(from: string, entry: RouteEntry): void {
    let entries = this.parked.get(from);
    if (!entries) {
      entries = new Map();
      this.parked.set(from, entries);
    }
    if (!entries.has(entry.destination) && entries.size >= MAX_MEMBERS) {
      this.refuse('too-many-destinations', from, `a route to ${entry.destination}, no member this node knows`);
      return;
    }
    entries.set(entry.destination, entry);
  }

  /**
   * A remedy changed what the link to a neighbour is worth (reroute-around, or its undo): its cost
   * is read again now, not at the next COST_INTERVAL_MS, and whatever unfeasible route would now
   * be worth having is asked for at once. Returns how many destinations were asked for.
   */
  reassess(neighbour: string): number {
    const table = this.table;
    if (!table || this.stopped) return 0;
    const before = this.neighbours.get(neighbour);
    if (before !== undefined) {
      const cost = linkCost(this.ports.quality(neighbour));
      if (cost !== before) {
        this.neighbours.set(neighbour, cost);
        table.neighbourCost(neighbour, cost);
      }
    }
    const asked = table.requestNow(this.ports.clock.monotonicNow());
    this.flush();
    return asked;
  }

  /**
   * A link's first round trip was measured (link-heartbeat.ts): its cost is read now. Read at
   * link-up it knew no round trip, and left for the next COST_INTERVAL_MS reading, every link of a
   * mesh starting together would change cost in the same second, each change making routes through
   * it unfeasible at once: a wave of seqno requests over the whole mesh. Now it is known before
   * most routes through the link are.
   */
  linkMeasured(neighbour: string): void {
    const table = this.table;
    const before = this.neighbours.get(neighbour);
    if (!table || this.stopped || before === undefined) return;
    const cost = linkCost(this.ports.quality(neighbour));
    if (cost === before) return;
    this.neighbours.set(neighbour, cost);
    table.neighbourCost(neighbour, cost);
    this.flush();
  }

  nextHop(destination: string): string | undefined {
    return this.table?.nextHop(destination);
  }

  /** Members only `neighbour` leads to: itself and those routed through it with no other neighbour advertising a way (route-table.ts's hasRouteAvoiding). */
  strandedWithout(neighbour: string): string[] {
    const table = this.table;
    if (!table) return [];
    const through = table.routes().filter((route) => route.nextHop === neighbour).map((route) => route.destination);
    const destinations = new Set([neighbour, ...through]);
    return [...destinations].filter((destination) => !table.hasRouteAvoiding(destination, neighbour));
  }

  state(): RoutingState {
    const table = this.table;
    return {
      seqno: table?.seqno ?? 0,
      routes: table ? table.routes() : [],
      routeChanges: table?.routeChanges ?? 0,
      received: this.received,
      refused: { ...this.refused },
    };
  }

  stop(): void {
    this.stopped = true;
    this.ports.clock.clearTimeout(this.costTimer);
  }

  /** Sends what the table has to say now: changed routes to every neighbour, requests to whom they are for. */
  private flush(): void {
    const table = this.table;
    if (!table) return;
    const before = table.routeChanges;
    const output = table.takeOutput();
    if (output.updates.length > 0) for (const neighbour of this.neighbours.keys()) this.sendTo(neighbour, output.updates, []);
    const requestsTo = new Map<string, SeqnoRequest[]>();
    for (const { to, request } of output.requests) requestsTo.set(to, [...(requestsTo.get(to) ?? []), request]);
    for (const [to, requests] of requestsTo) this.sendTo(to, [], requests);
    if (output.updates.length > 0 || table.routeChanges !== before) {
      this.ports.routesChanged();
      this.ports.changed();
    }
  }

  /**
   * In messages of at most ROUTE_MESSAGE_BUDGET bytes each: a full table of 4,096 members whose IDs
   * are long would not fit one link frame (1 MiB).
   */
  private sendTo(neighbour: string, updates: RouteEntry[], requests: SeqnoRequest[]): void {
    let batch: { updates: RouteEntry[]; requests: SeqnoRequest[] } = { updates: [], requests: [] };
    let bytes = 0;
    const flushBatch = () => {
      if (batch.updates.length + batch.requests.length > 0 && !this.ports.send(neighbour, ROUTE_TOPIC, encodeRouteMessage(batch))) this.owedTable.add(neighbour);
      batch = { updates: [], requests: [] };
      bytes = 0;
    };
    const add = (size: number) => {
      // Within the bytes, and within the codec's counts (route-message.ts refuses more).
      if (bytes + size > ROUTE_MESSAGE_BUDGET || batch.updates.length >= MAX_ROUTE_UPDATES || batch.requests.length >= MAX_ROUTE_REQUESTS) flushBatch();
      bytes += size;
    };
    for (const update of updates) {
      add(ENTRY_OVERHEAD_BYTES + Buffer.byteLength(update.destination));
      batch.updates.push(update);
    }
    for (const request of requests) {
      add(ENTRY_OVERHEAD_BYTES + Buffer.byteLength(request.destination));
      batch.requests.push(request);
    }
    flushBatch();
  }

  /**
   * Every COST_INTERVAL_MS: links whose quantised cost changed update the routes through them,
   * neighbours owed a table get it, and destinations long without a route are forgotten.
   */
  private scheduleCosts(): void {
    if (this.stopped) return;
    this.costTimer = this.ports.clock.setTimeout(() => {
      this.costTimer = undefined;
      const table = this.table;
      if (!table || this.stopped) return;
      for (const [neighbour, cost] of this.neighbours) {
        const now = linkCost(this.ports.quality(neighbour));
        if (Math.abs(now - cost) < COST_DAMPING) continue;
        this.neighbours.set(neighbour, now);
        table.neighbourCost(neighbour, now);
      }
      // A seqno request lost with a failed link is asked again (route-table.ts's repeatRequests).
      table.repeatRequests(this.ports.clock.monotonicNow());
      // What a full window refused is repaired: the whole table with its retractions. (A refused
      // request is not: the node that wants it repeats it, route-table.ts's repeatRequests.)
      for (const neighbour of [...this.owedTable]) this.sendResync(table, neighbour);
      this.flush();
      // Members long gone free their place in the table (route-table.ts's collect), but not while a
      // neighbour is owed a resync: its retractions are in it only while the table holds them.
      if (this.owedTable.size === 0) table.collect(this.ports.clock.monotonicNow());
      this.scheduleCosts();
    }, COST_INTERVAL_MS);
  }

  private refuse(reason: RouteRefusalReason, from: string, detail: string): void {
    const count = (this.refused[reason] ?? 0) + 1;
    this.refused[reason] = count;
    // The first few and then every hundredth: a flood is counted whole, its log kept short.
    if (count <= 10 || count % 100 === 0) this.ports.log('warn', 'refused a route update', { from, reason, times: count, detail });
    this.ports.changed();
  }
}
