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
import { startHealingNode, type HealingNode } from '../self-healing/healing-node.js';

describe('monitor', () => {
  let healing: HealingNode | undefined;
  afterEach(async () => {
    await healing?.cleanup();
    healing = undefined;
  });

  it('samples every 100 ms, stores each sample in one write, and keeps raw samples only for the retention', async () => {
    const rawRetentionMs = 1_000;
    healing = await startHealingNode({
      config: { mape: { intervalMs: 100, retention: { rawMs: rawRetentionMs, rollupMs: 3_600_000 } } },
      monitor: { retentionEveryMs: 300 },
    });
    const db = openStore(join(healing.dataDir, DATABASE_FILE_NAME));
    try {
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      // Several retention passes: rollups appear, and nothing older than the retention (plus one pass) stays raw.
      await waitFor(() => (count('SELECT count(*) AS n FROM rollups') > 0 ? true : undefined), 10_000, 'rollups');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const oldest = (db.prepare('SELECT min(at) AS at FROM samples').get() as { at: number }).at;
      expect(Date.now() - oldest).toBeLessThan(rawRetentionMs + 300 + 500);
      // Samples keep arriving at about ten a second: the raw table holds about the retention's worth.
      const distinctTimes = count('SELECT count(DISTINCT at) AS n FROM samples');
      expect(distinctTimes).toBeGreaterThanOrEqual(5);
      expect(distinctTimes).toBeLessThanOrEqual(25);
      const rolledUp = count("SELECT coalesce(sum(count), 0) AS n FROM rollups WHERE metric = 'actor.mailbox_depth' AND source = 'workload'");
      expect(rolledUp).toBeGreaterThan(5);
    } finally {
      db.close();
    }
  });
});
