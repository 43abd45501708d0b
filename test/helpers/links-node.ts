/**
 * Peer links in the test's own process (TLS 1.3 on loopback, post-quantum sessions, liboqs), for the
 * tests of what runs over them (membership, routing, end-to-end messages): a node listening on a
 * free loopback port that dials the peers given, recording every message delivered to it and its
 * links' log; stopped, and its log printed when the test failed, by `stopLinkNodes`.
 */
import { PeerLinks, type PeerLinksOptions } from '../../actors/peer-link/peer-links.js';
import type { MeshLinksState } from '../../lib/mesh/links-state.js';
import { parseHostPort } from '../../lib/net/host-port.js';
import type { TrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import { nodeCredentials } from './node-credentials.js';

export interface LinkNode {
  id: string;
  links: PeerLinks;
  address: string;
  received: Array<{ from: string; topic: string; payload: unknown }>;
  state(): MeshLinksState;
}

const started: PeerLinks[] = [];
export const linkLogs: string[] = [];

/** A node listening on loopback that dials `peers` (by ID, at the address of the node given). */
export async function linkNode(ca: TrustDomainCa, id: string, peers: readonly Pick<LinkNode, 'id' | 'address'>[] = [], options: Partial<PeerLinksOptions> = {}): Promise<LinkNode> {
  const received: LinkNode['received'] = [];
  const links = new PeerLinks({
    listen: { host: '127.0.0.1', port: 0 },
    peers: peers.map((peer) => ({ address: parseHostPort(peer.address), spiffeId: peer.id })),
    authorize: [{ pathPrefix: '/node' }],
    onLog: (level, message, fields) => linkLogs.push(`${new Date().toISOString()} ${id} ${level} ${message} ${JSON.stringify(fields)}`),
    onMessage: (from, topic, payload) => received.push({ from, topic, payload }),
    onState: () => undefined,
    timing: { reconnectMinMs: 20, reconnectMaxMs: 200, reportEveryMs: 10 },
    ...options,
  });
  started.push(links);
  await links.updateCredentials(await nodeCredentials(ca, id));
  return { id, links, address: links.state().listening!, received, state: () => links.state() };
}

/** For afterEach: stops every node started, printing their log first when the test failed. */
export async function stopLinkNodes(failed: boolean): Promise<void> {
  if (failed) process.stdout.write(`peer-link log:\n${linkLogs.join('\n')}\n`);
  linkLogs.length = 0;
  await Promise.all(started.splice(0).map((links) => links.stop()));
}
