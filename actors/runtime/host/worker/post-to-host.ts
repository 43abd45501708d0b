/**
 * Posts a worker's message to the host so that a value the structured clone refuses (a nesting
 * deeper than its stack, a function, a symbol) never throws into the actor's turn, where it would
 * crash the thread, and never takes the rest of the message down with it:
 * - an `out` batch is retried message by message; a reply that cannot cross becomes a reply-error
 *   (the requester learns at once instead of at its timeout); a publish that cannot cross is
 *   dropped and reported;
 * - the batch's acknowledgement goes out whatever its messages did;
 * - anything else that cannot cross is reported.
 * Reports are `dropped` messages, which the host counts as malformed and logs with their detail.
 */
import type { Outbound, WorkerToHost } from '../thread-protocol.js';
import { describeCloneError as describe } from '../describe-clone-error.js';

export interface HostPort {
  postMessage(message: unknown): void;
}

function tryPost(port: HostPort, message: WorkerToHost): unknown {
  try {
    port.postMessage(message);
    return undefined;
  } catch (error) {
    return error ?? new Error('postMessage threw');
  }
}

function what(message: Outbound): string {
  return message.kind === 'publish' ? `a publish on '${message.topic}'` : `the reply to request '${message.requestId}'`;
}

function postEachOutbound(port: HostPort, batch: readonly Outbound[]): void {
  for (const message of batch) {
    const error = tryPost(port, { kind: 'out', batch: [message] });
    if (error === undefined) continue;
    const detail = `${what(message)} could not cross to the host: ${describe(error)}`;
    if (message.kind === 'reply') tryPost(port, { kind: 'out', batch: [{ kind: 'reply-error', requestId: message.requestId, error: detail }] });
    tryPost(port, { kind: 'dropped', detail });
  }
}

export function postToHost(port: HostPort, message: WorkerToHost): void {
  const error = tryPost(port, message);
  if (error === undefined) return;
  if (message.kind === 'out') {
    postEachOutbound(port, message.batch);
    if (message.ack !== undefined) tryPost(port, { kind: 'ack', seq: message.ack });
    return;
  }
  tryPost(port, { kind: 'dropped', detail: `a '${message.kind}' message could not cross to the host: ${describe(error)}` });
}
