import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createIncidentStore } from '../../store/incidents.js';
import { openStore } from '../../store/open-store.js';
import { createOutcomeStore } from '../../store/outcomes.js';
import { createUnfinishedActionStore } from '../../store/unfinished-actions.js';
import { useStoreFile } from './fixtures/store-file.js';

const storeFile = useStoreFile();

describe('createUnfinishedActionStore', () => {
  let db: Database | undefined;

  it('lists pending and running actions only, oldest start first and unstarted last', () => {
    const file = join(storeFile.dir(), 'store.db');
    db = openStore(file);
    const incidentId = createIncidentStore(db).open({ detectedAt: 1 });
    const outcomes = createOutcomeStore(db);
    const running = outcomes.startAction({ incidentId, kind: 'restart-actor', target: 'b', params: { graceMs: 50 }, at: 20 });
    const earlier = outcomes.startAction({ incidentId, kind: 'shed-topic', target: 'a', at: 10 });
    for (const [target, end] of [['c', 'succeeded'], ['d', 'failed'], ['e', 'rolled_back']] as const) {
      outcomes.finishAction(outcomes.startAction({ incidentId, kind: 'k', target, at: 5 }), end, 6);
    }
    // The outcome store starts actions as running; a planner's queued action is 'pending', unstarted.
    const pending = Number(
      db.prepare(`INSERT INTO actions (incident_id, kind, target, status) VALUES (?, 'drain-mailbox', 'f', 'pending')`).run(incidentId)
        .lastInsertRowid,
    );

    // As an executor restarted mid-action sees them: a fresh connection to the same file.
    db.close();
    db = openStore(file);
    const store = createUnfinishedActionStore(db);
    expect(store.unfinishedActions()).toEqual([
      { id: earlier, incidentId, kind: 'shed-topic', target: 'a', params: {}, status: 'running', startedAt: 10, finishedAt: null },
      { id: running, incidentId, kind: 'restart-actor', target: 'b', params: { graceMs: 50 }, status: 'running', startedAt: 20, finishedAt: null },
      { id: pending, incidentId, kind: 'drain-mailbox', target: 'f', params: {}, status: 'pending', startedAt: null, finishedAt: null },
    ]);

    createOutcomeStore(db).finishAction(earlier, 'rolled_back', 30);
    expect(store.unfinishedActions().map((action) => action.id)).toEqual([running, pending]);
  });

  it('is empty when every action has ended', () => {
    db = storeFile.open();
    const incidentId = createIncidentStore(db).open({ detectedAt: 1 });
    const outcomes = createOutcomeStore(db);
    const store = createUnfinishedActionStore(db);
    expect(store.unfinishedActions()).toEqual([]);
    outcomes.finishAction(outcomes.startAction({ incidentId, kind: 'k', target: 't', at: 1 }), 'succeeded', 2);
    expect(store.unfinishedActions()).toEqual([]);
  });
});
