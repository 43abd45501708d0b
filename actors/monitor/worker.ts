/**
 * The monitor actor: the monitor machine with the knowledge base's sample store as its port.
 * Runs in its own worker thread with its own store connection.
 */
import { createMonitorMachine } from '../../machines/monitor.js';
import { createSampleStore } from '../../store/samples.js';
import { optionalPositiveInt } from '../runtime/actor-kit/actor-options.js';
import { defineStoreActor } from '../runtime/actor-kit/store-actor.js';

export default defineStoreActor((db, io) => {
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
});
