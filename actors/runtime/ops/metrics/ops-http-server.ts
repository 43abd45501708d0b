/**
 * The node's operations endpoint (default 127.0.0.1:9464, Prometheus's port for node exporters):
 *   GET /metrics  the registry, in Prometheus text format;
 *   GET /health   200 while the process answers (its event loop runs): liveness;
 *   GET /ready    200 when the supervision tree is up and, where the tree has an identity actor,
 *                 the node holds its SVID; else 503 with the reason: readiness.
 * Anything else is 404; any method but GET and HEAD is 405.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort, type HostPort } from '../../../../lib/net/host-port.js';

export interface Readiness {
  ready: boolean;
  reason: string;
}

export interface OpsHttpOptions {
  listen: HostPort;
  metrics(): Promise<{ body: string; contentType: string }>;
  readiness(): Readiness;
  /** An error of the listening socket after it started (an accept out of descriptors): reported, never thrown. */
  onError?(error: Error): void;
}

export interface OpsHttpServer {
  address: string;
  close(): Promise<void>;
}

export async function startOpsHttpServer(options: OpsHttpOptions): Promise<OpsHttpServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const text = (status: number, body: string, contentType = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    switch (path) {
      case '/metrics':
        options.metrics().then(
          ({ body, contentType }) => text(200, body, contentType),
          (error: unknown) => text(500, `metrics failed: ${error instanceof Error ? error.message : String(error)}\n`),
        );
        return;
      case '/health':
        text(200, 'ok\n');
        return;
      case '/ready': {
        const readiness = options.readiness();
        text(readiness.ready ? 200 : 503, `${readiness.reason}\n`);
        return;
      }
      default:
        text(404, 'not found (try /metrics, /health, /ready)\n');
    }
  });
  // Scrapes are short; a client that stalls must not pin a socket.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // For the server's life: an 'error' event with no listener would end the process.
  server.on('error', (error) => options.onError?.(error));
  const bound = server.address() as AddressInfo;
  return {
    address: formatHostPort({ host: bound.address, port: bound.port }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
