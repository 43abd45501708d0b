/**
 * Phase marks that tolerate an actor processing a message again after a crash (markOnce), and
 * where an id-allocating machine starts without a snapshot (nextFreeId), on a real store file.
 */
import { describe, expect, it } from 'vitest';
import { createIncidentStore } from '../../store/incidents.js';
import { markOnce } from '../../store/incident-marks.js';
import { nextFreeId } from '../../store/next-free-id.js';
import { useStoreFile } from './fixtures/store-file.js';

const storeFile = useStoreFile();

describe('markOnce', () => {
  it('marks a phase the incident has not reached, and skips one it has passed, as a replay would mark it', () => {
    const incidents = createIncidentStore(storeFile.open());
    const id = incidents.open({ causeKind: 'cpu-hog', detectedAt: 1_000 });
    expect(markOnce(incidents, id, 'diagnosed', 1_100, { evidence: ['cpu'] })).toBe(true);
    expect(markOnce(incidents, id, 'planned', 1_200, { plan: 'restart' })).toBe(true);
    // The planner processes the diagnosis again after a crash: the incident is already planned.
    expect(markOnce(incidents, id, 'diagnosed', 1_300, { evidence: ['replayed'] })).toBe(false);
    expect(markOnce(incidents, id, 'planned', 1_300, { plan: 'replayed' })).toBe(false);
    expect(incidents.get(id)).toMatchObject({ status: 'planned', diagnosedAt: 1_100, plannedAt: 1_200, detail: { evidence: ['cpu'], plan: 'restart' } });
    expect(markOnce(incidents, 999, 'diagnosed', 1_300)).toBe(false);
  });

  it('merges each phase\'s detail into what the earlier phases stored', () => {
    const incidents = createIncidentStore(storeFile.open());
    const id = incidents.open({ detectedAt: 1_000, detail: { anomalies: 2 } });
    markOnce(incidents, id, 'diagnosed', 1_100, { cause: 'mailbox-flood' });
    markOnce(incidents, id, 'planned', 1_200);
    markOnce(incidents, id, 'executing', 1_300, { action: 7 });
    expect(incidents.get(id)?.detail).toEqual({ anomalies: 2, cause: 'mailbox-flood', action: 7 });
  });

  it('lets a held plan go on to execution, and only once', () => {
    const incidents = createIncidentStore(storeFile.open());
    const id = incidents.open({ detectedAt: 1_000 });
    markOnce(incidents, id, 'diagnosed', 1_100);
    markOnce(incidents, id, 'planned', 1_200);
    expect(markOnce(incidents, id, 'held', 1_300)).toBe(true);
    expect(markOnce(incidents, id, 'executing', 1_400)).toBe(true);
    expect(markOnce(incidents, id, 'executing', 1_500)).toBe(false);
    expect(incidents.get(id)).toMatchObject({ status: 'executing', heldAt: 1_300, executedAt: 1_400 });
  });

  it('keeps the phase order when the marking thread\'s clock is behind the one that marked before', () => {
    const incidents = createIncidentStore(storeFile.open());
    const id = incidents.open({ detectedAt: 5_000 });
    markOnce(incidents, id, 'diagnosed', 5_200);
    // Another thread's clock reads 300 ms earlier: the store would refuse a plan before its diagnosis.
    expect(markOnce(incidents, id, 'planned', 4_900)).toBe(true);
    expect(incidents.get(id)).toMatchObject({ status: 'planned', plannedAt: 5_200 });
  });
});

describe('nextFreeId', () => {
  it('starts after the largest id of the table, at 1 when it is empty', () => {
    const db = storeFile.open();
    const incidents = createIncidentStore(db);
    expect(nextFreeId(db, 'incidents')).toBe(1);
    expect(nextFreeId(db, 'actions')).toBe(1);
    incidents.open({ id: 41, detectedAt: 1_000 });
    incidents.open({ detectedAt: 1_000 });
    expect(nextFreeId(db, 'incidents')).toBe(43);
    expect(nextFreeId(db, 'actions')).toBe(1);
  });
});
