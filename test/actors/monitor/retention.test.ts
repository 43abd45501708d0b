/**
 * The monitor at the shortest interval (100 ms), with retention shortened so it can be watched:
 * raw samples older than the retention are folded into per-minute rollups and deleted, so the
 * number of raw rows stays bounded however long the node runs.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE_NAME } from '../../../actors/runtime/node.js';
import { openStore } from '../../../store/open-store.js';
import { waitFor } from '../../helpers/test-node.js';
import { until } from '../../helpers/wait.js';
import { startHealingNode, type HealingNode } from '../self-healing/healing-node.js';

describe('monitor', () => {
  let healing: HealingNode | undefined;
  afterEach(async () => {
    await healing?.cleanup();
    healing = undefined;
  });

  it('samples every 100 ms, stores each sample in one write, and keeps raw samples only for the retention', async () => {
    const rawRetentionMs = 1_000;
    const retentionEveryMs = 300;
    healing = await startHealingNode({
      config: { mape: { intervalMs: 100, retention: { rawMs: rawRetentionMs, rollupMs: 3_600_000 } } },
      monitor: { retentionEveryMs },
    });
    const db = openStore(join(healing.dataDir, DATABASE_FILE_NAME));
    try {
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      // The raw table's distinct sample times, newest first, in one read (one consistent snapshot).
      const rawTimes = () => (db.prepare('SELECT DISTINCT at FROM samples ORDER BY at DESC').all() as { at: number }[]).map((row) => row.at);
      /**
       * Retention runs on the first sample at least `retentionEveryMs` after the last pass and drops
       * what is older than `rawRetentionMs` before that sample. So once a sample is handled, the last
       * pass is less than `retentionEveryMs` before it, and nothing older than the retention plus one
       * pass before it stays raw. The newest sample may be written and not yet handled, so the bound
       * is taken from the one before it. Sample times, not the test's clock: it holds on any load.
       */
      const checkBounded = (times: number[]) => {
        if (times.length < 2) return;
        expect(times.at(-1)!).toBeGreaterThanOrEqual(times[1]! - retentionEveryMs - rawRetentionMs);
      };
      await waitFor(() => (count('SELECT count(*) AS n FROM rollups') > 0 ? true : undefined), 10_000, 'rollups');
      // Several retention passes: the oldest raw sample seen now is folded and deleted, rollups grow,
      // and the raw table keeps at least half a retention's worth of samples; checked at every read.
      const oldestAtFirstRollup = rawTimes().at(-1)!;
      await until('the oldest raw sample deleted, several rolled up, and the retention still holding five samples', () => {
        const times = rawTimes();
        checkBounded(times);
        const rolledUp = count("SELECT coalesce(sum(count), 0) AS n FROM rollups WHERE metric = 'actor.mailbox_depth' AND source = 'workload'");
        return times.at(-1)! > oldestAtFirstRollup && rolledUp > 5 && times.length >= 5;
      });
      // Samples keep arriving at about ten a second and the bound holds: the raw table holds about the retention's worth.
      const times = rawTimes();
      checkBounded(times);
      expect(times.length).toBeGreaterThanOrEqual(5);
    } finally {
      db.close();
    }
  });
});
