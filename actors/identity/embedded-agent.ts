/**
 * The embedded trust domain, run where a SPIRE agent would be: the node's CA in its data
 * directory (created on first start for the configured trust domain), a source issuing the node's
 * SVID and rotating it at half-life, and a Workload API server on a unix socket in the data
 * directory. The identity actor reaches it as it would reach an agent: through the socket.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseSpiffeId, type SpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { caFiles, EmbeddedCaError, embeddedWorkloadSocketPath, identityDir, initEmbeddedCa, loadEmbeddedCa } from '../../lib/spiffe/embedded-ca-files.js';
import { createEmbeddedSvidSource } from './embedded-svid-source.js';
import { startWorkloadApiServer } from './workload-api-server.js';

export interface EmbeddedAgent {
  socketPath: string;
  spiffeId: SpiffeId;
  close(): Promise<void>;
}

/** The node's SPIFFE ID in the embedded trust domain when none is configured: one per host. */
export function defaultNodeSpiffeId(trustDomain: string): SpiffeId {
  const name = hostname().toLowerCase().replace(/[^a-z0-9._-]/g, '-') || 'node';
  return parseSpiffeId(`spiffe://${trustDomain}/node/${name}`);
}

export async function startEmbeddedAgent(options: {
  dataDir: string;
  trustDomain: string;
  spiffeId?: string;
  svidTtlMs: number;
  /** The Workload API socket's listener failed after it started: reported, never thrown. */
  onListenerError?(error: Error): void;
}): Promise<EmbeddedAgent> {
  const ca = existsSync(caFiles(options.dataDir).certificate)
    ? await loadEmbeddedCa(options.dataDir)
    : await initEmbeddedCa(options.dataDir, options.trustDomain);
  if (ca.trustDomain !== options.trustDomain) {
    throw new EmbeddedCaError(
      `the embedded CA in ${identityDir(options.dataDir)} is for trust domain '${ca.trustDomain}', the configuration says '${options.trustDomain}'`,
    );
  }
  const spiffeId = options.spiffeId !== undefined ? parseSpiffeId(options.spiffeId) : defaultNodeSpiffeId(ca.trustDomain);
  const source = await createEmbeddedSvidSource({ ca, spiffeId, ttlMs: options.svidTtlMs });
  const socketPath = embeddedWorkloadSocketPath(options.dataDir);
  const server = await startWorkloadApiServer({ socketPath, source, ...(options.onListenerError ? { onListenerError: options.onListenerError } : {}) });
  return {
    socketPath,
    spiffeId,
    async close() {
      source.stop();
      await server.close();
    },
  };
}
