import { describe, expect, it } from 'vitest';
import { nodeStatusSchema, type NodeStatus } from '../../../../actors/runtime/ops/node-status.js';

const mailbox = { depth: 1, inflight: 0, capacity: 8, dropped: 0, rejected: 0, blocked: 0, accepted: 3, processed: 2 };

const status: NodeStatus = {
  nodeId: 'n1',
  runId: 'r1',
  production: true,
  startedAt: 1_700_000_000_000,
  uptimeMs: 5,
  bus: { published: 1, delivered: 1, malformed: 0, heldMax: 0 },
  tree: {
    kind: 'supervisor',
    id: 'root',
    strategy: 'one_for_all',
    restarts: 0,
    children: [
      {
        kind: 'supervisor',
        id: 'inner',
        strategy: 'rest_for_one',
        restarts: 0,
        children: [
          { kind: 'actor', id: 'a', host: 'inline', state: 'running', machineState: { p: 'q' }, restarts: 2, mailbox },
        ],
      },
    ],
  },
};

/** The sample's shape with its literal types widened, so a test can break it on purpose. */
interface Loose {
  bus?: unknown;
  tree: {
    kind: string;
    strategy: string;
    restarts: number;
    children: { kind: string; children: { state: string; mailbox: { depth: number } }[] }[];
  };
}

/** A deep copy with one change, for negative cases. */
function variant(change: (copy: Loose) => void): unknown {
  const copy = structuredClone(status) as unknown as Loose;
  change(copy);
  return copy;
}

function onlyActor(copy: Loose): { state: string; mailbox: { depth: number } } {
  const found = copy.tree.children[0]?.children[0];
  if (found === undefined) throw new Error('sample status lost its actor');
  return found;
}

describe('nodeStatusSchema', () => {
  it('accepts a status with nested supervisors and any machine state', () => {
    expect(nodeStatusSchema.parse(status)).toEqual(status);
  });

  it.each([
    ['an unknown strategy', (s: Loose) => void (s.tree.strategy = 'one_for_some')],
    ['an unknown actor state deep in the tree', (s: Loose) => void (onlyActor(s).state = 'zombie')],
    ['a negative mailbox depth', (s: Loose) => void (onlyActor(s).mailbox.depth = -1)],
    ['an unknown node kind', (s: Loose) => void ((s.tree.children[0] ?? { kind: '' }).kind = 'group')],
    ['missing bus counters', (s: Loose) => void delete s.bus],
    ['a fractional restart count', (s: Loose) => void (s.tree.restarts = 0.5)],
  ])('refuses %s', (_name, change) => {
    expect(nodeStatusSchema.safeParse(variant(change)).success).toBe(false);
  });
});
