/**
 * Each fault kind, injected into a running node: detected, diagnosed with the right cause and
 * target, remedied by the expected action, recovery verified, and the outcome stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCauseKind } from '../../../lib/mape/causes.js';
import { waitFor } from '../../helpers/test-node.js';
import { startHealingNode, WORKLOAD, type HealingNode } from './healing-node.js';

/** Windows of normal readings analyzed before the first fault: six, a second and a half at the test interval. */
const BASELINE_WINDOWS = 6;

const FIRST_ACTION: Record<LocalCauseKind, string> = {
  'crash-loop': 'quarantine-message',
  'hung-actor': 'restart-actor',
  'cpu-hog': 'restart-actor',
  'memory-leak': 'restart-actor',
  'mailbox-flood': 'shed-topic',
  'slow-store': 'restart-actor',
};

describe('the self-healing loop, per fault kind', () => {
  let healing: HealingNode;
  let lastId = 0;

  beforeAll(async () => {
    healing = await startHealingNode();
    // A few windows of normal readings first: the statistical baselines need them.
    const node = healing.node;
    await waitFor(
      async () => (((await node.snapshot('analyzer')) as { context: { windows: number } }).context.windows >= BASELINE_WINDOWS ? true : undefined),
      20_000,
      `${BASELINE_WINDOWS} windows of normal readings analyzed`,
    );
  });
  afterAll(async () => healing?.cleanup());

  it.each(Object.entries(FIRST_ACTION) as [LocalCauseKind, string][])('%s: detected, diagnosed, %s executed and verified, outcome stored', async (kind, action) => {
    const fault = await healing.node.chaos(kind, WORKLOAD);
    const incident = await healing.closedIncident(lastId);
    lastId = incident.id;

    expect(incident).toMatchObject({ status: 'recovered', causeKind: kind, target: WORKLOAD, faultStartedAt: fault.startedAt });
    expect(incident.injected).toEqual({ kind, startedAt: fault.startedAt });
    expect(incident.confidence).toBeGreaterThanOrEqual(0.5);
    // Every phase stamped, in order.
    const phases = [incident.faultStartedAt!, incident.detectedAt, incident.diagnosedAt!, incident.plannedAt!, incident.executedAt!, incident.recoveredAt!];
    expect(phases.every((at) => typeof at === 'number')).toBe(true);
    expect([...phases].sort((a, b) => a - b)).toEqual(phases);
    expect(incident.actions).toHaveLength(1);
    expect(incident.actions[0]).toMatchObject({ kind: action, target: WORKLOAD, status: 'succeeded', outcome: { success: true } });
    // The outcome keeps the readings it was verified on, each criterion's value against its bound.
    expect(incident.actions[0]!.outcome!.detail).toMatchObject({ detail: expect.stringMatching(new RegExp(`^verified: actor\\.\\w+ of ${WORKLOAD} [-\\d.e+]+ (<=|>=) `)) });
    // The workload serves again.
    await healing.node.request(WORKLOAD, 'test.get', {}, { timeoutMs: 5_000 });
  });

  it('opened no incident for anything but the injected faults', async () => {
    const incidents = healing.node.incidents();
    expect(incidents).toHaveLength(Object.keys(FIRST_ACTION).length);
    expect(incidents.every((incident) => incident.injected !== null)).toBe(true);
    const status = await healing.node.status();
    expect(status.mape).toMatchObject({ phase: 'idle', open: [], held: [], recovered: 6, failed: 0 });
  });
});
