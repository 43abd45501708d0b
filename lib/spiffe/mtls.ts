/**
 * Mutual TLS with SPIFFE identities over node:tls. Each side presents its X.509-SVID; each side
 * verifies the other's chain itself, against the bundle of the peer's own trust domain only
 * (lib/spiffe/x509-svid.ts), then authorizes the peer's SPIFFE ID by policy. Node's own chain
 * verification is off (`rejectUnauthorized: false`) because it would pool every trust domain's
 * roots and check host names, neither of which SPIFFE wants; the handshake itself still proves
 * each side holds its SVID's private key.
 *
 * Credentials are read per connection (`current()`), so a rotated SVID is used by new connections
 * at once.
 */
import { PemConverter, type X509Certificate } from '@peculiar/x509';
import { parseDerCertificate } from './certificates.js';
import type { PeerCertificate, SecureContextOptions, TLSSocket } from 'node:tls';
import { authorizePeer, type PeerPolicy } from './peer-policy.js';
import type { SpiffeId } from './spiffe-id.js';
import { verifyX509Svid, type BundleSet, type VerifiedSvid } from './x509-svid.js';

export interface SvidCredentials {
  /** Leaf first. */
  chain: readonly X509Certificate[];
  /** DER PKCS#8. */
  privateKey: Uint8Array;
  bundles: BundleSet;
}

/** TLS 1.3 only: every SPIFFE deployment supports it, and it encrypts the certificates in flight. */
export const MTLS_MIN_VERSION = 'TLSv1.3';

export function secureContextOptions(credentials: SvidCredentials): SecureContextOptions {
  return {
    key: PemConverter.encode(credentials.privateKey.buffer.slice(credentials.privateKey.byteOffset, credentials.privateKey.byteOffset + credentials.privateKey.byteLength) as ArrayBuffer, 'PRIVATE KEY'),
    cert: credentials.chain.map((certificate) => certificate.toString('pem')).join('\n'),
    minVersion: MTLS_MIN_VERSION,
  };
}

/** The peer's certificate chain as the TLS handshake delivered it, leaf first. */
export function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let certificate: PeerCertificate | undefined = socket.getPeerCertificate(true) as PeerCertificate | undefined;
  const seen = new Set<string>();
  while (certificate && certificate.raw && !seen.has(certificate.fingerprint256)) {
    seen.add(certificate.fingerprint256);
    chain.push(parseDerCertificate(new Uint8Array(certificate.raw), "the peer's certificate"));
    certificate = (certificate as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return chain;
}

/** Verifies and authorizes the peer of an established TLS connection; throws the SvidError or PeerNotAuthorizedError. */
export async function verifyPeer(socket: TLSSocket, bundles: BundleSet, policies: readonly PeerPolicy[]): Promise<SpiffeId> {
  return (await verifyPeerSvid(socket, bundles, policies)).spiffeId;
}

/** As verifyPeer, with the verified path and when it expires (a link must not outlive its peer's SVID). */
export async function verifyPeerSvid(socket: TLSSocket, bundles: BundleSet, policies: readonly PeerPolicy[]): Promise<VerifiedSvid> {
  const verified = await verifyX509Svid(peerChain(socket), bundles);
  authorizePeer(verified.spiffeId, policies);
  return verified;
}
