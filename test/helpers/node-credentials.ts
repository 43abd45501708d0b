/** A node's credentials for peer-link tests: an X.509-SVID issued by a test CA, as the Workload API would hand it over. */
import { webcrypto } from 'node:crypto';
import type { NodeCredentials } from '../../actors/runtime/contracts/transport.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { issueX509Svid, type TrustDomainCa } from '../../lib/spiffe/svid-issuer.js';

const HOUR = 3_600_000;

/** Credentials for `spiffeId` valid from a minute ago for `lifetimeMs` (whole seconds, as X.509 keeps them), trusting `ca`. */
export async function nodeCredentials(ca: TrustDomainCa, spiffeId: string, lifetimeMs = HOUR): Promise<NodeCredentials> {
  const notAfter = new Date(Math.floor((Date.now() + lifetimeMs) / 1000) * 1000);
  const id = parseSpiffeId(spiffeId);
  const svid = await issueX509Svid(ca, id, { notBefore: new Date(Date.now() - 60_000), notAfter });
  return {
    chain: [svid.certificate],
    privateKey: new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', svid.keys.privateKey)),
    bundles: new Map([[ca.trustDomain, [ca.certificate]]]),
    spiffeId,
    trustDomain: id.trustDomain,
    expiresAt: notAfter.getTime(),
  };
}
