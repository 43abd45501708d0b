import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { IncidentStore } from '../../store/incidents.js';
import { createIncidentStore } from '../../store/incidents.js';
import { IncidentOrderError, UnknownIncidentError } from '../../store/knowledge-base-errors.js';
import { openStore } from '../../store/open-store.js';
import { useStoreFile } from './fixtures/store-file.js';
import { thrownBy } from './fixtures/thrown-by.js';

const storeFile = useStoreFile();


describe('createIncidentStore', () => {
  let db: Database | undefined;

  function open(): IncidentStore {
    db = storeFile.open();
    return createIncidentStore(db);
  }

  it('opens an incident and stamps each phase, with the fields the phase brings', () => {
    const store = open();
    const id = store.open({ faultStartedAt: 900, detectedAt: 1_000, detail: { anomalies: [1, 2] } });
    expect(store.get(id)).toEqual({
      id,
      causeKind: null,
      target: null,
      status: 'detected',
      confidence: null,
      faultStartedAt: 900,
      detectedAt: 1_000,
      diagnosedAt: null,
      plannedAt: null,
      executedAt: null,
      recoveredAt: null,
      heldAt: null,
      failedAt: null,
      detail: { anomalies: [1, 2] },
    });

    store.mark(id, 'diagnosed', 1_100, { causeKind: 'crash-loop', target: 'monitor', confidence: 0.875 });
    store.mark(id, 'planned', 1_200);
    store.mark(id, 'held', 1_250);
    expect(store.get(id)).toMatchObject({ status: 'held', plannedAt: 1_200, executedAt: null });
    store.mark(id, 'executing', 1_300, { detail: { action: 'restart-actor' } });
    store.mark(id, 'recovered', 1_800);
    expect(store.get(id)).toEqual({
      id,
      causeKind: 'crash-loop',
      target: 'monitor',
      status: 'recovered',
      confidence: 0.875,
      faultStartedAt: 900,
      detectedAt: 1_000,
      diagnosedAt: 1_100,
      plannedAt: 1_200,
      executedAt: 1_300,
      recoveredAt: 1_800,
      heldAt: 1_250,
      failedAt: null,
      detail: { action: 'restart-actor' },
    });
  });

  it('lets phases be skipped, and a phase marked again move forward', () => {
    const store = open();
    const skipped = store.open({ detectedAt: 10 });
    store.mark(skipped, 'recovered', 15);
    expect(store.get(skipped)).toMatchObject({ status: 'recovered', diagnosedAt: null, recoveredAt: 15 });

    const retried = store.open({ detectedAt: 20, causeKind: 'hung-actor', target: 'planner' });
    store.mark(retried, 'executing', 25);
    store.mark(retried, 'executing', 30);
    expect(store.get(retried)).toMatchObject({ status: 'executing', executedAt: 30, causeKind: 'hung-actor', target: 'planner' });
  });

  const refusals: Array<[string, (store: IncidentStore, id: number) => void, RegExp]> = [
    ['a time earlier than the previous phase', (s, id) => s.mark(id, 'planned', 1_099), /earlier than 'diagnosed' at 1100/],
    ['a time earlier than detection', (s, id) => s.mark(id, 'recovered', 999), /earlier than 'diagnosed' at 1100/],
    ["'held' earlier than the previous phase", (s, id) => s.mark(id, 'held', 1_050), /earlier than 'diagnosed'/],
    [
      'a phase before one already recorded',
      (s, id) => {
        s.mark(id, 'executing', 1_200);
        s.mark(id, 'diagnosed', 1_300);
      },
      /'executing' is already recorded, at 1200/,
    ],
    [
      'any phase once recovered',
      (s, id) => {
        s.mark(id, 'recovered', 1_200);
        s.mark(id, 'executing', 1_300);
      },
      /closed \('recovered'\)/,
    ],
    [
      'any phase once failed',
      (s, id) => {
        s.mark(id, 'failed', 1_200);
        s.mark(id, 'recovered', 1_300);
      },
      /closed \('failed'\)/,
    ],
  ];
  for (const [what, act, message] of refusals) {
    it(`refuses ${what} with IncidentOrderError, changing nothing`, () => {
      const store = open();
      const id = store.open({ detectedAt: 1_000 });
      store.mark(id, 'diagnosed', 1_100, { causeKind: 'cpu-hog' });
      let before = store.get(id);
      const error = thrownBy(() =>
        act(
          {
            ...store,
            mark: (...args) => {
              store.mark(...args);
              before = store.get(id);
            },
          },
          id,
        ),
      );
      expect(error).toBeInstanceOf(IncidentOrderError);
      expect(error).toMatchObject({ name: 'IncidentOrderError', file: db!.name, incidentId: id });
      expect((error as Error).message).toMatch(message);
      expect(store.get(id)).toEqual(before);
    });
  }

  it('refuses an unknown incident with UnknownIncidentError and get returns undefined', () => {
    const store = open();
    const error = thrownBy(() => store.mark(42, 'diagnosed', 1));
    expect(error).toBeInstanceOf(UnknownIncidentError);
    expect(error).toMatchObject({ name: 'UnknownIncidentError', incidentId: 42, file: db!.name });
    expect(store.get(42)).toBeUndefined();
  });

  it('refuses malformed input before writing', () => {
    const store = open();
    expect(() => store.open({ faultStartedAt: 11, detectedAt: 10 })).toThrow(/cannot be detected before it starts/);
    expect(() => store.open({ detectedAt: 1.5 })).toThrow(RangeError);
    expect(() => store.open({ detectedAt: 1, detail: () => 1 })).toThrow(TypeError);
    const id = store.open({ detectedAt: 10 });
    expect(() => store.mark(id, 'diagnosed', 11, { confidence: 1.01 })).toThrow(RangeError);
    expect(() => store.mark(id, 'diagnosed', Number.NaN)).toThrow(RangeError);
    expect(store.list()).toHaveLength(1);
    expect(store.get(id)?.status).toBe('detected');
  });

  it('lists incidents detected since a time, oldest first', () => {
    const store = open();
    const ids = [30, 10, 20, 20].map((detectedAt) => store.open({ detectedAt }));
    expect(store.list().map((i) => i.id)).toEqual([ids[1], ids[2], ids[3], ids[0]]);
    expect(store.list({ sinceMs: 20 }).map((i) => i.detectedAt)).toEqual([20, 20, 30]);
    expect(store.list({ sinceMs: 31 })).toEqual([]);
  });

  it('computes MTTD and MTTR per cause with nearest-rank median and p99 (hand-computed)', () => {
    const store = open();
    const incident = (
      causeKind: string | undefined,
      faultStartedAt: number | undefined,
      detectedAt: number,
      end?: ['recovered' | 'failed', number],
    ): void => {
      const id = store.open({ detectedAt, ...(faultStartedAt === undefined ? {} : { faultStartedAt }) });
      if (causeKind !== undefined) store.mark(id, 'diagnosed', detectedAt, { causeKind });
      if (end !== undefined) store.mark(id, end[0], end[1]);
    };
    // crash-loop: MTTD 400, 100, 900; MTTR 2000, 4100, and 700 from detection (fault start unknown).
    incident('crash-loop', 1_000, 1_400, ['recovered', 3_000]);
    incident('crash-loop', 2_000, 2_100, ['recovered', 6_100]);
    incident('crash-loop', 5_000, 5_900, ['failed', 7_000]);
    incident('crash-loop', undefined, 10_000, ['recovered', 10_700]);
    // mailbox-flood: MTTD 250, 200; MTTR 1250, 800.
    incident('mailbox-flood', 0, 250, ['recovered', 1_250]);
    incident('mailbox-flood', 100, 300, ['recovered', 900]);
    // never diagnosed, still open
    incident(undefined, undefined, 50);

    expect(store.timings()).toEqual([
      {
        causeKind: 'crash-loop',
        n: 4,
        // sorted 100, 400, 900: median rank ceil(1.5) = 2, p99 rank ceil(2.97) = 3
        mttdMs: { n: 3, median: 400, p99: 900 },
        // sorted 700, 2000, 4100
        mttrMs: { n: 3, median: 2_000, p99: 4_100 },
      },
      {
        causeKind: 'mailbox-flood',
        n: 2,
        // sorted 200, 250: median rank ceil(1) = 1, p99 rank ceil(1.98) = 2
        mttdMs: { n: 2, median: 200, p99: 250 },
        mttrMs: { n: 2, median: 800, p99: 1_250 },
      },
      { causeKind: null, n: 1, mttdMs: { n: 0, median: null, p99: null }, mttrMs: { n: 0, median: null, p99: null } },
    ]);
  });

  it('keeps incidents across reopening the file', () => {
    const store = open();
    const id = store.open({ detectedAt: 5, causeKind: 'memory-leak' });
    const file = db!.name;
    db!.close();
    db = openStore(file);
    expect(createIncidentStore(db).get(id)).toMatchObject({ causeKind: 'memory-leak', status: 'detected' });
  });
});
