/**
 * An X.509 certificate authority for one trust domain, issuing SVIDs as the X509-SVID standard
 * shapes them: ECDSA P-256 keys (WebCrypto, node:crypto), a self-signed root with the trust
 * domain's ID, and leaves with one SPIFFE ID, key usage digitalSignature (critical), not a CA,
 * and the TLS client and server extended key usages. Used by the embedded trust domain (when no
 * SPIRE agent runs) and by tests.
 */
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
  type X509Certificate,
} from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { parseTrustDomain, type SpiffeId } from './spiffe-id.js';
import './x509-svid.js';

export const SVID_KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface TrustDomainCa {
  trustDomain: string;
  certificate: X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

export interface IssuedSvid {
  certificate: X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

export async function generateSvidKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(SVID_KEY_ALGORITHM, true, ['sign', 'verify']);
}

export async function createTrustDomainCa(trustDomain: string, options: { notBefore: Date; notAfter: Date }): Promise<TrustDomainCa> {
  parseTrustDomain(trustDomain);
  const keys = await generateSvidKeys();
  const certificate = await X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${trustDomain},O=x0tta6bl4 embedded trust domain`,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    signingAlgorithm: SIGNING_ALGORITHM,
    keys: keys as unknown as CryptoKeyPairLike,
    extensions: [
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      new SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${trustDomain}` }]),
      await SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as PublicKeyLike),
    ],
  });
  return { trustDomain, certificate, keys };
}

export async function issueX509Svid(
  ca: TrustDomainCa,
  spiffeId: SpiffeId,
  options: { notBefore: Date; notAfter: Date; keys?: webcrypto.CryptoKeyPair },
): Promise<IssuedSvid> {
  if (spiffeId.trustDomain !== ca.trustDomain) {
    throw new RangeError(`the CA of '${ca.trustDomain}' cannot issue '${spiffeId.id}'`);
  }
  const keys = options.keys ?? (await generateSvidKeys());
  const certificate = await X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `O=x0tta6bl4,OU=${spiffeId.path.split('/').pop() || 'workload'}`,
    issuer: ca.certificate.subject,
    notBefore: options.notBefore,
    // Never outliving the CA: a chain is only as valid as its shortest-lived certificate.
    notAfter: new Date(Math.min(options.notAfter.getTime(), ca.certificate.notAfter.getTime())),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey as unknown as PublicKeyLike,
    signingKey: ca.keys.privateKey as unknown as PrivateKeyLike,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyAgreement, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth]),
      new SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId.id }]),
      await SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as PublicKeyLike),
      await AuthorityKeyIdentifierExtension.create(ca.keys.publicKey as unknown as PublicKeyLike),
    ],
  });
  return { certificate, keys };
}

/** A positive 128-bit serial number in hex (RFC 5280: unique per CA, at most 20 octets). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

type CryptoKeyPairLike = Parameters<typeof X509CertificateGenerator.createSelfSigned>[0]['keys'];
type PublicKeyLike = Parameters<typeof SubjectKeyIdentifierExtension.create>[0];
type PrivateKeyLike = Extract<Parameters<typeof X509CertificateGenerator.create>[0], { signingKey: unknown }>['signingKey'];
