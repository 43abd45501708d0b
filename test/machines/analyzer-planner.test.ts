/** The analyzer and planner statecharts on their own, with recording ports. */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createAnalyzerMachine } from '../../machines/analyzer.js';
import { createPlannerMachine, type PlannerPorts } from '../../machines/planner.js';
import type { Diagnosis } from '../../lib/mape/plan.js';
import type { TelemetryWindow } from '../../lib/mape/telemetry.js';
import { parseThresholdRule } from '../../lib/mape/threshold-rule.js';

const rules = [
  parseThresholdRule({ id: 'hung', metric: 'actor.unresponsive', op: '>=', threshold: 1, consecutive: 1, cause: 'hung-actor', confidence: 0.9, rank: 0 }),
  parseThresholdRule({ id: 'busy', metric: 'actor.cpu_ratio', op: '>=', threshold: 0.5, consecutive: 1, cause: 'cpu-hog', confidence: 0.75, rank: 5 }),
];

const window = (at: number, points: Array<[string, string, number]>): { type: 'telemetry.window'; payload: TelemetryWindow } => ({
  type: 'telemetry.window',
  payload: { at, intervalMs: 1_000, points: points.map(([metric, source, value]) => ({ metric, source, value })) as TelemetryWindow['points'] },
});

function analyzer(snapshot?: unknown) {
  const recorded: { anomalies: number; opened: number[] }[] = [];
  const machine = createAnalyzerMachine(
    { now: () => 5_000, record: (anomalies, opened) => void recorded.push({ anomalies: anomalies.length, opened: opened.map((d) => d.incidentId) }) },
    { rules, firstIncidentId: 10, skippedRules: [] },
  );
  const actor = createActor(machine, snapshot ? { snapshot: snapshot as never } : {});
  const diagnoses: Diagnosis[] = [];
  actor.on('bus.publish', (event) => void diagnoses.push((event as { payload: Diagnosis }).payload));
  actor.start();
  return { actor, diagnoses, recorded };
}

describe('analyzer machine', () => {
  it('opens one incident per target while it is open, with the most specific cause, and again after it closed and a quiet interval', () => {
    const { actor, diagnoses } = analyzer();
    actor.send(window(1_000, [['actor.cpu_ratio', 'a', 1], ['actor.unresponsive', 'a', 1], ['actor.cpu_ratio', 'b', 0.1]]));
    actor.send(window(2_000, [['actor.cpu_ratio', 'a', 1], ['actor.unresponsive', 'a', 1]]));
    expect(diagnoses.map((d) => [d.incidentId, d.cause, d.target, d.detectedAt])).toEqual([[10, 'hung-actor', 'a', 1_000]]);

    const outcome = { incidentId: 10, actionId: 1, cause: 'hung-actor', target: 'a', action: 'restart-actor', success: true, at: 2_500, final: true, recovered: true };
    actor.send({ type: 'mape.outcome', payload: outcome as never });
    actor.send(window(3_000, [['actor.cpu_ratio', 'a', 0.9]])); // within the quiet interval after closing
    actor.send(window(4_000, [['actor.cpu_ratio', 'a', 0.9]]));
    expect(diagnoses.map((d) => [d.incidentId, d.cause, d.detectedAt])).toEqual([
      [10, 'hung-actor', 1_000],
      [11, 'cpu-hog', 4_000],
    ]);
  });

  it('leaves a target whose incidents keep failing alone twice as long after each failure in a row, and as usual once one recovers', () => {
    const { actor, diagnoses } = analyzer();
    const failed = (incidentId: number, at: number, recovered = false) =>
      actor.send({ type: 'mape.outcome', payload: { incidentId, actionId: 1, cause: 'hung-actor', target: 'a', action: 'restart-actor', success: recovered, at, final: true, recovered } as never });
    const hung = (at: number) => actor.send(window(at, [['actor.unresponsive', 'a', 1]]));
    hung(1_000);
    failed(10, 1_500);
    // One failure: two intervals of quiet (until 3,500).
    hung(3_000);
    hung(3_500);
    expect(diagnoses.map((d) => [d.incidentId, d.detectedAt])).toEqual([[10, 1_000], [11, 3_500]]);
    failed(11, 4_000);
    // Two in a row: four intervals (until 8,000).
    hung(7_999);
    hung(8_000);
    expect(diagnoses.at(-1)).toMatchObject({ incidentId: 12, detectedAt: 8_000 });
    // A recovery resets the count: one interval again.
    failed(12, 9_000, true);
    hung(10_000);
    expect(diagnoses.at(-1)).toMatchObject({ incidentId: 13, detectedAt: 10_000 });
  });

  it("lets only a sample end a quiet interval: an event's window, stamped later but arriving before the sample taken within the interval, does not", () => {
    const { actor, diagnoses } = analyzer();
    actor.send(window(1_000, [['actor.unresponsive', 'a', 1]]));
    actor.send({ type: 'mape.outcome', payload: { incidentId: 10, actionId: 1, cause: 'hung-actor', target: 'a', action: 'restart-actor', success: true, at: 1_500, final: true, recovered: true } as never });
    // Quiet until 2,500. A crash event at 2,600 comes first; then the sample stamped at 2,400 (its probes
    // answered late), with readings from while the remedy took effect: it must still be skipped.
    actor.send({ type: 'telemetry.window', payload: { at: 2_600, intervalMs: 0, points: [{ metric: 'actor.repeat_crashes', source: 'b', value: 1 }] } });
    actor.send(window(2_400, [['actor.unresponsive', 'a', 1]]));
    expect(diagnoses.map((d) => d.incidentId)).toEqual([10]);
    actor.send(window(3_400, [['actor.unresponsive', 'a', 1]]));
    expect(diagnoses.map((d) => [d.incidentId, d.detectedAt])).toEqual([[10, 1_000], [11, 3_400]]);
  });

  it('restores a snapshot taken before failures were counted', () => {
    const first = analyzer();
    const snapshot = first.actor.getPersistedSnapshot() as unknown as { context: Record<string, unknown> };
    delete snapshot.context.failedInRow;
    const restored = analyzer(snapshot);
    restored.actor.send(window(1_000, [['actor.unresponsive', 'a', 1]]));
    restored.actor.send({ type: 'mape.outcome', payload: { incidentId: 10, actionId: 1, cause: 'hung-actor', target: 'a', action: 'restart-actor', success: false, at: 1_500, final: true, recovered: false } as never });
    expect(restored.actor.getSnapshot().context.failedInRow).toEqual({ a: 1 });
  });

  it('replays a window after a crash into the same incident id', () => {
    const first = analyzer();
    const before = first.actor.getPersistedSnapshot();
    first.actor.send(window(1_000, [['actor.unresponsive', 'a', 1]]));
    const replay = analyzer(before);
    replay.actor.send(window(1_000, [['actor.unresponsive', 'a', 1]]));
    expect([first.diagnoses[0]!.incidentId, replay.diagnoses[0]!.incidentId]).toEqual([10, 10]);
    expect(replay.recorded).toEqual([{ anomalies: 1, opened: [10] }]);
  });
});

describe('planner machine', () => {
  const diagnosis: Diagnosis = {
    incidentId: 3,
    cause: 'cpu-hog',
    target: 'a',
    resource: 'cpu',
    confidence: 0.8,
    detectedAt: 100,
    diagnosedAt: 110,
    evidence: [],
  };

  function planner(policies: ReturnType<PlannerPorts['policies']>['options'], riskThreshold = 0.7) {
    const calls: string[] = [];
    const ports: PlannerPorts = {
      now: () => 120,
      policies: () => ({ options: policies, skipped: [{ policyId: 99, reason: 'unknown action kind' }] }),
      successRates: () => ({}),
      planned: (plan) => void calls.push(`planned ${plan.candidates.map((c) => c.action).join(',')}`),
      held: () => void calls.push('held'),
      failed: (_id, _at, reason) => void calls.push(`failed: ${reason}`),
    };
    const actor = createActor(createPlannerMachine(ports, { riskThreshold }));
    const published: string[] = [];
    actor.on('bus.publish', (event) => void published.push((event as { topic: string }).topic));
    actor.start();
    return { actor, calls, published };
  }

  const option = (policyId: number, action: 'restart-actor' | 'restart-subtree', risk: number, preconditions = {}) => ({
    policyId,
    action,
    cost: 1,
    risk,
    params: {},
    preconditions,
  });

  it('plans the applicable candidates below the risk threshold, once per incident, and keeps the skipped rows', () => {
    const { actor, calls, published } = planner([option(1, 'restart-actor', 0.1), option(2, 'restart-subtree', 0.8), option(3, 'restart-subtree', 0.1, { minConfidence: 0.9 })]);
    actor.send({ type: 'mape.diagnosis', payload: diagnosis });
    actor.send({ type: 'mape.diagnosis', payload: diagnosis });
    expect(calls).toEqual(['planned restart-actor']);
    expect(published).toEqual(['mape.plan']);
    expect(actor.getSnapshot().context.skippedPolicies).toEqual([{ policyId: 99, reason: 'unknown action kind' }]);
  });

  it('holds a plan whose every candidate is at or above the risk threshold, and fails an incident no policy applies to', () => {
    const risky = planner([option(2, 'restart-subtree', 0.8)]);
    risky.actor.send({ type: 'mape.diagnosis', payload: diagnosis });
    expect(risky.calls).toEqual(['held']);
    expect(risky.published).toEqual([]);

    const none = planner([]);
    none.actor.send({ type: 'mape.diagnosis', payload: diagnosis });
    expect(none.calls).toEqual(["failed: no applicable policy for cause 'cpu-hog'"]);
    expect(none.published).toEqual(['mape.outcome']);
  });
});
