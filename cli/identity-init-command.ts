/**
 * `x0tta6bl4 identity init --trust-domain TD [--force]`: creates the embedded trust domain's CA
 * (ECDSA P-256) in the data directory, for a node or a local mesh without a SPIRE agent.
 * Refused in production mode.
 */
import { caFiles, initEmbeddedCa, refuseInProduction } from '../lib/spiffe/embedded-ca-files.js';
import { parseTrustDomain } from '../lib/spiffe/spiffe-id.js';
import { configFromFlags, type ConfigFlags } from './command-config.js';

export async function identityInitCommand(flags: ConfigFlags & { trustDomain: string; force?: boolean }): Promise<void> {
  const config = configFromFlags(flags);
  refuseInProduction(config.production, 'the embedded trust domain');
  const ca = await initEmbeddedCa(config.dataDir, parseTrustDomain(flags.trustDomain), { force: flags.force === true });
  const files = caFiles(config.dataDir);
  process.stdout.write(
    `created the CA of trust domain '${ca.trustDomain}' (expires ${ca.certificate.notAfter.toISOString()})\n` +
      `  certificate (the trust bundle to give other nodes): ${files.certificate}\n  private key (0600): ${files.key}\n`,
  );
}
