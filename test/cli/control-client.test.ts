import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlServer, type ControlHandler } from '../../actors/runtime/ops/control-server.js';
import { UnknownActorError } from '../../actors/runtime/errors.js';
import { callControl } from '../../cli/control-client.js';
import { ControlError, type ControlErrorReason } from '../../cli/control-error.js';

let dir: string;
let socketPath: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-cli-'));
  socketPath = join(dir, 'control.sock');
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function startNode(handle: ControlHandler): Promise<void> {
  const server = await startControlServer({ socketPath, handle });
  cleanups.push(() => server.close());
}

/** A peer that is not a node: it does whatever `onConnection` does with each connection. */
function startFakePeer(onConnection: (socket: Socket) => void): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return new Promise((resolve) => server.listen(socketPath, () => resolve(server)));
}

async function controlErrorOf(call: Promise<unknown>): Promise<ControlError> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(ControlError);
    return error as ControlError;
  }
  throw new Error('expected the call to fail');
}

function expectReason(error: ControlError, reason: ControlErrorReason): void {
  expect(error.name).toBe('ControlError');
  expect(error.reason).toBe(reason);
  expect(error.socketPath).toBe(socketPath);
}

describe('callControl', () => {
  it('round-trips a call through a real control server', async () => {
    const seen: unknown[] = [];
    await startNode(async (method, params) => {
      seen.push({ method, params });
      return { nodeId: 'n1', answered: method };
    });
    await expect(callControl(socketPath, 'status', { deep: true })).resolves.toEqual({ nodeId: 'n1', answered: 'status' });
    expect(seen).toEqual([{ method: 'status', params: { deep: true } }]);
  });

  it('gets null for a method without a result', async () => {
    await startNode(async () => undefined);
    await expect(callControl(socketPath, 'stop')).resolves.toBeNull();
  });

  it('rejects with ControlError when no socket file exists', async () => {
    const error = await controlErrorOf(callControl(socketPath, 'status', {}, { timeoutMs: 2000 }));
    expectReason(error, 'not_running');
    expect(error.message).toBe(`no x0tta6bl4 node is running at ${socketPath}`);
  });

  it('rejects with ControlError when the socket file is stale', async () => {
    // A real stale socket: a process binds the path and is killed, so nobody unlinks it.
    const child = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(lstatSync(socketPath).isSocket()).toBe(true);
    const error = await controlErrorOf(callControl(socketPath, 'status'));
    expectReason(error, 'not_running');
    expect(error.message).toBe(`no x0tta6bl4 node is running at ${socketPath}`);
  });

  it('rejects with ControlError on timeout', async () => {
    await startFakePeer(() => {
      // Accepts and never answers: a hung node.
    });
    const error = await controlErrorOf(callControl(socketPath, 'status', {}, { timeoutMs: 100 }));
    expectReason(error, 'timeout');
    expect(error.message).toContain('100 ms');
  });

  it('rejects with ControlError when the peer hangs up without answering', async () => {
    await startFakePeer((socket) => socket.destroy());
    expectReason(await controlErrorOf(callControl(socketPath, 'status')), 'connection_closed');
  });

  it('rejects with ControlError when the peer does not speak the protocol', async () => {
    await startFakePeer((socket) => socket.end('HTTP/1.1 400 Bad Request\n'));
    expectReason(await controlErrorOf(callControl(socketPath, 'status')), 'protocol');
  });

  it('rejects a response with neither result nor error', async () => {
    await startFakePeer((socket) => socket.end('{"id":1}\n'));
    expectReason(await controlErrorOf(callControl(socketPath, 'status')), 'protocol');
  });

  it('rejects a response that answers another request', async () => {
    await startFakePeer((socket) => socket.end('{"id":99,"result":"not yours"}\n'));
    expectReason(await controlErrorOf(callControl(socketPath, 'status')), 'protocol');
  });

  it("rebuilds the node's error with its name, message and class", async () => {
    await startNode(async (_method, params) => {
      throw new UnknownActorError((params as { actor: string }).actor);
    });
    const error = await callControl(socketPath, 'restart', { actor: 'ghost' }).then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(error).toBeInstanceOf(UnknownActorError);
    expect(error?.name).toBe('UnknownActorError');
    expect(error?.message).toBe("no actor 'ghost' in this node");
    expect((error as UnknownActorError).actorId).toBe('ghost');
  });

  it('keeps name and message of an error class the client does not know', async () => {
    class PlanRejectedError extends Error {
      override readonly name = 'PlanRejectedError';
    }
    await startNode(async () => {
      throw new PlanRejectedError('risk too high');
    });
    const error = await callControl(socketPath, 'plan').then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ControlError);
    expect(error?.name).toBe('PlanRejectedError');
    expect(error?.message).toBe('risk too high');
  });

  it('serves several calls in a row and concurrently', async () => {
    await startNode(async (method) => method.toUpperCase());
    expect(await callControl(socketPath, 'a')).toBe('A');
    const results = await Promise.all(['b', 'c', 'd'].map((method) => callControl(socketPath, method)));
    expect(results).toEqual(['B', 'C', 'D']);
  });
});
