import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createIncidentStore } from '../../store/incidents.js';
import {
  ActionStateError,
  TargetBusyError,
  UnknownActionError,
  UnknownIncidentError,
} from '../../store/knowledge-base-errors.js';
import type { OutcomeStore } from '../../store/outcomes.js';
import { createOutcomeStore, smoothedSuccessRate } from '../../store/outcomes.js';
import { useStoreFile } from './fixtures/store-file.js';
import { thrownBy } from './fixtures/thrown-by.js';

const storeFile = useStoreFile();


describe('createOutcomeStore', () => {
  let db: Database | undefined;

  function open(): { store: OutcomeStore; incident(causeKind?: string): number } {
    db = storeFile.open();
    const incidents = createIncidentStore(db);
    return {
      store: createOutcomeStore(db),
      incident: (causeKind) => incidents.open({ detectedAt: 1, ...(causeKind === undefined ? {} : { causeKind }) }),
    };
  }

  it('smooths with Laplace: (s + 1) / (n + 2)', () => {
    expect(smoothedSuccessRate(0, 0)).toBe(0.5);
    expect(smoothedSuccessRate(1, 1)).toBeCloseTo(2 / 3, 12);
    expect(smoothedSuccessRate(19, 20)).toBeCloseTo(20 / 22, 12);
    expect(smoothedSuccessRate(0, 2)).toBe(0.25);
  });

  it('starts and finishes an action, stamping both times', () => {
    const { store, incident } = open();
    const incidentId = incident('crash-loop');
    const id = store.startAction({ incidentId, kind: 'restart-actor', target: 'monitor', params: { graceMs: 50 }, at: 100 });
    expect(store.getAction(id)).toEqual({
      id,
      incidentId,
      kind: 'restart-actor',
      target: 'monitor',
      params: { graceMs: 50 },
      status: 'running',
      startedAt: 100,
      finishedAt: null,
    });
    store.finishAction(id, 'succeeded', 180);
    expect(store.getAction(id)).toMatchObject({ status: 'succeeded', startedAt: 100, finishedAt: 180 });
    expect(store.getAction(id + 1)).toBeUndefined();
  });

  it('allows one unfinished action per target: TargetBusyError until the first ends', () => {
    const { store, incident } = open();
    const incidentId = incident('crash-loop');
    const first = store.startAction({ incidentId, kind: 'restart-actor', target: 'monitor', at: 1 });
    const error = thrownBy(() => store.startAction({ incidentId, kind: 'drain-mailbox', target: 'monitor', at: 2 }));
    expect(error).toBeInstanceOf(TargetBusyError);
    expect(error).toMatchObject({ name: 'TargetBusyError', target: 'monitor' });
    store.startAction({ incidentId, kind: 'drain-mailbox', target: 'analyzer', at: 2 });
    store.finishAction(first, 'rolled_back', 3);
    expect(store.startAction({ incidentId, kind: 'drain-mailbox', target: 'monitor', at: 4 })).toBeGreaterThan(first);
  });

  it('finishes an action exactly once, and never before it started', () => {
    const { store, incident } = open();
    const id = store.startAction({ incidentId: incident('hung-actor'), kind: 'restart-actor', target: 'a', at: 10 });
    const early = thrownBy(() => store.finishAction(id, 'failed', 9));
    expect(early).toBeInstanceOf(ActionStateError);
    expect((early as Error).message).toMatch(/before its start at 10/);
    store.finishAction(id, 'failed', 10);
    const again = thrownBy(() => store.finishAction(id, 'succeeded', 11));
    expect(again).toMatchObject({ name: 'ActionStateError', actionId: id });
    expect((again as Error).message).toMatch(/already ended as 'failed'/);
    expect(store.getAction(id)).toMatchObject({ status: 'failed', finishedAt: 10 });
    expect(thrownBy(() => store.finishAction(999, 'failed', 1))).toMatchObject({ name: 'UnknownActionError', actionId: 999 });
  });

  it('refuses an action for an unknown incident', () => {
    const { store } = open();
    const error = thrownBy(() => store.startAction({ incidentId: 7, kind: 'k', target: 't', at: 1 }));
    expect(error).toBeInstanceOf(UnknownIncidentError);
    expect(error).toMatchObject({ incidentId: 7 });
  });

  it('files outcomes under the action kind and the incident cause, and ranks by smoothed rate', () => {
    const { store, incident } = open();
    // crash-loop: restart-actor 3 of 4 (4/6 = 0.667), restart-subtree 1 of 1 (2/3 = 0.667, fewer
    // attempts so second), throttle 0 of 2 (1/4). Raw rates would put restart-subtree (1.0) first.
    // mailbox-flood outcomes must not count for crash-loop.
    const tries: Array<[string, string, boolean]> = [
      ['crash-loop', 'restart-actor', true],
      ['crash-loop', 'restart-actor', false],
      ['crash-loop', 'restart-actor', true],
      ['crash-loop', 'restart-actor', true],
      ['crash-loop', 'restart-subtree', true],
      ['crash-loop', 'throttle', false],
      ['crash-loop', 'throttle', false],
      ['mailbox-flood', 'restart-actor', false],
      ['mailbox-flood', 'restart-actor', false],
    ];
    let at = 100;
    for (const [cause, kind, success] of tries) {
      const actionId = store.startAction({ incidentId: incident(cause), kind, target: 'x', at: at++ });
      store.finishAction(actionId, success ? 'succeeded' : 'failed', at++);
      store.recordOutcome({ actionId, success, verifiedAt: at++, detail: { metric: 'restarts' } });
    }
    expect(store.successRates('crash-loop')).toEqual([
      { actionKind: 'restart-actor', successes: 3, attempts: 4, smoothedRate: 4 / 6 },
      { actionKind: 'restart-subtree', successes: 1, attempts: 1, smoothedRate: 2 / 3 },
      { actionKind: 'throttle', successes: 0, attempts: 2, smoothedRate: 1 / 4 },
    ]);
    expect(store.successRates('mailbox-flood')).toEqual([
      { actionKind: 'restart-actor', successes: 0, attempts: 2, smoothedRate: 1 / 4 },
    ]);
    expect(store.successRates('cpu-hog')).toEqual([]);
    expect(db!.prepare('SELECT DISTINCT cause_kind AS c FROM outcomes ORDER BY c').all()).toEqual([
      { c: 'crash-loop' },
      { c: 'mailbox-flood' },
    ]);
  });

  it('refuses an outcome for an unknown action or an undiagnosed incident', () => {
    const { store, incident } = open();
    expect(thrownBy(() => store.recordOutcome({ actionId: 5, success: true, verifiedAt: 1 }))).toBeInstanceOf(UnknownActionError);
    const actionId = store.startAction({ incidentId: incident(), kind: 'k', target: 't', at: 1 });
    expect(() => store.recordOutcome({ actionId, success: true, verifiedAt: 2 })).toThrow(/has no cause kind/);
    expect(db!.prepare('SELECT count(*) AS n FROM outcomes').get()).toEqual({ n: 0 });
  });
});
