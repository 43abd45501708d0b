/**
 * Where `chaos` injects when no target is named: the first actor outside the self-healing loop,
 * which is what an operator wants to see healed; on a node whose only actors are the loop's
 * (the default tree until other subsystems land), the planner: the analyzer still diagnoses it
 * and the executor still remedies it, though a faulty planner slows its own plan down.
 */
import type { TreeNodeStatus } from '../ops/node-status.js';

const LOOP_ACTORS = new Set(['monitor', 'analyzer', 'planner', 'executor']);
const LOOP_FALLBACK = 'planner';

export function defaultChaosTarget(tree: TreeNodeStatus): string {
  return firstActor(tree, (id) => !LOOP_ACTORS.has(id)) ?? LOOP_FALLBACK;
}

function firstActor(node: TreeNodeStatus, accept: (id: string) => boolean): string | undefined {
  if (node.kind === 'actor') return accept(node.id) ? node.id : undefined;
  for (const child of node.children) {
    const found = firstActor(child, accept);
    if (found !== undefined) return found;
  }
  return undefined;
}
