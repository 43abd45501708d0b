/**
 * The planner actor: the planner machine with the policy table and past outcomes as its ports.
 * A policy row naming an action this node cannot perform, or with preconditions it cannot read,
 * is reported (log and machine context) and skipped.
 */
import { isActionKind } from '../../lib/mape/actions.js';
import { parsePreconditions } from '../../lib/mape/preconditions.js';
import { createPlannerMachine, type PlannerPorts } from '../../machines/planner.js';
import { createIncidentStore } from '../../store/incidents.js';
import { createOutcomeStore } from '../../store/outcomes.js';
import { createPolicyStore } from '../../store/policies.js';
import { defineStoreActor } from '../runtime/actor-kit/store-actor.js';
import { z } from 'zod';
import { actorOption, parseActorOptions } from '../runtime/actor-kit/actor-options.js';
import { DEFAULT_RISK_THRESHOLD } from '../../lib/mape/defaults.js';
import { markOnce } from '../../store/incident-marks.js';
import { createLogger } from '../runtime/actor-kit/logger.js';

const plannerOptionsSchema = z.object({
  riskThreshold: actorOption.fraction().default(DEFAULT_RISK_THRESHOLD),
  verifyWithinMs: actorOption.positiveInt().optional(),
});

export default defineStoreActor((store, io) => {
  const log = createLogger('warn').child({ actor: io.actorId });
  const policies = createPolicyStore(store);
  const outcomes = createOutcomeStore(store);
  const incidents = createIncidentStore(store);
  const ports: PlannerPorts = {
    now: () => Date.now(),
    policies(cause) {
      const options: ReturnType<PlannerPorts['policies']>['options'] = [];
      const skipped: { policyId: number; reason: string }[] = [];
      for (const row of policies.candidates(cause)) {
        try {
          if (!isActionKind(row.actionKind)) throw new Error(`unknown action kind '${row.actionKind}'`);
          options.push({
            policyId: row.id,
            action: row.actionKind,
            cost: row.cost,
            risk: row.risk,
            params: {},
            preconditions: parsePreconditions(row.preconditions),
          });
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          skipped.push({ policyId: row.id, reason });
          log.warn({ policy: row.id, cause, reason }, 'policy skipped');
        }
      }
      return { options, skipped };
    },
    successRates(cause) {
      return Object.fromEntries(outcomes.successRates(cause).map((rate) => [rate.actionKind, rate.smoothedRate]));
    },
    planned(plan) {
      markOnce(incidents, plan.incidentId, 'planned', plan.plannedAt, { plan });
    },
    held(plan) {
      markOnce(incidents, plan.incidentId, 'planned', plan.plannedAt, { plan });
      markOnce(incidents, plan.incidentId, 'held', plan.plannedAt, { heldBecause: 'every candidate is at or above the risk threshold' });
    },
    failed(incidentId, at, reason) {
      markOnce(incidents, incidentId, 'failed', at, { failure: reason });
    },
  };
  const { riskThreshold, verifyWithinMs } = parseActorOptions(plannerOptionsSchema, io.options);
  return createPlannerMachine(ports, { riskThreshold, ...(verifyWithinMs !== undefined ? { verifyWithinMs } : {}) });
});
