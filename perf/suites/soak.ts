/**
 * The soak suite (issue 13, "Must show"): a node process under every attack of issue 13 at once for
 * 10 minutes (quick: 1) while a legitimate peer's stream crosses it (fixtures/soak-run.ts). Its
 * figures (fixtures/soak-figures.ts): the node's RSS and descriptors against ceilings set in the
 * same run from its idle readings and the caps, the legitimate stream's losses, the node's
 * restarts, and what each attack did, as the attackers and the node counted it.
 */
import { loadavg } from 'node:os';
import { progress, round } from '../stats.js';
import { soakFigures, SUITE, type SoakConfig } from '../fixtures/soak-figures.js';
import { runSoak } from '../fixtures/soak-run.js';
import type { Suite } from './suite.js';

/** The node's probe sends M this many messages a second (in batches every 10 ms): M's send window (65,536) is full within seconds. */
const NEVER_ACKED_PER_SECOND = 5_000;
const NEVER_ACKED_INTERVAL_MS = 10;

function config(attackMs: number, idleMs: number, afterMs: number): SoakConfig {
  return {
    attackMs,
    idleMs,
    afterMs,
    // Issue 13's legitimate link "carrying traffic": a steady 200 messages a second.
    legitimatePerSecond: 200,
    // One attack step every 2 s, in rotation, each kind every 6 s: at most 100 of each in 10 minutes (a
    // step that costs M its connection waits for M to get back in, through a listener kept at its cap).
    attackStepMs: 2_000,
    neverAcked: {
      intervalMs: NEVER_ACKED_INTERVAL_MS,
      batch: (NEVER_ACKED_PER_SECOND * NEVER_ACKED_INTERVAL_MS) / 1000,
      // Enough for the whole attack at the nominal rate; the probe stops sending after.
      count: (NEVER_ACKED_PER_SECOND * attackMs) / 1000,
    },
  };
}

/** Issue 13: a 10-minute soak. Idle: 30 s of readings (quick: 10) after 10 s of settling (quick: 5); 30 s after the attack (quick: 10). */
const FULL = { config: config(600_000, 30_000, 30_000), settleMs: 10_000 };
const QUICK = { config: config(60_000, 10_000, 10_000), settleMs: 5_000 };

export const soakSuite: Suite = {
  name: SUITE,
  description: 'Security soak: a node under every attack of issue 13 at once for 10 minutes, a legitimate stream across it',
  async run({ quick, sink }) {
    const { config, settleMs } = quick ? QUICK : FULL;
    const run = await runSoak({ ...config, settleMs, onProgress: progress });
    for (const value of soakFigures(run, config)) sink.emit({ ...value, load1: round(loadavg()[0] ?? 0) });
  },
};
