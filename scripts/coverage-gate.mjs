// The coverage gate `npm test` enforces (vitest.config.ts reads it; scripts/check-coverage-gate.mjs
// proves that every glob here still names files of the build). Tests run on the compiled output, so
// `include` and `exclude` name files in dist/; the threshold keys name the TypeScript sources those
// files map back to through their source maps. Each floor is a share of lines covered, for the set of
// files its key matches taken together.
//
// Code that runs only inside a worker thread is not seen by V8 coverage in the test process. The
// runtime's side of a thread (actor runner, health, faults, inspection forwarder) is shared with the
// inline host and measured through it or through its own tests; what is left out is listed in
// `exclude`, each with the reason and the tests that prove it instead.

/** The security code's gate (issues 4 and 5): identity, the peer links and the post-quantum session code, 90% as a whole. */
const SECURITY_SOURCES = [
  'lib/spiffe/**',
  'actors/identity/**',
  'actors/peer-link/**',
  'lib/net/**',
  'lib/crypto/**',
  'machines/pq-handshake.ts',
  'machines/peer-link-lifecycle.ts',
];

/** @type {{ include: string[], exclude: string[], thresholds: Record<string, { lines: number }> }} */
export const COVERAGE_GATE = {
  include: [
    // The security code.
    'dist/lib/spiffe/**/*.js',
    'dist/actors/identity/**/*.js',
    'dist/actors/peer-link/**/*.js',
    'dist/lib/net/**/*.js',
    'dist/lib/crypto/**/*.js',
    'dist/machines/pq-handshake.js',
    'dist/machines/peer-link-lifecycle.js',
    // The runtime, the store, the domain libraries, the statecharts and the command line (issue 12).
    'dist/actors/runtime/**/*.js',
    'dist/store/**/*.js',
    'dist/lib/**/*.js',
    'dist/machines/**/*.js',
    'dist/cli/**/*.js',
  ],
  exclude: [
    // A worker thread's entry: it wires a thread's ports at import and throws anywhere else. The
    // peer-link worker is proved by the mesh process tests (test/e2e/mesh-mtls-process.test.ts); the
    // runtime's worker entry runs every worker-hosted actor of the suite (test/actors/runtime/host/
    // worker-host.test.ts, delivery.test.ts, supervision/), and what it calls is shared with the
    // inline host and measured there.
    'dist/actors/peer-link/worker.js',
    'dist/actors/runtime/host/worker/worker-entry.js',
  ],
  thresholds: {
    [`{${SECURITY_SOURCES.join(',')}}`]: { lines: 90 },
    // The post-quantum session code on its own (issue 5).
    'lib/crypto/**': { lines: 90 },
    'actors/peer-link/pq-session.ts': { lines: 90 },
    // Issue 12: the runtime at 80% (supervision, bus, mailboxes, exactly-once, hosts, operations);
    // the store, the domain libraries and the statecharts at 90%; the command line at 80%. The CLI's
    // process code (main.ts: argv and exit codes; run-node.ts: signals, process.exit) runs only in a
    // node process, proved by test/e2e/ and test/cli/identity-command.test.ts: it stays in the
    // measure, uncovered, and the commands it dispatches are tested in-process to clear the floor.
    'actors/runtime/**': { lines: 80 },
    'store/**': { lines: 90 },
    'lib/**': { lines: 90 },
    'machines/**': { lines: 90 },
    'cli/**': { lines: 80 },
  },
};
