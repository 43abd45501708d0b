/**
 * The mesh's routing table: loop-free distance-vector routing after Babel (RFC 8966 §3.5, §3.8),
 * adapted to links that are reliable, ordered and authenticated (like BGP over TCP): a neighbour
 * gets the full table when its link comes up (fullTable), then only changes (takeOutput); no route
 * expires on a timer; a link going down drops every route learned over it at once.
 *
 * A destination is a node's SPIFFE ID, and that node is the only origin of its route (metric 0,
 * its own seqno). Loop freedom at every instant comes from the feasibility condition: per
 * destination, the feasibility distance FD = (seqno, metric) is the best this node has advertised,
 * and an update (s, m) is feasible only if it is better than FD: s > FD.s, or s = FD.s and m < FD.m.
 * Whenever A routes through B, FD(B) ≤ what B told A < FD(A); FDs only ever improve, and what A
 * advertises is B's value plus a positive cost, so the order holds forever after: along any chain
 * of next hops FD strictly improves, so no chain can close into a cycle.
 *
 * The price of feasibility is starvation: a node may hold routes it cannot use. It then asks for a
 * newer seqno (a seqno request, forwarded towards the destination), which makes every route that
 * carries it feasible again. The destination raises its seqno only when asked for one newer than
 * its own (RFC 8966 §3.8.1.2), so a stale or repeated request costs one update, not a seqno flood.
 *
 * Requests travel over reliable links, yet one in flight on a link that goes down is lost, so an
 * unanswered request is repeated (repeatRequests) until the route it asks for is feasible.
 *
 * Pure: no I/O and no timers; where time matters (forgetting forwarded requests, repeating requests,
 * forgetting the FD of a destination long gone) the caller passes `now` (monotonic ms).
 */
import { MAX_MEMBERS } from './member-limits.js';

/** A retraction: the destination is unreachable through the sender. */
export const INFINITE_METRIC = 0xffff;
/** The largest finite metric; a sum at or above INFINITE_METRIC is unreachable. */
export const MAX_ROUTE_METRIC = 0xfffe;
/** Seqnos are u32 and never wrap: a node starts at the caller's initial seqno (seconds since the epoch), so a restart never goes back. */
export const MAX_SEQNO = 0xffff_ffff;
/** Destinations one table holds at most: every member membership can hold (member-limits.ts). */
export const DEFAULT_MAX_DESTINATIONS = MAX_MEMBERS;
/**
 * Hops a seqno request this node originates may travel: far beyond the diameter of the meshes this
 * node is built for (a 1,000-node random mesh of degree 3 to 4 spans about a dozen hops), and a
 * bound on how far a request can wander along routes that are changing.
 */
export const REQUEST_HOP_COUNT = 64;
/**
 * How far above its own seqno a request may ask this node to go: honest requests ask for one above
 * what the node advertised (a restarted node's initial seqno, seconds since the epoch, is above all it
 * used before), while a neighbour allowed any jump could push the seqno to the u32 end at once; with
 * this cap it would take some 38,000 requests from today's seconds since the epoch.
 */
export const MAX_SEQNO_JUMP = 65_536;
/**
 * Least hysteresis: RTT-derived costs jitter by a few units even on an idle link, and on a short
 * path a few units are a large fraction of the metric.
 */
export const MIN_HYSTERESIS = 16;
/**
 * Beyond the least, a candidate must beat the selected route by one eighth of its metric: RTT jitter
 * grows with a path's length, and a healthy path's samples stay well within 12.5 % of their mean,
 * so jitter alone never moves a route, while a path an eighth shorter is worth moving to.
 */
export const HYSTERESIS_DIVISOR = 8;
/** How long a forwarded request is remembered, not to forward it twice: longer than a request takes across the mesh, shorter than REQUEST_REPEAT_MS so that a repeat is forwarded again. */
export const FORWARDED_REQUEST_MEMORY_MS = 2_000;
/**
 * How long a request may stay unanswered before repeatRequests() sends it again. Links are reliable,
 * but a request in flight on a link that goes down is lost, and one that reaches a forwarder whose
 * route is changing can dead-end; without a repeat the node would starve until some unrelated update.
 * Twice the forwarders' memory, so that they have forgotten the first and forward the repeat.
 */
export const REQUEST_REPEAT_MS = 2 * FORWARDED_REQUEST_MEMORY_MS;
/** Forwarded requests remembered at most: one per destination at a time is the honest load. */
export const MAX_FORWARDED_REQUESTS = MAX_MEMBERS;
/**
 * How long a destination with no route keeps its FD before collect() forgets it: Babel's source
 * garbage-collection time (RFC 8966 Appendix B). Forgetting makes any update feasible again, which
 * is safe only once no update from the time the route was lost can still be in flight; minutes are
 * far beyond that.
 */
export const SOURCE_GC_MS = 180_000;

/** One route on the wire. */
export interface RouteEntry {
  destination: string;
  /** u32, the destination's own counter. */
  seqno: number;
  /** 0..0xffff; INFINITE_METRIC retracts. */
  metric: number;
}

export interface SeqnoRequest {
  destination: string;
  seqno: number;
  hopCount: number;
}

export interface SelectedRoute {
  destination: string;
  nextHop: string;
  metric: number;
  seqno: number;
}

export interface RoutingOutput {
  /** For every neighbour: at most one entry per destination, the one advertised now. */
  updates: RouteEntry[];
  requests: Array<{ to: string; request: SeqnoRequest }>;
}

export interface FeasibilityDistance {
  seqno: number;
  metric: number;
}

/**
 * Why an entry or a request was refused: `own-prefix`, metric 0 for a destination other than its
 * sender (only a node originates its own route); `not-admitted`, a destination the caller's policy
 * refuses; `too-many-destinations`, a new destination beyond the table's cap; `seqno-too-far`, a
 * route or request above the seqno ceiling (RouteTableOptions.seqnoCeiling), or a
 * request to raise this node's seqno by more than MAX_SEQNO_JUMP; `hop-limit`, a request that would
 * need forwarding with no hops left.
 */
export type RouteRefusal = 'own-prefix' | 'not-admitted' | 'too-many-destinations' | 'seqno-too-far' | 'hop-limit';

/** What became of a request that was not refused. */
export type RequestHandling = 'raised' | 'advertised' | 'forwarded' | 'duplicate' | 'unroutable' | 'not-a-neighbour';

export interface RouteTableOptions {
  self: string;
  initialSeqno: number;
  /** The caller's policy on destinations (typically: a member membership holds a verified record of). */
  admits(destination: string): boolean;
  /**
   * The highest seqno any route or request may carry now (default MAX_SEQNO). Seqnos start at the
   * origin's wall-clock seconds and rise by one per request answered, so the caller gives the wall
   * clock's seconds plus MAX_SEQNO_JUMP: a neighbour cannot push a destination's seqno towards the
   * u32 end, and a route with a seqno further ahead is no honest origin's.
   */
  seqnoCeiling?(): number;
  maxDestinations?: number;
  /** A fixed hysteresis; by default max(MIN_HYSTERESIS, metric / HYSTERESIS_DIVISOR) of the selected route's metric. */
  hysteresis?: number;
  /** A destination's next hop changed (undefined: no route now), at the moment it does: the simulation checks for loops on every change. */
  onNextHop?(destination: string, nextHop: string | undefined, previous: string | undefined): void;
}

interface DestinationState {
  /** Each neighbour's latest finite entry; a retraction removes it. */
  routes: Map<string, FeasibilityDistance>;
  fd: FeasibilityDistance | undefined;
  selected: SelectedRoute | undefined;
  /** What this node last sent for it (INFINITE_METRIC once retracted). */
  advertised: FeasibilityDistance | undefined;
  /** Since when collect() has seen it without any route. */
  deadSince: number | undefined;
  /** When repeatRequests() next asks again, while this node starves or holds a much better unfeasible route. */
  repeatAt: number | undefined;
  /**
   * While a request this node forwarded is outstanding (the highest seqno asked, and until when it
   * is remembered): a newer seqno alone is then passed on (mustAdvertise), towards the requester.
   */
  awaited: { seqno: number; until: number } | undefined;
}

const isU32 = (value: number) => Number.isInteger(value) && value >= 0 && value <= MAX_SEQNO;

function checkCost(cost: number): void {
  if (!Number.isInteger(cost) || cost < 1 || cost > MAX_ROUTE_METRIC) throw new RangeError(`a link cost must be an integer 1..${MAX_ROUTE_METRIC}, got ${cost}`);
}

/** RFC 8966 §3.5.1: strictly better than what this node advertised, or nothing advertised yet. */
export function isFeasible(entry: FeasibilityDistance, fd: FeasibilityDistance | undefined): boolean {
  if (entry.metric >= INFINITE_METRIC || fd === undefined) return true;
  return entry.seqno > fd.seqno || (entry.seqno === fd.seqno && entry.metric < fd.metric);
}

/**
 * The first cycle in one destination's next-hop graph (node → its next hop), as the nodes on it in
 * order, or undefined when every chain ends (at the destination or at a node without a route).
 */
export function findRoutingLoop(nextHops: ReadonlyMap<string, string>): string[] | undefined {
  const done = new Set<string>();
  for (const start of nextHops.keys()) {
    const onPath = new Map<string, number>();
    const path: string[] = [];
    for (let node: string | undefined = start; node !== undefined && !done.has(node); node = nextHops.get(node)) {
      const seen = onPath.get(node);
      if (seen !== undefined) return path.slice(seen);
      onPath.set(node, path.length);
      path.push(node);
    }
    for (const node of path) done.add(node);
  }
  return undefined;
}

export class RouteTable {
  readonly self: string;
  private ownSeqno: number;
  private readonly admits: (destination: string) => boolean;
  private readonly seqnoCeiling: () => number;
  private readonly maxDestinations: number;
  private readonly fixedHysteresis: number | undefined;
  private readonly onNextHop: RouteTableOptions['onNextHop'];
  private readonly neighbours = new Map<string, number>();
  private readonly destinations = new Map<string, DestinationState>();
  private readonly pending = new Set<string>();
  private selfPending = false;
  private readonly pendingRequests = new Map<string, { to: string; request: SeqnoRequest }>();
  /** `destination seqno` → until when it is remembered; in insertion order, so the oldest is first. */
  private readonly forwarded = new Map<string, number>();
  private changes = 0;
  /**
   * Destinations that held an unfeasible route worth a seqno request (worthAskingNeighbours) since
   * repeatRequests last found them wanting nothing, and destinations with no route at all (collect's
   * candidates), as of their last change: the
   * once-a-second passes visit these, not every destination, so a node of a large mesh spends
   * nothing per second on the thousand routes that are fine.
   */
  private readonly wanting = new Set<string>();
  private readonly idle = new Set<string>();
  /** Destinations with a forwarded request outstanding (DestinationState.awaited): repeatRequests forgets them when it expires. */
  private readonly awaiting = new Set<string>();

  constructor(options: RouteTableOptions) {
    if (!isU32(options.initialSeqno)) throw new RangeError(`the initial seqno must be a u32, got ${options.initialSeqno}`);
    const maxDestinations = options.maxDestinations ?? DEFAULT_MAX_DESTINATIONS;
    if (!Number.isInteger(maxDestinations) || maxDestinations < 1) throw new RangeError(`maxDestinations must be a positive integer, got ${maxDestinations}`);
    if (options.hysteresis !== undefined && !(Number.isInteger(options.hysteresis) && options.hysteresis >= 0)) throw new RangeError(`the hysteresis must be a non-negative integer, got ${options.hysteresis}`);
    this.self = options.self;
    this.ownSeqno = options.initialSeqno;
    this.admits = options.admits;
    this.seqnoCeiling = options.seqnoCeiling ?? (() => MAX_SEQNO);
    this.maxDestinations = maxDestinations;
    this.fixedHysteresis = options.hysteresis;
    this.onNextHop = options.onNextHop;
  }

  /** This node's own seqno. */
  get seqno(): number {
    return this.ownSeqno;
  }

  /** Selected routes that appeared, were withdrawn or changed next hop, since the table was made. */
  get routeChanges(): number {
    return this.changes;
  }

  /** How much better a candidate must be to displace a selected route of this metric; also how much a metric must fall before the fall is advertised. */
  hysteresisOf(metric: number): number {
    return this.fixedHysteresis ?? Math.max(MIN_HYSTERESIS, Math.floor(metric / HYSTERESIS_DIVISOR));
  }

  neighbourUp(neighbour: string, cost: number): void {
    checkCost(cost);
    if (neighbour === this.self) throw new RangeError('a node is not its own neighbour');
    if (this.neighbours.has(neighbour)) throw new RangeError(`${neighbour} is already up`);
    this.neighbours.set(neighbour, cost);
  }

  neighbourCost(neighbour: string, cost: number): void {
    checkCost(cost);
    if (!this.neighbours.has(neighbour)) throw new RangeError(`${neighbour} is not up`);
    this.neighbours.set(neighbour, cost);
    for (const [destination, state] of this.destinations) if (state.routes.has(neighbour)) this.reselect(destination, state);
  }

  /** Every route learned from the neighbour is dropped at once; its pending requests are no longer sent. */
  neighbourDown(neighbour: string): void {
    if (!this.neighbours.delete(neighbour)) return;
    for (const [key, pending] of this.pendingRequests) if (pending.to === neighbour) this.pendingRequests.delete(key);
    for (const [destination, state] of this.destinations) if (state.routes.delete(neighbour)) this.reselect(destination, state);
  }

  /**
   * A batch of entries from a neighbour, applied in order. Refused entries change nothing, the rest
   * apply; an entry about this node itself is ignored. A batch from a neighbour that is not up (it
   * was in flight when the link went down) is ignored whole.
   */
  receiveUpdates(neighbour: string, entries: readonly RouteEntry[]): { refused: Array<{ entry: RouteEntry; reason: RouteRefusal }> } {
    const refused: Array<{ entry: RouteEntry; reason: RouteRefusal }> = [];
    const cost = this.neighbours.get(neighbour);
    if (cost === undefined) return { refused };
    for (const entry of entries) {
      if (!isU32(entry.seqno) || !Number.isInteger(entry.metric) || entry.metric < 0) throw new RangeError(`a route entry needs a u32 seqno and a non-negative integer metric, got ${entry.seqno}, ${entry.metric}`);
      const { destination } = entry;
      if (destination === this.self) continue;
      const finite = entry.metric < INFINITE_METRIC;
      if (finite && entry.metric === 0 && destination !== neighbour) {
        refused.push({ entry, reason: 'own-prefix' });
        continue;
      }
      if (!this.admits(destination)) {
        refused.push({ entry, reason: 'not-admitted' });
        continue;
      }
      if (finite && entry.seqno > this.seqnoCeiling()) {
        refused.push({ entry, reason: 'seqno-too-far' });
        continue;
      }
      let state = this.destinations.get(destination);
      if (state === undefined) {
        if (!finite) continue;
        if (this.destinations.size >= this.maxDestinations) {
          refused.push({ entry, reason: 'too-many-destinations' });
          continue;
        }
        state = { routes: new Map(), fd: undefined, selected: undefined, advertised: undefined, deadSince: undefined, repeatAt: undefined, awaited: undefined };
        this.destinations.set(destination, state);
      }
      const wasSelected = state.selected?.nextHop === neighbour;
      if (!finite) {
        state.routes.delete(neighbour);
        this.reselect(destination, state);
        continue;
      }
      const route = { seqno: entry.seqno, metric: entry.metric };
      state.routes.set(neighbour, route);
      const feasible = isFeasible(route, state.fd);
      this.reselect(destination, state);
      if (feasible || entry.metric + cost >= INFINITE_METRIC || state.fd === undefined) continue;
      // Unfeasible: from the selected neighbour it cost this node its route (RFC 8966 §3.8.2.2); from
      // another, it is worth a newer seqno only if it would beat the selected route by the hysteresis.
      if (wasSelected || this.worthAsking(state, entry.metric + cost)) this.queueRequest(neighbour, { destination, seqno: state.fd.seqno + 1, hopCount: REQUEST_HOP_COUNT });
    }
    return { refused };
  }

  /** A seqno request from a neighbour (RFC 8966 §3.8.1.2, forwarded requests deduplicated for FORWARDED_REQUEST_MEMORY_MS). */
  receiveRequest(neighbour: string, request: SeqnoRequest, now: number): { refused?: RouteRefusal; handled?: RequestHandling } {
    if (!isU32(request.seqno) || !Number.isInteger(request.hopCount) || request.hopCount < 0) throw new RangeError(`a seqno request needs a u32 seqno and a non-negative hop count, got ${request.seqno}, ${request.hopCount}`);
    if (!this.neighbours.has(neighbour)) return { handled: 'not-a-neighbour' };
    const { destination, seqno } = request;
    if (seqno > this.seqnoCeiling()) return { refused: 'seqno-too-far' };
    if (destination === this.self) {
      if (seqno > this.ownSeqno + MAX_SEQNO_JUMP || seqno > MAX_SEQNO) return { refused: 'seqno-too-far' };
      this.selfPending = true;
      if (seqno <= this.ownSeqno) return { handled: 'advertised' };
      this.ownSeqno = seqno;
      return { handled: 'raised' };
    }
    if (!this.admits(destination)) return { refused: 'not-admitted' };
    const state = this.destinations.get(destination);
    const selected = state?.selected;
    if (selected !== undefined && selected.seqno >= seqno) {
      this.pending.add(destination);
      return { handled: 'advertised' };
    }
    if (request.hopCount < 2) return { refused: 'hop-limit' };
    const to = selected !== undefined ? selected.nextHop : this.bestUnfeasibleNextHop(state, neighbour);
    if (to === undefined || to === neighbour) return { handled: 'unroutable' };
    const key = `${destination} ${seqno}`;
    this.forgetForwardedBefore(now);
    if (this.forwarded.has(key)) return { handled: 'duplicate' };
    if (this.forwarded.size >= MAX_FORWARDED_REQUESTS) this.forwarded.delete(this.forwarded.keys().next().value!);
    this.forwarded.set(key, now + FORWARDED_REQUEST_MEMORY_MS);
    // `to` was found from the destination's state, so it exists.
    const awaiting = state!;
    awaiting.awaited = { seqno: Math.max(awaiting.awaited?.seqno ?? 0, seqno), until: now + FORWARDED_REQUEST_MEMORY_MS };
    this.awaiting.add(destination);
    this.queueRequest(to, { destination, seqno, hopCount: request.hopCount - 1 });
    return { handled: 'forwarded' };
  }

  /**
   * Asks again, every REQUEST_REPEAT_MS, for a newer seqno of each destination this node still
   * starves for or holds a much better unfeasible route to (a request can be lost: see
   * REQUEST_REPEAT_MS). The caller calls it now and then, more often than REQUEST_REPEAT_MS.
   */
  repeatRequests(now: number): void {
    // Forwarded requests not answered within their memory are no longer waited for (the requester repeats its own).
    for (const destination of this.awaiting) {
      const state = this.destinations.get(destination);
      if (state?.awaited !== undefined && state.awaited.until > now) continue;
      if (state) state.awaited = undefined;
      this.awaiting.delete(destination);
    }
    for (const destination of this.wanting) {
      const state = this.destinations.get(destination)!;
      const ask = this.worthAskingNeighbours(state);
      if (ask.length === 0) {
        state.repeatAt = undefined;
        this.wanting.delete(destination);
      } else if (state.repeatAt === undefined) state.repeatAt = now + REQUEST_REPEAT_MS;
      else if (now >= state.repeatAt) {
        state.repeatAt = now + REQUEST_REPEAT_MS;
        for (const neighbour of ask) this.queueRequest(neighbour, { destination, seqno: state.fd!.seqno + 1, hopCount: REQUEST_HOP_COUNT });
      }
    }
  }

  /**
   * What repeatRequests would ask at its next turn, asked now: a remedy (reroute-around) wants
   * fresh routes at once. Returns how many destinations were asked for.
   */
  requestNow(now: number): number {
    let asked = 0;
    for (const destination of this.wanting) {
      const state = this.destinations.get(destination)!;
      const ask = this.worthAskingNeighbours(state);
      if (ask.length === 0) continue;
      asked++;
      state.repeatAt = now + REQUEST_REPEAT_MS;
      for (const neighbour of ask) this.queueRequest(neighbour, { destination, seqno: state.fd!.seqno + 1, hopCount: REQUEST_HOP_COUNT });
    }
    return asked;
  }

  /** Neighbours holding an unfeasible route to the destination that would be worth having (see worthAsking). */
  private worthAskingNeighbours(state: DestinationState): string[] {
    if (state.fd === undefined) return [];
    const ask: string[] = [];
    for (const [neighbour, route] of state.routes) if (!isFeasible(route, state.fd) && this.worthAsking(state, route.metric + this.neighbours.get(neighbour)!)) ask.push(neighbour);
    return ask;
  }

  /** The node raises its own seqno and advertises it. */
  bumpSeqno(): void {
    if (this.ownSeqno >= MAX_SEQNO) throw new RangeError('the seqno is at the u32 end');
    this.ownSeqno += 1;
    this.selfPending = true;
  }

  /** What must now be sent, accumulated since the last call: updates for every neighbour, requests for one each. */
  takeOutput(): RoutingOutput {
    const updates: RouteEntry[] = [];
    if (this.selfPending) updates.push(this.ownEntry());
    this.selfPending = false;
    for (const destination of this.pending) {
      const entry = this.currentAdvertisement(destination);
      if (entry !== undefined) updates.push(entry);
    }
    this.pending.clear();
    const requests = [...this.pendingRequests.values()];
    this.pendingRequests.clear();
    return { updates, requests };
  }

  /**
   * Every route this node advertises, as it stands now, for a neighbour whose link just came up.
   * A route whose current value differs from what the other neighbours last got is queued for them
   * too, so that every neighbour holds the same value once the output is sent.
   */
  fullTable(): RouteEntry[] {
    const entries = [this.ownEntry()];
    for (const [destination, state] of this.destinations) {
      if (state.selected === undefined) continue;
      const { seqno, metric } = state.selected;
      if (state.advertised?.seqno !== seqno || state.advertised.metric !== metric) this.pending.add(destination);
      entries.push(this.advertise(state, { destination, seqno, metric }));
    }
    return entries;
  }

  /**
   * The full table (fullTable) and a retraction of every destination this node holds no route to
   * but may have advertised one (it still holds its FD): for a neighbour that may have missed
   * updates on a link that stayed up. It holds whatever it heard last, and a full table alone would
   * leave a route this node withdrew in place there. A destination collect() forgot is not in it:
   * the caller does not collect while a neighbour is owed a resync (mesh-routing.ts).
   */
  resyncTable(): RouteEntry[] {
    const entries = this.fullTable();
    for (const [destination, state] of this.destinations) {
      if (state.selected === undefined && state.fd !== undefined) entries.push({ destination, seqno: state.fd.seqno, metric: INFINITE_METRIC });
    }
    return entries;
  }

  /**
   * Whether a neighbour other than `except` advertises a route to the destination (feasible now, or
   * once a seqno request makes it so): a way there not through `except`, as far as this node can
   * tell (that neighbour's own route could still pass `except` further on).
   */
  hasRouteAvoiding(destination: string, except: string): boolean {
    const state = this.destinations.get(destination);
    if (!state) return false;
    for (const [neighbour, route] of state.routes) if (neighbour !== except && route.metric < INFINITE_METRIC) return true;
    return false;
  }

  nextHop(destination: string): string | undefined {
    return this.destinations.get(destination)?.selected?.nextHop;
  }

  route(destination: string): SelectedRoute | undefined {
    const selected = this.destinations.get(destination)?.selected;
    return selected === undefined ? undefined : { ...selected };
  }

  routes(): SelectedRoute[] {
    return [...this.destinations.values()].flatMap((state) => (state.selected === undefined ? [] : [{ ...state.selected }]));
  }

  /** The best this node has advertised for the destination, which updates must beat. */
  feasibilityDistance(destination: string): FeasibilityDistance | undefined {
    const fd = this.destinations.get(destination)?.fd;
    return fd === undefined ? undefined : { ...fd };
  }

  /** Destinations the table holds state for (routes, or the FD of a route lost less than SOURCE_GC_MS ago). */
  get destinationCount(): number {
    return this.destinations.size;
  }

  /**
   * Forgets destinations that have had no route at all since a call at least SOURCE_GC_MS before
   * `now` (their FD, which is all that is left), so that members long gone free their place under
   * maxDestinations. The caller calls it now and then, e.g. once a minute.
   */
  collect(now: number): void {
    for (const destination of this.idle) {
      const state = this.destinations.get(destination)!;
      if (this.pending.has(destination)) state.deadSince = undefined;
      else if (state.deadSince === undefined) state.deadSince = now;
      else if (now - state.deadSince >= SOURCE_GC_MS) {
        this.destinations.delete(destination);
        this.idle.delete(destination);
        this.wanting.delete(destination);
        this.awaiting.delete(destination);
      }
    }
  }

  /**
   * Keeps `wanting` and `idle` true to a destination's state after a change to its routes, selection
   * or FD. A destination that stops wanting stays in `wanting` until repeatRequests finds it so, as a
   * pass over every destination would: its repeat deadline is kept if it wants again before then.
   */
  private track(destination: string, state: DestinationState): void {
    if (this.wantsAsking(state)) this.wanting.add(destination);
    if (state.routes.size === 0 && state.selected === undefined) this.idle.add(destination);
    else if (this.idle.delete(destination)) state.deadSince = undefined;
  }

  /** Whether worthAskingNeighbours would name anyone, without making the list. */
  private wantsAsking(state: DestinationState): boolean {
    if (state.fd === undefined) return false;
    for (const [neighbour, route] of state.routes) if (!isFeasible(route, state.fd) && this.worthAsking(state, route.metric + this.neighbours.get(neighbour)!)) return true;
    return false;
  }

  private ownEntry(): RouteEntry {
    return { destination: this.self, seqno: this.ownSeqno, metric: 0 };
  }

  /** Records what is sent: FD improves with each finite route advertised (RFC 8966 §3.7.3). */
  private advertise(state: DestinationState, entry: RouteEntry): RouteEntry {
    state.advertised = { seqno: entry.seqno, metric: entry.metric };
    if (entry.metric < INFINITE_METRIC && state.awaited !== undefined && entry.seqno >= state.awaited.seqno) state.awaited = undefined;
    if (entry.metric < INFINITE_METRIC && (state.fd === undefined || entry.seqno > state.fd.seqno || (entry.seqno === state.fd.seqno && entry.metric < state.fd.metric))) {
      state.fd = { seqno: entry.seqno, metric: entry.metric };
      this.track(entry.destination, state);
    }
    return entry;
  }

  private currentAdvertisement(destination: string): RouteEntry | undefined {
    const state = this.destinations.get(destination);
    if (state === undefined) return undefined;
    if (state.selected !== undefined) return this.advertise(state, { destination, seqno: state.selected.seqno, metric: state.selected.metric });
    // Nothing to retract unless a finite route was advertised (and so an FD exists).
    if (state.fd === undefined || state.advertised === undefined || state.advertised.metric >= INFINITE_METRIC) return undefined;
    return this.advertise(state, { destination, seqno: state.fd.seqno, metric: INFINITE_METRIC });
  }

  /**
   * Selects among the feasible finite routes the least metric, keeping the selected one unless it
   * is gone, unfeasible or beaten by more than the hysteresis; queues what neighbours must learn.
   */
  private reselect(destination: string, state: DestinationState): void {
    const previous = state.selected;
    let best: SelectedRoute | undefined;
    let current: SelectedRoute | undefined;
    for (const [neighbour, route] of state.routes) {
      const metric = Math.min(route.metric + this.neighbours.get(neighbour)!, INFINITE_METRIC);
      if (metric >= INFINITE_METRIC || !isFeasible(route, state.fd)) continue;
      const candidate = { destination, nextHop: neighbour, metric, seqno: route.seqno };
      if (neighbour === previous?.nextHop) current = candidate;
      if (best === undefined || metric < best.metric || (metric === best.metric && neighbour < best.nextHop)) best = candidate;
    }
    const chosen = current !== undefined && best !== undefined && best.metric >= current.metric - this.hysteresisOf(current.metric) ? current : best;
    state.selected = chosen;
    this.track(destination, state);
    if (previous?.nextHop !== chosen?.nextHop) {
      this.changes++;
      this.onNextHop?.(destination, chosen?.nextHop, previous?.nextHop);
    }
    if (this.mustAdvertise(state, previous)) this.pending.add(destination);
    if (previous !== undefined && chosen === undefined && state.fd !== undefined) {
      // Starved (RFC 8966 §3.8.2.1): ask whoever still holds a route for a seqno that makes it feasible.
      for (const [neighbour, route] of state.routes) {
        if (!isFeasible(route, state.fd)) this.queueRequest(neighbour, { destination, seqno: state.fd.seqno + 1, hopCount: REQUEST_HOP_COUNT });
      }
    }
  }

  /**
   * Whether the selected route must be advertised again. A retraction, a new route or a new next
   * hop always. A metric rise above what neighbours hold always: leaving it unsaid would still be
   * loop-free (their FDs compare advertised values only) but they would count this path cheaper
   * than it is, and keep it over a better one. A fall only beyond the hysteresis: neighbours then
   * hold a value a little above the truth, which never draws traffic to a worse path, and RTT
   * jitter on the costs does not flood the mesh with updates.
   *
   * A newer seqno alone only while a request this node forwarded is outstanding (`awaited`), as
   * babeld does: the requester is waiting for it, back along the request's path. Any newer seqno
   * then, not only the one asked for: a request for a seqno no origin will reach (a neighbour may
   * ask for up to MAX_SEQNO_JUMP ahead) must not hold the honest answers back. Passed on by every
   * node, one raise would cross the whole mesh, and a node that fails starves its neighbours of
   * hundreds of destinations at once. Neighbours keep the older seqno, which is loop-free (their
   * FDs compare advertised values only); one that needs the newer one asks, and this node answers it
   * at once (receiveRequest: `advertised`); a full table (a new link, a resync) carries it too.
   */
  private mustAdvertise(state: DestinationState, previous: SelectedRoute | undefined): boolean {
    const { selected, advertised } = state;
    if (selected === undefined) return advertised !== undefined && advertised.metric < INFINITE_METRIC;
    if (advertised === undefined || advertised.metric >= INFINITE_METRIC) return true;
    if (previous?.nextHop !== selected.nextHop) return true;
    if (selected.seqno !== advertised.seqno && state.awaited !== undefined) return true;
    return selected.metric > advertised.metric || advertised.metric - selected.metric > this.hysteresisOf(advertised.metric);
  }

  /** Whether a route of this metric (through a neighbour) is worth a seqno request when unfeasible. */
  private worthAsking(state: DestinationState, metric: number): boolean {
    if (metric >= INFINITE_METRIC) return false;
    return state.selected === undefined || metric < state.selected.metric - this.hysteresisOf(state.selected.metric);
  }

  private bestUnfeasibleNextHop(state: DestinationState | undefined, except: string): string | undefined {
    let best: { neighbour: string; metric: number } | undefined;
    for (const [neighbour, route] of state?.routes ?? []) {
      const metric = route.metric + this.neighbours.get(neighbour)!;
      if (neighbour !== except && (best === undefined || metric < best.metric)) best = { neighbour, metric };
    }
    return best?.neighbour;
  }

  private queueRequest(to: string, request: SeqnoRequest): void {
    // A request beyond what any seqno may be asks for what no origin can give (and would not encode).
    if (request.seqno > Math.min(MAX_SEQNO, this.seqnoCeiling())) return;
    this.pendingRequests.set(`${to} ${request.destination} ${request.seqno}`, { to, request });
  }

  private forgetForwardedBefore(now: number): void {
    for (const [key, until] of this.forwarded) {
      if (until > now) break;
      this.forwarded.delete(key);
    }
  }
}
