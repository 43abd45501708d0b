/**
 * The node's control socket: how the CLI (`x0tta6bl4 status`, `stop`, …) talks to a running node.
 * A unix socket, owner-only (0600), carrying newline-delimited JSON:
 *
 *   → {"id":1,"method":"status","params":{}}
 *   ← {"id":1,"result":{…}}   or   {"id":1,"error":{"name":"…","message":"…"}}
 *
 * Requests on one connection are handled concurrently; responses carry the request's id. A line
 * that is not a valid request gets a ProtocolViolationError response (id null when none could be
 * read) and the connection stays usable; a line longer than MAX_REQUEST_LINE_BYTES closes it.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { ConfigError } from '../config/config-error.js';
import { ProtocolViolationError, registerErrorClass, RuntimeError, serializeError } from '../errors.js';

/** Control requests are small (a method and its options); 1 MiB bounds a client's memory cost on the node. */
export const MAX_REQUEST_LINE_BYTES = 1024 * 1024;
/** Owner read/write only: the control socket can stop the node, so only its user may connect. */
export const CONTROL_SOCKET_MODE = 0o600;
/** A live node accepts a connection at once; one that has not within this time is treated as live (busy), never deleted. */
const LIVENESS_PROBE_TIMEOUT_MS = 1_000;
/** sun_path is 108 bytes on Linux, including the terminating NUL; longer paths would be cut or refused by the kernel. */
const MAX_SOCKET_PATH_BYTES = 107;
const NEWLINE = 0x0a;

/** Something else already answers on the control socket path (usually another node using the same data directory). */
export class ControlSocketInUseError extends RuntimeError {
  constructor(
    readonly socketPath: string,
    readonly detail: string,
  ) {
    super(`cannot start the control socket at ${socketPath}: ${detail}`);
  }
}
registerErrorClass(ControlSocketInUseError);

export type ControlHandler = (method: string, params: unknown) => Promise<unknown>;

export interface ControlServerInit {
  socketPath: string;
  /** Answers one request; a rejection is sent to the client as `{name, message}`. */
  handle: ControlHandler;
  /** Failures to accept a connection (EMFILE, …): they cost that one client its call, never the node. */
  onError?: (error: Error) => void;
}

export interface ControlServer {
  /** Stops accepting, drops open connections and removes the socket file. */
  close(): Promise<void>;
  path: string;
}

export const controlRequestSchema = z.strictObject({
  id: z.union([z.int(), z.string()]),
  method: z.string().min(1),
  params: z.unknown().optional(),
});
export type ControlRequest = z.infer<typeof controlRequestSchema>;

const responseErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

/** `result` is required (null when a method has nothing to return), so a response always says which it is. */
export const controlResponseSchema = z.union([
  z.strictObject({ id: z.union([z.int(), z.string(), z.null()]), result: z.unknown() }),
  z.strictObject({ id: z.union([z.int(), z.string(), z.null()]), error: responseErrorSchema }),
]);
export type ControlResponse = z.infer<typeof controlResponseSchema>;

export async function startControlServer(init: ControlServerInit): Promise<ControlServer> {
  const { socketPath, handle } = init;
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new ConfigError([
      {
        key: 'controlSocket',
        message: `socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, the limit for unix sockets`,
      },
    ]);
  }
  await removeStaleSocket(socketPath);

  const connections = new Set<Socket>();
  // allowHalfOpen: a client may send its requests and end its side (`… | socat - UNIX:…`); it still gets its answers.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, handle);
  });
  await listen(server, socketPath);
  server.on('error', (error) => init.onError?.(error));
  try {
    // After listen, whatever the umask: the mode is the server's to decide, not its environment's.
    await chmod(socketPath, CONTROL_SOCKET_MODE);
  } catch (error) {
    await closeServer(server, connections, socketPath);
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    path: socketPath,
    close() {
      closing ??= closeServer(server, connections, socketPath);
      return closing;
    },
  };
}

/** Refuses a path another process answers on or that is not a socket; unlinks a socket left by a dead process. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(socketPath)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) {
    throw new ControlSocketInUseError(socketPath, 'the path exists and is not a socket; not removing it');
  }
  const probe = await probeSocket(socketPath);
  if (probe === 'stale') {
    await unlink(socketPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    return;
  }
  throw new ControlSocketInUseError(
    socketPath,
    probe === 'live'
      ? 'another process is listening on it (is a node already running with this data directory?)'
      : `cannot tell whether it is in use (${probe.error})`,
  );
}

type ProbeResult = 'live' | 'stale' | { error: string };

function probeSocket(socketPath: string): Promise<ProbeResult> {
  return new Promise((resolvePromise) => {
    const socket = createConnection(socketPath);
    const finish = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(result);
    };
    // OS time: whether another process answers on a unix socket, which no virtual clock drives.
    const timer = setTimeout(() => finish('live'), LIVENESS_PROBE_TIMEOUT_MS);
    socket.once('connect', () => finish('live'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // ECONNREFUSED: the file exists but nobody listens. ENOENT: removed since lstat.
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') finish('stale');
      else finish({ error: `${error.code ?? error.name}: ${error.message}` });
    });
  });
}

function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      // Someone bound the path between our check and our listen.
      reject(error.code === 'EADDRINUSE' ? new ControlSocketInUseError(socketPath, 'another process bound it first') : error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolvePromise();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(socketPath);
  });
}

async function closeServer(server: Server, connections: Set<Socket>, socketPath: string): Promise<void> {
  const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  for (const socket of connections) socket.destroy();
  await closed;
  // libuv unlinks the path on close already; this covers the case where it could not.
  await unlink(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

function serveConnection(socket: Socket, handle: ControlHandler): void {
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  let pending = 0;
  let ended = false;
  let oversized = false;

  // A client that disconnects mid-answer (EPIPE, ECONNRESET) is its own problem, not the node's.
  socket.on('error', () => socket.destroy());

  const send = (response: ControlResponse): void => {
    if (socket.destroyed || socket.writableEnded) return;
    let line: string;
    try {
      line = JSON.stringify(response);
    } catch (error) {
      // A result that is not JSON (a cycle, a BigInt) is the handler's bug; the client still gets an answer.
      line = JSON.stringify({ id: response.id, error: toWireError(error) });
    }
    socket.write(`${line}\n`);
  };

  const endIfDone = (): void => {
    if (ended && pending === 0 && !socket.destroyed) socket.end();
  };

  const onLine = (line: string): void => {
    if (line.trim() === '') return;
    const request = parseRequest(line);
    if ('violation' in request) {
      send({ id: request.id, error: toWireError(request.violation) });
      return;
    }
    pending++;
    Promise.resolve()
      .then(() => handle(request.method, request.params))
      .then(
        (result) => send({ id: request.id, result: result === undefined ? null : result }),
        (error: unknown) => send({ id: request.id, error: toWireError(error) }),
      )
      .finally(() => {
        pending--;
        endIfDone();
      });
  };

  const rejectOversized = (): void => {
    oversized = true;
    buffered = [];
    const violation = new ProtocolViolationError(
      'control socket client',
      `request line longer than ${MAX_REQUEST_LINE_BYTES} bytes; closing the connection`,
    );
    socket.end(`${JSON.stringify({ id: null, error: toWireError(violation) })}\n`);
    // Whatever the client still sends is not read; the fd goes once our answer is flushed.
    socket.once('finish', () => socket.destroy());
  };

  socket.on('data', (chunk: Buffer) => {
    if (oversized) return;
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      bufferedBytes += end - start;
      if (bufferedBytes > MAX_REQUEST_LINE_BYTES) {
        rejectOversized();
        return;
      }
      buffered.push(chunk.subarray(start, end));
      if (newline === -1) break;
      const line = Buffer.concat(buffered, bufferedBytes).toString('utf8');
      buffered = [];
      bufferedBytes = 0;
      start = newline + 1;
      onLine(line);
    }
  });

  socket.on('end', () => {
    ended = true;
    // A last request without a trailing newline still counts.
    if (!oversized && bufferedBytes > 0) {
      const line = Buffer.concat(buffered, bufferedBytes).toString('utf8');
      buffered = [];
      bufferedBytes = 0;
      onLine(line);
    }
    endIfDone();
  });
}

function parseRequest(line: string): ControlRequest | { id: string | number | null; violation: ProtocolViolationError } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return { id: null, violation: new ProtocolViolationError('control socket client', `not JSON: ${(error as Error).message}`) };
  }
  const result = controlRequestSchema.safeParse(json);
  if (result.success) return result.data;
  // Echo the id when there is a usable one, so the client can match the error to its request.
  const rawId = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  // Only an id the response schema accepts (a string or a safe integer), or the client could not read the answer.
  const id = typeof rawId === 'string' || Number.isSafeInteger(rawId) ? (rawId as string | number) : null;
  const detail = result.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(request)'}: ${issue.message}`)
    .join('; ');
  return { id, violation: new ProtocolViolationError('control socket client', `not a control request: ${detail}`) };
}

/** Errors on the wire: name, message and plain fields; the node's stack traces stay in the node. */
function toWireError(error: unknown): z.infer<typeof responseErrorSchema> {
  const { name, message, fields } = serializeError(error);
  return fields === undefined || Object.keys(fields).length === 0 ? { name, message } : { name, message, fields };
}
