/**
 * The embedded trust domain's CA on disk, in the node's data directory: `identity/ca.pem` (the
 * root certificate, also the trust bundle to hand to other nodes) and `identity/ca-key.pem`
 * (PKCS#8, mode 0600, written atomically and never through a symlink: lib/files/private-files.ts),
 * in a directory only the node's user can enter. Production mode refuses the embedded CA: there the
 * SPIRE agent is the only source of identity.
 */
import { PemConverter, X509Certificate } from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseCertificates } from './certificates.js';
import { createTrustDomainCa, SVID_KEY_ALGORITHM, type TrustDomainCa } from './svid-issuer.js';
import { uriSans } from './x509-svid.js';
import { parseSpiffeId } from './spiffe-id.js';
import { EmbeddedCaError } from './embedded-ca-error.js';
import { ensureDirectory, PRIVATE_FILE_MODE, PUBLIC_FILE_MODE, writeFileSafely } from '../files/private-files.js';
import { caFiles, identityDir } from './embedded-ca-paths.js';

export { EmbeddedCaError };
export { caFiles, embeddedWorkloadSocketPath, identityDir } from './embedded-ca-paths.js';

/** A CA lives ten years: rotating a root is an operator's event, not a timer's. */
export const EMBEDDED_CA_LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000;


export function refuseInProduction(production: boolean, what: string): void {
  if (production) {
    throw new EmbeddedCaError(
      `${what} is refused in production mode: identities come from the SPIRE agent there ` +
        '(set SPIFFE_ENDPOINT_SOCKET or identity.agentSocket; see deploy/spire/)',
    );
  }
}

export async function initEmbeddedCa(dataDir: string, trustDomain: string, options: { force?: boolean } = {}): Promise<TrustDomainCa> {
  const files = caFiles(dataDir);
  if (existsSync(files.certificate) && !options.force) {
    throw new EmbeddedCaError(`a CA already exists at ${files.certificate}; every SVID it issued would stop verifying if it were replaced (use --force to replace it)`);
  }
  const now = Date.now();
  const ca = await createTrustDomainCa(trustDomain, { notBefore: new Date(now - 60_000), notAfter: new Date(now + EMBEDDED_CA_LIFETIME_MS) });
  ensureDirectory(identityDir(dataDir), { private: true });
  const key = PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', ca.keys.privateKey), 'PRIVATE KEY');
  writeFileSafely(files.key, key, PRIVATE_FILE_MODE);
  writeFileSafely(files.certificate, ca.certificate.toString('pem'), PUBLIC_FILE_MODE);
  return ca;
}

export async function loadEmbeddedCa(dataDir: string): Promise<TrustDomainCa> {
  const files = caFiles(dataDir);
  if (!existsSync(files.certificate) || !existsSync(files.key)) {
    throw new EmbeddedCaError(`no embedded CA in ${identityDir(dataDir)}: run 'x0tta6bl4 identity init --trust-domain TD' first`);
  }
  const [certificate] = parseCertificates(readFileSync(files.certificate, 'utf8'), files.certificate);
  const trustDomain = certificateTrustDomain(certificate!);
  if (!trustDomain) throw new EmbeddedCaError(`${files.certificate} names no trust domain (no spiffe://<td> URI SAN)`);
  const [der] = PemConverter.decode(readFileSync(files.key, 'utf8'));
  if (!der) throw new EmbeddedCaError(`${files.key} holds no PEM key`);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, SVID_KEY_ALGORITHM, true, ['sign']);
  const publicKey = await certificate!.publicKey.export(SVID_KEY_ALGORITHM, ['verify'], webcrypto as never);
  return { trustDomain, certificate: certificate!, keys: { privateKey, publicKey: publicKey as unknown as webcrypto.CryptoKey } };
}

/** The trust domain a CA certificate names in its URI SAN (`spiffe://td`, no path). */
function certificateTrustDomain(certificate: X509Certificate): string | undefined {
  for (const uri of uriSans(certificate)) {
    try {
      const id = parseSpiffeId(uri);
      if (id.path === '') return id.trustDomain;
    } catch {
      // Not a SPIFFE ID: not the trust domain's.
    }
  }
  return undefined;
}
