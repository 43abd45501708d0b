import { defineConfig } from 'vitest/config';

// Tests run on the compiled output (dist/test): worker threads load compiled
// JavaScript, so the code under test is exactly the code a node runs.
export default defineConfig({
  test: {
    include: ['dist/test/**/*.test.js'],
    pool: 'forks',
    // Two cores: two test files at a time keeps timing-sensitive supervision tests honest.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
    coverage: {
      provider: 'v8',
      // The security code's gate (issues 4 and 5): identity, the peer links (their TLS transport
      // and lifecycle statechart included) and the post-quantum session code (lib/crypto,
      // pq-session.ts), their lines mapped back to the TypeScript through the compiled output's source maps. Code that
      // runs only inside worker threads is not seen by V8 coverage in the test process; the tests
      // run the identity actor inline too for that, and the peer-link worker's wiring (worker.js)
      // is proved by the process tests instead.
      include: ['dist/lib/spiffe/**/*.js', 'dist/actors/identity/**/*.js', 'dist/actors/peer-link/**/*.js', 'dist/lib/net/**/*.js', 'dist/lib/crypto/**/*.js', 'dist/machines/pq-handshake.js', 'dist/machines/peer-link-lifecycle.js'],
      exclude: ['dist/actors/peer-link/worker.js'],
      // The whole gate, and the post-quantum session code on its own (issue 5).
      thresholds: { lines: 90, 'lib/crypto/**': { lines: 90 }, 'actors/peer-link/pq-session.ts': { lines: 90 } },
      reporter: ['text-summary', 'text'],
    },
  },
});
