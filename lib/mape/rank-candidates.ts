/**
 * The planner's ranking: expected benefit minus what the action costs and risks. The benefit is
 * the smoothed past success rate of the action for this cause (0.5 when never tried), so an
 * action that worked before for the same cause comes first, and one that kept failing sinks
 * below untried ones.
 */
import { ROLLBACK_OF, type ActionKind } from './actions.js';
import type { PlanCandidate } from './plan.js';

export interface PolicyOption {
  policyId: number;
  action: ActionKind;
  cost: number;
  risk: number;
  params: Record<string, unknown>;
}

/** Cost is in "restart units" (1 = restart one actor); 0.1 per unit lets evidence outweigh cost. */
export const COST_WEIGHT = 0.1;
/** A risk of 1 costs as much as half a certain success. */
export const RISK_WEIGHT = 0.5;
/** Laplace's prior for an action never tried: (0 + 1) / (0 + 2). */
const UNTRIED_RATE = 0.5;

export function rankCandidates(
  options: readonly PolicyOption[],
  target: string,
  successRate: (action: ActionKind) => number | undefined,
): PlanCandidate[] {
  return options
    .map((option) => {
      const rate = successRate(option.action) ?? UNTRIED_RATE;
      return {
        policyId: option.policyId,
        action: option.action,
        target,
        params: option.params,
        cost: option.cost,
        risk: option.risk,
        successRate: rate,
        score: rate - COST_WEIGHT * option.cost - RISK_WEIGHT * option.risk,
        rollback: ROLLBACK_OF[option.action] ?? null,
      };
    })
    .sort((a, b) => b.score - a.score || a.cost - b.cost || (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
}
