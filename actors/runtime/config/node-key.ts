/**
 * The node's signing key made ready before any actor starts (lib/crypto/node-key-file.ts): read, or
 * created on the first start when it belongs in the data directory. The actors that sign (the peer
 * link today) then only read it, so a key that goes missing while the node runs is an error there,
 * never a new identity, and threads starting together never race to create it. The secret half
 * this thread read is wiped: it only checks the key.
 */
import { loadPqc } from '../../../lib/crypto/liboqs.js';
import { readNodeKey, readOrCreateNodeKey } from '../../../lib/crypto/node-key-file.js';
import type { Logger } from '../actor-kit/logger.js';

export async function ensureNodeKey(source: { file: string; create: boolean }, log: Logger): Promise<void> {
  const signer = (await loadPqc()).mldsa65;
  if (!source.create) {
    readNodeKey(source.file, signer).secretKey.fill(0);
    return;
  }
  const { key, created } = readOrCreateNodeKey(source.file, signer);
  key.secretKey.fill(0);
  if (created) log.info({ file: source.file }, 'node key created');
}
