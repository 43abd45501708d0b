/**
 * The monitor actor: the monitor machine with the knowledge base's sample store as its port.
 * Runs in its own worker thread with its own store connection.
 */
import { createMonitorMachine } from '../../machines/monitor.js';
import { createSampleStore } from '../../store/samples.js';
import { z } from 'zod';
import { actorOption, parseActorOptions } from '../runtime/actor-kit/actor-options.js';
import { defineStoreActor } from '../runtime/actor-kit/store-actor.js';

const monitorOptionsSchema = z.object({
  rawRetentionMs: actorOption.positiveInt().optional(),
  rollupRetentionMs: actorOption.positiveInt().optional(),
  retentionEveryMs: actorOption.positiveInt().optional(),
});

export default defineStoreActor((db, io) => {
  const { rawRetentionMs, rollupRetentionMs, retentionEveryMs } = parseActorOptions(monitorOptionsSchema, io.options);
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
