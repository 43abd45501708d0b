/** The messages between analyzer, planner and executor. */
import type { ActionKind, CommandKind } from './actions.js';
import type { CauseKind } from './causes.js';
import type { MetricName } from './metrics.js';

export interface Diagnosis {
  incidentId: number;
  cause: CauseKind;
  /** The actor the diagnosis blames. */
  target: string;
  resource: string;
  /** 0..1: the rule's own confidence, raised by corroborating statistical anomalies. */
  confidence: number;
  detectedAt: number;
  diagnosedAt: number;
  /** What the cause was inferred from: metric, value and the detectors that flagged it. */
  evidence: { metric: MetricName; source: string; value: number; detectors: string[] }[];
}

/** One criterion of verification: the metric for the source must satisfy `op value` on a sample after the action. */
export interface VerifyCriterion {
  metric: MetricName;
  source: string;
  op: '<=' | '>=';
  value: number;
}

export interface PlanCandidate {
  policyId: number;
  action: ActionKind;
  target: string;
  params: Record<string, unknown>;
  cost: number;
  risk: number;
  /** Smoothed past success rate of this action for this cause. */
  successRate: number;
  score: number;
  /** The command that undoes the action if it is not verified, or null when nothing can undo it. */
  rollback: CommandKind | null;
}

export interface Plan {
  incidentId: number;
  cause: CauseKind;
  target: string;
  /** Ranked: the executor tries them in order until one is verified. */
  candidates: PlanCandidate[];
  verify: { criteria: VerifyCriterion[]; withinMs: number };
  /** The highest risk among candidates: at or above the node's threshold the plan goes to governance. */
  risk: number;
  plannedAt: number;
}

export interface Outcome {
  incidentId: number;
  /** Null when the incident ended without an action (no policy applied, or a plan was dropped). */
  actionId: number | null;
  cause: CauseKind;
  target: string;
  action: ActionKind | null;
  success: boolean;
  at: number;
  /** Whether the incident is over (recovered, or failed with every candidate tried). */
  final: boolean;
  recovered: boolean;
}
