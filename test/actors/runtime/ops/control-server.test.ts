import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../actors/runtime/config/config-error.js';
import {
  CONTROL_SOCKET_MODE,
  ControlSocketInUseError,
  MAX_REQUEST_LINE_BYTES,
  startControlServer,
  type ControlHandler,
  type ControlServer,
} from '../../../../actors/runtime/ops/control-server.js';
import { NodeNotRunningError } from '../../../../actors/runtime/errors.js';

let dir: string;
let socketPath: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-ctl-'));
  socketPath = join(dir, 'control.sock');
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function start(handle: ControlHandler, path = socketPath): Promise<ControlServer> {
  const server = await startControlServer({ socketPath: path, handle });
  cleanups.push(() => server.close());
  return server;
}

const echo: ControlHandler = async (method, params) => ({ method, params });

/** A raw client: sends lines as given and collects the response lines, to test the wire protocol itself. */
class RawClient {
  readonly socket: Socket;
  readonly lines: string[] = [];
  readonly closed: Promise<void>;
  private buffer = '';
  private waiters: (() => void)[] = [];

  constructor(path: string) {
    this.socket = createConnection(path);
    this.socket.setEncoding('utf8');
    // The server may close while we still write (oversize line): EPIPE/ECONNRESET are expected there.
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) !== -1) {
        this.lines.push(this.buffer.slice(0, newline));
        this.buffer = this.buffer.slice(newline + 1);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    cleanups.push(() => {
      this.socket.destroy();
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Waits until `count` response lines have arrived, and returns them parsed. */
  async responses(count: number): Promise<unknown[]> {
    while (this.lines.length < count) {
      if (this.socket.destroyed) throw new Error(`connection closed after ${this.lines.length} of ${count} responses`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        this.socket.once('close', resolve);
      });
    }
    return this.lines.slice(0, count).map((line) => JSON.parse(line) as unknown);
  }
}

function listenPlain(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.end());
    server.once('error', reject);
    server.listen(path, () => resolve(server));
    cleanups.push(() => new Promise<void>((done) => server.close(() => done())));
  });
}

describe('startControlServer', () => {
  it('answers requests with their id', async () => {
    await start(echo);
    const client = new RawClient(socketPath);
    client.send('{"id":1,"method":"status","params":{"verbose":true}}\n{"id":"b","method":"ping"}\n');
    const responses = await client.responses(2);
    expect(responses).toContainEqual({ id: 1, result: { method: 'status', params: { verbose: true } } });
    expect(responses).toContainEqual({ id: 'b', result: { method: 'ping' } });
  });

  it('creates the socket with mode 0600 whatever the umask', async () => {
    const previous = process.umask(0o000);
    try {
      await start(echo);
    } finally {
      process.umask(previous);
    }
    const stat = statSync(socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(CONTROL_SOCKET_MODE);
    expect(CONTROL_SOCKET_MODE).toBe(0o600);
  });

  it('sends a handler failure as an error with its name and message, and fields', async () => {
    await start(async (method) => {
      throw new NodeNotRunningError(method);
    });
    const client = new RawClient(socketPath);
    client.send('{"id":7,"method":"stop"}\n');
    const [response] = await client.responses(1);
    expect(response).toEqual({
      id: 7,
      error: {
        name: 'NodeNotRunningError',
        message: 'cannot stop: the node is not running',
        fields: { operation: 'stop' },
      },
    });
  });

  it('sends a synchronous throw and a non-JSON result as errors too', async () => {
    await start(((method: string) => {
      if (method === 'sync') throw new TypeError('thrown synchronously');
      return Promise.resolve({ big: 10n });
    }) as ControlHandler);
    const client = new RawClient(socketPath);
    client.send('{"id":1,"method":"sync"}\n{"id":2,"method":"bigint"}\n');
    const responses = (await client.responses(2)) as { id: number; error: { name: string } }[];
    const byId = new Map(responses.map((response) => [response.id, response]));
    expect(byId.get(1)?.error.name).toBe('TypeError');
    expect(byId.get(2)?.error.name).toBe('TypeError');
  });

  it('answers a malformed line with a ProtocolViolationError and keeps the connection usable', async () => {
    await start(echo);
    const client = new RawClient(socketPath);
    client.send('this is not json\n');
    const [notJson] = (await client.responses(1)) as { id: unknown; error: { name: string; message: string } }[];
    expect(notJson?.id).toBeNull();
    expect(notJson?.error.name).toBe('ProtocolViolationError');

    client.send('{"id":2,"method":""}\n');
    const [, badRequest] = (await client.responses(2)) as { id: unknown; error: { name: string; message: string } }[];
    expect(badRequest?.id).toBe(2);
    expect(badRequest?.error.name).toBe('ProtocolViolationError');
    expect(badRequest?.error.message).toContain('method');

    client.send('{"id":3,"method":"status","extra":1}\n');
    const [, , unknownKey] = (await client.responses(3)) as { error: { name: string } }[];
    expect(unknownKey?.error.name).toBe('ProtocolViolationError');

    // An integer id the response schema cannot carry (past 2^53) is answered under null, so the client can read the answer.
    client.send('{"id":9007199254740992}\n');
    const [, , , unsafeId] = (await client.responses(4)) as { id: unknown; error: { name: string } }[];
    expect(unsafeId).toMatchObject({ id: null, error: { name: 'ProtocolViolationError' } });

    client.send('{"id":4,"method":"status"}\n');
    const [, , , , ok] = await client.responses(5);
    expect(ok).toEqual({ id: 4, result: { method: 'status' } });
  });

  it('reassembles a request split across writes and ignores blank lines', async () => {
    await start(echo);
    const client = new RawClient(socketPath);
    // The first write carries a whole request and the head of the next: its answer proves the server
    // has read that write, so the tail below arrives as a separate read.
    client.send('\n{"id":0,"method":"status"}\n{"id":1,"met');
    expect(await client.responses(1)).toEqual([{ id: 0, result: { method: 'status' } }]);
    client.send('hod":"status"}\r\n');
    expect(await client.responses(2)).toEqual([
      { id: 0, result: { method: 'status' } },
      { id: 1, result: { method: 'status' } },
    ]);
  });

  it('answers a request sent without a trailing newline before a half-close', async () => {
    await start(echo);
    const client = new RawClient(socketPath);
    client.socket.end('{"id":1,"method":"status"}');
    await client.closed;
    expect(client.lines.map((line) => JSON.parse(line) as unknown)).toEqual([{ id: 1, result: { method: 'status' } }]);
  });

  it('closes the connection on a line over the limit, after saying why', async () => {
    await start(echo);
    const client = new RawClient(socketPath);
    client.send(`{"id":1,"method":"status","params":"${'x'.repeat(MAX_REQUEST_LINE_BYTES)}"}\n`);
    const [response] = (await client.responses(1)) as { id: unknown; error: { name: string; message: string } }[];
    await client.closed;
    expect(response?.id).toBeNull();
    expect(response?.error.name).toBe('ProtocolViolationError');
    expect(response?.error.message).toContain(String(MAX_REQUEST_LINE_BYTES));
    expect(client.lines).toHaveLength(1);

    // The server itself keeps serving.
    const next = new RawClient(socketPath);
    next.send('{"id":2,"method":"status"}\n');
    expect(await next.responses(1)).toEqual([{ id: 2, result: { method: 'status' } }]);
  });

  it('accepts a line of exactly the limit', async () => {
    await start(async () => 'ok');
    const client = new RawClient(socketPath);
    const prefix = '{"id":1,"method":"status","params":"';
    const suffix = '"}';
    const line = prefix + 'x'.repeat(MAX_REQUEST_LINE_BYTES - prefix.length - suffix.length) + suffix;
    expect(Buffer.byteLength(line)).toBe(MAX_REQUEST_LINE_BYTES);
    client.send(`${line}\n`);
    expect(await client.responses(1)).toEqual([{ id: 1, result: 'ok' }]);
  });

  it('replaces a stale socket file left by a dead process', async () => {
    // A real stale socket: a process binds the path and is killed, so nobody unlinks it.
    const child = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(lstatSync(socketPath).isSocket()).toBe(true);

    await start(echo);
    const client = new RawClient(socketPath);
    client.send('{"id":1,"method":"status"}\n');
    expect(await client.responses(1)).toEqual([{ id: 1, result: { method: 'status' } }]);
  });

  it('refuses to start where another process answers, and leaves its socket alone', async () => {
    await listenPlain(socketPath);
    await expect(startControlServer({ socketPath, handle: echo })).rejects.toSatisfy(
      (error: unknown) => error instanceof ControlSocketInUseError && error.name === 'ControlSocketInUseError',
    );
    expect(lstatSync(socketPath).isSocket()).toBe(true);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = createConnection(socketPath);
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
      cleanups.push(() => {
        socket.destroy();
      });
    });
    expect(connected).toBe(true);
  });

  it('refuses a path that exists and is not a socket, without deleting it', async () => {
    writeFileSync(socketPath, 'precious');
    await expect(startControlServer({ socketPath, handle: echo })).rejects.toBeInstanceOf(ControlSocketInUseError);
    expect(statSync(socketPath).isFile()).toBe(true);
  });

  it('refuses a socket path too long for a unix socket', async () => {
    const longPath = join(dir, `${'s'.repeat(120)}.sock`);
    await expect(startControlServer({ socketPath: longPath, handle: echo })).rejects.toSatisfy(
      (error: unknown) => error instanceof ConfigError && error.key === 'controlSocket',
    );
  });

  it('removes the socket file and drops connections on close, and close is idempotent', async () => {
    const server = await startControlServer({ socketPath, handle: echo });
    expect(server.path).toBe(socketPath);
    const client = new RawClient(socketPath);
    client.send('{"id":1,"method":"status"}\n');
    await client.responses(1);
    await server.close();
    await server.close();
    expect(existsSync(socketPath)).toBe(false);
    await client.closed;
    expect(client.socket.destroyed).toBe(true);
  });
});
