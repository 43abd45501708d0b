/**
 * The planner learns from outcomes: with a knowledge base where one action has worked for a
 * cause and another has not, it tries the one that worked first; when its first choice fails
 * verification, the executor moves on to the next candidate, and both outcomes are stored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE_NAME } from '../../../actors/runtime/node.js';
import { openStore } from '../../../store/open-store.js';
import { createIncidentStore } from '../../../store/incidents.js';
import { createOutcomeStore } from '../../../store/outcomes.js';
import { createPolicyStore } from '../../../store/policies.js';
import { join } from 'node:path';
import { startHealingNode, WORKLOAD, type HealingNode } from './healing-node.js';

/** Past incidents of `cause`: each action with its share of successes, as earlier runs would have left them. */
function seedHistory(dataDir: string, cause: string, history: Record<string, { successes: number; failures: number }>): void {
  const db = openStore(join(dataDir, DATABASE_FILE_NAME));
  try {
    const incidents = createIncidentStore(db);
    const outcomes = createOutcomeStore(db);
    let at = Date.now() - 3_600_000;
    for (const [action, { successes, failures }] of Object.entries(history)) {
      for (let i = 0; i < successes + failures; i++) {
        at += 1_000;
        const incidentId = incidents.open({ causeKind: cause, target: 'earlier', detectedAt: at });
        incidents.mark(incidentId, 'diagnosed', at, { causeKind: cause });
        const actionId = outcomes.startAction({ incidentId, kind: action, target: `earlier-${action}-${i}`, at });
        const success = i < successes;
        outcomes.finishAction(actionId, success ? 'succeeded' : 'failed', at);
        outcomes.recordOutcome({ actionId, success, verifiedAt: at });
        incidents.mark(incidentId, success ? 'recovered' : 'failed', at);
      }
    }
  } finally {
    db.close();
  }
}

describe('planning from the knowledge base', () => {
  let healing: HealingNode | undefined;

  afterEach(async () => {
    await healing?.cleanup();
    healing = undefined;
  });

  it('tries first the action that worked before for the same cause, over a cheaper one that did not', async () => {
    healing = await startHealingNode({
      seed: (dataDir) =>
        seedHistory(dataDir, 'memory-leak', { 'restart-actor': { successes: 0, failures: 8 }, 'restart-subtree': { successes: 8, failures: 0 } }),
    });
    await healing.node.chaos('memory-leak', WORKLOAD);
    const incident = await healing.closedIncident(16);
    expect(incident).toMatchObject({ status: 'recovered', causeKind: 'memory-leak' });
    expect(incident.actions.map((action) => [action.kind, action.status])).toEqual([['restart-subtree', 'succeeded']]);
    const plan = (incident.detail as { plan: { candidates: { action: string; successRate: number }[] } }).plan;
    expect(plan.candidates.map((candidate) => candidate.action)).toEqual(['restart-subtree', 'restart-actor']);
    expect(plan.candidates[0]!.successRate).toBeCloseTo(9 / 10);
  });

  it('moves on to the next candidate when the first is not verified in time, and stores both outcomes', async () => {
    // An operator's policy that ranks first for a leak but cannot cure it: draining the mailbox.
    const seed = (dataDir: string) => {
      const db = openStore(join(dataDir, DATABASE_FILE_NAME));
      createPolicyStore(db).upsert({ causeKind: 'memory-leak', actionKind: 'drain-mailbox', cost: 0, risk: 0 });
      db.close();
    };
    healing = await startHealingNode({ seed, planner: { verifyWithinMs: 1_000 } });
    await healing.node.chaos('memory-leak', WORKLOAD);
    const incident = await healing.closedIncident();
    expect(incident).toMatchObject({ status: 'recovered', causeKind: 'memory-leak' });
    // The actions' stored details carry the values each verdict was reached on: shown if this fails.
    expect(incident.actions.map((action) => [action.kind, action.status, action.outcome?.success]), JSON.stringify(incident.actions)).toEqual([
      ['drain-mailbox', 'failed', false],
      ['restart-actor', 'succeeded', true],
    ]);
  });
});
