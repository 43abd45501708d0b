/**
 * The node's supervision tree (ARCHITECTURE.md §1). Subsystems add their actors to their group
 * as their issues land; until then the groups are empty and the tree is the bare spine.
 */
import type { SupervisorSpec } from './supervision-spec.js';

export function defaultTree(): SupervisorSpec {
  return {
    kind: 'supervisor',
    id: 'root',
    strategy: 'one_for_one',
    children: [
      // A new identity means new links: peer-link restarts whenever identity does.
      { kind: 'supervisor', id: 'security', strategy: 'rest_for_one', children: [] },
      { kind: 'supervisor', id: 'mape', strategy: 'one_for_one', children: [] },
      { kind: 'supervisor', id: 'governance', strategy: 'one_for_one', children: [] },
      { kind: 'supervisor', id: 'learning', strategy: 'one_for_one', children: [] },
    ],
  };
}
