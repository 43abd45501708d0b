/**
 * A worker thread with the runtime loaded and no actor yet, plus the plumbing every worker
 * needs: its control calls, the bus port, and exit tracking so no call to a dead worker stays
 * pending.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { WorkerExitedError } from '../errors.js';
import { ThreadControlClient } from './thread-control-client.js';
import type { PrepareWorker, WorkerControl } from './worker/worker-control.js';
import { protocolCheckSources } from './thread-protocol-validation.js';
import { ThreadSignals } from './thread-signals.js';

const WORKER_ENTRY = new URL('./worker/worker-entry.js', import.meta.url);

export interface WorkerExit {
  code: number;
  /** The uncaught error that ended the thread, if one did. */
  error?: Error;
}

export class SpareWorker {
  readonly worker: Worker;
  readonly busPort: MessagePort;
  readonly control: WorkerControl;
  readonly exited: Promise<WorkerExit>;
  /** What the thread publishes in shared memory (progress, a store write under way). */
  readonly signals = new ThreadSignals();
  /** Who the worker is serving, for error messages. */
  label = '(spare)';
  private exitInfo: WorkerExit | undefined;
  private uncaught: Error | undefined;
  private busHandler: (data: unknown) => void = () => undefined;

  private constructor() {
    const channel = new MessageChannel();
    this.busPort = channel.port1;
    this.worker = new Worker(WORKER_ENTRY, {
      workerData: { busPort: channel.port2, checks: protocolCheckSources(), signals: this.signals.buffer },
      transferList: [channel.port2],
    });
    this.worker.on('error', (error) => {
      this.uncaught = error;
    });
    this.busPort.on('message', (data: unknown) => this.busHandler(data));
    // A message that cannot be deserialized here is lost either way: say so, as the thread does for what it cannot send.
    this.busPort.on('messageerror', (error: Error) => this.busHandler({ kind: 'dropped', detail: `a message from the thread could not be deserialized: ${error.message.slice(0, 300)}` }));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.exitInfo = { code, ...(this.uncaught ? { error: this.uncaught } : {}) };
        // What the thread posted before it died is still queued on our side of the port: take it
        // now, in order, so no outbound message or acknowledgement is lost and the exit is handled
        // only after everything the thread said.
        this.drainBus();
        this.busPort.close();
        client.failPending(new WorkerExitedError(this.label, describeExit(this.exitInfo)));
        resolve(this.exitInfo);
      });
    });
    const client = new ThreadControlClient(this.worker, () => this.label);
    this.control = client.control;
  }

  /**
   * Spawns a worker and waits until its runtime is loaded. What it is to prepare is sent at once,
   * queued until the thread listens: the thread starts on it even while this one is busy (the
   * CLI's self-test runs synchronously) and answers hello without waiting for it. A preparation
   * that fails is met again, with its own error, by the start that needs it.
   */
  static async spawn(preparation?: PrepareWorker): Promise<SpareWorker> {
    const warm = new SpareWorker();
    if (preparation) warm.call(() => warm.control.prepare(preparation)).catch(() => undefined);
    await warm.call(() => warm.control.hello());
    return warm;
  }

  /** Hands everything already queued on the bus port to the current handler, synchronously and in order. */
  drainBus(): void {
    for (let queued = receiveMessageOnPort(this.busPort); queued; queued = receiveMessageOnPort(this.busPort)) {
      this.busHandler(queued.message);
    }
  }

  /** Where bus messages from the thread go (the incarnation the worker serves). */
  onBusMessage(handler: (data: unknown) => void): void {
    this.busHandler = handler;
  }

  get isAlive(): boolean {
    return this.exitInfo === undefined;
  }

  /** A control call that rejects with WorkerExitedError if the worker exits before answering. */
  call<T>(invoke: () => Promise<T>): Promise<T> {
    if (this.exitInfo) return Promise.reject(new WorkerExitedError(this.label, describeExit(this.exitInfo)));
    return Promise.race([
      invoke(),
      this.exited.then((exit): never => {
        throw new WorkerExitedError(this.label, describeExit(exit));
      }),
    ]);
  }

  async terminate(): Promise<WorkerExit> {
    if (this.isAlive) await this.worker.terminate();
    return this.exited;
  }
}

export function describeExit(exit: WorkerExit): string {
  if (exit.error) return `uncaught ${exit.error.name}: ${exit.error.message}`;
  return `thread exited with code ${exit.code}`;
}
