import { describe, expect, it } from 'vitest';
import { actorsIn, findActorIn, treeNodes } from '../../../../actors/runtime/supervision/tree-walk.js';
import type { ChildSpec, SupervisorSpec } from '../../../../actors/runtime/contracts/supervision-spec.js';

const actor = (id: string): ChildSpec => ({ kind: 'actor', id, module: 'file:///m.js' });
const tree: SupervisorSpec = {
  kind: 'supervisor',
  id: 'root',
  strategy: 'one_for_one',
  children: [actor('a'), { kind: 'supervisor', id: 'inner', strategy: 'rest_for_one', children: [actor('b'), actor('c')] }, actor('d')],
};

describe('the supervision-tree walk', () => {
  it('visits every node depth first, each supervisor before its children, in start order', () => {
    expect([...treeNodes(tree)].map((node) => node.id)).toEqual(['root', 'a', 'inner', 'b', 'c', 'd']);
  });

  it('lists the actors in start order and finds one by id', () => {
    expect([...actorsIn(tree)].map((node) => node.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(findActorIn(tree, 'c')).toEqual(actor('c'));
    expect(findActorIn(tree, 'inner')).toBeUndefined();
    expect(findActorIn(actor('x'), 'x')).toEqual(actor('x'));
  });
});
