import { describe, expect, it } from 'vitest';
import type { ActorStatus, NodeStatus } from '../../actors/runtime/ops/node-status.js';
import { formatDuration, formatMachineState, formatStatus } from '../../cli/format-status.js';

const quietMailbox = { depth: 0, inflight: 0, capacity: 10000, dropped: 0, rejected: 0, blocked: 0, accepted: 0, processed: 0 };

function actor(id: string, overrides: Partial<ActorStatus> = {}): ActorStatus {
  return { kind: 'actor', id, host: 'worker', state: 'running', machineState: 'idle', restarts: 0, mailbox: quietMailbox, ...overrides };
}

const status: NodeStatus = {
  nodeId: 'node-7f3a',
  runId: 'run-19c2',
  production: false,
  startedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
  uptimeMs: 3_723_000,
  bus: { published: 120, delivered: 118, malformed: 2, heldMax: 40 },
  tree: {
    kind: 'supervisor',
    id: 'root',
    strategy: 'one_for_one',
    restarts: 1,
    children: [
      {
        kind: 'supervisor',
        id: 'security',
        strategy: 'rest_for_one',
        restarts: 3,
        children: [
          actor('identity', { machineState: { active: 'rotating' } }),
          actor('peer-link', {
            state: 'restarting',
            restarts: 4,
            host: 'inline',
            machineState: { rx: 'open', tx: { sending: 'batch' } },
            mailbox: { depth: 37, inflight: 5, capacity: 256, dropped: 9, rejected: 0, blocked: 2, accepted: 100, processed: 58 },
          }),
        ],
      },
      actor('monitor', { state: 'failed', restarts: 6, mailbox: { ...quietMailbox, depth: 12, inflight: 1 } }),
    ],
  },
};

describe('formatStatus', () => {
  const text = formatStatus(status);
  const lines = text.split('\n');
  const lineOf = (id: string): string => lines.find((line) => new RegExp(`(^|[─ ])${id}  `).test(line)) ?? '';

  it('has a header with node, run, mode, start, uptime and bus counters', () => {
    expect(lines[0]).toBe('node node-7f3a (development)  run run-19c2');
    expect(lines[1]).toBe('started 2025-01-02T03:04:05.000Z, up 1h 02m 03s');
    expect(lines[2]).toBe('bus: 120 published, 118 delivered, 2 malformed, at most 40 held behind a full mailbox');
    expect(formatStatus({ ...status, production: true }).split('\n')[0]).toContain('(production)');
  });

  it('shows the self-healing loop\'s phase and its open incidents, held ones marked', () => {
    const withLoop = formatStatus({
      ...status,
      mape: {
        phase: 'executing',
        open: [
          { id: 4, cause: 'cpu-hog', target: 'monitor', status: 'executing', detectedAt: 1 },
          { id: 5, cause: 'memory-leak', target: 'peer\u001b[2J', status: 'held', detectedAt: 2 },
        ],
        held: [{ id: 5, cause: 'memory-leak', target: 'peer', status: 'held', detectedAt: 2 }],
        recovered: 7,
        failed: 1,
      },
    }).split('\n');
    expect(withLoop.slice(3, 6)).toEqual([
      'self-healing: executing, 2 open, 7 recovered, 1 failed',
      '  incident #4 executing: cpu-hog on monitor',
      '  incident #5 held: memory-leak on peer?[2J (held for governance: its risk is at or above mape.riskThreshold)',
    ]);
    expect(lines.some((line) => line.startsWith('self-healing'))).toBe(false);
  });

  it('says where the node stands with its identity, and why it waits', () => {
    const base = { mode: 'agent' as const, endpoint: 'unix:///run/spire/agent.sock', updates: 0, rejected: 0 };
    expect(formatStatus({ ...status, identity: { ...base, status: 'waiting', reason: 'PERMISSION_DENIED: no identity issued' } }).split('\n')[3]).toBe(
      'identity: waiting for an SVID from the agent unix:///run/spire/agent.sock: PERMISSION_DENIED: no identity issued',
    );
    expect(
      formatStatus({
        ...status,
        identity: { ...base, mode: 'embedded', endpoint: 'embedded (mesh.local)', status: 'ready', spiffeId: 'spiffe://mesh.local/node/a', expiresAt: Date.UTC(2026, 0, 1), updates: 1 },
      }).split('\n')[3],
    ).toBe('identity: spiffe://mesh.local/node/a from the embedded trust domain embedded (mesh.local), expires 2026-01-01T00:00:00.000Z');
  });

  it('draws the supervision tree', () => {
    const tree = lines.slice(4).filter((line) => line !== '');
    expect(tree).toEqual([
      'root  supervisor one_for_one  restarts 1',
      '├─ security  supervisor rest_for_one  restarts 3',
      '│  ├─ identity  running  worker  state: active.rotating  restarts 0  mailbox 0/10000 inflight 0',
      '│  └─ peer-link  restarting  inline  state: {rx.open, tx.sending.batch}  restarts 4  mailbox 37/256 inflight 5 dropped 9 blocked 2',
      '└─ monitor  failed  worker  state: idle  restarts 6  mailbox 12/10000 inflight 1',
    ]);
  });

  it('puts every actor id with its state, restarts and mailbox depth on its line', () => {
    expect(lineOf('identity')).toMatch(/identity\s+running .*restarts 0 .*mailbox 0\/10000/);
    expect(lineOf('peer-link')).toMatch(/peer-link\s+restarting .*restarts 4 .*mailbox 37\/256/);
    expect(lineOf('monitor')).toMatch(/monitor\s+failed .*restarts 6 .*mailbox 12\/10000/);
  });

  it('shows overflow counters only when they are not zero', () => {
    expect(lineOf('peer-link')).toContain('dropped 9');
    expect(lineOf('peer-link')).not.toContain('rejected');
    expect(lineOf('identity')).not.toMatch(/dropped|rejected|blocked/);
  });

  it('does not let control characters from the node reach the terminal', () => {
    const hostile = formatStatus({ ...status, nodeId: 'evil\u001b[2J\nnode', tree: actor('a\u0007b', { machineState: 'x\ny' }) });
    expect(hostile).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(hostile.split('\n')[0]).toBe('node evil?[2J?node (development)  run run-19c2');
    expect(hostile).toContain('a?b  running');
    expect(hostile).toContain('state: x?y');
  });
});

describe('formatMachineState', () => {
  it.each([
    ['idle', 'idle'],
    [{ connecting: 'handshake' }, 'connecting.handshake'],
    [{ a: { b: { c: 'd' } } }, 'a.b.c.d'],
    [{ rx: 'open', tx: 'idle' }, '{rx.open, tx.idle}'],
    [{ leaf: {} }, 'leaf'],
    [undefined, '-'],
    [null, '-'],
    [42, '42'],
  ])('formats %j as %s', (value, expected) => {
    expect(formatMachineState(value)).toBe(expected);
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [42_000, '42s'],
    [187_000, '3m 07s'],
    [18_187_000, '5h 03m 07s'],
    [191_000_000, '2d 05h 03m'],
  ])('formats %d ms as %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});
