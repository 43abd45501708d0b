/** The root a chain was verified to, and whether a bundle still holds it: the same root bytes, in the peer's trust domain. */
import { describe, expect, it } from 'vitest';
import { anchorOf, stillTrusted, TrustAnchorRemovedError } from '../../../lib/spiffe/trust-anchor.js';
import { verifyX509Svid } from '../../../lib/spiffe/x509-svid.js';
import { caFor, intermediateOf, leafWith, NOW } from './fixtures/certificate-factory.js';

describe('trust anchors', () => {
  it('names the bundle root a verified chain ended at, and is trusted while a bundle of its domain holds that root', async () => {
    const ca = await caFor('example.org');
    const other = await caFor('example.org');
    const foreign = await caFor('other.org');
    const intermediate = await intermediateOf(ca);
    const leaf = await leafWith(intermediate);
    const verified = await verifyX509Svid([leaf, intermediate.certificate], new Map([['example.org', [other.certificate, ca.certificate]]]), NOW);
    const anchor = anchorOf(verified);
    expect(anchor).toMatchObject({ trustDomain: 'example.org', subject: ca.certificate.subject });
    expect(stillTrusted(anchor, new Map([['example.org', [ca.certificate]]]))).toBe(true);
    expect(stillTrusted(anchor, new Map([['example.org', [other.certificate]]]))).toBe(false);
    // The same root under another trust domain's bundle does not count.
    expect(stillTrusted(anchor, new Map([['other.org', [ca.certificate, foreign.certificate]]]))).toBe(false);
    expect(stillTrusted(anchor, new Map())).toBe(false);
    expect(new TrustAnchorRemovedError(anchor).message).toContain(ca.certificate.subject);
  });
});
