/**
 * The planner: for each diagnosis, the candidate actions of the policy table whose preconditions
 * hold, ranked by past success for this cause, cost and risk (lib/mape/rank-candidates.ts), with
 * the cause's verification criteria. Candidates at or above the risk threshold are kept for
 * governance: when none below it is left, the plan is held (shown in status) instead of run.
 */
import { enqueueActions, setup } from 'xstate';
import type { BusEmitted } from '../lib/bus/bus-emitted.js';
import type { ActionKind } from '../lib/mape/actions.js';
import type { Diagnosis, Outcome, Plan } from '../lib/mape/plan.js';
import { preconditionsHold, type Preconditions } from '../lib/mape/preconditions.js';
import { rankCandidates, type PolicyOption } from '../lib/mape/rank-candidates.js';
import { DEFAULT_VERIFY_WITHIN_MS, verifyCriteria } from '../lib/mape/verify-criteria.js';

export interface PlannerPorts {
  now(): number;
  /** Valid enabled policies for the cause; invalid rows come back in `skipped`, with why. */
  policies(cause: string): { options: (PolicyOption & { preconditions: Preconditions })[]; skipped: { policyId: number; reason: string }[] };
  /** Smoothed success rate per action kind tried for the cause. */
  successRates(cause: string): Partial<Record<ActionKind, number>>;
  planned(plan: Plan): void;
  held(plan: Plan): void;
  failed(incidentId: number, at: number, reason: string): void;
}

export interface PlannerOptions {
  riskThreshold: number;
  verifyWithinMs?: number;
}

export interface PlannerContext {
  planned: number;
  held: number;
  failed: number;
  /** Policy rows skipped as invalid, latest first (bounded). */
  skippedPolicies: { policyId: number; reason: string }[];
  /** Incidents already planned: a diagnosis delivered again is not planned twice. */
  recent: number[];
}

const MAX_REMEMBERED = 64;

type PlannerEvent = { type: 'mape.diagnosis'; payload: Diagnosis };

export function createPlannerMachine(ports: PlannerPorts, options: PlannerOptions) {
  return setup({
    types: {} as { context: PlannerContext; events: PlannerEvent; emitted: BusEmitted },
    actions: {
      plan: enqueueActions(({ context, event, enqueue }) => {
        const diagnosis = event.payload;
        if (context.recent.includes(diagnosis.incidentId)) return;
        const { options: policies, skipped } = ports.policies(diagnosis.cause);
        const rates = ports.successRates(diagnosis.cause);
        const applicable = policies.filter((policy) => preconditionsHold(policy.preconditions, diagnosis));
        const ranked = rankCandidates(applicable, diagnosis.target, (action) => rates[action]);
        const runnable = ranked.filter((candidate) => candidate.risk < options.riskThreshold);
        const now = Math.max(ports.now(), diagnosis.diagnosedAt);
        const recent = [diagnosis.incidentId, ...context.recent].slice(0, MAX_REMEMBERED);
        const skippedPolicies = [...skipped, ...context.skippedPolicies].slice(0, MAX_REMEMBERED);
        if (ranked.length === 0) {
          ports.failed(diagnosis.incidentId, now, `no applicable policy for cause '${diagnosis.cause}'`);
          const outcome: Outcome = {
            incidentId: diagnosis.incidentId,
            actionId: null,
            cause: diagnosis.cause,
            target: diagnosis.target,
            action: null,
            success: false,
            at: now,
            final: true,
            recovered: false,
          };
          enqueue.emit({ type: 'bus.publish', topic: 'mape.outcome', payload: outcome });
          enqueue.assign({ failed: context.failed + 1, recent, skippedPolicies });
          return;
        }
        const chosen = runnable.length > 0 ? runnable : ranked;
        const plan: Plan = {
          incidentId: diagnosis.incidentId,
          cause: diagnosis.cause,
          target: diagnosis.target,
          candidates: chosen,
          verify: { criteria: verifyCriteria(diagnosis.cause, diagnosis.target), withinMs: options.verifyWithinMs ?? DEFAULT_VERIFY_WITHIN_MS },
          risk: Math.max(...chosen.map((candidate) => candidate.risk)),
          plannedAt: now,
        };
        if (runnable.length === 0) {
          ports.held(plan);
          enqueue.assign({ held: context.held + 1, recent, skippedPolicies });
          return;
        }
        ports.planned(plan);
        enqueue.emit({ type: 'bus.publish', topic: 'mape.plan', payload: plan });
        enqueue.assign({ planned: context.planned + 1, recent, skippedPolicies });
      }),
    },
  }).createMachine({
    id: 'planner',
    context: { planned: 0, held: 0, failed: 0, skippedPolicies: [], recent: [] },
    initial: 'ready',
    states: {
      ready: { on: { 'mape.diagnosis': { actions: 'plan' } } },
    },
  });
}
