/**
 * The monitor's measurements: raw samples written in batches, rolled up into per-minute aggregates
 * as they age, and both pruned so the store's size stays bounded however long the node runs.
 */
import type { Database } from 'better-sqlite3';
import { InvalidSampleError } from './knowledge-base-errors.js';

/**
 * How long raw samples are kept. Detectors look back minutes, and an operator investigating an
 * incident looks back hours; a day covers "what happened overnight" at full resolution. At the 1 s
 * default interval with a few dozen series that is a few million rows, well within SQLite's comfort.
 */
export const RAW_SAMPLE_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * How long per-minute rollups are kept. A month shows weekly patterns and slow leaks at 1/60 of
 * the raw rows, which is what baselines and trend checks need once the detail is gone.
 */
export const ROLLUP_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Rollups aggregate per minute: the resolution of the 30-day history. */
export const ROLLUP_MINUTE_MS = 60_000;

export interface Sample {
  /** ms since the Unix epoch, a non-negative integer. */
  at: number;
  /** The actor id, or 'process' for the node as a whole. */
  source: string;
  metric: string;
  /** Must be finite. */
  value: number;
}

export interface SamplePoint {
  at: number;
  value: number;
}

export interface Rollup {
  /** Start of the minute, ms since the Unix epoch. */
  minute: number;
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface RetentionResult {
  /** Raw samples folded into rollups and deleted. */
  rolledUp: number;
  /** Rollup rows deleted. */
  prunedRollups: number;
}

export interface SampleStore {
  /** Writes every sample in one transaction, or none: throws InvalidSampleError for a malformed one. */
  insertBatch(samples: readonly Sample[]): void;
  /**
   * Folds raw samples with `at < beforeMs` into their minutes' rollups (merging count, sum, min and
   * max with rows already there) and deletes them, in one transaction. Returns how many it folded.
   */
  rollUp(beforeMs: number): number;
  /** Deletes rollups whose minute starts before `beforeMs`; returns how many. */
  pruneRollups(beforeMs: number): number;
  /** Raw samples of one series with fromMs <= at < toMs, oldest first. */
  window(metric: string, source: string, fromMs: number, toMs: number): SamplePoint[];
  /** The largest raw sample of one metric per source with fromMs <= at < toMs. */
  maxBySource(metric: string, fromMs: number, toMs: number): Map<string, number>;
  /** Rollups of one series whose minute starts in [fromMs, toMs), oldest first. */
  rollupWindow(metric: string, source: string, fromMs: number, toMs: number): Rollup[];
  /** Rolls up raw samples older than the raw retention and prunes rollups older than theirs. */
  applyRetention(now: number): RetentionResult;
}

export interface SampleStoreInit {
  /** Default RAW_SAMPLE_RETENTION_MS. */
  rawRetentionMs?: number;
  /** Default ROLLUP_RETENTION_MS. */
  rollupRetentionMs?: number;
}

/** `db` must have been opened by openStore (its migrations create the tables). */
export function createSampleStore(db: Database, init: SampleStoreInit = {}): SampleStore {
  const rawRetentionMs = positiveInteger('rawRetentionMs', init.rawRetentionMs ?? RAW_SAMPLE_RETENTION_MS);
  const rollupRetentionMs = positiveInteger('rollupRetentionMs', init.rollupRetentionMs ?? ROLLUP_RETENTION_MS);

  const insert = db.prepare<[number, string, string, number]>(
    'INSERT INTO samples (at, source, metric, value) VALUES (?, ?, ?, ?)',
  );
  const writeBatch = db.transaction((samples: readonly Sample[]) => {
    for (const sample of samples) insert.run(sample.at, sample.source, sample.metric, sample.value);
  });
  // `WHERE at < ?` before GROUP BY also settles SQLite's parsing ambiguity between an upsert's
  // ON CONFLICT and a join's ON. min/max are the two-argument scalar functions here.
  const mergeIntoRollups = db.prepare<[number]>(
    `INSERT INTO rollups (metric, source, minute, count, sum, min, max)
       SELECT metric, source, (at / ${ROLLUP_MINUTE_MS}) * ${ROLLUP_MINUTE_MS} AS minute,
              count(*), sum(value), min(value), max(value)
         FROM samples WHERE at < ? GROUP BY metric, source, minute
       ON CONFLICT (metric, source, minute) DO UPDATE SET
         count = rollups.count + excluded.count,
         sum = rollups.sum + excluded.sum,
         min = min(rollups.min, excluded.min),
         max = max(rollups.max, excluded.max)`,
  );
  const deleteRaw = db.prepare<[number]>('DELETE FROM samples WHERE at < ?');
  const rollUpTx = db.transaction((beforeMs: number): number => {
    mergeIntoRollups.run(beforeMs);
    return deleteRaw.run(beforeMs).changes;
  });
  const deleteRollups = db.prepare<[number]>('DELETE FROM rollups WHERE minute < ?');
  const selectWindow = db.prepare<[string, string, number, number], SamplePoint>(
    `SELECT at, value FROM samples WHERE metric = ? AND source = ? AND at >= ? AND at < ? ORDER BY at, id`,
  );
  const selectMaxBySource = db.prepare<[string, number, number], { source: string; max: number }>(
    'SELECT source, MAX(value) AS max FROM samples WHERE metric = ? AND at >= ? AND at < ? GROUP BY source ORDER BY source',
  );
  const selectRollups = db.prepare<[string, string, number, number], Rollup>(
    `SELECT minute, count, sum, min, max FROM rollups
       WHERE metric = ? AND source = ? AND minute >= ? AND minute < ? ORDER BY minute`,
  );
  const retentionTx = db.transaction((now: number): RetentionResult => {
    const rolledUp = rollUpTx(now - rawRetentionMs);
    return { rolledUp, prunedRollups: deleteRollups.run(now - rollupRetentionMs).changes };
  });

  return {
    insertBatch(samples) {
      // Checked before the transaction, so a bad sample costs no write lock; the transaction still
      // makes the batch all-or-nothing for anything SQLite itself refuses.
      samples.forEach((sample, index) => {
        const problem = sampleProblem(sample);
        if (problem !== undefined) {
          throw new InvalidSampleError(db.name, String(sample.metric), String(sample.source), index, problem);
        }
      });
      if (samples.length > 0) writeBatch(samples);
    },
    rollUp(beforeMs) {
      return rollUpTx(beforeMs);
    },
    pruneRollups(beforeMs) {
      return deleteRollups.run(beforeMs).changes;
    },
    window(metric, source, fromMs, toMs) {
      return selectWindow.all(metric, source, fromMs, toMs);
    },
    maxBySource(metric, fromMs, toMs) {
      return new Map(selectMaxBySource.all(metric, fromMs, toMs).map((row) => [row.source, row.max]));
    },
    rollupWindow(metric, source, fromMs, toMs) {
      return selectRollups.all(metric, source, fromMs, toMs);
    },
    applyRetention(now) {
      return retentionTx(now);
    },
  };
}

function sampleProblem(sample: Sample): string | undefined {
  if (typeof sample.value !== 'number' || !Number.isFinite(sample.value)) {
    return `value ${String(sample.value)} is not a finite number`;
  }
  if (!Number.isSafeInteger(sample.at) || sample.at < 0) {
    return `time ${String(sample.at)} is not a non-negative integer ms`;
  }
  if (typeof sample.metric !== 'string' || sample.metric === '') return 'metric must be a non-empty string';
  if (typeof sample.source !== 'string' || sample.source === '') return 'source must be a non-empty string';
  return undefined;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
