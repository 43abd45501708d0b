import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { InvalidSampleError } from '../../store/knowledge-base-errors.js';
import { openStore } from '../../store/open-store.js';
import type { Sample } from '../../store/samples.js';
import { RAW_SAMPLE_RETENTION_MS, ROLLUP_MINUTE_MS, ROLLUP_RETENTION_MS, createSampleStore } from '../../store/samples.js';
import { useStoreFile } from './fixtures/store-file.js';

const storeFile = useStoreFile();

const MINUTE = ROLLUP_MINUTE_MS;
/** A minute-aligned start far from 0, so flooring is exercised on realistic epochs. */
const T0 = 1_700_000_040_000;

function count(db: Database, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/**
 * Samples of two series over three minutes. Values are multiples of 1/4, so every partial sum is
 * exact in binary floating point and merged sums can be compared with toEqual.
 */
function series(): Sample[] {
  const samples: Sample[] = [];
  for (let i = 0; i < 36; i++) {
    const at = T0 + i * 5_000; // every 5 s from T0: 12 per minute, minutes T0, T0+1m, T0+2m
    samples.push({ at, source: 'process', metric: 'cpu', value: ((i * 7) % 11) / 4 });
    samples.push({ at, source: 'monitor', metric: 'cpu', value: -i / 4 });
  }
  return samples;
}

describe('createSampleStore', () => {
  let db: Database | undefined;

  function open(): Database {
    db = storeFile.open();
    return db;
  }

  it('keeps raw samples 24 h and rollups 30 days by default', () => {
    expect(RAW_SAMPLE_RETENTION_MS).toBe(86_400_000);
    expect(ROLLUP_RETENTION_MS).toBe(2_592_000_000);
    expect(MINUTE).toBe(60_000);
  });

  it('writes a batch and reads one series back by half-open window, oldest first', () => {
    const store = createSampleStore(open());
    store.insertBatch([
      { at: T0 + 20, source: 'process', metric: 'rss', value: 3 },
      { at: T0 + 10, source: 'process', metric: 'rss', value: 2.5 },
      { at: T0 + 10, source: 'monitor', metric: 'rss', value: 99 },
      { at: T0 + 30, source: 'process', metric: 'heap', value: 7 },
      { at: T0 + 40, source: 'process', metric: 'rss', value: -1 },
    ]);
    store.insertBatch([]);
    expect(store.window('rss', 'process', T0, T0 + 40)).toEqual([
      { at: T0 + 10, value: 2.5 },
      { at: T0 + 20, value: 3 },
    ]);
    expect(store.window('rss', 'process', T0 + 11, T0 + 41)).toEqual([
      { at: T0 + 20, value: 3 },
      { at: T0 + 40, value: -1 },
    ]);
    expect(store.window('rss', 'nobody', 0, T0 * 2)).toEqual([]);
    // The largest of each source within the half-open window, for one metric only.
    expect(store.maxBySource('rss', T0, T0 + 40)).toEqual(new Map([['monitor', 99], ['process', 3]]));
    expect(store.maxBySource('rss', T0 + 11, T0 + 41)).toEqual(new Map([['process', 3]]));
    expect(store.maxBySource('heap', T0, T0 + 30)).toEqual(new Map());
  });

  const badSamples: Array<[string, Partial<Sample>, RegExp]> = [
    ['NaN', { value: Number.NaN }, /value NaN is not a finite number/],
    ['Infinity', { value: Number.POSITIVE_INFINITY }, /value Infinity/],
    ['-Infinity', { value: Number.NEGATIVE_INFINITY }, /value -Infinity/],
    ['a fractional time', { at: T0 + 0.5 }, /time .* is not a non-negative integer/],
    ['a negative time', { at: -1 }, /time -1/],
    ['an empty metric', { metric: '' }, /metric must be a non-empty string/],
  ];
  for (const [what, patch, message] of badSamples) {
    it(`refuses a whole batch holding ${what}, naming the metric, writing nothing`, () => {
      const db = open();
      const store = createSampleStore(db);
      store.insertBatch([{ at: T0, source: 'process', metric: 'cpu', value: 1 }]);
      const batch: Sample[] = [
        { at: T0 + 1, source: 'process', metric: 'cpu', value: 2 },
        { at: T0 + 2, source: 'process', metric: 'rss', value: 3 },
        { at: T0 + 3, source: 'monitor', metric: 'loop-delay', value: 4, ...patch },
      ];
      let error: unknown;
      try {
        store.insertBatch(batch);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidSampleError);
      expect(error).toMatchObject({ name: 'InvalidSampleError', file: db.name, source: 'monitor', index: 2 });
      expect((error as Error).message).toMatch(message);
      if (patch.metric === undefined) expect((error as InvalidSampleError).metric).toBe('loop-delay');
      expect(count(db, 'samples')).toBe(1);
    });
  }

  it('leaves nothing of a batch that SQLite itself refuses part-way', () => {
    const db = open();
    const store = createSampleStore(db);
    // A trigger stands in for any failure inside the transaction after rows were already inserted.
    db.exec(`CREATE TEMP TRIGGER refuse_third BEFORE INSERT ON samples WHEN NEW.value = 3
               BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    expect(() =>
      store.insertBatch([1, 2, 3, 4].map((value) => ({ at: T0 + value, source: 'process', metric: 'cpu', value }))),
    ).toThrow(/refused/);
    expect(count(db, 'samples')).toBe(0);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls up per minute and series, then deletes the raw samples it folded', () => {
    const db = open();
    const store = createSampleStore(db);
    store.insertBatch(series());
    expect(store.rollUp(T0 + 2 * MINUTE)).toBe(48);
    expect(count(db, 'samples')).toBe(24);
    expect(store.window('cpu', 'process', 0, T0 + 2 * MINUTE)).toEqual([]);
    expect(store.window('cpu', 'process', 0, T0 * 2)).toHaveLength(12);

    // process cpu, minute 0: i = 0..11, values (7i mod 11) / 4 = 0,7,3,10,6,2,9,5,1,8,4,0 quarters.
    // monitor cpu, minute 1: i = 12..23, values -i/4, sum -(12+...+23)/4 = -210/4.
    expect(store.rollupWindow('cpu', 'process', T0, T0 + MINUTE)).toEqual([
      { minute: T0, count: 12, sum: 55 / 4, min: 0, max: 10 / 4 },
    ]);
    expect(store.rollupWindow('cpu', 'monitor', T0, T0 + 3 * MINUTE)).toEqual([
      { minute: T0, count: 12, sum: -66 / 4, min: -11 / 4, max: 0 },
      { minute: T0 + MINUTE, count: 12, sum: -210 / 4, min: -23 / 4, max: -12 / 4 },
    ]);
    expect(store.rollUp(T0 + 2 * MINUTE)).toBe(0);
  });

  it('gives the same rollups from several calls splitting minutes as from one call', () => {
    const once = createSampleStore(open());
    once.insertBatch(series());
    expect(once.rollUp(T0 + 3 * MINUTE)).toBe(72);
    const expected = ['process', 'monitor'].map((source) => once.rollupWindow('cpu', source, 0, T0 * 2));
    db?.close();

    db = openStore(join(storeFile.dir(), 'other.db'));
    const split = createSampleStore(db);
    split.insertBatch(series());
    // Cut-offs inside minutes, so minutes 0 and 1 are each folded in two parts and merged.
    expect(split.rollUp(T0 + 17_000)).toBe(8);
    expect(split.rollUp(T0 + MINUTE + 31_000)).toBe(30);
    expect(split.rollUp(T0 + 3 * MINUTE)).toBe(34);
    expect(['process', 'monitor'].map((source) => split.rollupWindow('cpu', source, 0, T0 * 2))).toEqual(expected);
    expect(expected[0]).toHaveLength(3);
  });

  it('merges samples arriving late for a minute already rolled up', () => {
    const store = createSampleStore(open());
    store.insertBatch([
      { at: T0 + 1_000, source: 'process', metric: 'rss', value: 4 },
      { at: T0 + 2_000, source: 'process', metric: 'rss', value: 12 },
    ]);
    store.rollUp(T0 + MINUTE);
    // Neither extreme is in the late part, so min and max must come from the stored row.
    store.insertBatch([
      { at: T0 + 59_999, source: 'process', metric: 'rss', value: 10 },
      { at: T0 + 500, source: 'process', metric: 'rss', value: 5 },
    ]);
    expect(store.rollUp(T0 + MINUTE)).toBe(2);
    expect(store.rollupWindow('rss', 'process', 0, T0 * 2)).toEqual([{ minute: T0, count: 4, sum: 31, min: 4, max: 12 }]);
  });

  it('prunes rollups whose minute starts before the cut-off', () => {
    const db = open();
    const store = createSampleStore(db);
    store.insertBatch(series());
    store.rollUp(T0 + 3 * MINUTE);
    expect(count(db, 'rollups')).toBe(6);
    expect(store.pruneRollups(T0 + MINUTE)).toBe(2);
    expect(store.pruneRollups(T0 + MINUTE)).toBe(0);
    expect(store.rollupWindow('cpu', 'process', 0, T0 * 2).map((r) => r.minute)).toEqual([T0 + MINUTE, T0 + 2 * MINUTE]);
  });

  it('applyRetention keeps exactly the last 24 h raw and the last 30 days of rollups', () => {
    const db = open();
    const store = createSampleStore(db);
    const now = T0 + 40 * 24 * 60 * MINUTE;
    const rawCut = now - RAW_SAMPLE_RETENTION_MS;
    const rollupCut = now - ROLLUP_RETENTION_MS;
    const at = (t: number): Sample => ({ at: t, source: 'process', metric: 'cpu', value: 1 });
    store.insertBatch([at(rollupCut - MINUTE), at(rollupCut), at(rawCut - 1), at(rawCut), at(now)]);

    expect(store.applyRetention(now)).toEqual({ rolledUp: 3, prunedRollups: 1 });
    expect(store.window('cpu', 'process', 0, now + 1).map((p) => p.at)).toEqual([rawCut, now]);
    expect(store.rollupWindow('cpu', 'process', 0, now + 1).map((r) => r.minute)).toEqual([
      rollupCut,
      Math.floor((rawCut - 1) / MINUTE) * MINUTE,
    ]);
    expect(store.applyRetention(now)).toEqual({ rolledUp: 0, prunedRollups: 0 });
  });

  it('honours configured retentions and refuses non-positive ones', () => {
    const store = createSampleStore(open(), { rawRetentionMs: MINUTE, rollupRetentionMs: 2 * MINUTE });
    store.insertBatch([0, 1, 2, 3].map((m) => ({ at: T0 + m * MINUTE, source: 'process', metric: 'cpu', value: m })));
    expect(store.applyRetention(T0 + 3 * MINUTE)).toEqual({ rolledUp: 2, prunedRollups: 1 });
    expect(store.rollupWindow('cpu', 'process', 0, T0 * 2).map((r) => r.minute)).toEqual([T0 + MINUTE]);
    expect(() => createSampleStore(db!, { rawRetentionMs: 0 })).toThrow(RangeError);
    expect(() => createSampleStore(db!, { rollupRetentionMs: 1.5 })).toThrow(RangeError);
  });
});
