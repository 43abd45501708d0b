/**
 * The loop under its own faults and bad input: an executor crashed mid-action completes that
 * action exactly once; malformed samples and unknown metrics are rejected and counted; corrupted
 * policy and rule rows are reported and skipped, and the loop goes on healing.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidPayloadError, ProductionModeError } from '../../../actors/runtime/errors.js';
import { DATABASE_FILE_NAME } from '../../../actors/runtime/node.js';
import type { ActorStatus, TreeNodeStatus } from '../../../actors/runtime/ops/node-status.js';
import { openStore } from '../../../store/open-store.js';
import { findActorIn } from '../../../actors/runtime/supervision/tree-walk.js';
import { startTestNode, waitFor } from '../../helpers/test-node.js';
import { COUNTER_ACTOR } from '../../fixtures/fixture-paths.js';
import { startHealingNode, WORKLOAD, type HealingNode } from './healing-node.js';

/** Windows the analyzer handles after the held target's restart before the test looks: a second of them at the test interval. */
const WINDOWS_AFTER_RESTART = 4;

const actorStatus = (tree: TreeNodeStatus, id: string): ActorStatus | undefined => findActorIn(tree, id);

describe('the self-healing loop under faults of its own and bad input', () => {
  let healing: HealingNode | undefined;

  afterEach(async () => {
    await healing?.cleanup();
    healing = undefined;
  });

  it.each(['exit', 'throw'] as const)('an executor crashed (%s) mid-action completes the action exactly once', async (how) => {
    healing = await startHealingNode();
    const node = healing.node;
    const restartsBefore = actorStatus(node.tree(), WORKLOAD)!.restarts;
    // A leak: detected on any machine load (a CPU hog on a saturated machine may get less than the
    // half core its rule looks for), and, unlike a hang, never also restarted by the supervisor's
    // liveness deadline, so the workload's restarts count the action's alone.
    await node.chaos('memory-leak', WORKLOAD);
    // Crash the executor the moment its action is on record: the command may or may not have been
    // performed, and the restarted executor must find out which and carry on, not repeat it.
    await waitFor(() => node.incidents().find((incident) => incident.actions.length > 0), 10_000, 'an action on record');
    await node.crash('executor', how);
    const incident = await healing.closedIncident();

    expect(incident).toMatchObject({ status: 'recovered', causeKind: 'memory-leak' });
    expect(incident.actions.map((action) => [action.kind, action.status])).toEqual([['restart-actor', 'succeeded']]);
    const db = openStore(join(healing.dataDir, DATABASE_FILE_NAME));
    try {
      const outcomes = db.prepare('SELECT action_id AS actionId, success FROM outcomes').all();
      expect(outcomes).toEqual([{ actionId: incident.actions[0]!.id, success: 1 }]);
    } finally {
      db.close();
    }
    expect(actorStatus(node.tree(), 'executor')!.restarts).toBeGreaterThanOrEqual(1);
    // One restart of the workload: the action's, performed once.
    expect(actorStatus(node.tree(), WORKLOAD)!.restarts - restartsBefore).toBe(1);
  });

  it('rejects malformed samples at the bus, and counts points of unknown metrics in the monitor while storing the rest', async () => {
    healing = await startHealingNode();
    const node = healing.node;
    await expect(node.publish('telemetry.sample', { at: 'now', intervalMs: 1, points: [] })).rejects.toThrow(InvalidPayloadError);
    await expect(
      node.publish('telemetry.sample', { at: 1, intervalMs: 1, points: [{ metric: 'actor.elu', source: 'a', value: Number.NaN }] }),
    ).rejects.toThrow(InvalidPayloadError);
    await expect(node.publish('telemetry.sample', { at: 1, intervalMs: 1, points: [{ metric: 'actor.elu' }] })).rejects.toThrow(InvalidPayloadError);

    await node.publish('telemetry.sample', {
      at: Date.now(),
      intervalMs: 0,
      points: [
        { metric: 'actor.vibes', source: 'external', value: 1 },
        { metric: 'actor.vibes', source: 'external', value: 2 },
        { metric: 'actor.mailbox_depth', source: 'external', value: 3 },
      ],
    });
    const context = await waitFor(async () => {
      const snapshot = (await node.snapshot('monitor')) as { context: { rejectedPoints: number; rejectedMetrics: Record<string, number> } };
      return snapshot.context.rejectedPoints >= 2 ? snapshot.context : undefined;
    });
    expect(context.rejectedMetrics).toEqual({ 'actor.vibes': 2 });
    const db = openStore(join(healing.dataDir, DATABASE_FILE_NAME));
    try {
      await waitFor(() => (db.prepare("SELECT count(*) AS n FROM samples WHERE source = 'external'").get() as { n: number }).n === 1 || undefined);
      expect(db.prepare("SELECT count(*) AS n FROM samples WHERE metric = 'actor.vibes'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('reports and skips a corrupted policy row and a corrupted rule row, and heals with the valid ones', async () => {
    // Rows as a bad hand edit or a newer version could leave them: an action this node cannot
    // perform (ranked first, cost 0), preconditions it cannot read, a rule on an unknown metric.
    const corrupted = `
      INSERT INTO policies (cause_kind, action_kind, cost, risk) VALUES ('hung-actor', 'reformat-disk', 0, 0);
      INSERT INTO policies (cause_kind, action_kind, preconditions, cost, risk) VALUES ('hung-actor', 'drain-mailbox', '{"whenMoonIs":"full"}', 0, 0);
      INSERT INTO detector_rules (id, metric, op, threshold, consecutive, cause_kind, confidence, rank)
        VALUES ('bogus', 'actor.vibes', '>=', 1, 1, 'hung-actor', 0.9, 0);
    `;
    healing = await startHealingNode({
      seed: (dataDir) => {
        const db = openStore(join(dataDir, DATABASE_FILE_NAME));
        db.exec(corrupted);
        db.close();
      },
    });
    const node = healing.node;
    await node.chaos('hung-actor', WORKLOAD);
    const incident = await healing.closedIncident();
    expect(incident).toMatchObject({ status: 'recovered', causeKind: 'hung-actor' });
    expect(incident.actions.map((action) => action.kind)).toEqual(['restart-actor']);

    const planner = (await node.snapshot('planner')) as { context: { skippedPolicies: { reason: string }[] } };
    expect(planner.context.skippedPolicies.map((skipped) => skipped.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/unknown action kind 'reformat-disk'/), expect.stringMatching(/unknown key 'whenMoonIs'/)]),
    );
    const analyzer = (await node.snapshot('analyzer')) as { context: { skippedRules: { id: string; reason: string }[] } };
    expect(analyzer.context.skippedRules).toEqual([{ id: 'bogus', reason: expect.stringMatching(/unknown metric "actor.vibes"/) }]);
  });

  it('refuses chaos in production mode and names the actor it cannot find', async () => {
    const test = await startTestNode({ config: { production: true, identity: { agentSocket: 'unix:///run/spire/agent.sock' } }, children: [{ kind: 'actor', id: 'c', module: COUNTER_ACTOR }] });
    try {
      await expect(test.node.chaos('cpu-hog', 'c')).rejects.toThrow(ProductionModeError);
    } finally {
      await test.cleanup();
    }
    healing = await startHealingNode();
    await expect(healing.node.chaos('cpu-hog', 'nobody')).rejects.toThrow(/nobody/);
  });
});

describe('plans at or above the risk threshold', () => {
  let healing: HealingNode | undefined;
  afterEach(async () => {
    await healing?.cleanup();
    healing = undefined;
  });

  it('are held for governance, shown in status, and not executed; the target gets no second incident meanwhile', async () => {
    healing = await startHealingNode({ planner: { riskThreshold: 0.05 } });
    const node = healing.node;
    await node.chaos('hung-actor', WORKLOAD);
    const held = await waitFor(() => node.incidents().find((incident) => incident.status === 'held'), 10_000, 'a held incident');
    expect(held).toMatchObject({ causeKind: 'hung-actor', target: WORKLOAD, actions: [] });
    expect(held.heldAt).toBeGreaterThanOrEqual(held.plannedAt!);
    const status = await node.status();
    expect(status.mape).toMatchObject({ phase: 'held', held: [{ id: held.id, cause: 'hung-actor', target: WORKLOAD, status: 'held' }] });
    // The loop does not act (the supervisor's liveness deadline still restarts the thread); the
    // analyzer keeps the one open incident for the target. What proves it: the restart happens, and
    // the analyzer then handles windows that carry the restarted thread's readings (a second
    // incident would be opened on one of them), and still there is one incident, held, untouched.
    await waitFor(() => (actorStatus(node.tree(), WORKLOAD)!.restarts > 0 ? true : undefined), 10_000, 'the liveness restart of the hung workload');
    const analyzed = async () => ((await node.snapshot('analyzer')) as { context: { windows: number } }).context.windows;
    const windowsAtRestart = await analyzed();
    await waitFor(async () => ((await analyzed()) >= windowsAtRestart + WINDOWS_AFTER_RESTART ? true : undefined), 10_000, 'windows after the restart analyzed');
    expect(node.incidents()).toEqual([expect.objectContaining({ id: held.id, status: 'held', actions: [] })]);
  });
});
