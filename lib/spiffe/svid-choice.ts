/**
 * Which of the Workload API's SVIDs a workload uses (the API may return several): the one whose
 * hint was asked for, else the one with the configured SPIFFE ID, else the first, which the
 * standard makes the default. The choice is then verified against its own trust domain's bundle,
 * so nothing unverifiable is ever presented to a peer.
 */
import type { X509Context, X509SvidEntry } from './workload-api-client.js';
import { verifyX509Svid, type VerifiedSvid } from './x509-svid.js';

export interface SvidPreference {
  hint?: string;
  spiffeId?: string;
}

export function chooseSvid(context: X509Context, preference: SvidPreference): X509SvidEntry {
  return (
    (preference.hint !== undefined ? context.svids.find((svid) => svid.hint === preference.hint) : undefined) ??
    (preference.spiffeId !== undefined ? context.svids.find((svid) => svid.spiffeId.id === preference.spiffeId) : undefined) ??
    context.svids[0]!
  );
}

export interface ChosenSvid {
  entry: X509SvidEntry;
  verified: VerifiedSvid;
}

/** The chosen SVID, verified; throws the SvidError of the rule it breaks. */
export async function chooseVerifiedSvid(context: X509Context, preference: SvidPreference): Promise<ChosenSvid> {
  const entry = chooseSvid(context, preference);
  return { entry, verified: await verifyX509Svid(entry.chain, context.bundles) };
}
