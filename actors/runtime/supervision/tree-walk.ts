/**
 * The one walk over a supervision tree, for both of its forms: the spec a node is built from
 * (ChildSpec) and the status it reports (TreeNodeStatus). Both are actors as leaves and supervisors
 * with `children`, so one generic walk serves every reader (the node's actor list, readiness,
 * metrics, chaos's default target, benchmarks and tests).
 */

/** What both tree forms share: a leaf actor or a supervisor with children. */
export interface TreeNode {
  kind: 'actor' | 'supervisor';
  id: string;
}

/** Any node of the tree whose root is N: N itself or a child kind (a root typed as a supervisor has actor children). */
type NodeIn<N> = N | (N extends { children: readonly (infer C extends TreeNode)[] } ? C : never);
type ActorIn<N> = Extract<NodeIn<N>, { kind: 'actor' }>;

function childrenOf<N extends TreeNode>(node: N): readonly NodeIn<N>[] {
  return node.kind === 'supervisor' ? (node as unknown as { children: readonly NodeIn<N>[] }).children : [];
}

/** Every node, depth first, each supervisor before its children, children in start order. */
export function* treeNodes<N extends TreeNode>(root: N): Generator<NodeIn<N>> {
  yield root;
  for (const child of childrenOf(root)) yield* treeNodes(child as N);
}

/** The actors (leaves), in start order. */
export function* actorsIn<N extends TreeNode>(root: N): Generator<ActorIn<N>> {
  for (const node of treeNodes(root)) if (node.kind === 'actor') yield node as ActorIn<N>;
}

/** The actor with this id, or undefined when the tree has none. */
export function findActorIn<N extends TreeNode>(root: N, actorId: string): ActorIn<N> | undefined {
  for (const actor of actorsIn(root)) if (actor.id === actorId) return actor;
  return undefined;
}
