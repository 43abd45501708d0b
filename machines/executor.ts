/**
 * The executor: runs plans one at a time. For each candidate in rank order it records the action
 * (pending), sends the runtime its command, and once the command is done watches the telemetry
 * windows for the plan's verification criteria. Verified: the action succeeded and the incident
 * recovered. Not verified within the plan's time, or refused: the action is undone where it can
 * be (rollback) and the next candidate is tried; none left, the incident failed. Every outcome
 * is stored, which is what the planner learns from.
 *
 * Restarted mid-action, the executor resumes from its persisted context: a command whose result
 * never came is sent again (the runtime performs it once, keyed by the action id), verification
 * goes on with the next windows. No timers: the windows, one per sampling interval, are the clock.
 */
import { enqueueActions, setup } from 'xstate';
import type { BusEmitted } from '../lib/bus/bus-emitted.js';
import type { RuntimeCommand, RuntimeCommandResult } from '../lib/mape/actions.js';
import type { Outcome, Plan, PlanCandidate } from '../lib/mape/plan.js';
import type { TelemetryWindow } from '../lib/mape/telemetry.js';
import { checkCriteria, describeCriteria } from '../lib/mape/verify-criteria.js';

export type ActionEnd = 'succeeded' | 'failed' | 'rolled_back';

export interface ExecutorPorts {
  now(): number;
  /** Records the action as pending; 'busy' when another action on the same target is unfinished. */
  startAction(action: { id: number; incidentId: number; kind: string; target: string; params: Record<string, unknown>; at: number }): 'started' | 'busy';
  /** The incident's first command is done: the executed timestamp. */
  executing(incidentId: number, at: number): void;
  /** Ends the action and stores its outcome, once (a replay finds it ended and does nothing). */
  finish(actionId: number, end: ActionEnd, success: boolean, at: number, detail: string): void;
  recovered(incidentId: number, at: number): void;
  failed(incidentId: number, at: number, reason: string): void;
}

export interface ExecutorInput {
  /** The next free action id in the store, for a machine that starts without a snapshot. */
  firstActionId: number;
  /** Actions left unfinished by an executor whose state was lost: abandoned (failed) at start. */
  orphans: { actionId: number; incidentId: number }[];
}

interface Running {
  plan: Plan;
  index: number;
  actionId: number;
  /** When the command was last sent, to send it again if no result comes. */
  sentAt: number;
  /** When the runtime reported the command done; verification reads windows taken after it. */
  executedAt: number | null;
  /** What the command did that its undo needs (the topic a shed-topic chose). */
  effect: Record<string, unknown>;
  /** The action did not verify and its undo command is out. */
  rollingBack: boolean;
  /**
   * The values of the last window that carried the criteria's metrics and missed them: what a
   * failed verification reports (the window that times it out may carry none of them: another
   * source's sample).
   */
  lastUnmet?: string;
}

export interface ExecutorContext {
  current: Running | null;
  queue: Plan[];
  nextActionId: number;
  started: number;
  succeeded: number;
  failed: number;
  rolledBack: number;
  /** The last result the runtime gave, for status and debugging. */
  lastDetail: string | null;
}

/** A command with no result after this long is sent again (its result was lost with a restart). */
export const RESEND_AFTER_MS = 1_500;

type ExecutorEvent =
  | { type: 'mape.plan'; payload: Plan }
  | { type: 'runtime.command.result'; payload: RuntimeCommandResult }
  | { type: 'telemetry.window'; payload: TelemetryWindow };

type Step = { context: ExecutorContext; emitted: BusEmitted[] };

export function createExecutorMachine(ports: ExecutorPorts, input: ExecutorInput) {
  const command = (running: Running, rollback: boolean): BusEmitted => {
    const candidate = running.plan.candidates[running.index]!;
    const payload: RuntimeCommand = rollback
      ? { commandId: running.actionId, kind: candidate.rollback!, target: candidate.target, params: { ...candidate.params, ...running.effect } }
      : { commandId: running.actionId, kind: candidate.action, target: candidate.target, params: candidate.params };
    return { type: 'bus.publish', topic: 'runtime.command', payload };
  };

  const outcome = (running: Running, success: boolean, final: boolean, at: number): BusEmitted => {
    const candidate = running.plan.candidates[running.index];
    const payload: Outcome = {
      incidentId: running.plan.incidentId,
      actionId: candidate ? running.actionId : null,
      cause: running.plan.cause,
      target: running.plan.target,
      action: candidate ? candidate.action : null,
      success,
      at,
      final,
      recovered: success && final,
    };
    return { type: 'bus.publish', topic: 'mape.outcome', payload };
  };

  /** Tries candidates from `index` on; none left (or all busy), the incident failed and the next plan starts. */
  const tryFrom = (context: ExecutorContext, plan: Plan, index: number, emitted: BusEmitted[]): Step => {
    let nextActionId = context.nextActionId;
    for (let i = index; i < plan.candidates.length; i++) {
      const candidate: PlanCandidate = plan.candidates[i]!;
      const actionId = nextActionId++;
      const at = ports.now();
      const started = ports.startAction({ id: actionId, incidentId: plan.incidentId, kind: candidate.action, target: candidate.target, params: candidate.params, at });
      if (started === 'busy') continue;
      const running: Running = { plan, index: i, actionId, sentAt: at, executedAt: null, effect: {}, rollingBack: false };
      emitted.push(command(running, false));
      return { context: { ...context, current: running, nextActionId, started: context.started + 1 }, emitted };
    }
    const at = ports.now();
    ports.failed(plan.incidentId, at, 'no candidate action recovered the target');
    emitted.push(
      outcome({ plan, index: plan.candidates.length, actionId: 0, sentAt: at, executedAt: null, effect: {}, rollingBack: false }, false, true, at),
    );
    return nextPlan({ ...context, current: null, nextActionId, failed: context.failed + 1 }, emitted);
  };

  const nextPlan = (context: ExecutorContext, emitted: BusEmitted[]): Step => {
    const [plan, ...rest] = context.queue;
    if (!plan) return { context: { ...context, current: null }, emitted };
    return tryFrom({ ...context, queue: rest, current: null }, plan, 0, emitted);
  };

  /** The current action did not work: undo it if it can be undone, else go on with the next candidate. */
  const actionFailed = (context: ExecutorContext, running: Running, detail: string, executed: boolean, emitted: BusEmitted[]): Step => {
    const at = ports.now();
    const candidate = running.plan.candidates[running.index]!;
    if (executed && candidate.rollback !== null) {
      ports.finish(running.actionId, 'rolled_back', false, at, detail);
      emitted.push(command({ ...running, rollingBack: true }, true));
      emitted.push(outcome(running, false, false, at));
      return { context: { ...context, rolledBack: context.rolledBack + 1, lastDetail: detail, current: { ...running, sentAt: at, rollingBack: true } }, emitted };
    }
    ports.finish(running.actionId, 'failed', false, at, detail);
    emitted.push(outcome(running, false, false, at));
    return tryFrom({ ...context, lastDetail: detail }, running.plan, running.index + 1, emitted);
  };

  return setup({
    types: {} as { context: ExecutorContext; events: ExecutorEvent; emitted: BusEmitted },
    actions: {
      abandonOrphans: () => {
        const at = ports.now();
        for (const orphan of input.orphans) {
          ports.finish(orphan.actionId, 'failed', false, at, 'abandoned: the executor restarted without its state');
          ports.failed(orphan.incidentId, at, 'the executor lost the state of its action');
        }
      },
      acceptPlan: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'mape.plan') return;
        const plan = event.payload;
        const known = context.current?.plan.incidentId === plan.incidentId || context.queue.some((queued) => queued.incidentId === plan.incidentId);
        if (known) return;
        const step = context.current ? { context: { ...context, queue: [...context.queue, plan] }, emitted: [] } : tryFrom(context, plan, 0, []);
        enqueue.assign(step.context);
        for (const emitted of step.emitted) enqueue.emit(emitted);
      }),
      commandDone: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'runtime.command.result' || !context.current) return;
        const running = context.current;
        const at = Math.max(ports.now(), running.sentAt);
        ports.executing(running.plan.incidentId, at);
        enqueue.assign({ current: { ...running, executedAt: at, effect: event.payload.effect ?? {} }, lastDetail: event.payload.detail });
      }),
      commandRefused: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'runtime.command.result' || !context.current) return;
        const step = actionFailed(context, context.current, `refused: ${event.payload.detail}`, false, []);
        enqueue.assign(step.context);
        for (const emitted of step.emitted) enqueue.emit(emitted);
      }),
      rolledBack: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'runtime.command.result' || !context.current) return;
        const running = context.current;
        const step = tryFrom({ ...context, lastDetail: event.payload.detail }, running.plan, running.index + 1, []);
        enqueue.assign(step.context);
        for (const emitted of step.emitted) enqueue.emit(emitted);
      }),
      resendIfStale: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'telemetry.window' || !context.current) return;
        const now = ports.now();
        if (now - context.current.sentAt < RESEND_AFTER_MS) return;
        enqueue.assign({ current: { ...context.current, sentAt: now } });
        enqueue.emit(command(context.current, context.current.rollingBack));
      }),
      verify: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'telemetry.window' || !context.current || context.current.executedAt === null) return;
        const running = context.current;
        const window = event.payload;
        if (window.at <= running.executedAt!) return;
        const verdict = checkCriteria(running.plan.verify.criteria, window);
        const lastUnmet = verdict === 'unmet' ? describeCriteria(running.plan.verify.criteria, window) : running.lastUnmet;
        if (verdict === 'met') {
          ports.finish(running.actionId, 'succeeded', true, window.at, `verified: ${describeCriteria(running.plan.verify.criteria, window)}`);
          ports.recovered(running.plan.incidentId, window.at);
          const emitted = [outcome(running, true, true, window.at)];
          const step = nextPlan({ ...context, succeeded: context.succeeded + 1, current: null }, emitted);
          enqueue.assign(step.context);
          for (const item of step.emitted) enqueue.emit(item);
          return;
        }
        if (window.at - running.executedAt! < running.plan.verify.withinMs) {
          if (lastUnmet !== running.lastUnmet) enqueue.assign({ current: { ...running, ...(lastUnmet !== undefined ? { lastUnmet } : {}) } });
          return;
        }
        const step = actionFailed(context, running, `not verified within ${running.plan.verify.withinMs} ms (last: ${lastUnmet ?? describeCriteria(running.plan.verify.criteria, window)})`, true, []);
        enqueue.assign(step.context);
        for (const item of step.emitted) enqueue.emit(item);
      }),
    },
  }).createMachine({
    id: 'executor',
    context: { current: null, queue: [], nextActionId: input.firstActionId, started: 0, succeeded: 0, failed: 0, rolledBack: 0, lastDetail: null },
    initial: 'idle',
    entry: 'abandonOrphans',
    states: {
      idle: {
        on: { 'mape.plan': { actions: 'acceptPlan', target: 'routing' } },
      },
      /** Transient: after any change, go to the state the context says. */
      routing: {
        always: [
          { guard: ({ context }) => context.current === null, target: 'idle' },
          { guard: ({ context }) => context.current!.executedAt === null && !isRollingBack(context), target: 'commanding' },
          { guard: ({ context }) => isRollingBack(context), target: 'rollingBack' },
          { target: 'verifying' },
        ],
      },
      commanding: {
        on: {
          'mape.plan': { actions: 'acceptPlan' },
          'runtime.command.result': [
            { guard: ({ context, event }) => isFor(context, event) && event.payload.ok, actions: 'commandDone', target: 'routing' },
            { guard: ({ context, event }) => isFor(context, event), actions: 'commandRefused', target: 'routing' },
          ],
          'telemetry.window': { actions: 'resendIfStale' },
        },
      },
      verifying: {
        on: {
          'mape.plan': { actions: 'acceptPlan' },
          'telemetry.window': { actions: 'verify', target: 'routing' },
        },
      },
      rollingBack: {
        on: {
          'mape.plan': { actions: 'acceptPlan' },
          'runtime.command.result': { guard: ({ context, event }) => isFor(context, event), actions: 'rolledBack', target: 'routing' },
          'telemetry.window': { actions: 'resendIfStale' },
        },
      },
    },
  });
}

function isFor(context: ExecutorContext, event: ExecutorEvent): event is Extract<ExecutorEvent, { type: 'runtime.command.result' }> {
  return event.type === 'runtime.command.result' && context.current?.actionId === event.payload.commandId;
}

function isRollingBack(context: ExecutorContext): boolean {
  return context.current?.rollingBack === true;
}
