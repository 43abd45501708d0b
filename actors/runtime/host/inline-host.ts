/**
 * The inline host: actors run in the caller's thread, with the same machines and the same
 * runner as in a worker. For simulation (a virtual clock drives every machine's delays) and
 * unit tests. Delivery stays asynchronous, as across a thread, so publishing never re-enters
 * an actor synchronously.
 */
import type { Clock } from '../contracts/clock.js';
import { inspectionForwarder } from './worker/inspection-forwarder.js';
import { ActorRunner } from './actor-runner.js';
import { RuntimeError } from '../errors.js';
import { loadActorDefinition } from './load-actor-definition.js';
import { actorHealth } from './worker/actor-health.js';
import type { ActorIncarnation, ExitInfo, Host } from '../contracts/host.js';
import type { Envelope } from '../contracts/envelope.js';
import type { SnapshotPort } from '../contracts/snapshot-port.js';
import type { FaultKind } from './worker/worker-control.js';
import { timedSnapshotPort } from './worker/timed-snapshot-port.js';

/** A fault the inline host cannot inject: hanging, hogging or leaking in the caller's thread would hit the whole node. */
export class UnsupportedFaultError extends RuntimeError {
  constructor(
    readonly actorId: string,
    readonly kind: string,
  ) {
    super(`fault '${kind}' cannot be injected into inline actor '${actorId}': it would hit the host thread, not the actor`);
  }
}

export class InjectedFaultError extends RuntimeError {
  constructor(readonly kind: string) {
    super(`injected fault: ${kind}`);
  }
}

export interface InlineHostInit {
  snapshots: SnapshotPort;
  /** The machines' delays and the persist throttle run on it (a virtual clock in a simulation). */
  clock: Clock;
}

export function createInlineHost(init: InlineHostInit): Host {
  const live = new Set<{ stop(timeoutMs: number): Promise<void> }>();
  return {
    kind: 'inline',
    async launch(spec, events) {
      const definition = await loadActorDefinition(spec.module);
      let ended = false;
      let paused = false;
      const queue: Envelope[][] = [];
      let scheduled = false;
      const end = (info: ExitInfo) => {
        if (ended) return;
        ended = true;
        live.delete(incarnation);
        runner.stop();
        // Asynchronous, like a worker's exit event.
        setImmediate(() => events.exit(info));
      };
      const snapshots = timedSnapshotPort(init.snapshots);
      const inspect = spec.inspect ? await inspectionForwarder((event) => events.inspect?.(event)) : undefined;
      // OS time, not the clock: health's running time pairs with OS readings (see actor-health.ts).
      const startedAt = performance.now();
      const runner = new ActorRunner(
        {
          definition,
          io: { actorId: spec.actorId, options: spec.options, databasePath: spec.databasePath },
          runId: spec.runId,
          snapshots,
          throttleMs: spec.throttleMs,
          clock: init.clock,
          ...(inspect ? { inspect } : {}),
        },
        {
          outbound: (batch) => events.outbound(batch),
          ack: (seq) => events.ack(seq),
          stateChanged: (value) => events.state?.(value),
          done: () => end({ normal: true, reason: 'machine reached a final state' }),
          failed: (error, seq) =>
            end({
              normal: false,
              reason: `machine failed: ${error instanceof Error ? error.message : String(error)}`,
              ...(error instanceof Error ? { error } : {}),
              ...(seq !== undefined ? { seq } : {}),
            }),
        },
      );
      const drain = () => {
        scheduled = false;
        while (!ended && !paused && queue.length > 0) runner.deliver(queue.shift()!);
      };
      const incarnation: ActorIncarnation = {
        restoredSeq: runner.restoredSeq,
        deliver(batch) {
          if (ended) return;
          queue.push(batch);
          if (!scheduled) {
            scheduled = true;
            setImmediate(drain);
          }
        },
        setPaused(value) {
          paused = value;
          runner.setHeld(value);
          if (!paused && !scheduled && queue.length > 0) {
            scheduled = true;
            setImmediate(drain);
          }
        },
        async snapshot() {
          return runner.persistedSnapshot();
        },
        async health() {
          return actorHealth({
            state: runner.stateValue(),
            startedAt,
            // Inline actors share the caller's thread: its CPU time is not theirs.
            cpuTimeMs: -1,
            snapshots,
            threadId: 0,
          });
        },
        utilizationSinceLast() {
          return undefined;
        },
        loopIdleMs() {
          return undefined;
        },
        retainedHeap() {
          return undefined;
        },
        processedCount() {
          return undefined;
        },
        storeWriteRunningMs() {
          return 0;
        },
        schedStat() {
          // The caller's thread: its times are not the actor's.
          return undefined;
        },
        kill(reason) {
          const error = new InjectedFaultError(`restart by remediation: ${reason}`);
          // Ordered only if the kill ends it: an exit already decided stands.
          end({ normal: false, reason: error.message, error, ordered: true });
        },
        async inject(kind: FaultKind) {
          if (kind !== 'throw' && kind !== 'exit') throw new UnsupportedFaultError(spec.actorId, kind);
          const error = new InjectedFaultError(kind);
          setImmediate(() => end({ normal: false, reason: error.message, error }));
        },
        async stop() {
          if (ended) return;
          ended = true;
          live.delete(incarnation);
          runner.stop();
        },
      };
      live.add(incarnation);
      runner.start();
      return incarnation;
    },
    async close() {
      await Promise.all([...live].map((incarnation) => incarnation.stop(0)));
    },
  };
}
