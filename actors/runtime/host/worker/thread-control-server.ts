/**
 * The worker's side of its control plane (see ../thread-control-client.ts): each request on the
 * parentPort calls its WorkerControl method at once, in arrival order, and posts the result or
 * the thrown error (serialized, so the host rebuilds its class). A request that fails its check
 * is answered with a ProtocolViolationError when it names a call id, and dropped otherwise.
 */
import type { MessagePort } from 'node:worker_threads';
import { ProtocolViolationError, serializeError } from '../../errors.js';
import type { ControlReply, ControlRequest, WorkerControl } from './worker-control.js';
import { describeRejected } from './thread-protocol-checks.js';

export function serveThreadControl(port: MessagePort, control: WorkerControl, isRequest: (value: unknown) => boolean): void {
  const reply = (message: ControlReply) => port.postMessage(message);
  port.on('message', (data: unknown) => {
    if (!isRequest(data)) {
      const id = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
      if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) {
        reply({ id, ok: false, error: serializeError(new ProtocolViolationError('host (control request)', describeRejected(data))) });
      }
      return;
    }
    const { id, method, args } = data as ControlRequest;
    let result: Promise<unknown>;
    try {
      // Called now, not on a later turn: a start sent after a preparation finds what it began.
      result = (control[method] as (...values: unknown[]) => Promise<unknown>)(...args);
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value) => {
        try {
          reply({ id, ok: true, value });
        } catch (error) {
          // A result that cannot cross the thread boundary (DataCloneError) fails the call, not the thread.
          reply({ id, ok: false, error: serializeError(error) });
        }
      },
      (error: unknown) => reply({ id, ok: false, error: serializeError(error) }),
    );
  });
}
