/** Migration 3's stores: injected faults, dead letters, detector rules; and the executor's additions to actions and incidents. */
import { describe, expect, it } from 'vitest';
import { createDeadLetterStore } from '../../store/dead-letters.js';
import { createDetectorRuleStore } from '../../store/detector-rules.js';
import { createIncidentStore } from '../../store/incidents.js';
import { createInjectedFaultStore } from '../../store/injected-faults.js';
import { ActionStateError, TargetBusyError, UnknownActionError } from '../../store/knowledge-base-errors.js';
import { createOutcomeStore } from '../../store/outcomes.js';
import { useStoreFile } from './fixtures/store-file.js';

const storeFile = useStoreFile();

describe('injected faults', () => {
  it('finds the latest unlinked injection on a target within the window, and links it once', () => {
    const db = storeFile.open();
    const faults = createInjectedFaultStore(db);
    const incidents = createIncidentStore(db);
    faults.record({ kind: 'cpu-hog', target: 'a', startedAt: 1_000 });
    const latest = faults.record({ kind: 'memory-leak', target: 'a', startedAt: 5_000 });
    faults.record({ kind: 'cpu-hog', target: 'b', startedAt: 5_500 });
    faults.record({ kind: 'cpu-hog', target: 'a', startedAt: 9_000 });

    expect(faults.latestUnlinked('a', 6_000, 10_000)).toMatchObject({ id: latest, kind: 'memory-leak' });
    expect(faults.latestUnlinked('a', 6_000, 500)).toBeUndefined();
    const incidentId = incidents.open({ causeKind: 'memory-leak', target: 'a', detectedAt: 6_000 });
    faults.link(latest, incidentId);
    expect(faults.forIncident(incidentId)).toMatchObject({ id: latest, incidentId });
    expect(faults.latestUnlinked('a', 6_000, 10_000)).toMatchObject({ kind: 'cpu-hog', startedAt: 1_000 });
    expect(faults.list({ sinceMs: 5_000 }).map((fault) => fault.target)).toEqual(['a', 'b', 'a']);
    expect(() => faults.record({ kind: 'x', target: 'a', startedAt: -1 })).toThrow(RangeError);
  });
});

describe('dead letters', () => {
  it('keeps messages with their payloads, and those that are not JSON, or nested deeper than SQLite takes, as null', () => {
    const letters = createDeadLetterStore(storeFile.open());
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    // JSON.stringify writes it; SQLite's JSON refuses nesting past 1,000 levels.
    let deep: unknown = 0;
    for (let level = 0; level < 3_000; level++) deep = [deep];
    letters.add([
      { actor: 'a', topic: 't', payload: { n: 1 }, sender: 's', reason: 'poison', at: 1 },
      { actor: 'b', topic: 't', payload: circular, sender: 's', reason: 'drained', at: 2 },
      { actor: 'c', topic: 't', payload: deep, sender: 's', reason: 'cannot cross', at: 3 },
    ]);
    expect(letters.list('a')).toEqual([{ id: 1, actor: 'a', topic: 't', payload: { n: 1 }, sender: 's', reason: 'poison', at: 1 }]);
    expect(letters.list().map((letter) => letter.payload)).toEqual([{ n: 1 }, null, null]);
    expect(letters.list('c')).toMatchObject([{ topic: 't', reason: 'cannot cross' }]);
  });
});

describe('detector rules', () => {
  it('comes seeded with rules for every cause, ordered by rank, and takes an operator\'s changes', () => {
    const rules = createDetectorRuleStore(storeFile.open());
    expect(rules.enabled().map((rule) => [rule.id, rule.cause])).toEqual([
      ['hung-thread', 'hung-actor'],
      ['repeat-crash', 'crash-loop'],
      ['slow-writes', 'slow-store'],
      ['retained-growth', 'memory-leak'],
      ['deep-mailbox', 'mailbox-flood'],
      ['busy-thread', 'cpu-hog'],
      ['dead-neighbour', 'peer-down'],
      ['lost-link', 'link-degraded'],
      ['lossy-link', 'link-degraded'],
      ['unreachable-members', 'partitioned'],
    ]);
    expect(rules.enabled().find((rule) => rule.id === 'busy-thread')).toMatchObject({ andMetric: 'actor.cpu_ms_per_input', andOp: '>=', andThreshold: 5 });
    rules.upsert({ id: 'deep-mailbox', metric: 'actor.mailbox_depth', op: '>=', threshold: 500, consecutive: 2, cause: 'mailbox-flood', confidence: 0.7, rank: 4 });
    rules.upsert({ id: 'busy-thread', metric: 'actor.cpu_ratio', op: '>=', threshold: 0.5, consecutive: 1, cause: 'cpu-hog', confidence: 0.7, rank: 5, enabled: false });
    expect(rules.enabled().find((rule) => rule.id === 'deep-mailbox')).toMatchObject({ threshold: 500, consecutive: 2, andMetric: null });
    expect(rules.enabled().map((rule) => rule.id)).not.toContain('busy-thread');
  });
});

describe('actions the executor allocates and the runtime claims', () => {
  function seeded() {
    const db = storeFile.open();
    const incidentId = createIncidentStore(db).open({ causeKind: 'cpu-hog', target: 'a', detectedAt: 100 });
    return { outcomes: createOutcomeStore(db), incidents: createIncidentStore(db), incidentId };
  }

  it('records a pending action under the caller\'s id; a replayed start returns it, a clash on the id is refused', () => {
    const { outcomes, incidentId } = seeded();
    const action = { id: 40, incidentId, kind: 'restart-actor', target: 'a', at: 200, status: 'pending' as const };
    expect(outcomes.startAction(action)).toBe(40);
    expect(outcomes.startAction(action)).toBe(40);
    expect(outcomes.getAction(40)).toMatchObject({ status: 'pending', startedAt: null });
    expect(() => outcomes.startAction({ ...action, kind: 'drain-mailbox' })).toThrow(ActionStateError);
    expect(() => outcomes.startAction({ ...action, id: 41 })).toThrow(TargetBusyError);
  });

  it('lets exactly one claim move a pending action to running', () => {
    const { outcomes, incidentId } = seeded();
    outcomes.startAction({ id: 5, incidentId, kind: 'restart-actor', target: 'a', at: 200, status: 'pending' });
    expect(outcomes.claimAction(5, 300)).toBe('claimed');
    expect(outcomes.claimAction(5, 310)).toBe('already-running');
    expect(outcomes.getAction(5)).toMatchObject({ status: 'running', startedAt: 300 });
    outcomes.finishAction(5, 'succeeded', 400);
    expect(outcomes.claimAction(5, 500)).toBe('ended');
    expect(() => outcomes.claimAction(99, 500)).toThrow(UnknownActionError);
  });

  it('opens an incident under the caller\'s id once, and stores when it was held and when it failed', () => {
    const { incidents } = seeded();
    expect(incidents.open({ id: 9, causeKind: 'hung-actor', target: 'b', detectedAt: 1_000 })).toBe(9);
    expect(incidents.open({ id: 9, causeKind: 'hung-actor', target: 'b', detectedAt: 1_000 })).toBe(9);
    expect(incidents.list().filter((incident) => incident.id === 9)).toHaveLength(1);
    incidents.mark(9, 'held', 1_100);
    incidents.mark(9, 'failed', 1_200);
    expect(incidents.get(9)).toMatchObject({ status: 'failed', heldAt: 1_100, failedAt: 1_200 });
  });
});
