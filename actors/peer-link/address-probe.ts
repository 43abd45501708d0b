/**
 * Whether a member's process is gone, asked of the network: a TCP connection to each address it
 * advertises. A listening socket that no longer exists answers at once with a reset (ECONNREFUSED):
 * only then is the verdict 'refused'. An address that accepts (the process is alive, or another
 * took its port), or does not answer within the deadline (a frozen process's backlog, a dropped
 * route), or cannot be tried says nothing: 'unknown', and the suspicion runs its course.
 */
import { connect } from 'node:net';
import { parseHostPort } from '../../lib/net/host-port.js';
import type { ProbeVerdict } from './member-suspicion.js';

/** Longer than a refusal takes on any network a mesh runs on (one round trip), short enough not to hold sockets for long. */
export const PROBE_DEADLINE_MS = 1_000;

function refuses(address: string, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseHostPort(address));
    } catch {
      resolve(false);
      return;
    }
    const socket = connect({ host, port });
    const done = (refused: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(refused);
    };
    const timer = setTimeout(() => done(false), deadlineMs);
    socket.once('connect', () => done(false));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
  });
}

export async function probeAddresses(addresses: readonly string[], deadlineMs = PROBE_DEADLINE_MS): Promise<ProbeVerdict> {
  if (addresses.length === 0) return 'unknown';
  const verdicts = await Promise.all(addresses.map((address) => refuses(address, deadlineMs)));
  return verdicts.every(Boolean) ? 'refused' : 'unknown';
}
