/**
 * The root a peer's SVID chain was verified to, kept with its connection: a trust bundle update
 * that removes that root (a CA retired or compromised) must end the connections it anchored,
 * not leave them serving until their SVIDs expire.
 */
import type { BundleSet, VerifiedSvid } from './x509-svid.js';

export interface TrustAnchor {
  trustDomain: string;
  /** DER of the bundle's root certificate the chain ended at. */
  root: Uint8Array;
  /** Its subject, for the operator. */
  subject: string;
}

export function anchorOf(verified: VerifiedSvid): TrustAnchor {
  const root = verified.path.at(-1)!;
  return { trustDomain: verified.spiffeId.trustDomain, root: new Uint8Array(root.rawData), subject: root.subject };
}

/** True while the bundle of the anchor's trust domain still holds that exact root certificate. */
export function stillTrusted(anchor: TrustAnchor, bundles: BundleSet): boolean {
  const roots = bundles.get(anchor.trustDomain) ?? [];
  return roots.some((root) => Buffer.from(root.rawData).equals(anchor.root));
}

/** A connection ended because the bundle no longer holds the root its peer's chain was verified to. */
export class TrustAnchorRemovedError extends Error {
  override readonly name = 'TrustAnchorRemovedError';
  constructor(readonly anchor: TrustAnchor) {
    super(`the trust bundle of ${anchor.trustDomain} no longer holds the CA the peer chained to (${anchor.subject})`);
  }
}
