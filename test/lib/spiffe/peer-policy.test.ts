import { describe, expect, it } from 'vitest';
import { BadTrustDomainCharError, EmptySegmentError } from '../../../lib/spiffe/errors.js';
import { authorizePeer, checkPeerPolicy, PeerNotAuthorizedError, type PeerPolicy } from '../../../lib/spiffe/peer-policy.js';
import { parseSpiffeId } from '../../../lib/spiffe/spiffe-id.js';

const id = parseSpiffeId;

describe('peer policies', () => {
  const policies: PeerPolicy[] = [
    { kind: 'ids', ids: ['spiffe://other.test/gateway'] },
    { kind: 'path-prefix', trustDomain: 'mesh.test', prefix: '/node' },
  ];

  it.each([
    ['spiffe://mesh.test/node', true],
    ['spiffe://mesh.test/node/a', true],
    ['spiffe://mesh.test/node/a/b', true],
    ['spiffe://mesh.test/nodes/a', false],
    ['spiffe://mesh.test/admin', false],
    ['spiffe://other.test/gateway', true],
    ['spiffe://other.test/node/a', false],
    ['spiffe://evil.test/node/a', false],
  ])('%s: allowed %s', (peer, allowed) => {
    const attempt = () => authorizePeer(id(peer), policies);
    if (allowed) expect(attempt).not.toThrow();
    else expect(attempt).toThrow(PeerNotAuthorizedError);
  });

  it('allows a whole trust domain, and nobody without a policy', () => {
    expect(() => authorizePeer(id('spiffe://mesh.test/anything'), [{ kind: 'trust-domain', trustDomain: 'mesh.test' }])).not.toThrow();
    expect(() => authorizePeer(id('spiffe://mesh.test/anything'), [])).toThrow(PeerNotAuthorizedError);
  });

  it('checks policies once, at configuration, with the SPIFFE errors', () => {
    expect(() => checkPeerPolicy({ kind: 'trust-domain', trustDomain: 'Mesh.test' })).toThrow(BadTrustDomainCharError);
    expect(() => checkPeerPolicy({ kind: 'path-prefix', trustDomain: 'mesh.test', prefix: '/node//a' })).toThrow(EmptySegmentError);
    expect(() => checkPeerPolicy({ kind: 'ids', ids: ['spiffe://mesh.test/ok', 'http://x'] })).toThrow(/spiffe:\/\//);
  });
});
