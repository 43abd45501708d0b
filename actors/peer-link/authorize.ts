/**
 * `mesh.authorize` entries as peer policies (lib/spiffe/peer-policy.ts). A path prefix without a
 * trust domain means this node's own, which is known only once its SVID is: with a SPIRE agent it
 * is the agent's trust domain, whatever the configuration's embedded default says.
 */
import { checkPeerPolicy, type PeerPolicy } from '../../lib/spiffe/peer-policy.js';

export type AuthorizeEntry = { ids: readonly string[] } | { trustDomain: string } | { pathPrefix: string; trustDomain?: string };

export function toPeerPolicies(entries: readonly AuthorizeEntry[], ownTrustDomain: string): PeerPolicy[] {
  return entries.map((entry) =>
    checkPeerPolicy(
      'ids' in entry
        ? { kind: 'ids', ids: entry.ids }
        : 'pathPrefix' in entry
          ? { kind: 'path-prefix', trustDomain: entry.trustDomain ?? ownTrustDomain, prefix: entry.pathPrefix }
          : { kind: 'trust-domain', trustDomain: entry.trustDomain },
    ),
  );
}
