/**
 * `x0tta6bl4 identity verify-svid --bundle FILE --chain FILE [--trust-domain TD]`: the node's
 * X.509-SVID validation from the command line. Exit 0 and the SPIFFE ID when the chain verifies;
 * exit 1 and the rule it breaks otherwise. PEM or DER files.
 *
 * The bundle belongs to one trust domain: `--trust-domain`, or the leaf's own when left out (a
 * leaf of another trust domain than the one given has no bundle here and is refused).
 */
import { readFileSync } from 'node:fs';
import { parseCertificates } from '../lib/spiffe/certificates.js';
import { parseTrustDomain } from '../lib/spiffe/spiffe-id.js';
import { SvidError } from '../lib/spiffe/svid-errors.js';
import { leafSpiffeId, verifyX509Svid } from '../lib/spiffe/x509-svid.js';
import { EXIT_FATAL } from './exit-codes.js';
import { UsageError } from './usage-error.js';

export async function identityVerifyCommand(flags: { bundle: string; chain: string; trustDomain?: string }): Promise<void> {
  try {
    const chain = parseCertificates(readFile(flags.chain), flags.chain);
    const bundle = parseCertificates(readFile(flags.bundle), flags.bundle);
    const trustDomain = flags.trustDomain !== undefined ? parseTrustDomain(flags.trustDomain) : leafSpiffeId(chain[0]!).trustDomain;
    const verified = await verifyX509Svid(chain, new Map([[trustDomain, bundle]]));
    process.stdout.write(`${verified.spiffeId.id}\n`);
  } catch (error) {
    if (!(error instanceof SvidError)) throw error;
    process.stderr.write(`x0tta6bl4: not a valid X.509-SVID: ${error.message} (rule: ${error.rule}; ${error.name})\n`);
    process.exitCode = EXIT_FATAL;
  }
}

function readFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
