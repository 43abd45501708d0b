/**
 * createNode(): one x0tta6bl4 node in this process — the store, the bus, the supervision tree
 * of actors on their hosts — and the programmatic API that tests and the CLI drive it with.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { realClock, type Clock } from './contracts/clock.js';
import { realRandom, type Random } from './contracts/random.js';
import type { Database } from 'better-sqlite3';
import { openStore } from '../../store/open-store.js';
import { createActorSnapshotStore } from '../../store/actor-snapshots.js';
import { ActorCell } from './supervision/actor-cell.js';
import { BusRouter } from './bus/bus-router.js';
import { ActorRegistry } from './bus/actor-registry.js';
import type { Bus, MessageMeta, Unsubscribe } from './contracts/bus.js';
import { defaultTree, meshConfigured, nodeKeySourceOf } from './config/default-tree.js';
import { ensureNodeKey } from './config/node-key.js';
import { NodeNotRunningError, ProductionModeError, registerErrorClass } from './errors.js';
import { SnapshotCorruptError, StoreCorruptError, StoreOpenError, StoreVersionError } from '../../store/errors.js';
import type { Host, HostKind } from './contracts/host.js';
import { createInlineHost } from './host/inline-host.js';
import { createLogger, type Logger } from './actor-kit/logger.js';
import { parseNodeConfig, type NodeConfig, type NodeConfigInput } from './config/node-config.js';
import type { NodeStatus, TreeNodeStatus, ActorStatus } from './ops/node-status.js';
import { LatestStates, type LatestStateOf } from './ops/latest-states.js';
import { checkStandingTopics, standingPublishers, standingStates } from './ops/standings.js';
import { NodeOps, type NodeOpsOptions } from './ops/node-ops.js';
import { nodeTopics } from './bus/node-topics.js';
import type { SupervisedChild } from './supervision/supervised-child.js';
import type { ActorChildSpec, ChildSpec, SupervisorSpec } from './contracts/supervision-spec.js';
import { Supervisor } from './supervision/supervisor.js';
import { actorsIn } from './supervision/tree-walk.js';
import type { TopicRegistry } from './bus/topic-registry.js';
import type { FaultKind, WorkerHealth } from './host/worker/worker-control.js';
import { createWorkerHost } from './host/worker-host.js';
import { PoisonMessageError } from './host/actor-runner.js';
import { Chaos, type InjectedFault } from './self-healing/chaos.js';
import { RemediationCommandServer } from './self-healing/remediation-command-server.js';
import { RuntimeSampler, RUNTIME_SENDER } from './self-healing/runtime-sampler.js';
import { mailboxHighWaterOf, probeTimeoutOf } from './config/node-config.js';
import { deadLetter } from './self-healing/remediation-commands.js';
import { DATABASE_FILE_NAME } from './config/data-files.js';
import { createDeadLetterStore, type DeadLetterStore } from '../../store/dead-letters.js';
import { createInjectedFaultStore } from '../../store/injected-faults.js';
import { ensureDirectory } from '../../lib/files/private-files.js';
import { readMapeStatus, readIncidentReport, type IncidentReport } from '../../store/mape-status.js';
import type { LocalCauseKind } from '../../lib/mape/causes.js';
import { EXPECTED_CAUSE, meshRemedyResultSchema, type MeshChaosRequest } from '../../lib/mesh/mesh-remedy.js';
import { PEER_LINK_ACTOR } from './config/actor-ids.js';

// Store failures cross threads (a worker's snapshot write) and the control socket: rebuild them by name.
for (const errorClass of [StoreCorruptError, StoreVersionError, StoreOpenError, SnapshotCorruptError, PoisonMessageError]) {
  registerErrorClass(errorClass);
}


/** A link fault is a few map updates in the peer-link actor: no answer by then is a stuck actor. */
const MESH_FAULT_TIMEOUT_MS = 5_000;
export { DATABASE_FILE_NAME };
/** Largest batch handed to an actor's thread in one message: amortises postMessage without starving the liveness ping. */
export const DEFAULT_MAX_BATCH = 256;

export interface NodeOptions {
  /** Configuration as a file, env and flags give it; validated and completed with defaults. */
  config?: NodeConfigInput;
  /** The supervision tree; the node's default tree (ARCHITECTURE.md §1) when absent. */
  tree?: SupervisorSpec;
  /** Topics beyond the node's own (tests declare theirs). */
  topics?: TopicRegistry;
  logger?: Logger;
  /**
   * Every time the runtime reads and every timer it sets (request deadlines, restart backoff and
   * intensity, the persist throttle, sampling, message timestamps) and inline actors' machine
   * delays: a virtual clock makes a run deterministic. The process's clock when absent.
   */
  clock?: Clock;
  /** The runtime's randomness (restart backoff jitter); seeded for a deterministic run. Math.random when absent. */
  random?: Random;
  /** Largest batch per delivery to an actor's thread; 1 delivers message by message. */
  maxBatch?: number;
  /** Called when the root supervisor gives up; the CLI exits non-zero. */
  onFatal?: (error: Error) => void;
  /** Each message an actor acknowledged, with its time from publication (ms): feeds the latency histograms. */
  onMessageProcessed?: (actorId: string, latencyMs: number) => void;
  /** XState inspection of the actors' machines (all, or those listed), each event handed to onEvent. */
  inspection?: { actors?: readonly string[]; onEvent(actorId: string, event: Record<string, unknown>): void };
  /** Operations around the node (control socket, /metrics /health /ready, systemd, inspector): opened by start(), closed by stop(). */
  ops?: NodeOpsOptions;
}

export interface X0tta6bl4Node extends Bus {
  readonly config: NodeConfig;
  readonly runId: string;
  readonly databasePath: string;
  /**
   * Spawns the worker threads the tree's start will take, each importing its own actor's module,
   * and returns at once: they load while the caller does something else first (the CLI's
   * post-quantum self-test). No actor runs and the data directory is not touched until start(),
   * which prepares them itself when this was not called. stop() lets them go.
   */
  prepare(): void;
  start(): Promise<void>;
  /** Stops actors in reverse start order, flushes the store; idempotent. */
  stop(): Promise<void>;
  /** The actor's current persisted snapshot (from the running actor, else from the store). */
  snapshot(actorId: string): Promise<unknown>;
  /** The supervision tree with states, restarts and mailboxes. */
  tree(): TreeNodeStatus;
  /**
   * The latest payload of a topic declared `latestState` (a subsystem's standing: `identity.state`,
   * `mesh.links`), undefined until its first message and for any other topic. Status, /ready,
   * metrics and the watchdog read subsystems' states only through it.
   */
  latestState: LatestStateOf;
  /** Where /metrics is served, once started with `ops.metrics`. */
  readonly metricsAddress: string | undefined;
  status(): Promise<NodeStatus>;
  /** The actor's thread and machine state as its host reports them. */
  health(actorId: string): Promise<WorkerHealth>;
  /** Fault injection for tests and chaos runs; refused in production mode. */
  crash(actorId: string, kind: FaultKind): Promise<void>;
  /**
   * Injects a fault the self-healing loop should find and remedy (see chaos.ts), recorded with its
   * start time; refused in production mode.
   */
  chaos(kind: LocalCauseKind, actorId: string): Promise<InjectedFault>;
  /**
   * Chaos on the mesh (lib/mesh/mesh-remedy.ts's MeshChaosRequest), recorded with its start like
   * chaos; refused in production mode. Link faults are injected by the peer-link actor; a peer's
   * process faults were injected by the caller and are only recorded.
   */
  meshChaos(request: MeshChaosRequest): Promise<{ faultId: number | null; detail: string }>;
  /** Incidents from the knowledge base with their actions and outcomes, oldest first. */
  incidents(options?: { sinceMs?: number }): IncidentReport[];
  /** Publishes as if an actor had sent it (for tests of per-sender behaviour). */
  publishAs(from: string, topic: string, payload: unknown): Promise<void>;
  readonly bus: BusRouter;
  /** The node's actors by id. */
  readonly actors: ActorRegistry;
}

export function createNode(options: NodeOptions = {}): X0tta6bl4Node {
  const config = parseNodeConfig(options.config ?? {});
  const dataDir = resolve(config.dataDir);
  const databasePath = join(dataDir, DATABASE_FILE_NAME);
  const runId = randomUUID();
  const log = options.logger ?? createLogger(config.logLevel);
  const topics = options.topics ? nodeTopics.extend(options.topics) : nodeTopics;
  const treeSpec = options.tree ?? defaultTree({ ...config, dataDir });
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  const clock = options.clock ?? realClock;
  const random = options.random ?? realRandom;
  // The runtime samples and serves remediation commands only for a tree with a monitor to read them.
  const loopPresent = config.mape.enabled && [...actorsIn(treeSpec)].some((actor) => actor.subscribes?.includes('telemetry.sample'));

  let state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  let db: Database | undefined;
  let startedAt = 0;
  const hosts = new Map<HostKind, Host>();
  /** The supervisor of each actor, for remediations that restart a subtree. */
  const parents = new Map<string, Supervisor>();
  let sampler: RuntimeSampler | undefined;
  let deadLetters: DeadLetterStore | undefined;
  let chaos: Chaos | undefined;
  let commandServer: RemediationCommandServer | undefined;

  const actors = new ActorRegistry();
  const bus = new BusRouter(topics, actors, clock, {
    malformed: (error) => log.warn({ err: error }, 'malformed message dropped'),
    handlerFailed: (topic, error) => log.error({ err: error, topic }, 'bus subscriber threw'),
  });

  checkStandingTopics(topics);
  const latest = new LatestStates(topics, bus, standingPublishers());
  const ops = options.ops ? new NodeOps(options.ops, log) : undefined;
  const onProcessed = composeProcessed(options.onMessageProcessed, ops?.onMessageProcessed);
  const inspection = options.inspection ?? ops?.inspection;

  function hostKindOf(spec: ActorChildSpec): HostKind {
    return spec.host ?? config.actorHosts[spec.id] ?? config.host;
  }

  function hostFor(kind: HostKind): Host {
    let host = hosts.get(kind);
    if (!host) {
      host =
        kind === 'worker'
          ? createWorkerHost({
              spareWorkers: config.supervision.spareWorkers,
              databasePath,
              // A thread for each worker actor, prepared in parallel while the tree starts them in order.
              launches: [...actorsIn(treeSpec)].filter((actor) => hostKindOf(actor) === 'worker').map((actor) => actor.module),
            })
          : createInlineHost({ snapshots: createActorSnapshotStore(db!), clock });
      hosts.set(kind, host);
    }
    return host;
  }

  function build(spec: ChildSpec): SupervisedChild {
    if (spec.kind === 'actor') {
      const cell = new ActorCell(spec, {
        host: hostFor(hostKindOf(spec)),
        databasePath,
        runId,
        throttleMs: config.snapshots.throttleMs,
        liveness: { intervalMs: config.supervision.livenessIntervalMs, timeoutMs: config.supervision.livenessTimeoutMs },
        mailboxCapacity: config.mailbox.capacity,
        inflightWindow: config.mailbox.inflightWindow,
        maxBatch,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
        clock,
        onOutbound: (actorId, batch) => bus.fromActor(actorId, batch),
        onMalformed: (actorId, detail) => bus.malformed(actorId, detail),
        onSpace: (actorId) => bus.spaceIn(actorId),
        poisonLimit: config.mailbox.poisonLimit,
        onCrash: (actorId, crash) => sampler?.crashed(actorId, crash),
        onMailboxHighWater: (actorId, depth) => sampler?.mailboxHighWater(actorId, depth),
        mailboxHighWater: mailboxHighWaterOf(config.mailbox.capacity),
        ...(onProcessed ? { onProcessed } : {}),
        ...(inspection
          ? {
              inspect: (actorId: string) => inspection.actors === undefined || inspection.actors.includes(actorId),
              onInspect: inspection.onEvent,
            }
          : {}),
        onDeadLetters: (actorId, envelopes, reason) => {
          log.warn({ actor: actorId, count: envelopes.length, reason }, 'messages moved to dead letters');
          // Called while an exit is handled: a store that refuses the write (full, busy) costs the
          // operator the replay of these messages, logged, never the node.
          try {
            deadLetters?.add(envelopes.map((envelope) => deadLetter(actorId, envelope, reason, clock.now())));
          } catch (error) {
            log.error({ err: error, actor: actorId, count: envelopes.length, reason }, 'dead letters could not be stored: these messages are lost');
          }
        },
      });
      actors.add(cell);
      bus.addSubscriber(cell);
      return cell;
    }
    const supervisor: Supervisor = new Supervisor({
      id: spec.id,
      strategy: spec.strategy,
      intensity: spec.intensity ?? config.supervision.intensity,
      periodMs: spec.periodMs ?? config.supervision.periodMs,
      restart: spec.restart ?? 'permanent',
      backoff: config.supervision.backoff,
      children: spec.children.map(build),
      clock,
      random,
      log: {
        childExited: (supervisorId, childId, info) =>
          log[info.normal ? 'info' : 'warn']({ supervisor: supervisorId, actor: childId, reason: info.reason, err: info.error }, 'child exited'),
        restarting: (supervisorId, childIds, delayMs) => log.info({ supervisor: supervisorId, actors: childIds, delayMs }, 'restarting'),
        childStarted: (supervisorId, childId) => log.debug({ supervisor: supervisorId, actor: childId }, 'child started'),
        childStopped: (supervisorId, childId) => log.debug({ supervisor: supervisorId, actor: childId }, 'child stopped'),
        gaveUp: (error) => log.error({ err: error, supervisor: error.supervisorId }, 'supervisor gave up'),
      },
    });
    for (const child of spec.children) if (child.kind === 'actor') parents.set(child.id, supervisor);
    return supervisor;
  }

  let root: SupervisedChild | undefined;

  function cellOf(actorId: string): ActorCell {
    return actors.get(actorId);
  }

  function requireRunning(operation: string): void {
    if (state !== 'running') throw new NodeNotRunningError(operation);
  }

  /** Creates the worker host, which spawns a thread for each of the tree's worker actors at once. */
  function prepareThreads(): void {
    if ([...actorsIn(treeSpec)].some((actor) => hostKindOf(actor) === 'worker')) hostFor('worker');
  }

  async function closeResources(): Promise<void> {
    sampler?.stop();
    sampler = undefined;
    chaos?.stop();
    commandServer?.stop();
    await ops?.close();
    await Promise.all([...hosts.values()].map((host) => host.close()));
    hosts.clear();
    db?.close();
    db = undefined;
  }

  const node: X0tta6bl4Node = {
    config,
    runId,
    databasePath,
    bus,
    actors,

    prepare() {
      if (state !== 'new') throw new NodeNotRunningError(`prepare (node is ${state})`);
      prepareThreads();
    },

    async start() {
      if (state !== 'new') throw new NodeNotRunningError(`start (node is ${state})`);
      state = 'starting';
      try {
        // The data directory holds the store, the control socket and the embedded CA: one that others
        // can write (or a symlink, or another user's) could have them swapped under the node.
        ensureDirectory(dataDir, { private: false });
        // The key the peer link signs with, ready before it starts (a bad one refuses the start: NodeKeyFileError).
        if (meshConfigured(config)) await ensureNodeKey(nodeKeySourceOf({ ...config, dataDir }), log);
        // The worker threads load first, while this thread opens the store and the operations and builds the tree.
        prepareThreads();
        db = openStore(databasePath);
        await ops?.open();
        deadLetters = createDeadLetterStore(db);
        chaos = new Chaos(createInjectedFaultStore(db), clock);
        root = build(treeSpec);
        root.onExit((info) => {
          const error = info.error ?? new Error(info.reason);
          log.fatal({ err: error }, 'root supervisor gave up: the node stops');
          options.onFatal?.(error);
        });
        if (loopPresent) {
          sampler = new RuntimeSampler({
            intervalMs: config.mape.intervalMs,
            probeTimeoutMs: probeTimeoutOf(config.mape),
            clock,
            cells: () => actors.all(),
            takeRequestLatencies: () => bus.takeRequestLatencies(),
            publish: (sample) => {
              bus.publishFrom(RUNTIME_SENDER, 'telemetry.sample', sample).catch((error: unknown) => log.warn({ err: error }, 'telemetry sample not published'));
            },
            sampleFailed: (error) => log.warn({ err: error }, 'telemetry sample not taken'),
          });
          commandServer = new RemediationCommandServer({
            bus,
            actors,
            clock,
            db,
            log,
            shedTtlMs: config.mape.shedTtlMs,
            restartSubtreeOf: async (actorId) => {
              const parent = parents.get(actorId);
              if (!parent) return false;
              await parent.restartChildren();
              return true;
            },
            performed: (actorId) => sampler?.verifySoon(actorId),
          });
        }
        await root.start();
        sampler?.start();
      } catch (error) {
        state = 'stopped';
        await closeResources();
        throw error;
      }
      startedAt = clock.now();
      state = 'running';
      ops?.started();
      log.info({ runId, dataDir, actors: [...actorIds(treeSpec)] }, 'node started');
    },

    async stop() {
      if (state === 'stopped' || state === 'new') {
        // Threads prepared for a start that never came are let go.
        if (state === 'new') await closeResources();
        state = 'stopped';
        return;
      }
      state = 'stopping';
      // No more readings or injected floods into actors that are stopping.
      sampler?.stop();
      chaos?.stop();
      try {
        // Not ready from here on, and no more control requests.
        await ops?.stopping();
        await root?.stop();
      } finally {
        bus.rejectPending(new NodeNotRunningError('answer a request'));
        await closeResources();
        state = 'stopped';
        log.info({ runId }, 'node stopped');
      }
    },

    publish(topic, payload) {
      if (state !== 'running') return Promise.reject(new NodeNotRunningError('publish'));
      return bus.publish(topic, payload);
    },

    publishAs(from, topic, payload) {
      if (state !== 'running') return Promise.reject(new NodeNotRunningError('publish'));
      return bus.publishFrom(from, topic, payload);
    },

    subscribe(topic: string, handler: (payload: unknown, meta: MessageMeta) => void): Unsubscribe {
      return bus.subscribe(topic, handler);
    },

    request(actorId, topic, payload, requestOptions) {
      if (state !== 'running') return Promise.reject(new NodeNotRunningError('request'));
      return bus.request(actorId, topic, payload, requestOptions);
    },

    async snapshot(actorId) {
      const cell = cellOf(actorId);
      if (cell.state === 'running') {
        try {
          return await cell.incarnationOrThrow('snapshot').snapshot();
        } catch {
          // Crashed meanwhile: the stored snapshot is what the next incarnation restores.
        }
      }
      if (!db) throw new NodeNotRunningError('read a snapshot');
      return createActorSnapshotStore(db).load(actorId)?.snapshot;
    },

    tree() {
      if (!root) throw new NodeNotRunningError('read the tree');
      return root.status();
    },

    latestState: latest.get,

    get metricsAddress() {
      return ops?.metricsAddress;
    },

    async status() {
      requireRunning('read status');
      return {
        nodeId: hostname(),
        runId,
        production: config.production,
        startedAt,
        uptimeMs: clock.now() - startedAt,
        tree: root!.status(),
        bus: { published: bus.counters.published, delivered: bus.counters.delivered, malformed: bus.counters.malformed, heldMax: bus.counters.heldMax },
        ...(loopPresent && db ? { mape: readMapeStatus(db) } : {}),
        ...standingStates(latest.get),
      };
    },

    async health(actorId) {
      requireRunning('read health');
      return cellOf(actorId).incarnationOrThrow('read health').health();
    },

    async chaos(kind, actorId) {
      if (config.production) throw new ProductionModeError('chaos');
      requireRunning('inject a fault');
      return chaos!.inject(kind, cellOf(actorId));
    },

    async meshChaos(request) {
      if (config.production) throw new ProductionModeError('chaos');
      requireRunning('inject a fault');
      const startedAt = request.startedAt ?? clock.now();
      let detail: string;
      if (request.kind === 'kill-peer' || request.kind === 'freeze-peer') detail = `recorded ${request.kind} of ${request.peer}`;
      else {
        const { startedAt: _startedAt, ...fault } = request;
        const answer = meshRemedyResultSchema.parse(await bus.request(PEER_LINK_ACTOR, 'mesh.fault', fault, { timeoutMs: MESH_FAULT_TIMEOUT_MS }));
        if (!answer.ok) throw new Error(`the peer link refused the fault: ${answer.detail}`);
        detail = answer.detail;
      }
      if (request.kind === 'heal-link') return { faultId: null, detail };
      const faultId = createInjectedFaultStore(db!).record({ kind: EXPECTED_CAUSE[request.kind], target: request.peer, startedAt });
      return { faultId, detail };
    },

    incidents(incidentOptions = {}) {
      if (!db) throw new NodeNotRunningError('read incidents');
      return readIncidentReport(db, incidentOptions);
    },

    async crash(actorId, kind) {
      if (config.production) throw new ProductionModeError('crash');
      requireRunning('inject a fault');
      await cellOf(actorId).incarnationOrThrow('inject a fault').inject(kind);
    },
  };
  ops?.attach(node);
  return node;
}

type ProcessedHook = (actorId: string, latencyMs: number) => void;

/** The caller's latency hook and the metrics' one, when both are given. */
function composeProcessed(...hooks: (ProcessedHook | undefined)[]): ProcessedHook | undefined {
  const present = hooks.filter((hook): hook is ProcessedHook => hook !== undefined);
  if (present.length <= 1) return present[0];
  return (actorId, latencyMs) => {
    for (const hook of present) hook(actorId, latencyMs);
  };
}

function* actorIds(spec: ChildSpec): Generator<string> {
  for (const actor of actorsIn(spec)) yield actor.id;
}

export type { ActorStatus };
