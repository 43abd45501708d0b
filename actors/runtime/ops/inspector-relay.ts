/**
 * `run --inspect`: a relay from the node to Stately's inspector in the operator's browser. The
 * page it serves embeds Stately's inspector (https://stately.ai/inspect) and feeds it, over a
 * WebSocket from this relay, the inspection events of every inspected actor, whether its machine
 * runs in a worker thread (forwarded over the thread's bus port) or inline.
 *
 * Ours, not @statelyai/inspect's `createInspectorServer`: that one listens on every interface,
 * lets anyone connect and publish to every viewer, keeps the last 200 messages of up to 100 MiB
 * each, and takes no address. This one listens on loopback only; the page and the WebSocket need
 * a random token (in the URL the node logs at start), the WebSocket a page of this relay as its
 * Origin, so another site open in the same browser cannot read the node's state; viewers cannot
 * publish; and each event, the replay for a new viewer, and the data queued for a slow viewer are
 * bounded. Development only: production mode refuses `inspect.enabled` (node-config.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../actor-kit/logger.js';

export const INSPECTOR_LIMITS = {
  /** One inspection event, serialised: a snapshot with a large context is dropped, not relayed. */
  maxEventBytes: 256 * 1024,
  /** What a viewer that connects late is replayed: the latest events, up to this many bytes in all. */
  replayBytes: 4 * 1024 * 1024,
  /** Viewers at once: the inspector is one operator's tool. */
  maxViewers: 4,
  /** Queued for one viewer before it is cut off as too slow (its browser tab stalled). */
  maxQueuedBytes: 8 * 1024 * 1024,
  /** Viewers send nothing; a frame larger than this closes their connection. */
  maxViewerFrameBytes: 1024,
};

/** Where Stately's inspector UI lives; the relay's page frames it and posts the events into it. */
const INSPECTOR_UI = 'https://stately.ai/inspect';

export interface InspectorRelay {
  /** The page to open, token included. */
  readonly url: string;
  send(actorId: string, event: Record<string, unknown>): void;
  /** Events dropped because they exceeded maxEventBytes. */
  readonly dropped: number;
  stop(): Promise<void>;
}

/** The bridge page: Stately's inspector in a frame, fed with what the relay's WebSocket carries. */
function bridgePage(socketUrl: string): string {
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>x0tta6bl4 · XState inspector</title>
<style>html, body, iframe { margin: 0; width: 100%; height: 100%; border: 0; }</style></head>
<body>
<iframe id="inspector" src="${INSPECTOR_UI}"></iframe>
<script>
  const frame = document.getElementById('inspector');
  const waiting = [];
  let ready = false;
  addEventListener('message', (message) => {
    if (message.data && message.data.type === '@statelyai.connected') {
      ready = true;
      for (const event of waiting.splice(0)) frame.contentWindow.postMessage(event, '*');
    }
  });
  new WebSocket(${JSON.stringify(socketUrl)}).onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (ready) frame.contentWindow.postMessage(event, '*');
    else waiting.push(event);
  };
</script>
</body>
</html>`;
}

/** Whether the request carries the token; a request target that is no URL at all (`//[`) carries none. */
function tokenMatches(request: IncomingMessage, token: Buffer): boolean {
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://relay');
  } catch {
    return false;
  }
  const given = Buffer.from(url.searchParams.get('token') ?? '');
  return given.length === token.length && timingSafeEqual(given, token);
}

export async function startInspectorRelay(port: number, log: Logger, host = '127.0.0.1'): Promise<InspectorRelay> {
  const token = Buffer.from(randomBytes(24).toString('base64url'));
  const http = createServer((request, response) => {
    if (request.method !== 'GET' || !tokenMatches(request, token)) {
      response.writeHead(403, { 'Content-Type': 'text/plain' }).end('forbidden\n');
      return;
    }
    response
      .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
      .end(bridgePage(`ws://${request.headers.host ?? `${host}:${bound}`}/?token=${token.toString()}`));
  });
  const origins = (): Set<string> => new Set([`http://localhost:${bound}`, `http://${host}:${bound}`]);
  const viewers = new WebSocketServer({
    server: http,
    maxPayload: INSPECTOR_LIMITS.maxViewerFrameBytes,
    verifyClient: ({ origin, req }: { origin: string; req: IncomingMessage }) =>
      tokenMatches(req, token) && origins().has(origin) && viewers.clients.size < INSPECTOR_LIMITS.maxViewers,
  });
  // The WebSocket server re-emits the HTTP server's errors (a port in use, an accept out of
  // descriptors) as its own: without a listener each would end the process. The start's own
  // failure is still reported by the listen below.
  viewers.on('error', (error) => log.warn({ err: error }, 'inspector relay error'));
  const replay: string[] = [];
  let replayBytes = 0;
  let dropped = 0;
  viewers.on('connection', (viewer) => {
    for (const text of replay) viewer.send(text);
    // Viewers only watch: anything they send is a protocol error.
    viewer.on('message', () => viewer.close(1008, 'viewers do not send'));
    viewer.on('error', () => viewer.terminate());
  });
  http.on('error', (error) => log.warn({ err: error }, 'inspector relay error'));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const bound = (http.address() as AddressInfo).port;
  const url = `http://localhost:${bound}/?token=${token.toString()}`;
  log.info({ url }, "XState inspector relay on loopback: open this address (it carries the access token) and Stately's inspector shows the actors");
  return {
    url,
    get dropped() {
      return dropped;
    },
    send(_actorId, event) {
      const text = JSON.stringify(event);
      const bytes = Buffer.byteLength(text);
      if (bytes > INSPECTOR_LIMITS.maxEventBytes) {
        dropped++;
        return;
      }
      replay.push(text);
      replayBytes += bytes;
      while (replayBytes > INSPECTOR_LIMITS.replayBytes) replayBytes -= Buffer.byteLength(replay.shift()!);
      for (const viewer of viewers.clients) {
        if (viewer.readyState !== WebSocket.OPEN) continue;
        if (viewer.bufferedAmount > INSPECTOR_LIMITS.maxQueuedBytes) viewer.terminate();
        else viewer.send(text);
      }
    },
    async stop() {
      for (const viewer of viewers.clients) viewer.terminate();
      await new Promise<void>((resolve) => viewers.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
