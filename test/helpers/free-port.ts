/**
 * A loopback TCP port nobody listens on right now, for a node or server that is told its port
 * before it starts (a ring of nodes each dialing the next).
 *
 * Chosen at random below Linux's ephemeral range (32768-60999), then checked by binding it: a port
 * from `listen(0)` is an ephemeral one, which the kernel may hand to any outgoing connection or
 * other `listen(0)` of a test running in parallel between this check and the node's own bind; a port
 * below the range is never handed out that way, so only another random pick of the same number
 * (one chance in 12,000) could take it.
 */
import { createServer } from 'node:net';

const LOWEST = 20_000;
const HIGHEST = 32_767;
const ATTEMPTS = 50;

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free loopback port found in ${LOWEST}-${HIGHEST} after ${ATTEMPTS} tries`);
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
