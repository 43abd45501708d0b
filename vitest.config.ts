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
  },
});
