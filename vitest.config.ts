import { defineConfig } from 'vitest/config';
import { COVERAGE_GATE } from './scripts/coverage-gate.mjs';

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
      // The floors (the security code's, the runtime's, the store's, lib/'s, the machines' and the
      // CLI's), what is measured and what is left out and why: scripts/coverage-gate.mjs, whose every
      // glob scripts/check-coverage-gate.mjs proves to match files (test/scripts/check-coverage-gate.test.ts).
      // Lines are mapped back to the TypeScript through the compiled output's source maps.
      ...COVERAGE_GATE,
      reporter: ['text-summary', 'text'],
    },
  },
});
