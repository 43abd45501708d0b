/**
 * The executor statechart on its own, with recording ports (pure logic: the store-backed ports
 * are exercised by the real-node tests). Restores from persisted snapshots stand in for crashes.
 */
import { createActor, type Snapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createExecutorMachine, RESEND_AFTER_MS, type ExecutorPorts } from '../../machines/executor.js';
import type { Plan } from '../../lib/mape/plan.js';
import type { RuntimeCommand } from '../../lib/mape/actions.js';
import type { TelemetryWindow } from '../../lib/mape/telemetry.js';

function recorder(busy: Set<string> = new Set()) {
  const calls: unknown[][] = [];
  let now = 1_000;
  const ports: ExecutorPorts = {
    now: () => now,
    startAction: (action) => {
      calls.push(['start', action.id, action.kind]);
      return busy.has(action.kind) ? 'busy' : 'started';
    },
    executing: (incidentId, at) => void calls.push(['executing', incidentId, at]),
    finish: (actionId, end, success) => void calls.push(['finish', actionId, end, success]),
    recovered: (incidentId, at) => void calls.push(['recovered', incidentId, at]),
    failed: (incidentId) => void calls.push(['failed', incidentId]),
  };
  return { calls, ports, advance: (ms: number) => (now += ms), at: () => now };
}

function plan(actions: Array<'shed-topic' | 'drain-mailbox' | 'restart-actor'>, withinMs = 1_000): Plan {
  return {
    incidentId: 7,
    cause: 'mailbox-flood',
    target: 'w',
    candidates: actions.map((action, i) => ({
      policyId: i + 1,
      action,
      target: 'w',
      params: {},
      cost: 1,
      risk: 0.1,
      successRate: 0.5,
      score: 0,
      rollback: action === 'shed-topic' ? ('unshed-topic' as const) : null,
    })),
    verify: { criteria: [{ metric: 'actor.mailbox_depth', source: 'w', op: '<=', value: 100 }], withinMs },
    risk: 0.1,
    plannedAt: 900,
  };
}

const depth = (at: number, value: number): { type: 'telemetry.window'; payload: TelemetryWindow } => ({
  type: 'telemetry.window',
  payload: { at, intervalMs: 250, points: [{ metric: 'actor.mailbox_depth', source: 'w', value }] },
});
const result = (commandId: number, ok = true, effect?: Record<string, unknown>) => ({
  type: 'runtime.command.result' as const,
  payload: { commandId, ok, detail: ok ? 'done' : 'refused', ...(effect ? { effect } : {}) },
});

function start(ports: ExecutorPorts, snapshot?: Snapshot<unknown>, orphans: { actionId: number; incidentId: number }[] = []) {
  const actor = createActor(createExecutorMachine(ports, { firstActionId: 40, orphans }), snapshot ? { snapshot } : {});
  const published: { topic: string; payload: unknown }[] = [];
  actor.on('bus.publish', (event) => void published.push({ topic: (event as { topic: string }).topic, payload: (event as { payload: unknown }).payload }));
  actor.start();
  const commands = () => published.filter((p) => p.topic === 'runtime.command').map((p) => p.payload as RuntimeCommand);
  return { actor, published, commands };
}

describe('executor machine', () => {
  it('verifies an action on a window taken after it, then records success and recovery once', () => {
    const r = recorder();
    const { actor, commands, published } = start(r.ports);
    actor.send({ type: 'mape.plan', payload: plan(['shed-topic']) });
    expect(commands()).toEqual([{ commandId: 40, kind: 'shed-topic', target: 'w', params: {} }]);
    expect(actor.getSnapshot().value).toBe('commanding');
    r.advance(10);
    actor.send(result(40, true, { topic: 'flood' }));
    expect(actor.getSnapshot().value).toBe('verifying');
    actor.send(depth(r.at() - 5, 5)); // taken before the action took effect: ignored
    expect(actor.getSnapshot().value).toBe('verifying');
    actor.send(depth(r.at() + 250, 5_000)); // still flooded, within the verification time
    actor.send(depth(r.at() + 500, 3));
    expect(actor.getSnapshot().value).toBe('idle');
    expect(r.calls.filter((call) => call[0] === 'finish' || call[0] === 'recovered')).toEqual([
      ['finish', 40, 'succeeded', true],
      ['recovered', 7, r.at() + 500],
    ]);
    expect(published.at(-1)).toMatchObject({ topic: 'mape.outcome', payload: { incidentId: 7, actionId: 40, success: true, final: true, recovered: true } });
  });

  it('rolls back an action that is not verified in time (with what the action chose), then tries the next candidate', () => {
    const r = recorder();
    const { actor, commands } = start(r.ports);
    actor.send({ type: 'mape.plan', payload: plan(['shed-topic', 'drain-mailbox']) });
    actor.send(result(40, true, { topic: 'flood' }));
    actor.send(depth(r.at() + 1_001, 9_999));
    expect(actor.getSnapshot().value).toBe('rollingBack');
    expect(commands().at(-1)).toEqual({ commandId: 40, kind: 'unshed-topic', target: 'w', params: { topic: 'flood' } });
    actor.send(result(40));
    expect(commands().at(-1)).toEqual({ commandId: 41, kind: 'drain-mailbox', target: 'w', params: {} });
    expect(r.calls.filter((call) => call[0] === 'finish')).toEqual([['finish', 40, 'rolled_back', false]]);
  });

  it('reports, for an action not verified in time, the values of the last window that carried its metrics, not those of another source\'s window', () => {
    const r = recorder();
    const details: string[] = [];
    const ports: ExecutorPorts = {
      ...r.ports,
      finish: (actionId, end, success, at, detail) => {
        details.push(detail);
        r.ports.finish(actionId, end, success, at, detail);
      },
    };
    const { actor } = start(ports);
    actor.send({ type: 'mape.plan', payload: plan(['drain-mailbox']) });
    actor.send(result(40));
    actor.send(depth(r.at() + 250, 4_321));
    // The window that times the verification out is another source's sample: it says nothing of the target.
    actor.send({ type: 'telemetry.window', payload: { at: r.at() + 1_001, intervalMs: 250, points: [{ metric: 'actor.cpu_ratio', source: 'other', value: 0.1 }] } });
    expect(details).toEqual(['not verified within 1000 ms (last: actor.mailbox_depth of w 4321 <= 100)']);
  });

  it('moves on when the runtime refuses a command, and fails the incident when no candidate is left', () => {
    const r = recorder(new Set(['restart-actor']));
    const { actor, published } = start(r.ports);
    actor.send({ type: 'mape.plan', payload: plan(['drain-mailbox', 'restart-actor']) });
    actor.send(result(40, false));
    // restart-actor's target is busy with another action: skipped.
    expect(r.calls.filter((call) => call[0] !== 'executing')).toEqual([
      ['start', 40, 'drain-mailbox'],
      ['finish', 40, 'failed', false],
      ['start', 41, 'restart-actor'],
      ['failed', 7],
    ]);
    expect(actor.getSnapshot().value).toBe('idle');
    expect(published.at(-1)).toMatchObject({ topic: 'mape.outcome', payload: { final: true, recovered: false, actionId: null } });
  });

  it('restored after a crash before the command answered, sends the same command again and finishes once', () => {
    const r = recorder();
    const first = start(r.ports);
    first.actor.send({ type: 'mape.plan', payload: plan(['shed-topic']) });
    const persisted = first.actor.getPersistedSnapshot();
    first.actor.stop();

    const second = start(r.ports, persisted);
    expect(second.actor.getSnapshot().value).toBe('commanding');
    second.actor.send(depth(r.at() + 100, 9_000)); // too soon to give up on the first command
    expect(second.commands()).toEqual([]);
    r.advance(RESEND_AFTER_MS);
    second.actor.send(depth(r.at(), 9_000));
    expect(second.commands()).toEqual([{ commandId: 40, kind: 'shed-topic', target: 'w', params: {} }]);
    second.actor.send(result(40, true, { topic: 'flood' }));
    second.actor.send(depth(r.at() + 250, 1));
    expect(r.calls.filter((call) => call[0] === 'start' || call[0] === 'finish')).toEqual([
      ['start', 40, 'shed-topic'],
      ['finish', 40, 'succeeded', true],
    ]);
  });

  it('a plan delivered again after a crash before the snapshot was written reuses the same action id', () => {
    const r = recorder();
    const fresh = start(r.ports);
    const before = fresh.actor.getPersistedSnapshot();
    fresh.actor.send({ type: 'mape.plan', payload: plan(['shed-topic']) });
    fresh.actor.stop();
    const replayed = start(r.ports, before);
    replayed.actor.send({ type: 'mape.plan', payload: plan(['shed-topic']) });
    expect(r.calls.filter((call) => call[0] === 'start')).toEqual([
      ['start', 40, 'shed-topic'],
      ['start', 40, 'shed-topic'],
    ]);
  });

  it('queues a second plan while one runs, ignores a duplicate, and abandons orphans only on a fresh start', () => {
    const r = recorder();
    const { actor, commands } = start(r.ports, undefined, [{ actionId: 3, incidentId: 2 }]);
    expect(r.calls.slice(0, 2)).toEqual([
      ['finish', 3, 'failed', false],
      ['failed', 2],
    ]);
    actor.send({ type: 'mape.plan', payload: plan(['shed-topic']) });
    actor.send({ type: 'mape.plan', payload: plan(['shed-topic']) });
    actor.send({ type: 'mape.plan', payload: { ...plan(['drain-mailbox']), incidentId: 8 } });
    expect(actor.getSnapshot().context.queue.map((queued) => queued.incidentId)).toEqual([8]);
    actor.send(result(40));
    actor.send(depth(r.at() + 1, 1));
    expect(commands().map((command) => [command.commandId, command.kind])).toEqual([
      [40, 'shed-topic'],
      [41, 'drain-mailbox'],
    ]);
    // Restored, the unfinished action is its own current one: nothing is abandoned.
    const again = recorder();
    const restored = start(again.ports, actor.getPersistedSnapshot(), [{ actionId: 41, incidentId: 8 }]);
    expect(restored.actor.getSnapshot().value).toBe('commanding');
    expect(again.calls).toEqual([]);
  });
});
