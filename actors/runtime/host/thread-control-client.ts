/**
 * The host's side of a worker's control plane: each WorkerControl method posts one request on the
 * worker's parentPort, `{id, method, args}`, and resolves with the reply of the same id, or rejects
 * with the error the worker threw, rebuilt into its class. A few dozen lines in place of a
 * general RPC library, which every worker thread would load (about 0.5 MiB of heap and 10 ms of
 * start-up each) for the seven calls it answers.
 *
 * Requests are answered in the order they are handled: the worker calls each method as its
 * request arrives (see worker/thread-control-server.ts), so a start sent after a preparation
 * finds what that preparation began.
 */
import { ProtocolViolationError, rebuildError } from '../errors.js';
import { controlReply } from './thread-protocol-validation.js';
import type { ControlMethod, WorkerControl } from './worker/worker-control.js';

/** Where requests go and replies come from: the worker (its parentPort's other end), or any port. */
export interface ControlEndpoint {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (data: unknown) => void): unknown;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ThreadControlClient {
  readonly control: WorkerControl;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    private readonly endpoint: ControlEndpoint,
    /** Who the thread serves, for error messages. */
    private readonly label: () => string,
  ) {
    endpoint.on('message', (data: unknown) => this.received(data));
    const call = <T>(method: ControlMethod, args: unknown[]) => this.call(method, args) as Promise<T>;
    this.control = {
      hello: () => call('hello', []),
      prepare: (init) => call('prepare', [init]),
      start: (init) => call('start', [init]),
      stop: () => call('stop', []),
      snapshot: () => call('snapshot', []),
      health: () => call('health', []),
      inject: (kind) => call('inject', [kind]),
    };
  }

  /** Rejects every call still waiting (the thread is gone and will never answer). */
  failPending(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const call of waiting) call.reject(error);
  }

  private call(method: ControlMethod, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.endpoint.postMessage({ id, method, args });
    });
  }

  private received(data: unknown): void {
    const parsed = controlReply.parse(data);
    if (!parsed.ok) {
      // A reply that names a waiting call fails that call; anything else has no caller to tell.
      const id = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
      const call = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (call && typeof id === 'number') {
        this.pending.delete(id);
        call.reject(new ProtocolViolationError(`worker of ${this.label()} (control reply)`, parsed.detail));
      }
      return;
    }
    const reply = parsed.value;
    const call = this.pending.get(reply.id);
    if (!call) return;
    this.pending.delete(reply.id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(rebuildError(reply.error));
  }
}
