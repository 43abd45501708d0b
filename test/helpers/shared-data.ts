/** The project's shared test data (../shared beside the clone: conformance vectors, datasets), read-only. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** From dist/test/helpers/ up to the clone's root, then beside it. */
export const SHARED_DIR = fileURLToPath(new URL('../../../../shared/', import.meta.url));

export function readSharedJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(`${SHARED_DIR}${relativePath}`, 'utf8')) as T;
}
