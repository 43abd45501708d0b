import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AnomalyStore, RecordAnomaly } from '../../store/anomalies.js';
import { createAnomalyStore } from '../../store/anomalies.js';
import { createIncidentStore } from '../../store/incidents.js';
import { InvalidAnomalyError, UnknownAnomalyError, UnknownIncidentError } from '../../store/knowledge-base-errors.js';
import { useStoreFile } from './fixtures/store-file.js';
import { thrownBy } from './fixtures/thrown-by.js';

const storeFile = useStoreFile();

const FINDING: RecordAnomaly = { detectedAt: 100, detector: 'ewma-z', source: 'monitor', metrics: ['restarts'], severity: 0.5 };

describe('createAnomalyStore', () => {
  let db: Database | undefined;

  function open(): { store: AnomalyStore; incident(): number; count(): number } {
    db = storeFile.open();
    const incidents = createIncidentStore(db);
    const handle = db;
    return {
      store: createAnomalyStore(db),
      incident: () => incidents.open({ detectedAt: 1 }),
      count: () => (handle.prepare('SELECT count(*) AS n FROM anomalies').get() as { n: number }).n,
    };
  }

  it('records an anomaly and lists it back with its metrics and detail parsed', () => {
    const { store, incident } = open();
    const incidentId = incident();
    const id = store.record({ ...FINDING, metrics: ['restarts', 'mailbox'], severity: 1, detail: { z: 4.2 }, incidentId });
    const bare = store.record({ ...FINDING, detectedAt: 200, severity: 0 });
    expect(store.listSince(0)).toEqual([
      { id, incidentId, detectedAt: 100, detector: 'ewma-z', source: 'monitor', metrics: ['restarts', 'mailbox'], severity: 1, detail: { z: 4.2 } },
      { id: bare, incidentId: null, detectedAt: 200, detector: 'ewma-z', source: 'monitor', metrics: ['restarts'], severity: 0, detail: undefined },
    ]);
  });

  it('lists since a time, inclusive, oldest first', () => {
    const { store } = open();
    const late = store.record({ ...FINDING, detectedAt: 300 });
    const early = store.record({ ...FINDING, detectedAt: 100 });
    const middle = store.record({ ...FINDING, detectedAt: 200 });
    expect(store.listSince(0).map((a) => a.id)).toEqual([early, middle, late]);
    expect(store.listSince(200).map((a) => a.id)).toEqual([middle, late]);
    expect(store.listSince(301)).toEqual([]);
  });

  it('refuses a severity outside [0, 1], no metrics or an empty name, writing nothing', () => {
    const { store, count } = open();
    for (const severity of [-0.01, 1.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = thrownBy(() => store.record({ ...FINDING, severity }));
      expect(error).toBeInstanceOf(InvalidAnomalyError);
      expect(error).toMatchObject({ name: 'InvalidAnomalyError', detector: 'ewma-z' });
      expect((error as Error).message).toMatch(/severity .* is not in \[0, 1\]/);
    }
    expect((thrownBy(() => store.record({ ...FINDING, metrics: [] })) as Error).message).toMatch(/metrics must be a non-empty array/);
    expect((thrownBy(() => store.record({ ...FINDING, metrics: ['a', ''] })) as Error).message).toMatch(/metric 1 /);
    expect(thrownBy(() => store.record({ ...FINDING, detector: '' }))).toBeInstanceOf(InvalidAnomalyError);
    expect(thrownBy(() => store.record({ ...FINDING, source: '' }))).toBeInstanceOf(InvalidAnomalyError);
    expect(() => store.record({ ...FINDING, detectedAt: -1 })).toThrow(RangeError);
    expect(count()).toBe(0);
  });

  it('refuses an unknown incident id, writing nothing', () => {
    const { store, count } = open();
    const error = thrownBy(() => store.record({ ...FINDING, incidentId: 42 }));
    expect(error).toBeInstanceOf(UnknownIncidentError);
    expect(error).toMatchObject({ incidentId: 42 });
    expect(count()).toBe(0);
  });

  it('attaches anomalies to an incident, and forIncident lists only its own', () => {
    const { store, incident } = open();
    const first = incident();
    const second = incident();
    const a = store.record({ ...FINDING, detectedAt: 20 });
    const b = store.record({ ...FINDING, detectedAt: 10 });
    const c = store.record({ ...FINDING, detectedAt: 30, incidentId: second });
    expect(store.forIncident(first)).toEqual([]);
    store.attach([a, b], first);
    expect(store.forIncident(first).map((x) => x.id)).toEqual([b, a]);
    expect(store.forIncident(second).map((x) => x.id)).toEqual([c]);
    store.attach([c], first);
    expect(store.forIncident(first).map((x) => x.id)).toEqual([b, a, c]);
    expect(store.forIncident(second)).toEqual([]);
  });

  it('attaches all or none: an unknown anomaly or incident leaves every anomaly as it was', () => {
    const { store, incident } = open();
    const incidentId = incident();
    const a = store.record(FINDING);
    const missing = thrownBy(() => store.attach([a, 999], incidentId));
    expect(missing).toBeInstanceOf(UnknownAnomalyError);
    expect(missing).toMatchObject({ name: 'UnknownAnomalyError', anomalyId: 999 });
    expect(store.forIncident(incidentId)).toEqual([]);
    expect(thrownBy(() => store.attach([a], 77))).toMatchObject({ name: 'UnknownIncidentError', incidentId: 77 });
    expect(store.listSince(0)[0]).toMatchObject({ id: a, incidentId: null });
  });
});
