import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { UnknownPolicyError } from '../../store/knowledge-base-errors.js';
import type { PolicyStore } from '../../store/policies.js';
import { createPolicyStore } from '../../store/policies.js';
import { useStoreFile } from './fixtures/store-file.js';
import { thrownBy } from './fixtures/thrown-by.js';

const storeFile = useStoreFile();

describe('createPolicyStore', () => {
  let db: Database | undefined;

  /** Migration 3 seeds the default policies; these tests start from an empty table. */
  function open(): PolicyStore {
    db = storeFile.open();
    db.exec('DELETE FROM policies');
    return createPolicyStore(db);
  }

  it('starts, on a fresh store, with migration 3\'s defaults: two candidates for every cause the loop diagnoses', () => {
    const store = createPolicyStore((db = storeFile.open()));
    for (const cause of ['crash-loop', 'hung-actor', 'cpu-hog', 'memory-leak', 'mailbox-flood', 'slow-store']) {
      expect(store.candidates(cause)).toHaveLength(2);
    }
    expect(store.candidates('crash-loop').map((policy) => policy.actionKind)).toEqual(['quarantine-message', 'restart-subtree']);
  });

  it('inserts with the defaults of migration 2 and parses fields back', () => {
    const store = open();
    const id = store.upsert({ causeKind: 'crash-loop', actionKind: 'restart-actor' });
    expect(store.candidates('crash-loop')).toEqual([
      { id, causeKind: 'crash-loop', actionKind: 'restart-actor', preconditions: {}, cost: 1, risk: 0, enabled: true },
    ]);
    expect(store.candidates('cpu-hog')).toEqual([]);
  });

  it('updates in place, keeping the fields left out', () => {
    const store = open();
    const id = store.upsert({ causeKind: 'crash-loop', actionKind: 'restart-actor', preconditions: { maxRestarts: 3 }, cost: 2, risk: 0.3 });
    expect(store.upsert({ causeKind: 'crash-loop', actionKind: 'restart-actor', risk: 0.1 })).toBe(id);
    expect(store.candidates('crash-loop')).toEqual([
      { id, causeKind: 'crash-loop', actionKind: 'restart-actor', preconditions: { maxRestarts: 3 }, cost: 2, risk: 0.1, enabled: true },
    ]);
    expect(db!.prepare('SELECT count(*) AS n FROM policies').get()).toEqual({ n: 1 });
  });

  it('lists only enabled policies of the cause, cheapest then least risky first', () => {
    const store = open();
    // Neither alphabetical nor least-risky-first order gives the expected one.
    store.upsert({ causeKind: 'crash-loop', actionKind: 'restart-subtree', cost: 5, risk: 0 });
    store.upsert({ causeKind: 'crash-loop', actionKind: 'restart-actor', cost: 1, risk: 0.2 });
    store.upsert({ causeKind: 'crash-loop', actionKind: 'shed-load', cost: 1, risk: 0.1 });
    store.upsert({ causeKind: 'crash-loop', actionKind: 'reboot-node', cost: 0, enabled: false });
    store.upsert({ causeKind: 'mailbox-flood', actionKind: 'shed-topic', cost: 0 });
    expect(store.candidates('crash-loop').map((p) => p.actionKind)).toEqual(['shed-load', 'restart-actor', 'restart-subtree']);
  });

  it('enables and disables a policy; an unknown one is a typed error', () => {
    const store = open();
    store.upsert({ causeKind: 'crash-loop', actionKind: 'restart-actor' });
    store.setEnabled('crash-loop', 'restart-actor', false);
    expect(store.candidates('crash-loop')).toEqual([]);
    // Upserting other fields does not re-enable it.
    store.upsert({ causeKind: 'crash-loop', actionKind: 'restart-actor', cost: 3 });
    expect(store.candidates('crash-loop')).toEqual([]);
    store.setEnabled('crash-loop', 'restart-actor', true);
    expect(store.candidates('crash-loop')).toMatchObject([{ actionKind: 'restart-actor', cost: 3, enabled: true }]);
    const error = thrownBy(() => store.setEnabled('crash-loop', 'reboot-node', true));
    expect(error).toBeInstanceOf(UnknownPolicyError);
    expect(error).toMatchObject({ name: 'UnknownPolicyError', causeKind: 'crash-loop', actionKind: 'reboot-node' });
  });

  it('refuses malformed fields, writing nothing', () => {
    const store = open();
    const base = { causeKind: 'crash-loop', actionKind: 'restart-actor' };
    expect(() => store.upsert({ ...base, risk: 1.5 })).toThrow(RangeError);
    expect(() => store.upsert({ ...base, risk: Number.NaN })).toThrow(RangeError);
    expect(() => store.upsert({ ...base, cost: -1 })).toThrow(RangeError);
    expect(() => store.upsert({ ...base, cost: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => store.upsert({ ...base, preconditions: [1, 2] })).toThrow(TypeError);
    expect(() => store.upsert({ ...base, causeKind: '' })).toThrow(TypeError);
    expect(db!.prepare('SELECT count(*) AS n FROM policies').get()).toEqual({ n: 0 });
  });
});
