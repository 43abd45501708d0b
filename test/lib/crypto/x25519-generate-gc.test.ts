/**
 * x25519Generate must not deadlock when a garbage collection lands inside it. On Node 20,
 * exporting a freshly generated key as a JWK held the key's mutex while allocating, and a
 * collection there ran the finished generation job's destructor, which waits for the same mutex:
 * the thread hung for good (the gate suite's handshakes hit it). --gc-interval makes V8 collect
 * every N allocations, so the collection lands inside the export for these N: the old code hung
 * on every one of them within 8,000 keys, and the child is killed at the deadline if it hangs.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const X25519_MODULE = new URL('../../../lib/crypto/x25519.js', import.meta.url).href;
const KEYS = 8_000;
/** Intervals at which the old code hung within KEYS keys. */
const GC_INTERVALS = [50, 60, 72, 98];
/** A hung child is killed then; one that works takes about 2 s. */
const HANG_DEADLINE_MS = 120_000;

describe('x25519Generate under garbage collection', () => {
  it.each(GC_INTERVALS)('generates 8,000 key pairs with --gc-interval=%i without hanging', (interval) => {
    const script = `import { x25519Generate } from ${JSON.stringify(X25519_MODULE)}; for (let i = 0; i < ${KEYS}; i++) if (x25519Generate().publicKey.length !== 32) throw new Error('a public key is not 32 bytes'); console.log('ok');`;
    const result = spawnSync(process.execPath, [`--gc-interval=${interval}`, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: HANG_DEADLINE_MS });
    expect(result.signal, `the child hung and was killed at ${HANG_DEADLINE_MS} ms`).toBeNull();
    expect(result.stdout.trim(), result.stderr).toBe('ok');
    expect(result.status).toBe(0);
  }, HANG_DEADLINE_MS + 10_000);
});
