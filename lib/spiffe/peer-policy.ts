/**
 * Who may talk to this node: peers are authorized by SPIFFE ID, never by address or certificate
 * subject. A policy allows exact IDs, a whole trust domain, or IDs under a path prefix (by whole
 * segments: `/node` allows `/node` and `/node/a`, not `/nodes`). A peer is allowed when any
 * policy allows it; with no policy, nobody is.
 */
import { parseSpiffeId, parseTrustDomain, validatePath, type SpiffeId } from './spiffe-id.js';

export type PeerPolicy =
  | { kind: 'ids'; ids: readonly string[] }
  | { kind: 'trust-domain'; trustDomain: string }
  | { kind: 'path-prefix'; trustDomain: string; prefix: string };

export class PeerNotAuthorizedError extends Error {
  override readonly name = 'PeerNotAuthorizedError';
  constructor(readonly peer: string) {
    super(`peer ${peer} is not authorized by any policy`);
  }
}

/** Checks a policy's IDs, trust domain and prefix (SpiffeIdError on a bad one): done once, at configuration. */
export function checkPeerPolicy(policy: PeerPolicy): PeerPolicy {
  switch (policy.kind) {
    case 'ids':
      for (const id of policy.ids) parseSpiffeId(id);
      return policy;
    case 'trust-domain':
      parseTrustDomain(policy.trustDomain);
      return policy;
    case 'path-prefix':
      parseTrustDomain(policy.trustDomain);
      validatePath(policy.prefix);
      return policy;
  }
}

export function allows(policy: PeerPolicy, peer: SpiffeId): boolean {
  switch (policy.kind) {
    case 'ids':
      return policy.ids.includes(peer.id);
    case 'trust-domain':
      return peer.trustDomain === policy.trustDomain;
    case 'path-prefix':
      return peer.trustDomain === policy.trustDomain && (peer.path === policy.prefix || peer.path.startsWith(`${policy.prefix}/`));
  }
}

/** Throws PeerNotAuthorizedError unless a policy allows the peer. */
export function authorizePeer(peer: SpiffeId, policies: readonly PeerPolicy[]): void {
  if (!policies.some((policy) => allows(policy, peer))) throw new PeerNotAuthorizedError(peer.id);
}
