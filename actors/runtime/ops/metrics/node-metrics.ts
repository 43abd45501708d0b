/**
 * The node's Prometheus metrics (prom-client), in one registry:
 *  - process: prom-client's defaults (CPU, memory, event loop lag, GC, handles);
 *  - actors: restarts, up, mailbox depth and in-flight, messages accepted, processed and lost to
 *    overflow (read from the tree at scrape time), and each message's latency from publication to
 *    acknowledgement (observed live, a histogram per actor);
 *  - the self-healing loop: incidents by cause, MTTD and MTTR, and each phase's duration, from the
 *    knowledge base's incident rows (each observed once);
 *  - each subsystem's series, from its metrics module (actors/<subsystem>/metrics.ts, registered
 *    in config/subsystem-standings.ts), read from its latest state at scrape time: metrics of a
 *    worker thread reach the main registry through the bus, as its other state does.
 * Names follow Prometheus conventions: base units (seconds), `_total` on counters, a
 * `x0tta6bl4_` prefix. None exists for a subsystem that has not landed.
 */
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { IncidentReport } from '../../../../store/mape-status.js';
import type { StandingMetric } from '../../contracts/subsystem-standing.js';
import { subsystemStandings } from '../../config/subsystem-standings.js';
import type { LatestStateOf } from '../latest-states.js';
import type { ActorStatus, TreeNodeStatus } from '../node-status.js';
import type { StandingRegistry } from '../standings.js';
import { histogramValues, registerSnapshot, type SnapshotValue } from './snapshot-metric.js';
import { actorsIn } from '../../supervision/tree-walk.js';

/** What the metrics read from a node (X0tta6bl4Node satisfies it). */
export interface MetricsSource {
  tree(): TreeNodeStatus;
  incidents(options?: { sinceMs?: number }): IncidentReport[];
  latestState: LatestStateOf;
}

const PREFIX = 'x0tta6bl4_';
/** Message latencies span microseconds (inline) to seconds (a loaded worker). */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Detection and repair take from a fraction of the sampling interval to tens of seconds. */
const LOOP_BUCKETS = [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 7.5, 10, 20, 30, 60, 120];
const PHASES = [
  ['diagnose', 'detectedAt', 'diagnosedAt'],
  ['plan', 'diagnosedAt', 'plannedAt'],
  ['execute', 'plannedAt', 'executedAt'],
  ['verify', 'executedAt', 'recoveredAt'],
] as const;

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly latency = new Histogram({
    name: `${PREFIX}actor_message_latency_seconds`,
    help: 'Time from a message being published to the actor acknowledging it (queueing and processing).',
    labelNames: ['actor'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly mttd = new Histogram({ name: `${PREFIX}mape_mttd_seconds`, help: 'Time from an injected fault to its detection.', labelNames: ['cause'], buckets: LOOP_BUCKETS, registers: [this.registry] });
  private readonly mttr = new Histogram({
    name: `${PREFIX}mape_mttr_seconds`,
    help: 'Time from a fault (or its detection, when its start is unknown) to verified recovery.',
    labelNames: ['cause'],
    buckets: LOOP_BUCKETS,
    registers: [this.registry],
  });
  private readonly phase = new Histogram({ name: `${PREFIX}mape_phase_seconds`, help: 'Duration of each phase of the self-healing loop per incident.', labelNames: ['phase'], buckets: LOOP_BUCKETS, registers: [this.registry] });
  private readonly incidentsByCause = new Map<string, number>();
  /** Per incident, what has been observed already (so each row counts once). */
  private readonly observed = new Map<number, Set<string>>();
  private source: MetricsSource | undefined;
  private startedAt = Date.now();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Gauges that prom-client names with `_total`, against the conventions promtool enforces; the
    // same counts stay available per resource type in nodejs_active_handles and its siblings.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  /** Handed to createNode as onMessageProcessed. */
  readonly onMessageProcessed = (actorId: string, latencyMs: number): void => {
    this.latency.observe({ actor: actorId }, Math.max(0, latencyMs) / 1000);
  };

  attach(source: MetricsSource, standings: StandingRegistry = subsystemStandings): void {
    this.source = source;
    // Wall time, as the incident rows are stamped by the MAPE actors in their worker threads (real time).
    this.startedAt = Date.now();
    const actorValues = (read: (actor: ActorStatus) => number): SnapshotValue[] => (this.source ? [...actorsIn(this.source.tree())].map((actor) => ({ labels: { actor: actor.id }, value: read(actor) })) : []);
    registerSnapshot(this.registry, `${PREFIX}actor_restarts_total`, 'Restarts of each actor by its supervisor.', 'counter', () => actorValues((actor) => actor.restarts));
    registerSnapshot(this.registry, `${PREFIX}actor_up`, '1 while the actor is running, else 0.', 'gauge', () => actorValues((actor) => (actor.state === 'running' ? 1 : 0)));
    registerSnapshot(this.registry, `${PREFIX}actor_mailbox_depth`, 'Messages waiting in the actor\'s mailbox.', 'gauge', () => actorValues((actor) => actor.mailbox.depth));
    registerSnapshot(this.registry, `${PREFIX}actor_mailbox_inflight`, 'Messages delivered to the actor and not yet acknowledged.', 'gauge', () => actorValues((actor) => actor.mailbox.inflight));
    registerSnapshot(this.registry, `${PREFIX}actor_messages_accepted_total`, 'Messages the actor\'s mailbox took in.', 'counter', () => actorValues((actor) => actor.mailbox.accepted));
    registerSnapshot(this.registry, `${PREFIX}actor_messages_processed_total`, 'Messages the actor acknowledged.', 'counter', () => actorValues((actor) => actor.mailbox.processed));
    registerSnapshot(this.registry, `${PREFIX}actor_messages_overflow_total`, 'Messages lost or held at a full mailbox, by the topic\'s overflow policy.', 'counter', () =>
      this.source
        ? [...actorsIn(this.source.tree())].flatMap((actor) => [
            { labels: { actor: actor.id, policy: 'drop-oldest' }, value: actor.mailbox.dropped },
            { labels: { actor: actor.id, policy: 'reject' }, value: actor.mailbox.rejected },
            { labels: { actor: actor.id, policy: 'block' }, value: actor.mailbox.blocked },
          ])
        : [],
    );
    registerSnapshot(this.registry, `${PREFIX}mape_incidents_total`, 'Incidents the self-healing loop opened, by diagnosed cause.', 'counter', () =>
      [...this.incidentsByCause].map(([cause, value]) => ({ labels: { cause }, value })),
    );
    for (const { format, metrics } of Object.values(standings)) {
      for (const metric of metrics) registerStandingMetric(this.registry, metric, () => source.latestState(format.topic));
    }
  }

  /** The exposition text, with the knowledge base read first. */
  async render(): Promise<string> {
    this.observeIncidents();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Counts and times each incident row once per event, from the knowledge base (a read of this run's rows). */
  private observeIncidents(): void {
    if (!this.source) return;
    let reports: IncidentReport[];
    try {
      reports = this.source.incidents({ sinceMs: this.startedAt });
    } catch {
      // The store is not open (the node is starting or stopping): nothing new to observe.
      return;
    }
    for (const incident of reports) {
      const seen = this.observed.get(incident.id) ?? new Set<string>();
      this.observed.set(incident.id, seen);
      const cause = incident.causeKind ?? 'unknown';
      if (!seen.has('opened') && incident.causeKind !== null) {
        seen.add('opened');
        this.incidentsByCause.set(cause, (this.incidentsByCause.get(cause) ?? 0) + 1);
        if (incident.faultStartedAt !== null) this.mttd.observe({ cause }, Math.max(0, incident.detectedAt - incident.faultStartedAt) / 1000);
      }
      for (const [name, from, to] of PHASES) {
        const start = incident[from];
        const end = incident[to];
        if (!seen.has(name) && start !== null && end !== null) {
          seen.add(name);
          this.phase.observe({ phase: name }, Math.max(0, end - start) / 1000);
        }
      }
      if (!seen.has('recovered') && incident.recoveredAt !== null) {
        seen.add('recovered');
        this.mttr.observe({ cause }, Math.max(0, incident.recoveredAt - (incident.faultStartedAt ?? incident.detectedAt)) / 1000);
      }
    }
  }
}

/** A subsystem's series, read from its latest state at scrape time (none until the actor first reports). */
function registerStandingMetric(registry: Registry, metric: StandingMetric<unknown>, state: () => unknown): void {
  registerSnapshot(registry, metric.name, metric.help, metric.type, (): SnapshotValue[] => {
    const current = state();
    if (current === undefined) return [];
    if (metric.type !== 'histogram') return metric.read(current);
    const { bounds, cumulative, sum, count } = metric.read(current);
    return histogramValues(metric.name, bounds, cumulative, sum, count);
  });
}
