import { describe, expect, it } from 'vitest';
import { NO_MEMBERS } from '../../lib/mesh/membership-state.js';
import { NO_END_TO_END } from '../../lib/mesh/end-to-end-state.js';
import { NO_ROUTES } from '../../lib/mesh/routing-state.js';
import type { MeshStatus } from '../../actors/runtime/ops/node-status.js';
import { byTenth, rssBudgetMib, soakFigures, type SoakConfig } from '../../perf/fixtures/soak-figures.js';
import type { SoakRun } from '../../perf/fixtures/soak-run.js';
import type { UsageSample } from '../../perf/fixtures/process-usage.js';
import type { Figure } from '../../perf/stats.js';

const ATTACKER = 'spiffe://soak.test/node/mallory';
const CONFIG: SoakConfig = { attackMs: 60_000, idleMs: 10_000, afterMs: 10_000, legitimatePerSecond: 200, attackStepMs: 2_000, neverAcked: { count: 300_000, intervalMs: 10, batch: 50 } };

const samples = (rss: number[], fds: number[]): UsageSample[] => rss.map((rssMib, index) => ({ at: index * 1000, rssMib, fds: fds[index]! }));

const mesh = (overrides: Partial<MeshStatus> = {}): MeshStatus => ({
  phase: 'serving',
  links: [
    {
      peer: ATTACKER,
      role: 'acceptor',
      status: 'up',
      connections: 7,
      reauths: 0,
      peerReauthsDeferred: 0,
      sent: 65_536,
      delivered: 30,
      pending: 65_536,
      unwritten: 0,
      retransmitted: 400_000,
      duplicates: 0,
      dropped: 1_000,
      controlSent: 0,
      controlDelivered: 0,
    },
  ],
  refused: 90,
  handshakeFailures: 40,
  pq: { handshakes: 8, rekeys: 0, failures: {}, lastHandshakeMs: 3, handshakeSeconds: { cumulative: [], sum: 0.02 } },
  unroutable: 0,
  readHolds: 0,
  readingHeld: false,
  shed: { 'per-address': 10, 'listener-full': 20, 'per-peer': 0 },
  rejectedPayloads: { 'not-json': 0, 'too-deep': 30 },
  unknownControl: 0,
  silentPeers: 0,
  localHealth: 0,
  membership: NO_MEMBERS,
  routing: NO_ROUTES,
  endToEnd: NO_END_TO_END,
  ...overrides,
});

function soakRun(overrides: { received?: number[]; sent?: number; restarts?: Record<string, number>; exited?: number; attackRss?: number[]; attackFds?: number[] } = {}): SoakRun {
  const attackRss = overrides.attackRss ?? [210, 230, 250, 240];
  return {
    attackerId: ATTACKER,
    samples: {
      everyMs: 1_000,
      idle: samples([200, 200, 202], [50, 51, 50]),
      attack: samples(attackRss, overrides.attackFds ?? attackRss.map(() => 500)),
      after: samples([205], [52]),
    },
    legitimate: { sent: overrides.sent ?? 5, refused: 0, received: overrides.received ?? [1, 2, 3, 4, 5], connections: 1 },
    flood: {
      attempted: { 'silent-tcp': 100, 'tls-without-certificate': 200 },
      connected: 300,
      held: { 'silent-tcp': 40, 'tls-without-certificate': 90 },
      refusals: 90,
      refusalsNamingARule: 0,
      unreadable: 0,
      errors: { ECONNRESET: 30 },
      slots: 680,
      addresses: 17,
    },
    attacker: {
      steps: { 'deep-payloads': 3, 'oversized-record': 3, 'reauth-flood': 3 },
      deepPayloadsSent: 30,
      oversizedRecordsSent: 3,
      reauthFramesSent: 3_000,
      stalled: 0,
      reconnectingAtTheEnd: false,
      reconnectMs: [300, 400, 500, 600, 700, 800],
      streamReceived: 65_536,
      acknowledgementsWithheld: 12,
    },
    node: {
      mesh: mesh(),
      restarts: overrides.restarts ?? { 'supervisor root': 0, 'supervisor security': 0, identity: 0, 'peer-link': 0, probe: 0 },
      exited: overrides.exited,
      sameRun: true,
      linkDowns: [
        'LinkFrameError: a record of 1052673 bytes exceeds 1052672',
        'LinkFrameError: the dialer asked this acceptor to re-authenticate; only acceptors ask',
        'LinkFrameError: a record of 1052673 bytes exceeds 1052672',
        'Error: the connection closed',
      ],
      outputLines: 1_000,
      bus: { published: 400_000, delivered: 400_000, malformed: 0, heldMax: 64 },
      heaps: { heapMaxMibByThread: { process: 40, 'peer-link': 60.5 }, selfRssMaxMib: 300 },
      idleHeaps: { heapMaxMibByThread: { process: 20, 'peer-link': 10 } },
    },
  };
}

const named = (figures: Figure[], name: string): Figure => {
  const found = figures.find((value) => value.name === name);
  if (!found) throw new Error(`no figure ${name}`);
  return found;
};

describe('soakFigures', () => {
  it('names every figure of the suite, quick or full', () => {
    expect(soakFigures(soakRun(), CONFIG).map((value) => value.name)).toEqual([
      'soak_idle_rss_mib',
      'soak_rss_mib',
      'soak_idle_fds',
      'soak_fds',
      'soak_legit_lost',
      'soak_restarts',
      'soak_connections_attempted',
      'soak_connections_shed',
      'soak_connections_refused',
      'soak_payloads_refused',
      'soak_records_dropped',
      'soak_reauth_floods_closed',
      'soak_sends_dropped_to_m',
      'soak_attacker_reconnect_ms',
    ]);
  });

  it('sets the memory ceiling at the idle median plus what the caps let the attack hold, and judges the maximum against it', () => {
    const budget = Object.values(rssBudgetMib()).reduce((total, mib) => total + mib, 0);
    // The send window's 64 MiB, 512 connections of 32 KiB, 8 partial records of about 1 MiB.
    expect(budget).toBeCloseTo(64 + 16 + 8.03, 1);
    const under = named(soakFigures(soakRun({ attackRss: [210, 200 + budget - 1] }), CONFIG), 'soak_rss_mib');
    expect(under['ceiling_mib']).toBeCloseTo(200 + budget, 1);
    expect(under['target_met']).toBe(true);
    // Beside it, where the memory is: the threads' largest heaps and their sum.
    expect(under).toMatchObject({ heap_max_mib_by_thread: { process: 40, 'peer-link': 60.5 }, heap_max_sum_mib: 100.5, idle_heap_max_sum_mib: 30, self_read_rss_max_mib: 300 });
    expect(under['ratio']).toBeLessThan(1);
    const over = named(soakFigures(soakRun({ attackRss: [210, 200 + budget + 1] }), CONFIG), 'soak_rss_mib');
    expect(over['target_met']).toBe(false);
    expect(over['ratio']).toBeGreaterThan(1);
    expect(over['ratio_to_idle']).toBeCloseTo((200 + budget + 1) / 200, 2);
  });

  it('sets the descriptor ceiling at the most held idle plus the listener cap, plus the accept of a connection it sheds', () => {
    const at = named(soakFigures(soakRun({ attackFds: [400, 51 + 512 + 1, 300, 300] }), CONFIG), 'soak_fds');
    expect(at['ceiling']).toBe(51 + 512 + 1);
    expect(at['ratio']).toBe(1);
    expect(at['target_met']).toBe(true);
    expect(named(soakFigures(soakRun({ attackFds: [400, 51 + 514, 300, 300] }), CONFIG), 'soak_fds')['target_met']).toBe(false);
  });

  it('counts a lost tail of the legitimate stream, and a repeat or reordering fails the target without being a loss', () => {
    const tail = named(soakFigures(soakRun({ sent: 7 }), CONFIG), 'soak_legit_lost');
    expect(tail.median).toBe(2);
    expect(tail['target_met']).toBe(false);
    const repeated = named(soakFigures(soakRun({ received: [1, 3, 2, 4, 5, 5] }), CONFIG), 'soak_legit_lost');
    expect(repeated.median).toBe(0);
    expect(repeated['duplicates']).toBe(1);
    expect(repeated['reordered']).toBe(1);
    expect(repeated['target_met']).toBe(false);
    expect(named(soakFigures(soakRun(), CONFIG), 'soak_legit_lost')['target_met']).toBe(true);
  });

  it('fails the restart target on any restart in the tree, and on an exited process', () => {
    const restarted = named(soakFigures(soakRun({ restarts: { 'supervisor security': 1, 'peer-link': 2, probe: 0 } }), CONFIG), 'soak_restarts');
    expect(restarted.median).toBe(3);
    expect(restarted['restarted']).toEqual({ 'supervisor security': 1, 'peer-link': 2 });
    expect(restarted['target_met']).toBe(false);
    const exited = named(soakFigures(soakRun({ exited: 1 }), CONFIG), 'soak_restarts');
    expect(exited.median).toBe(0);
    expect(exited['target_met']).toBe(false);
  });

  it("counts the attack from the node's own counters and log lines", () => {
    const figures = soakFigures(soakRun(), CONFIG);
    expect(named(figures, 'soak_connections_shed').median).toBe(30);
    expect(named(figures, 'soak_records_dropped').median).toBe(2);
    expect(named(figures, 'soak_reauth_floods_closed').median).toBe(1);
    expect(named(figures, 'soak_payloads_refused')['all_refused']).toBe(true);
    expect(named(figures, 'soak_sends_dropped_to_m')).toMatchObject({ median: 1_000, held_unacknowledged: 65_536 });
  });

  it('refuses a run without idle or attack readings', () => {
    const run = soakRun();
    expect(() => soakFigures({ ...run, samples: { ...run.samples, idle: [] } }, CONFIG)).toThrow(RangeError);
  });
});

describe('byTenth', () => {
  it('takes the median of ten consecutive stretches', () => {
    expect(byTenth(Array.from({ length: 20 }, (_, index) => index))).toEqual([0.5, 2.5, 4.5, 6.5, 8.5, 10.5, 12.5, 14.5, 16.5, 18.5]);
  });

  it('gives one value per sample when there are fewer than ten', () => {
    expect(byTenth([3, 1, 2])).toEqual([3, 1, 2]);
  });
});
