/**
 * Entry of an actor's worker thread. Loaded before the actor is known, so a spare worker can
 * sit warm (runtime modules imported) and take over an actor in a few milliseconds.
 *
 * workerData: { busPort: MessagePort, checks: ProtocolCheckSources, signals: the thread's shared-memory ThreadSignals }. parentPort carries
 * the control calls (thread-control-server.ts). This module loads no schema library: the host sends compiled checks.
 */
import { parentPort, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { ActorRunner } from '../actor-runner.js';
import { ProtocolViolationError, serializeError } from '../../errors.js';
import { loadActorDefinition } from '../load-actor-definition.js';
import { actorHealth } from './actor-health.js';
import { realClock } from '../../contracts/clock.js';
import { describeRejected, loadProtocolChecks, type ProtocolCheckSources } from './thread-protocol-checks.js';
import type { HostToWorker, Outbound, WorkerToHost } from '../thread-protocol.js';
import type { FaultKind, PrepareWorker, StartActor, StartResult, StopResult, WorkerControl, WorkerHealth } from './worker-control.js';
import { warmUpStateMachines } from './machine-warm-up.js';
import type { Database } from 'better-sqlite3';
import { openStore } from '../../../../store/open-store.js';
import { createActorSnapshotStore } from '../../../../store/actor-snapshots.js';
import { retainedHeapBytes, threadCpuMs } from './thread-usage.js';
import { ThreadFaults } from './thread-faults.js';
import { HEAP_SIGNAL_EVERY_MS, ThreadSignals } from '../thread-signals.js';
import { ownOsThreadId } from '../thread-schedstat.js';
import { timedSnapshotPort, type TimedSnapshotPort } from './timed-snapshot-port.js';
import { unpackDelivery, type DeliverColumns } from '../delivery-columns.js';
import { serveThreadControl } from './thread-control-server.js';
import { postToHost } from './post-to-host.js';

if (!parentPort) throw new Error('worker-entry must run in a worker thread');
const {
  busPort,
  checks: checkSources,
  signals: signalBuffer,
} = workerData as { busPort: MessagePort; checks: ProtocolCheckSources; signals: SharedArrayBuffer };
const signals = new ThreadSignals(signalBuffer);
signals.osThreadId(ownOsThreadId());
// The retained heap, for the host to see a leak growing between samples (thread-signals.ts). It
// does not keep the thread alive.
setInterval(() => signals.retainedHeap(retainedHeapBytes(), performance.now()), HEAP_SIGNAL_EVERY_MS).unref();
const checks = loadProtocolChecks(checkSources);

let runner: ActorRunner | undefined;
/** The store connection of the running actor. */
let store: { path: string; db: Database } | undefined;
/** A store connection kept ready (by `prepare`, or from the last actor), taken by the start that names the same file. */
let prepared: { path: string; db: Database } | undefined;
let snapshots: TimedSnapshotPort | undefined;
/** When the running actor started (the thread's own time: health reports OS usage), and the thread's CPU time then. */
let startedAt = 0;
let cpuAtStart = -1;
/** Chaos faults injected into this thread; cleared when the actor stops, so a recycled thread is clean. */
const faults = new ThreadFaults();
let paused = false;
const heldWhilePaused: HostToWorker[] = [];

/** While a delivered batch is processed, what it produces is gathered into one port message. */
let gathering: { out: Outbound[]; ack?: number } | undefined;

function post(message: WorkerToHost): void {
  postToHost(busPort, message);
}

function handleBusMessage(data: unknown): void {
  if (!checks.hostToWorker(data)) {
    post({ kind: 'failed', error: serializeError(new ProtocolViolationError('host', describeRejected(data))) });
    return;
  }
  const message = data as HostToWorker;
  switch (message.kind) {
    case 'ping':
      post({ kind: 'pong', id: message.id });
      return;
    case 'pause':
      paused = message.paused;
      // The actor's I/O learns first, so a socket stops before anything held is processed.
      runner?.setHeld(paused);
      if (!paused) for (const held of heldWhilePaused.splice(0)) handleBusMessage(held);
      return;
    case 'deliver':
      if (paused) {
        heldWhilePaused.push(message);
        return;
      }
      deliver(message);
      return;
  }
}

function deliver(columns: DeliverColumns): void {
  const batch = unpackDelivery(columns);
  if (typeof batch === 'string') {
    post({ kind: 'failed', error: serializeError(new ProtocolViolationError('host', batch)) });
    return;
  }
  const gathered: { out: Outbound[]; ack?: number } = { out: [] };
  gathering = gathered;
  try {
    runner?.deliver(batch);
  } finally {
    gathering = undefined;
  }
  if (gathered.out.length > 0) {
    post({ kind: 'out', batch: gathered.out, ...(gathered.ack !== undefined ? { ack: gathered.ack } : {}) });
  } else if (gathered.ack !== undefined) {
    post({ kind: 'ack', seq: gathered.ack });
  }
}

busPort.on('message', handleBusMessage);
busPort.on('messageerror', (error: Error) => post({ kind: 'dropped', detail: `a message from the host could not be deserialized: ${error.message.slice(0, 300)}` }));

const control: WorkerControl = {
  async hello() {
    return 'ready';
  },

  async prepare(init: PrepareWorker) {
    if (!checks.prepare(init)) throw new ProtocolViolationError('host (prepare)', describeRejected(init));
    // Synchronously, before any start queued behind this call runs: that start takes this connection.
    if (init.databasePath !== undefined) prepared ??= { path: init.databasePath, db: openStore(init.databasePath) };
    // A module that fails to load is reported by the start that needs it, with its own error.
    if (init.module !== undefined) await import(init.module).catch(() => undefined);
    if (init.warmUp) warmUpStateMachines();
  },

  async start(init: StartActor): Promise<StartResult> {
    if (!checks.startActor(init)) throw new ProtocolViolationError('host (start)', describeRejected(init));
    if (runner) throw new TypeError('this worker already runs an actor');
    const definition = await loadActorDefinition(init.module);
    const persistent = definition.persistent !== false;
    if (prepared && (!persistent || prepared.path !== init.databasePath)) {
      prepared.db.close();
      prepared = undefined;
    }
    store = persistent ? (prepared ?? { path: init.databasePath, db: openStore(init.databasePath) }) : undefined;
    prepared = undefined;
    const db = store?.db;
    snapshots = db
      ? timedSnapshotPort(createActorSnapshotStore(db), {
          started: () => {
            signals.storeWrite(true);
            faults.beforeStoreWrite();
          },
          ended: () => signals.storeWrite(false),
        })
      : undefined;
    // Inspection is off by default: the inspector library loads only in threads that forward events.
    const inspect = init.inspect ? await (await import('./inspection-forwarder.js')).inspectionForwarder((event) => post({ kind: 'inspect', event })) : undefined;
    runner = new ActorRunner(
      {
        definition,
        io: { actorId: init.actorId, options: init.options, databasePath: init.databasePath },
        runId: init.runId,
        ...(snapshots ? { snapshots } : {}),
        throttleMs: init.throttleMs,
        // A worker thread runs in real time: a virtual clock lives in the node's thread and cannot
        // cross postMessage (simulations run their actors inline).
        clock: realClock,
        onProcessed: (count) => signals.messageProcessed(count),
        ...(inspect ? { inspect } : {}),
      },
      {
        outbound: (batch: Outbound[]) => {
          if (gathering) gathering.out.push(...batch);
          else post({ kind: 'out', batch });
        },
        ack: (seq) => {
          if (gathering) gathering.ack = seq;
          else post({ kind: 'ack', seq });
        },
        done: () => post({ kind: 'done' }),
        failed: (error, seq) => post({ kind: 'failed', error: serializeError(error), ...(seq !== undefined ? { seq } : {}) }),
        stateChanged: (value) => post({ kind: 'state', value }),
      },
    );
    // Paused before it started (its senders blocked while its thread was being set up).
    if (paused) runner.setHeld(true);
    startedAt = performance.now();
    cpuAtStart = threadCpuMs();
    runner.start();
    return { restoredSeq: runner.restoredSeq };
  },

  async stop(): Promise<StopResult> {
    const ackedSeq = runner?.stop() ?? 0;
    runner = undefined;
    snapshots = undefined;
    faults.clear();
    // The thread may serve another actor next (the host recycles cleanly stopped threads).
    prepared = store;
    store = undefined;
    paused = false;
    heldWhilePaused.length = 0;
    return { ackedSeq };
  },

  async snapshot() {
    return runner?.persistedSnapshot();
  },

  async health(): Promise<WorkerHealth> {
    return actorHealth({
      state: runner?.stateValue(),
      startedAt: runner ? startedAt : undefined,
      cpuTimeMs: cpuAtStart < 0 ? -1 : Math.max(0, threadCpuMs() - cpuAtStart),
      snapshots,
      threadId,
    });
  },

  async inject(kind: FaultKind) {
    if (!checks.faultKind(kind)) throw new ProtocolViolationError('host (inject)', describeRejected(kind));
    // Deferred so the call itself answers: the fault then hits the thread as a real one would.
    setImmediate(() => {
      switch (kind) {
        case 'throw':
          throw new Error('injected fault: uncaught error in actor thread');
        case 'exit':
          process.exit(70);
        case 'hang':
          for (;;) {
            // A busy loop: the event loop never turns again, so liveness pings go unanswered.
          }
        case 'cpu-hog':
          faults.startCpuHog();
          return;
        case 'memory-leak':
          faults.startMemoryLeak();
          return;
        case 'slow-store':
          faults.slowStore();
          return;
      }
    });
  },
};

serveThreadControl(parentPort, control, checks.controlRequest);
