/**
 * A peer in the test (or bench) process that dials a node: a PeerLinks with one dialer link, whose
 * SVID, under /node, a node's default policy admits. Made in two steps so its owner can track it
 * (and a modified peer be patched) before it connects.
 */
import { PeerLinks } from '../../actors/peer-link/peer-links.js';
import { parseHostPort } from '../../lib/net/host-port.js';
import type { TrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import { nodeCredentials } from './node-credentials.js';
import { untilValue } from './wait.js';

export interface NodeEndpoint {
  address: string;
  spiffeId: string;
}

/** A peer that will dial `node` once it has credentials; `onMessage` gets what the node sends it. */
export function dialingPeer(node: NodeEndpoint, onMessage: (from: string, topic: string, payload: unknown) => void = () => undefined): PeerLinks {
  return new PeerLinks({
    peers: [{ address: parseHostPort(node.address), spiffeId: node.spiffeId }],
    authorize: [{ pathPrefix: '/node' }],
    onMessage,
    onState: () => undefined,
  });
}

/** Gives `links` an SVID `spiffeId` from `ca` and resolves once its link is up. */
export async function linkUp(links: PeerLinks, ca: TrustDomainCa, spiffeId: string, timeoutMs?: number): Promise<PeerLinks> {
  await links.updateCredentials(await nodeCredentials(ca, spiffeId));
  await untilValue(`${spiffeId}'s link up`, async () => (links.state().links[0]?.status === 'up' ? true : undefined), timeoutMs);
  return links;
}
