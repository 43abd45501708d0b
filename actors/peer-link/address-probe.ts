/**
 * Whether a member's process is gone, asked of the network: a TCP connection to each address it
 * advertises. A listening socket that no longer exists answers at once with a reset (ECONNREFUSED):
 * only then is the verdict 'refused'. An address that accepts (the process is alive, or another
 * took its port), or does not answer within the deadline (a frozen process's backlog, a dropped
 * route), or cannot be tried says nothing: 'unknown', and the suspicion runs its course.
 *
 * What a member advertises is its own to say, so a probe is bounded: IP literals only (a DNS name
 * would tie up the resolver's threads beyond the deadline), a few probes at a time across the node
 * (beyond, the verdict is 'unknown' at once), each connection closed at once, never written to.
 */
import { connect, isIP } from 'node:net';
import { parseHostPort } from '../../lib/net/host-port.js';
import type { ProbeVerdict } from './member-suspicion.js';

/** Longer than a refusal takes on any network a mesh runs on (one round trip), short enough not to hold sockets for long. */
export const PROBE_DEADLINE_MS = 1_000;
/** Members probed at once: a mesh loses a few at a time; more at once means this node's own network is in trouble, which probes cannot tell. */
export const MAX_CONCURRENT_PROBES = 4;

export class AddressProbe {
  private inFlight = 0;

  constructor(
    private readonly deadlineMs = PROBE_DEADLINE_MS,
    private readonly maxConcurrent = MAX_CONCURRENT_PROBES,
  ) {}

  async probe(addresses: readonly string[]): Promise<ProbeVerdict> {
    if (addresses.length === 0 || this.inFlight >= this.maxConcurrent) return 'unknown';
    this.inFlight++;
    try {
      const verdicts = await Promise.all(addresses.map((address) => this.refuses(address)));
      return verdicts.every(Boolean) ? 'refused' : 'unknown';
    } finally {
      this.inFlight--;
    }
  }

  private refuses(address: string): Promise<boolean> {
    return new Promise((resolve) => {
      let host: string;
      let port: number;
      try {
        ({ host, port } = parseHostPort(address));
      } catch {
        resolve(false);
        return;
      }
      if (isIP(host) === 0) {
        resolve(false);
        return;
      }
      const socket = connect({ host, port });
      const done = (refused: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(refused);
      };
      const timer = setTimeout(() => done(false), this.deadlineMs);
      socket.once('connect', () => done(false));
      socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
    });
  }
}
