/**
 * The monitor actor: the monitor machine with the knowledge base's sample store as its port.
 * Runs in its own worker thread with its own store connection.
 */
import type { Database } from 'better-sqlite3';
import { defineActor } from '../runtime/actor.js';
import { createMonitorMachine } from '../../machines/monitor.js';
import { openStore } from '../../store/open-store.js';
import { createSampleStore } from '../../store/samples.js';
import { optionalPositiveInt } from '../runtime/actor-options.js';

let db: Database | undefined;

export default defineActor({
  createMachine(io) {
    db = openStore(io.databasePath);
    const rawRetentionMs = optionalPositiveInt(io.options, 'rawRetentionMs');
    const rollupRetentionMs = optionalPositiveInt(io.options, 'rollupRetentionMs');
    const retentionEveryMs = optionalPositiveInt(io.options, 'retentionEveryMs');
    const samples = createSampleStore(db, {
      ...(rawRetentionMs !== undefined ? { rawRetentionMs } : {}),
      ...(rollupRetentionMs !== undefined ? { rollupRetentionMs } : {}),
    });
    return createMonitorMachine(
      {
        writeSamples: (at, points) => samples.insertBatch(points.map((point) => ({ at, source: point.source, metric: point.metric, value: point.value }))),
        applyRetention: (now) => samples.applyRetention(now),
      },
      retentionEveryMs !== undefined ? { retentionEveryMs } : {},
    );
  },
  dispose() {
    db?.close();
    db = undefined;
  },
});
