/**
 * One call to a running node over its control socket (see actors/runtime/ops/control-server.ts for
 * the protocol). Failures to reach the node are ControlErrors; an error the node answers with is
 * rebuilt with its own name and message, so callers match on what the node said.
 */
import { createConnection } from 'node:net';
import { controlResponseSchema, rebuildError } from '../actors/runtime/index.js';
import { ControlError } from './control-error.js';

/** Control calls answer from the node's main thread without waiting on actors; 5 s means the node is stuck, not busy. */
export const DEFAULT_CONTROL_TIMEOUT_MS = 5_000;
/** One call per connection, so the id only has to be unique on it. */
const REQUEST_ID = 1;

export interface CallControlOptions {
  /** Deadline for connecting and answering together. */
  timeoutMs?: number;
}

export function callControl(
  socketPath: string,
  method: string,
  params: unknown = {},
  options: CallControlOptions = {},
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONTROL_TIMEOUT_MS;
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection(socketPath);
    let received = '';
    let settled = false;

    const settle = (outcome: { value: unknown } | { error: Error }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if ('error' in outcome) reject(outcome.error);
      else resolvePromise(outcome.value);
    };

    const timer = setTimeout(() => {
      settle({
        error: new ControlError(
          'timeout',
          socketPath,
          `the x0tta6bl4 node at ${socketPath} did not answer '${method}' within ${timeoutMs} ms`,
        ),
      });
    }, timeoutMs);

    socket.once('connect', () => {
      socket.write(`${JSON.stringify({ id: REQUEST_ID, method, params })}\n`);
    });

    socket.on('error', (error: NodeJS.ErrnoException) => settle({ error: connectionError(socketPath, error) }));

    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const newline = received.indexOf('\n');
      if (newline === -1) return;
      settle(parseResponse(socketPath, received.slice(0, newline)));
    });

    socket.once('close', () => {
      settle({
        error: new ControlError(
          'connection_closed',
          socketPath,
          `the x0tta6bl4 node at ${socketPath} closed the connection before answering '${method}'`,
        ),
      });
    });
  });
}

function connectionError(socketPath: string, error: NodeJS.ErrnoException): ControlError {
  switch (error.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new ControlError('not_running', socketPath, `no x0tta6bl4 node is running at ${socketPath}`, {
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new ControlError(
        'permission_denied',
        socketPath,
        `not allowed to connect to the x0tta6bl4 node at ${socketPath}: run as the node's user`,
        { cause: error },
      );
    case 'ECONNRESET':
    case 'EPIPE':
      return new ControlError(
        'connection_closed',
        socketPath,
        `the x0tta6bl4 node at ${socketPath} dropped the connection: ${error.message}`,
        { cause: error },
      );
    default:
      return new ControlError(
        'connection_failed',
        socketPath,
        `cannot connect to the x0tta6bl4 node at ${socketPath}: ${error.message}`,
        { cause: error },
      );
  }
}

function parseResponse(socketPath: string, line: string): { value: unknown } | { error: Error } {
  const protocolError = (detail: string): { error: Error } => ({
    error: new ControlError('protocol', socketPath, `the x0tta6bl4 node at ${socketPath} sent ${detail}`),
  });
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return protocolError('a response that is not JSON');
  }
  const parsed = controlResponseSchema.safeParse(json);
  if (!parsed.success) return protocolError(`a malformed response: ${parsed.error.message}`);
  const response = parsed.data;
  if ('error' in response) return { error: rebuildError(response.error) };
  // id null on a result cannot answer our request; a different id is someone else's answer.
  if (response.id !== REQUEST_ID) return protocolError(`an answer to request ${JSON.stringify(response.id)}`);
  return { value: response.result };
}
