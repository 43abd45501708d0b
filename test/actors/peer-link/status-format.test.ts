/**
 * The peer link in `x0tta6bl4 status`: the listener and each link, then the members the node knows
 * by gossip, with the records it refused by reason; and the systemd status summary, which counts
 * links up and members alive.
 */
import { describe, expect, it } from 'vitest';
import { peerLinkStatusFormat } from '../../../actors/peer-link/status-format.js';
import type { MeshLinksMessage } from '../../../lib/mesh/links-state.js';

const text = { printable: (value: string) => value.replace(/[\u0000-\u001f]/g, '?'), timestamp: (ms: number) => new Date(ms).toISOString() };

const mesh = {
  phase: 'serving',
  listening: '127.0.0.1:7400',
  links: [],
  refused: 0,
  handshakeFailures: 0,
  unroutable: 0,
  readHolds: 0,
  readingHeld: false,
  shed: { 'per-address': 0, 'listener-full': 0, 'per-peer': 0 },
  rejectedPayloads: { 'not-json': 0, 'too-deep': 0 },
  unknownControl: 0,
  silentPeers: 0,
  localHealth: 0,
  pq: { handshakes: 0, rekeys: 0, failures: {}, lastHandshakeMs: 0, handshakeSeconds: { cumulative: [], sum: 0 } },
  membership: {
    incarnation: '42',
    members: [
      { spiffeId: 'spiffe://m/node/b', state: 'alive', since: 1, incarnation: '7', addresses: ['127.0.0.1:7401', '[::1]:7401'], issuedAt: 1, learnedAt: 2, linked: true },
      { spiffeId: 'spiffe://m/node/c\u001b', state: 'left', since: 1, incarnation: '9', addresses: [], issuedAt: 1, learnedAt: 2, linked: false },
    ],
    learned: 3,
    stale: 5,
    refused: { signature: 2, overflow: 1 },
    claims: { learned: 0, stale: 0, refused: {} },
    suspected: 0,
    declaredDead: 0,
  },
} satisfies MeshLinksMessage;

describe('peer-link status', () => {
  it('lists the members known, after what was done with the records peers sent', () => {
    expect(peerLinkStatusFormat.lines(mesh, text)).toEqual([
      'mesh: listening on 127.0.0.1:7400, 0 links',
      "members: 2 known (this node's incarnation 42; 3 records learned, 5 stale, 3 REFUSED (2 signature, 1 overflow))",
      '  spiffe://m/node/b alive, linked at 127.0.0.1:7401, [::1]:7401; incarnation 7',
      '  spiffe://m/node/c? left (no address); incarnation 9',
    ]);
    const verdicts = { ...mesh, membership: { ...mesh.membership, suspected: 2, declaredDead: 1, claims: { learned: 4, stale: 0, refused: {} } } };
    expect(peerLinkStatusFormat.lines(verdicts, text)[1]).toBe(
      "members: 2 known (this node's incarnation 42; 3 records learned, 5 stale, 3 REFUSED (2 signature, 1 overflow); this node suspected 2, declared 1 dead; 4 claims learned)",
    );
    const quiet = { ...mesh, membership: { members: [], learned: 0, stale: 0, refused: {}, claims: { learned: 0, stale: 0, refused: {} }, suspected: 0, declaredDead: 0 } };
    expect(peerLinkStatusFormat.lines(quiet, text).at(-1)).toBe('members: 0 known (0 records learned, 0 stale)');
  });

  it('sums up links up and members alive for systemd', () => {
    expect(peerLinkStatusFormat.summary(mesh)).toBe('0/0 links up, 1 member known alive');
  });
});
