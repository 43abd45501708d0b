/**
 * Where the embedded trust domain keeps its files in the node's data directory. Apart from
 * embedded-ca-files.ts, which reads and writes them with the X.509 library: the node's tree
 * names the Workload API socket without loading that library into its main thread.
 */
import { join } from 'node:path';

export function identityDir(dataDir: string): string {
  return join(dataDir, 'identity');
}

/** The embedded trust domain's Workload API socket: the identity actor serves it, the node's other workloads (peer-link) fetch their SVIDs from it. */
export function embeddedWorkloadSocketPath(dataDir: string): string {
  return join(identityDir(dataDir), 'workload.sock');
}

export function caFiles(dataDir: string): { certificate: string; key: string } {
  const dir = identityDir(dataDir);
  return { certificate: join(dir, 'ca.pem'), key: join(dir, 'ca-key.pem') };
}
