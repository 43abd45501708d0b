/**
 * X.509-SVID validation per the X509-SVID standard
 * (https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md) and RFC 5280 path
 * validation, on certificates parsed by @peculiar/x509 (Node's X509Certificate cannot read the
 * key-usage bits: its keyUsage is the extended key usage).
 *
 * The leaf: exactly one URI SAN, a SPIFFE ID with a path; not a CA; key usage present and
 * critical, with digitalSignature and without keyCertSign or cRLSign. Signing certificates: CA,
 * keyCertSign, no workload ID. Every certificate on the path: inside its validity window, no
 * unknown critical extension, signed by the next one. The path must end at a root of the bundle
 * of the leaf's own trust domain; bundles are never pooled across trust domains. Then the CAs'
 * path-length and name constraints, and the leaf's extended key usage (path-constraints.ts).
 */
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  cryptoProvider,
  type X509Certificate,
} from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { parseSpiffeId, type SpiffeId } from './spiffe-id.js';
import { checkPathConstraints } from './path-constraints.js';
import { uriSans } from './x509-svid-names.js';
import { SpiffeIdError } from './errors.js';
import {
  ExpiredError,
  KeyUsageError,
  LeafIsCaError,
  LeafSigningUsageError,
  MissingDigitalSignatureError,
  NoBundleForTrustDomainError,
  NotSpiffeIdError,
  NotYetValidError,
  RootPathIdError,
  SigningCertificateError,
  UnknownCriticalExtensionError,
  UntrustedChainError,
  UriSanCountError,
} from './svid-errors.js';

// @peculiar/x509 verifies with WebCrypto; Node provides it.
cryptoProvider.set(webcrypto as unknown as Parameters<typeof cryptoProvider.set>[0]);

/** Trust bundles by trust-domain name: each trust domain's own root certificates. */
export type BundleSet = ReadonlyMap<string, readonly X509Certificate[]>;

export interface VerifiedSvid {
  spiffeId: SpiffeId;
  /** Leaf first, ending with the bundle's root that anchors it. */
  path: X509Certificate[];
  /** The earliest notAfter on the path: when this SVID stops verifying. */
  expiresAt: Date;
}

/** Extensions RFC 5280 and the SPIFFE standards define, which this validator understands. */
const KNOWN_EXTENSIONS = new Set([
  '2.5.29.14', // subject key identifier
  '2.5.29.15', // key usage
  '2.5.29.17', // subject alternative name
  '2.5.29.19', // basic constraints
  '2.5.29.30', // name constraints (a SPIFFE trust domain may constrain its intermediates)
  '2.5.29.31', // CRL distribution points
  '2.5.29.32', // certificate policies
  '2.5.29.35', // authority key identifier
  '2.5.29.37', // extended key usage
  '1.3.6.1.5.5.7.1.1', // authority information access
]);

/** The longest path accepted: SPIRE deployments nest a few intermediates at most. */
const MAX_PATH_LENGTH = 8;

/**
 * Validates a leaf X.509-SVID and its intermediates (`chain`, leaf first, as the Workload API
 * and TLS give them) against the bundles, at `now`. Returns the SPIFFE ID and the path; throws
 * the SvidError of the first rule broken.
 */
export async function verifyX509Svid(chain: readonly X509Certificate[], bundles: BundleSet, now: Date = new Date()): Promise<VerifiedSvid> {
  const leaf = chain[0];
  if (!leaf) throw new UriSanCountError('one URI SAN', 'the chain is empty: no leaf certificate');
  const spiffeId = leafSpiffeId(leaf);
  checkLeaf(leaf);
  const roots = bundles.get(spiffeId.trustDomain);
  if (!roots || roots.length === 0) {
    throw new NoBundleForTrustDomainError('bundle of the own trust domain', `no trust bundle for trust domain '${spiffeId.trustDomain}' (${spiffeId.id})`);
  }
  const path: X509Certificate[] = [leaf];
  let current = leaf;
  for (;;) {
    checkWindow(current, now);
    checkCriticalExtensions(current);
    const anchor = await signedByRoot(current, roots);
    if (anchor) {
      checkWindow(anchor, now);
      checkCriticalExtensions(anchor);
      checkSigning(anchor, spiffeId.trustDomain);
      path.push(anchor);
      break;
    }
    const next = chain[path.length];
    if (!next) {
      throw new UntrustedChainError('chain to the bundle', `'${current.subject}' is not signed by a root of the bundle of '${spiffeId.trustDomain}' and no intermediate follows it`);
    }
    if (path.length >= MAX_PATH_LENGTH) throw new UntrustedChainError('chain to the bundle', `the chain is longer than ${MAX_PATH_LENGTH} certificates`);
    checkSigning(next, spiffeId.trustDomain);
    if (current.issuer !== next.subject || !(await signatureValid(current, next))) {
      throw new UntrustedChainError('chain to the bundle', `'${current.subject}' is not signed by the next certificate '${next.subject}'`);
    }
    path.push(next);
    current = next;
  }
  checkPathConstraints(path);
  return { spiffeId, path, expiresAt: new Date(Math.min(...path.map((certificate) => certificate.notAfter.getTime()))) };
}

/** The single URI SAN of a certificate, as a SPIFFE ID. */
export function leafSpiffeId(certificate: X509Certificate): SpiffeId {
  const uris = uriSans(certificate);
  if (uris.length !== 1) throw new UriSanCountError('one URI SAN', `a leaf SVID must have exactly one URI SAN, has ${uris.length}`);
  let id: SpiffeId;
  try {
    id = parseSpiffeId(uris[0]!);
  } catch (error) {
    if (error instanceof SpiffeIdError) throw new NotSpiffeIdError('URI SAN is a SPIFFE ID', `the URI SAN is not a SPIFFE ID: ${error.message}`);
    throw error;
  }
  if (id.path === '') throw new RootPathIdError('leaf ID has a path', `a leaf SVID's SPIFFE ID must have a path, '${id.id}' has none`);
  return id;
}

export { uriSans };

function checkLeaf(leaf: X509Certificate): void {
  const constraints = leaf.getExtension(BasicConstraintsExtension);
  if (constraints?.ca) throw new LeafIsCaError('leaf is not a CA', 'a leaf SVID must not be a CA (basicConstraints cA is true)');
  const usage = keyUsage(leaf, 'leaf');
  if (!(usage & KeyUsageFlags.digitalSignature)) throw new MissingDigitalSignatureError('digitalSignature', 'a leaf SVID must have the digitalSignature key usage');
  if (usage & (KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)) {
    throw new LeafSigningUsageError('no keyCertSign or cRLSign on a leaf', 'a leaf SVID must not have the keyCertSign or cRLSign key usage');
  }
}

function checkSigning(certificate: X509Certificate, trustDomain: string): void {
  const constraints = certificate.getExtension(BasicConstraintsExtension);
  if (!constraints?.ca) throw new SigningCertificateError('signing certificate is a CA', `'${certificate.subject}' signs SVIDs but is not a CA`);
  if (!(keyUsage(certificate, 'signing certificate') & KeyUsageFlags.keyCertSign)) {
    throw new SigningCertificateError('signing certificate has keyCertSign', `'${certificate.subject}' signs SVIDs but lacks the keyCertSign key usage`);
  }
  for (const uri of uriSans(certificate)) {
    let id: SpiffeId | undefined;
    try {
      id = parseSpiffeId(uri);
    } catch {
      id = undefined;
    }
    if (!id || id.trustDomain !== trustDomain || id.path !== '') {
      throw new SigningCertificateError('signing certificate names no workload', `'${certificate.subject}' signs SVIDs of '${trustDomain}' but names '${uri}'`);
    }
  }
}

function keyUsage(certificate: X509Certificate, role: string): number {
  const extension = certificate.getExtension(KeyUsagesExtension);
  if (!extension) throw new KeyUsageError('key usage present and critical', `the ${role} certificate has no key usage extension`);
  if (!extension.critical) throw new KeyUsageError('key usage present and critical', `the ${role} certificate's key usage extension is not critical`);
  return extension.usages;
}

function checkWindow(certificate: X509Certificate, now: Date): void {
  if (now < certificate.notBefore) throw new NotYetValidError('validity window', `'${certificate.subject}' is not valid before ${certificate.notBefore.toISOString()}`);
  if (now > certificate.notAfter) throw new ExpiredError('validity window', `'${certificate.subject}' expired at ${certificate.notAfter.toISOString()}`);
}

function checkCriticalExtensions(certificate: X509Certificate): void {
  for (const extension of certificate.extensions) {
    if (extension.critical && !KNOWN_EXTENSIONS.has(extension.type)) {
      throw new UnknownCriticalExtensionError('no unknown critical extension', `'${certificate.subject}' has an unknown critical extension ${extension.type}`);
    }
  }
}

async function signedByRoot(certificate: X509Certificate, roots: readonly X509Certificate[]): Promise<X509Certificate | undefined> {
  for (const root of roots) {
    if (certificate.issuer === root.subject && (await signatureValid(certificate, root))) return root;
  }
  return undefined;
}

async function signatureValid(certificate: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  try {
    return await certificate.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}
