/**
 * X.509-SVIDs and trust bundles (lib/spiffe/certificates.ts reading them, lib/spiffe/x509-svid.ts
 * validating them). An SVID chain is authenticated by its signatures up to a root of its trust
 * domain's bundle: a chain that verifies must carry exactly the signed content that was issued
 * (each certificate's to-be-signed part, byte for byte, and the SPIFFE ID). The bundle is the
 * trust anchor itself, which nothing signs: a bundle that lets the recorded chain verify must hold
 * the recorded root's name and key. The recorded chain and bundle must verify; every rejection is
 * an SvidError (CertificateParseError for bytes that are not certificates).
 *
 * Why signed content and not every byte: the envelope around the signed part (the outer
 * signature-algorithm field's tag, the signature BIT STRING's unused-bits octet, the DER of the
 * ECDSA signature's SEQUENCE) is not covered by the signature, and @peculiar/x509 reads it
 * leniently, so a few such envelope edits still verify; they change nothing the validator
 * returns, so they are not forgeries. The SPIFFE ID, key, validity and extensions are all inside
 * the signed part.
 */
import type { X509Certificate } from '@peculiar/x509';
import { parseCertificates } from '../../lib/spiffe/certificates.js';
import { SvidError } from '../../lib/spiffe/svid-errors.js';
import { verifyX509Svid, type BundleSet, type VerifiedSvid } from '../../lib/spiffe/x509-svid.js';
import { caFor, intermediateOf, leafWith, NOW } from '../lib/spiffe/fixtures/certificate-factory.js';
import { bytesNear, hex } from './byte-mutations.js';
import { FuzzFinding } from './fuzz-finding.js';
import { asyncFuzzTarget, suiteOf, type FuzzSuite } from './fuzz-target.js';
import { mustBeTyped, recordedIndex, sameBytes } from './oracles.js';
import { signedPart } from './signed-part.js';

export const SVID_TARGETS = ['svid-chain', 'trust-bundle'] as const;

export type SvidVerifier = (chain: readonly X509Certificate[], bundles: BundleSet, now: Date) => Promise<VerifiedSvid>;

export interface SvidTargetOptions {
  /** The validator; a test plants one that skips signatures. */
  verify?: SvidVerifier;
}

const TRUST_DOMAIN = 'example.org';

function der(certificates: readonly X509Certificate[]): Buffer {
  return Buffer.concat(certificates.map((certificate) => Buffer.from(certificate.rawData)));
}

function pem(certificates: readonly X509Certificate[]): Buffer {
  return Buffer.from(certificates.map((certificate) => certificate.toString('pem')).join('\n'));
}

/** Reads and verifies: the verified SVID, or the label of the validator's own typed refusal. */
async function verifiedOrRefused(verify: SvidVerifier, inputs: () => { chain: X509Certificate[]; bundles: BundleSet }): Promise<VerifiedSvid | string> {
  try {
    const { chain, bundles } = inputs();
    return await verify(chain, bundles, NOW);
  } catch (error) {
    return mustBeTyped(error, [SvidError], 'parseCertificates / verifyX509Svid');
  }
}

export async function svidTargets(options: SvidTargetOptions = {}): Promise<FuzzSuite> {
  const verify = options.verify ?? verifyX509Svid;
  const ca = await caFor(TRUST_DOMAIN);
  const spare = await caFor(TRUST_DOMAIN);
  const other = await caFor('other.org');
  const intermediate = await intermediateOf(ca);
  const leaf = await leafWith(intermediate);
  const chain = [leaf, intermediate.certificate];
  const roots = [spare.certificate, ca.certificate];
  const bundles: BundleSet = new Map([
    [TRUST_DOMAIN, roots],
    ['other.org', [other.certificate]],
  ]);
  const genuine = await verifyX509Svid(chain, bundles, NOW);
  const chains = [der(chain), pem(chain)];
  const bundleInputs = [der(roots), pem(roots)];

  const sameSignedContent = (result: VerifiedSvid, anchorByKey: boolean): boolean =>
    result.spiffeId.id === genuine.spiffeId.id &&
    result.path.length === genuine.path.length &&
    result.path.every((certificate, index) => {
      const recorded = genuine.path[index]!;
      if (anchorByKey && index === genuine.path.length - 1) {
        return certificate.subject === recorded.subject && sameBytes(new Uint8Array(certificate.publicKey.rawData), new Uint8Array(recorded.publicKey.rawData));
      }
      return sameBytes(signedPart(certificate), signedPart(recorded));
    });

  const judge = (bytes: Uint8Array, recorded: readonly Uint8Array[], result: VerifiedSvid | string, anchorByKey: boolean, what: string): string => {
    const index = recordedIndex(bytes, recorded);
    if (typeof result === 'string') {
      if (index >= 0) throw new FuzzFinding('recorded-refused', `the recorded ${what} no longer verifies (${result})`);
      return result;
    }
    if (!sameSignedContent(result, anchorByKey)) {
      throw new FuzzFinding('forgery-accepted', `${what} verified with signed content other than the issued one (${result.spiffeId.id}, ${result.path.length} certificates)`);
    }
    return index >= 0 ? 'accepted' : 'accepted: other bytes, the same signed content';
  };

  const chainTarget = asyncFuzzTarget(
    'svid-chain',
    bytesNear(chains),
    async (bytes) => judge(bytes, chains, await verifiedOrRefused(verify, () => ({ chain: parseCertificates(bytes, 'the fuzzed chain'), bundles })), false, 'SVID chain'),
    hex,
  );

  const bundleTarget = asyncFuzzTarget(
    'trust-bundle',
    bytesNear(bundleInputs),
    async (bytes) => {
      const result = await verifiedOrRefused(verify, () => ({ chain, bundles: new Map([...bundles, [TRUST_DOMAIN, parseCertificates(bytes, 'the fuzzed bundle')]]) }));
      return judge(bytes, bundleInputs, result, true, 'trust bundle');
    },
    hex,
  );

  return suiteOf([chainTarget, bundleTarget]);
}
