/**
 * The peer link in `x0tta6bl4 status`: the listener and each link, then the members the node knows
 * by gossip, with the records it refused by reason; and the systemd status summary, which counts
 * links up and members alive.
 */
import { NO_MEMBERS } from '../../../lib/mesh/membership-state.js';
import { NO_END_TO_END } from '../../../lib/mesh/end-to-end-state.js';
import { NO_ROUTES } from '../../../lib/mesh/routing-state.js';
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
    indirectProbes: NO_MEMBERS.indirectProbes,
  },
  routing: NO_ROUTES,
  endToEnd: NO_END_TO_END,
} satisfies MeshLinksMessage;

describe('peer-link status', () => {
  it('lists the members known, after what was done with the records peers sent', () => {
    expect(peerLinkStatusFormat.lines(mesh, text)).toEqual([
      'mesh: listening on 127.0.0.1:7400, 0 links',
      "members: 2 known (this node's incarnation 42; 3 records learned, 5 stale, 3 REFUSED (2 signature, 1 overflow))",
      '  spiffe://m/node/b alive, linked at 127.0.0.1:7401, [::1]:7401; incarnation 7',
      '  spiffe://m/node/c? left (no address); incarnation 9',
      'routes: 0 (seqno 0; 0 changes)',
      'end to end: 0 sent (0 resent, 0 unacknowledged), 0 delivered (0 duplicates dropped), 0 forwarded for others',
    ]);
    const verdicts = { ...mesh, membership: { ...mesh.membership, suspected: 2, declaredDead: 1, claims: { learned: 4, stale: 0, refused: {} } } };
    expect(peerLinkStatusFormat.lines(verdicts, text)[1]).toBe(
      "members: 2 known (this node's incarnation 42; 3 records learned, 5 stale, 3 REFUSED (2 signature, 1 overflow); this node suspected 2, declared 1 dead; 4 claims learned)",
    );
    const quiet = { ...mesh, membership: NO_MEMBERS };
    expect(peerLinkStatusFormat.lines(quiet, text).at(-3)).toBe('members: 0 known (0 records learned, 0 stale)');
  });

  it('lists the routes, and what end-to-end messaging dropped or refused, by reason', () => {
    const busy = {
      ...mesh,
      routing: { seqno: 9, routes: [{ destination: 'spiffe://m/node/c\u001b', nextHop: 'spiffe://m/node/b', metric: 200, seqno: 3 }], routeChanges: 4, received: 7, refused: { 'own-prefix': 1 } },
      endToEnd: { ...NO_END_TO_END, sent: 10, resent: 2, held: 1, delivered: 5, duplicates: 1, forwarded: 3, dropped: { 'hop-limit': 2 }, refused: { authentication: 1 } },
    };
    expect(peerLinkStatusFormat.lines(busy, text).slice(-3)).toEqual([
      'routes: 1 (seqno 9; 4 changes, 1 route entries REFUSED (1 own-prefix))',
      '  spiffe://m/node/c? via spiffe://m/node/b, metric 200',
      'end to end: 10 sent (2 resent, 1 unacknowledged), 5 delivered (1 duplicates dropped), 3 forwarded for others; 2 DROPPED (2 hop-limit); 1 REFUSED (1 authentication)',
    ]);
  });

  it('sums up links up and members alive for systemd', () => {
    expect(peerLinkStatusFormat.summary(mesh)).toBe('0/0 links up, 1 member known alive, 0 routes');
  });
});
