/** X.509-SVID validation: well-formed chains pass; each rule broken alone is refused with its own error. */
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints } from '@peculiar/asn1-x509';
import { ExtendedKeyUsage, ExtendedKeyUsageExtension, Extension, KeyUsageFlags, X509Certificate } from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCertificates } from '../../../lib/spiffe/certificates.js';
import { parseSpiffeId } from '../../../lib/spiffe/spiffe-id.js';
import { issueX509Svid, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';
import {
  CertificateParseError,
  ExpiredError,
  ExtendedKeyUsageError,
  KeyUsageError,
  LeafIsCaError,
  LeafSigningUsageError,
  MissingDigitalSignatureError,
  NameConstraintError,
  NoBundleForTrustDomainError,
  NotSpiffeIdError,
  NotYetValidError,
  PathLengthError,
  RootPathIdError,
  SigningCertificateError,
  SvidError,
  UnknownCriticalExtensionError,
  UntrustedChainError,
  UriSanCountError,
} from '../../../lib/spiffe/svid-errors.js';
import { verifyX509Svid, type BundleSet } from '../../../lib/spiffe/x509-svid.js';
import { caFor, HOUR, intermediateOf, leafWith, NOW } from './fixtures/certificate-factory.js';

let ca: TrustDomainCa;
let otherCa: TrustDomainCa;
let bundles: BundleSet;

beforeAll(async () => {
  ca = await caFor('example.org');
  otherCa = await caFor('other.org');
  bundles = new Map([
    ['example.org', [ca.certificate]],
    ['other.org', [otherCa.certificate]],
  ]);
});

const expectRefusal = async (chain: X509Certificate[], errorClass: new (...args: never[]) => SvidError, theBundles = bundles) => {
  const attempt = verifyX509Svid(chain, theBundles, NOW);
  await expect(attempt).rejects.toBeInstanceOf(errorClass);
  await expect(attempt).rejects.toBeInstanceOf(SvidError);
};

describe('verifyX509Svid accepts', () => {
  it('a leaf issued by the trust domain\'s root, with its ID and the earliest expiry on the path', async () => {
    const svid = await issueX509Svid(ca, parseSpiffeId('spiffe://example.org/node/a'), { notBefore: new Date(NOW.getTime() - HOUR), notAfter: new Date(NOW.getTime() + HOUR) });
    const verified = await verifyX509Svid([svid.certificate], bundles, NOW);
    expect(verified.spiffeId.id).toBe('spiffe://example.org/node/a');
    expect(verified.path.map((certificate) => certificate.subject)).toEqual([svid.certificate.subject, ca.certificate.subject]);
    expect(verified.expiresAt).toEqual(svid.certificate.notAfter);
  });

  it('a leaf through an intermediate, given leaf first, and anchored at one of several roots', async () => {
    const intermediate = await intermediateOf(ca);
    const leaf = await leafWith(intermediate);
    const spare = await caFor('example.org');
    const verified = await verifyX509Svid([leaf, intermediate.certificate], new Map([['example.org', [spare.certificate, ca.certificate]]]), NOW);
    expect(verified.path).toHaveLength(3);
  });
});

describe('verifyX509Svid refuses, one rule each', () => {
  it.each([
    ['two URI SANs', { uris: ['spiffe://example.org/a', 'spiffe://example.org/b'] }, UriSanCountError],
    ['no URI SAN', { uris: [] }, UriSanCountError],
    ['a URI SAN that is not a SPIFFE ID', { uris: ['https://example.org/a'] }, NotSpiffeIdError],
    ['a leaf that is a CA', { ca: true }, LeafIsCaError],
    ['no digitalSignature', { usages: KeyUsageFlags.keyEncipherment }, MissingDigitalSignatureError],
    ['keyCertSign on a leaf', { usages: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign }, LeafSigningUsageError],
    ['cRLSign on a leaf', { usages: KeyUsageFlags.digitalSignature | KeyUsageFlags.cRLSign }, LeafSigningUsageError],
    ['a key usage that is not critical', { usageCritical: false }, KeyUsageError],
    ['no key usage at all', { keyUsage: false }, KeyUsageError],
    ['an expired leaf', { notBefore: new Date(NOW.getTime() - 3 * HOUR), notAfter: new Date(NOW.getTime() - HOUR) }, ExpiredError],
    ['a leaf not yet valid', { notBefore: new Date(NOW.getTime() + HOUR), notAfter: new Date(NOW.getTime() + 3 * HOUR) }, NotYetValidError],
    ['the trust domain\'s own ID (no path) on a leaf', { uris: ['spiffe://example.org'] }, RootPathIdError],
    ['an unknown critical extension', { extra: [new Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([5, 0]))] }, UnknownCriticalExtensionError],
  ] as const)('%s', async (_name, options, errorClass) => {
    await expectRefusal([await leafWith(ca, options as never)], errorClass);
  });

  it('a chain to another trust domain\'s CA (its roots never vouch for example.org)', async () => {
    const forged = await leafWith({ ...otherCa, trustDomain: 'example.org' });
    await expectRefusal([forged], UntrustedChainError);
    // Without a bundle of its own trust domain, nothing else is tried.
    await expectRefusal([forged], NoBundleForTrustDomainError, new Map([['other.org', [otherCa.certificate]]]));
  });

  it('a bad signature', async () => {
    const leaf = await leafWith(ca);
    const der = new Uint8Array(leaf.rawData);
    der[der.length - 3] = der[der.length - 3]! ^ 0x01;
    await expectRefusal([new X509Certificate(der)], UntrustedChainError);
  });

  it('an intermediate that is not a CA, or names a workload', async () => {
    const notCa = await leafWith(ca, { ca: false, usages: KeyUsageFlags.keyCertSign | KeyUsageFlags.digitalSignature });
    const below = await leafWith({ trustDomain: 'example.org', certificate: notCa, keys: ca.keys });
    await expectRefusal([below, notCa], SigningCertificateError);
    const intermediate = await intermediateOf(ca);
    const leaf = await leafWith(intermediate);
    await expectRefusal([leaf], UntrustedChainError);
  });

  it('truncated DER and PEM garbage, as parse errors', () => {
    const der = new Uint8Array(new X509Certificate(ca.certificate.rawData).rawData);
    expect(() => parseCertificates(der.subarray(0, der.length - 10), 'chain')).toThrow(CertificateParseError);
    expect(() => parseCertificates('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n', 'chain')).toThrow(CertificateParseError);
    expect(() => parseCertificates('hello', 'chain')).toThrow(/chain: not a certificate/);
    expect(() => parseCertificates(new Uint8Array([0x30, 0x82, 0xff]), 'chain')).toThrow(CertificateParseError);
  });

  it('a certificate whose extension does not decode, as a parse error (the library decodes extensions lazily)', async () => {
    const der = Buffer.from(new Uint8Array((await leafWith(ca)).rawData));
    // The subject alternative name's GeneralNames SEQUENCE (after its OID and the OCTET STRING header) made a SET.
    const san = der.indexOf(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x11])) + 5;
    expect(der[san + 2]).toBe(0x30);
    der[san + 2] = 0x31;
    expect(() => parseCertificates(der, 'chain')).toThrow(CertificateParseError);
  });

  it('reads PEM with several blocks and concatenated DER alike', async () => {
    const leaf = await leafWith(ca);
    const both = new Uint8Array([...new Uint8Array(leaf.rawData), ...new Uint8Array(ca.certificate.rawData)]);
    expect(parseCertificates(both, 'chain').map((certificate) => certificate.subject)).toEqual([leaf.subject, ca.certificate.subject]);
    expect(parseCertificates(`${leaf.toString('pem')}\n${ca.certificate.toString('pem')}\n`, 'chain')).toHaveLength(2);
  });

  describe('the constraints a path places below its CAs', () => {
    /** A critical name constraints extension with these URI (or other) subtrees. */
    const nameConstraints = (constraints: { permitted?: GeneralName[]; excluded?: GeneralName[] }) => {
      const subtrees = (names: GeneralName[] | undefined) => (names ? new GeneralSubtrees(names.map((base) => new GeneralSubtree({ base }))) : undefined);
      const value = new NameConstraints({
        ...(constraints.permitted ? { permittedSubtrees: subtrees(constraints.permitted) } : {}),
        ...(constraints.excluded ? { excludedSubtrees: subtrees(constraints.excluded) } : {}),
      });
      return new Extension('2.5.29.30', true, AsnConvert.serialize(value));
    };
    const uri = (host: string) => new GeneralName({ uniformResourceIdentifier: host });

    it('enforces a CA\'s path length: no intermediate below a CA that allows none', async () => {
      const strict = await intermediateOf(ca, 'strict', { pathLength: 0 });
      const below = await intermediateOf(strict, 'below');
      await expectRefusal([await leafWith(below), below.certificate, strict.certificate], PathLengthError);
      // A leaf directly under it is fine.
      const verified = await verifyX509Svid([await leafWith(strict), strict.certificate], bundles, NOW);
      expect(verified.path).toHaveLength(3);
    });

    it('enforces URI name constraints on the trust domain: permitted, excluded, and subdomains', async () => {
      const permitsOwn = await intermediateOf(ca, 'own', { extra: [nameConstraints({ permitted: [uri('example.org')] })] });
      expect((await verifyX509Svid([await leafWith(permitsOwn), permitsOwn.certificate], bundles, NOW)).spiffeId.id).toBe('spiffe://example.org/workload');
      const permitsOther = await intermediateOf(ca, 'other', { extra: [nameConstraints({ permitted: [uri('.example.com')] })] });
      await expectRefusal([await leafWith(permitsOther), permitsOther.certificate], NameConstraintError);
      const excludesOwn = await intermediateOf(ca, 'excludes', { extra: [nameConstraints({ excluded: [uri('example.org')] })] });
      await expectRefusal([await leafWith(excludesOwn), excludesOwn.certificate], NameConstraintError);
      // `.example.org` covers hosts below it, not example.org itself.
      const subdomains = await intermediateOf(ca, 'subdomains', { extra: [nameConstraints({ permitted: [uri('.example.org')] })] });
      await expectRefusal([await leafWith(subdomains), subdomains.certificate], NameConstraintError);
    });

    it('refuses a CA constraining a name type it does not evaluate, rather than ignoring the constraint', async () => {
      const dns = await intermediateOf(ca, 'dns', { extra: [nameConstraints({ permitted: [new GeneralName({ dNSName: 'example.org' })] })] });
      await expect(verifyX509Svid([await leafWith(dns), dns.certificate], bundles, NOW)).rejects.toThrow(/constrains dNSName names, which this validator does not evaluate/);
    });

    it('requires a leaf\'s extended key usage, when it has one, to allow both TLS client and server', async () => {
      const eku = (...usages: string[]) => ({ extra: [new ExtendedKeyUsageExtension(usages)] });
      await expectRefusal([await leafWith(ca, eku(ExtendedKeyUsage.serverAuth))], ExtendedKeyUsageError);
      await expectRefusal([await leafWith(ca, eku(ExtendedKeyUsage.clientAuth, ExtendedKeyUsage.codeSigning))], ExtendedKeyUsageError);
      for (const usages of [[ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth], ['2.5.29.37.0']]) {
        expect((await verifyX509Svid([await leafWith(ca, eku(...usages))], bundles, NOW)).spiffeId.id).toBe('spiffe://example.org/workload');
      }
    });
  });
});
