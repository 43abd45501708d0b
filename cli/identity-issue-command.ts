/**
 * `x0tta6bl4 identity issue --spiffe-id ID --out DIR [--ttl DURATION]`: issues an X.509-SVID from
 * the embedded CA, for another node of a local mesh: `svid.pem` (leaf), `svid-key.pem` (PKCS#8,
 * 0600) and `bundle.pem` (the CA) in DIR. Refused in production mode.
 */
import { PemConverter } from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { ensureDirectory, PRIVATE_FILE_MODE, PUBLIC_FILE_MODE, writeFileSafely } from '../lib/files/private-files.js';
import { join } from 'node:path';
import { loadEmbeddedCa, refuseInProduction } from '../lib/spiffe/embedded-ca-files.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import { DEFAULT_SVID_TTL_MS } from '../lib/spiffe/defaults.js';
import { issueX509Svid } from '../lib/spiffe/svid-issuer.js';
import { configFromFlags, type ConfigFlags } from './command-config.js';
import { parseDuration } from './incidents-command.js';
import { UsageError } from './usage-error.js';

export async function identityIssueCommand(flags: ConfigFlags & { spiffeId: string; out: string; ttl?: string }): Promise<void> {
  const config = configFromFlags(flags);
  refuseInProduction(config.production, 'issuing from the embedded trust domain');
  const spiffeId = parseSpiffeId(flags.spiffeId);
  if (spiffeId.path === '') throw new UsageError(`--spiffe-id ${spiffeId.id} names the trust domain, not a workload: add a path`);
  const ttlMs = flags.ttl === undefined ? DEFAULT_SVID_TTL_MS : parseDuration(flags.ttl);
  const ca = await loadEmbeddedCa(config.dataDir);
  if (spiffeId.trustDomain !== ca.trustDomain) {
    throw new UsageError(`--spiffe-id ${spiffeId.id} is not in this node's trust domain '${ca.trustDomain}'`);
  }
  const now = Date.now();
  const svid = await issueX509Svid(ca, spiffeId, { notBefore: new Date(now - 60_000), notAfter: new Date(now + ttlMs) });
  ensureDirectory(flags.out, { private: true });
  const keyFile = join(flags.out, 'svid-key.pem');
  writeFileSafely(keyFile, PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', svid.keys.privateKey), 'PRIVATE KEY'), PRIVATE_FILE_MODE);
  writeFileSafely(join(flags.out, 'svid.pem'), svid.certificate.toString('pem'), PUBLIC_FILE_MODE);
  writeFileSafely(join(flags.out, 'bundle.pem'), ca.certificate.toString('pem'), PUBLIC_FILE_MODE);
  process.stdout.write(`issued ${spiffeId.id} (expires ${svid.certificate.notAfter.toISOString()}) into ${flags.out}: svid.pem, svid-key.pem, bundle.pem\n`);
}
