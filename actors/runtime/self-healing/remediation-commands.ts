/**
 * The runtime's side of the executor's actions: `runtime.command` in, `runtime.command.result`
 * out, performed in the main thread where mailboxes and supervisors live.
 *
 * Exactly once: the command id is the action's row id, and the effect is performed only by the
 * caller that moves the row from 'pending' to 'running' (claimAction, one atomic UPDATE). An
 * executor that restarts mid-action and sends the command again gets "already performed".
 */
import { isMeshCommand, type MeshCommandKind, type RuntimeCommand, type RuntimeCommandResult } from '../../../lib/mape/actions.js';
import type { MeshRemedyResult } from '../../../lib/mesh/mesh-remedy.js';
import type { DeadLetterStore } from '../../../store/dead-letters.js';
import type { OutcomeStore } from '../../../store/outcomes.js';
import type { ActorCell } from '../supervision/actor-cell.js';
import type { Envelope } from '../contracts/envelope.js';

export interface RemediationDeps {
  cell(actorId: string): ActorCell | undefined;
  /** Restarts every child of the supervisor that holds the actor; false when the actor has none. */
  restartSubtreeOf(actorId: string): Promise<boolean>;
  outcomes: OutcomeStore;
  deadLetters: DeadLetterStore;
  shedTtlMs: number;
  now(): number;
  /** Hands a mesh command to the peer-link actor (lib/mesh/mesh-remedy.ts); rejects when it cannot be asked (no such actor, a timeout). */
  meshRemedy(kind: MeshCommandKind, target: string, params: Record<string, unknown>): Promise<MeshRemedyResult>;
}

export async function performCommand(command: RuntimeCommand, deps: RemediationDeps): Promise<RuntimeCommandResult> {
  const result = (ok: boolean, detail: string, effect?: Record<string, unknown>): RuntimeCommandResult => ({
    commandId: command.commandId,
    ok,
    detail,
    ...(effect ? { effect } : {}),
  });
  if (isMeshCommand(command.kind)) return performMeshCommand(command, command.kind, deps, result);
  const cell = deps.cell(command.target);
  if (!cell) return result(false, `no actor '${command.target}' in this node`);
  if (command.kind === 'unshed-topic') {
    const topic = typeof command.params.topic === 'string' ? command.params.topic : undefined;
    if (!topic) return result(false, 'unshed-topic needs params.topic');
    return result(true, cell.mailbox.unshed(topic) ? `accepting '${topic}' again` : `'${topic}' was not shed`);
  }
  const unclaimed = claimOrAnswer(command, deps, result);
  if (unclaimed) return unclaimed;

  switch (command.kind) {
    case 'restart-actor':
      return cell.kill(`action ${command.commandId}`)
        ? result(true, `restarting '${cell.id}'`)
        : result(true, `'${cell.id}' is already restarting (${cell.state})`);
    case 'restart-subtree':
      return (await deps.restartSubtreeOf(cell.id))
        ? result(true, `restarted the subtree of '${cell.id}'`)
        : result(false, `'${cell.id}' has no supervisor to restart`);
    case 'quarantine-message': {
      const removed = cell.quarantinePoison(`quarantined by action ${command.commandId}`);
      if (removed) return result(true, `quarantined message ${removed.seq} ('${removed.topic}') as a dead letter`);
      const parked = deps.deadLetters.list(cell.id).some((letter) => letter.reason.startsWith('poison'));
      return parked
        ? result(true, 'the poison message was already parked by the runtime')
        : result(false, 'no message has crashed the actor twice');
    }
    case 'shed-topic': {
      const topic = typeof command.params.topic === 'string' ? command.params.topic : cell.mailbox.dominantTopic();
      if (!topic) return result(false, 'the mailbox is empty: nothing to shed');
      const removed = cell.mailbox.shed(topic, deps.now() + deps.shedTtlMs);
      cell.schedulePump();
      return result(true, `shedding '${topic}' for ${deps.shedTtlMs} ms (${removed} queued messages dropped)`, { topic });
    }
    case 'drain-mailbox': {
      const drained = cell.mailbox.drainPending();
      deps.deadLetters.add(drained.map((envelope) => deadLetter(cell.id, envelope, `drained by action ${command.commandId}`, deps.now())));
      return result(true, `drained ${drained.length} messages as dead letters`);
    }
  }
}

/**
 * A mesh command: the undos are idempotent and run as often as they are sent (like unshed-topic);
 * an action is claimed first, so a command sent again after an executor restart is performed once.
 */
async function performMeshCommand(
  command: RuntimeCommand,
  kind: MeshCommandKind,
  deps: RemediationDeps,
  result: (ok: boolean, detail: string) => RuntimeCommandResult,
): Promise<RuntimeCommandResult> {
  const undo = kind === 'unreroute-around' || kind === 'unquarantine-peer';
  if (!undo) {
    const unclaimed = claimOrAnswer(command, deps, result);
    if (unclaimed) return unclaimed;
  }
  const answer = await deps.meshRemedy(kind, command.target, command.params);
  return result(answer.ok, answer.detail);
}

/**
 * Claims the action (pending → running, one UPDATE): undefined when this caller claimed it and must
 * perform it, else the answer to give (already performed by an earlier send, ended, or unknown).
 */
function claimOrAnswer(command: RuntimeCommand, deps: RemediationDeps, result: (ok: boolean, detail: string) => RuntimeCommandResult): RuntimeCommandResult | undefined {
  let claim;
  try {
    claim = deps.outcomes.claimAction(command.commandId, deps.now());
  } catch (error) {
    return result(false, error instanceof Error ? error.message : String(error));
  }
  if (claim === 'already-running') return result(true, 'already performed');
  if (claim === 'ended') return result(false, 'the action has already ended');
  return undefined;
}

export function deadLetter(actor: string, envelope: Envelope, reason: string, at: number) {
  return { actor, topic: envelope.topic, payload: envelope.payload, sender: envelope.from, reason, at };
}
