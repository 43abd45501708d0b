/**
 * The inspector relay against those who should not see a node's state (issue 13, hole 6): over
 * real HTTP and WebSocket connections, it listens on loopback only, refuses a page or a socket
 * without the token or from another site, takes nothing from viewers, and bounds every event and
 * the replay a late viewer gets.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { INSPECTOR_LIMITS, startInspectorRelay, type InspectorRelay } from '../../../../actors/runtime/ops/inspector-relay.js';
import { createLogger } from '../../../../actors/runtime/actor-kit/logger.js';
import { until } from '../../../helpers/wait.js';

const relays: InspectorRelay[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

async function relay(): Promise<{ relay: InspectorRelay; port: number; token: string }> {
  const started = await startInspectorRelay(0, createLogger('silent'));
  relays.push(started);
  const url = new URL(started.url);
  return { relay: started, port: Number(url.port), token: url.searchParams.get('token')! };
}

/** Opens a viewer; resolves with it once open, or with the HTTP status the upgrade was refused with. */
function viewer(port: number, query: string, origin: string): Promise<{ socket: WebSocket; received: unknown[] } | number> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/${query}`, { origin });
  sockets.push(socket);
  const received: unknown[] = [];
  socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString())));
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ socket, received }));
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', () => resolve(-1));
  });
}

/** Sends one raw HTTP request (a target fetch would normalise away) and resolves with the status line. */
async function rawRequest(port: number, head: string): Promise<string> {
  const { connect } = await import('node:net');
  const socket = connect({ host: '127.0.0.1', port });
  socket.write(head);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  await once(socket, 'close');
  return text.split('\r\n')[0] ?? '';
}

describe('the XState inspector relay', () => {
  it('answers a request target that is no URL with a refusal, page or upgrade, and goes on serving', async () => {
    const { port, token } = await relay();
    expect(await rawRequest(port, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 (400|403)/);
    const upgrade = `GET //%5B HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\nOrigin: http://localhost:${port}\r\n\r\n`;
    expect(await rawRequest(port, upgrade)).toMatch(/^HTTP\/1\.1 (400|401|403)/);
    expect((await fetch(`http://127.0.0.1:${port}/?token=${token}`)).status).toBe(200);
  });

  it('fails to start on a port already taken, as an error of the start, not of the process', async () => {
    const { port } = await relay();
    await expect(startInspectorRelay(port, createLogger('silent'))).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('listens on loopback only and serves its page only with the token', async () => {
    const { relay: started, port, token } = await relay();
    expect(started.url).toBe(`http://localhost:${port}/?token=${token}`);
    expect(token.length).toBeGreaterThanOrEqual(32);
    const page = await fetch(`http://127.0.0.1:${port}/?token=${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`ws://127.0.0.1:${port}/?token=${token}`);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${port}/?token=${token.slice(1)}x`)).status).toBe(403);
    // Not on the machine's other addresses: a connection to a non-loopback address of this host is refused.
    const { networkInterfaces } = await import('node:os');
    const external = Object.values(networkInterfaces()).flat().find((entry) => entry && !entry.internal && entry.family === 'IPv4');
    if (external) await expect(fetch(`http://${external.address}:${port}/?token=${token}`)).rejects.toThrow();
  });

  it('lets a viewer in only with the token and from its own page, and relays events to it', async () => {
    const { relay: started, port, token } = await relay();
    expect(await viewer(port, '', `http://localhost:${port}`)).toBe(401);
    expect(await viewer(port, `?token=${token}`, 'https://evil.example')).toBe(401);
    const admitted = await viewer(port, `?token=${token}`, `http://localhost:${port}`);
    if (typeof admitted === 'number') throw new Error(`refused with ${admitted}`);
    started.send('a', { type: '@xstate.event', n: 1 });
    await until('the event at the viewer', () => admitted.received.length === 1);
    expect(admitted.received).toEqual([{ type: '@xstate.event', n: 1 }]);
  });

  it('takes nothing from a viewer: one that sends is disconnected and nobody receives what it sent', async () => {
    const { relay: started, port, token } = await relay();
    const origin = `http://localhost:${port}`;
    const sender = await viewer(port, `?token=${token}`, origin);
    const watcher = await viewer(port, `?token=${token}`, origin);
    if (typeof sender === 'number' || typeof watcher === 'number') throw new Error('refused');
    sender.socket.send(JSON.stringify({ type: '@xstate.event', forged: true }));
    const [code] = (await once(sender.socket, 'close')) as [number];
    expect(code).toBe(1008);
    started.send('a', { type: 'after' });
    await until('the next real event', () => watcher.received.length === 1);
    expect(watcher.received).toEqual([{ type: 'after' }]);
  });

  it('drops an event over the size bound and replays a late viewer only the latest events within the replay bound', async () => {
    const { relay: started, port, token } = await relay();
    started.send('a', { type: 'huge', blob: 'x'.repeat(INSPECTOR_LIMITS.maxEventBytes) });
    expect(started.dropped).toBe(1);
    const chunk = 'y'.repeat(64 * 1024);
    const sent = Math.ceil(INSPECTOR_LIMITS.replayBytes / chunk.length) * 2;
    for (let n = 0; n < sent; n++) started.send('a', { type: 'chunk', n, chunk });
    const late = await viewer(port, `?token=${token}`, `http://localhost:${port}`);
    if (typeof late === 'number') throw new Error('refused');
    await until('the replay', () => late.received.length > 0 && (late.received.at(-1) as { n: number }).n === sent - 1);
    const replayed = late.received as Array<{ n: number }>;
    expect(replayed.length).toBeLessThan(sent);
    expect(replayed.length * chunk.length).toBeLessThanOrEqual(INSPECTOR_LIMITS.replayBytes);
    // The latest ones, in order.
    expect(replayed.map((event) => event.n)).toEqual(Array.from({ length: replayed.length }, (_, index) => sent - replayed.length + index));
    expect(replayed.some((event) => (event as unknown as { type: string }).type === 'huge')).toBe(false);
  });
});
