/**
 * Where `chaos` injects when no target is named: the first actor outside the self-healing loop,
 * which is what an operator wants to see healed; on a node whose only actors are the loop's
 * (the default tree until other subsystems land), the planner: the analyzer still diagnoses it
 * and the executor still remedies it, though a faulty planner slows its own plan down.
 */
import type { TreeNodeStatus } from '../ops/node-status.js';
import { actorsIn } from '../supervision/tree-walk.js';

const LOOP_ACTORS = new Set(['monitor', 'analyzer', 'planner', 'executor']);
const LOOP_FALLBACK = 'planner';

export function defaultChaosTarget(tree: TreeNodeStatus): string {
  for (const actor of actorsIn(tree)) if (!LOOP_ACTORS.has(actor.id)) return actor.id;
  return LOOP_FALLBACK;
}
