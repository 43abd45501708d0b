import { describe, expect, it } from 'vitest';
import { InvalidPreconditionsError, parsePreconditions, preconditionsHold } from '../../../lib/mape/preconditions.js';
import { rankCandidates, type PolicyOption } from '../../../lib/mape/rank-candidates.js';
import { checkCriteria, describeCriteria, verifyCriteria } from '../../../lib/mape/verify-criteria.js';
import { CAUSE_KINDS, isMeshCause, MESH_TARGET } from '../../../lib/mape/causes.js';

const options: PolicyOption[] = [
  { policyId: 1, action: 'restart-actor', cost: 1, risk: 0.1, params: {} },
  { policyId: 2, action: 'restart-subtree', cost: 3, risk: 0.3, params: {} },
];

describe('rankCandidates', () => {
  it('prefers the cheaper, safer action when neither has a record', () => {
    expect(rankCandidates(options, 'a', () => undefined).map((c) => c.action)).toEqual(['restart-actor', 'restart-subtree']);
  });

  it('prefers the action that worked before for the cause over a cheaper one that kept failing', () => {
    const rates = { 'restart-actor': 1 / 12, 'restart-subtree': 11 / 12 } as Record<string, number>;
    const ranked = rankCandidates(options, 'a', (action) => rates[action]);
    expect(ranked.map((c) => c.action)).toEqual(['restart-subtree', 'restart-actor']);
    expect(ranked[0]).toMatchObject({ target: 'a', successRate: 11 / 12, policyId: 2, rollback: null });
    const shed = rankCandidates([{ policyId: 3, action: 'shed-topic', cost: 1, risk: 0.2, params: {} }], 'a', () => undefined);
    expect(shed[0]!.rollback).toBe('unshed-topic');
  });
});

describe('preconditions', () => {
  it('parses the known keys and checks them against a diagnosis', () => {
    const pre = parsePreconditions({ minConfidence: 0.8, excludeTargets: ['executor'] });
    expect(preconditionsHold(pre, { confidence: 0.9, target: 'a' })).toBe(true);
    expect(preconditionsHold(pre, { confidence: 0.7, target: 'a' })).toBe(false);
    expect(preconditionsHold(pre, { confidence: 0.9, target: 'executor' })).toBe(false);
    expect(preconditionsHold(parsePreconditions({ targets: ['a'] }), { confidence: 1, target: 'b' })).toBe(false);
    expect(preconditionsHold(parsePreconditions({}), { confidence: 0, target: 'b' })).toBe(true);
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['an unknown key', { maxBlastRadius: 2 }],
    ['a confidence above 1', { minConfidence: 2 }],
    ['targets that are not ids', { targets: [1, 2] }],
    ['an empty target id', { excludeTargets: [''] }],
  ])('refuses %s with InvalidPreconditionsError', (_name, raw) => {
    expect(() => parsePreconditions(raw)).toThrow(InvalidPreconditionsError);
  });
});

describe('verification criteria', () => {
  it('exist for every cause and name the target, or the mesh as a whole for what the mesh heals', () => {
    for (const cause of CAUSE_KINDS) {
      const criteria = verifyCriteria(cause, 'x');
      expect(criteria.length).toBeGreaterThan(0);
      expect(criteria.every((criterion) => criterion.source === 'x' || (isMeshCause(cause) && criterion.source === MESH_TARGET))).toBe(true);
    }
    // A dead neighbour is healed when every member is reached around it; a degraded link when no route crosses it either.
    expect(verifyCriteria('peer-down', 'spiffe://t/b')).toEqual([{ metric: 'mesh.unreachable_members', source: 'mesh', op: '<=', value: 0 }]);
    expect(verifyCriteria('link-degraded', 'spiffe://t/b')).toEqual([
      { metric: 'peer.routed_destinations', source: 'spiffe://t/b', op: '<=', value: 0 },
      { metric: 'peer.reached_around', source: 'spiffe://t/b', op: '>=', value: 1 },
      { metric: 'mesh.unreachable_members', source: 'mesh', op: '<=', value: 0 },
    ]);
  });

  it('are met, unmet, or unknown when the window lacks a metric', () => {
    const criteria = verifyCriteria('cpu-hog', 'x');
    const window = (cpu: number, withProbe = true) => ({
      at: 1,
      intervalMs: 1000,
      points: [
        { metric: 'actor.cpu_burst_ms' as const, source: 'x', value: cpu },
        ...(withProbe ? [{ metric: 'actor.unresponsive' as const, source: 'x', value: 0 }] : []),
      ],
    });
    expect(checkCriteria(criteria, window(0.8))).toBe('met');
    expect(checkCriteria(criteria, window(45))).toBe('unmet');
    expect(checkCriteria(criteria, window(0.8, false))).toBe('unknown');
  });

  it('are described with the values the verdict was reached on, a missing one named', () => {
    const criteria = verifyCriteria('cpu-hog', 'x');
    const window = { at: 1, intervalMs: 1000, points: [{ metric: 'actor.cpu_burst_ms' as const, source: 'x', value: 0.123456 }] };
    expect(describeCriteria(criteria, window)).toBe('actor.cpu_burst_ms of x 0.1235 <= 5, actor.unresponsive of x missing <= 0');
  });
});
