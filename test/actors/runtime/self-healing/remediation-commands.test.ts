/**
 * The runtime's side of the mesh actions (performCommand with a mesh kind), on a real store: an
 * action (reroute-around, quarantine-peer, reconnect-members) claims its row first and is handed to
 * the peer-link actor once, however often its command is sent; one whose row has ended, or that has
 * no row, is refused without asking; the undos (unreroute-around, unquarantine-peer) claim nothing
 * and are handed over every time they are sent; the peer-link actor's answer is the result. None of
 * it touches an actor's cell: the peer-link actor, not the main thread, performs mesh commands.
 */
import { describe, expect, it } from 'vitest';
import { performCommand, type RemediationDeps } from '../../../../actors/runtime/self-healing/remediation-commands.js';
import type { CommandKind, MeshCommandKind, RuntimeCommand } from '../../../../lib/mape/actions.js';
import type { MeshRemedyResult } from '../../../../lib/mesh/mesh-remedy.js';
import { createDeadLetterStore } from '../../../../store/dead-letters.js';
import { createIncidentStore } from '../../../../store/incidents.js';
import { createOutcomeStore } from '../../../../store/outcomes.js';
import { useStoreFile } from '../../../store/fixtures/store-file.js';

const storeFile = useStoreFile();

const PEER = 'spiffe://mesh.test/node/b';
const NOW = 1_000;

type RemedyCall = [kind: MeshCommandKind, target: string, params: Record<string, unknown>];

/** Deps on a fresh store, with a peer-link actor that answers `answer` and records what it was asked. */
function remediation(answer: (kind: MeshCommandKind) => MeshRemedyResult = (kind) => ({ ok: true, detail: `${kind} done` })) {
  const db = storeFile.open();
  const incidents = createIncidentStore(db);
  const outcomes = createOutcomeStore(db);
  const asked: RemedyCall[] = [];
  const cellsLookedUp: string[] = [];
  const deps: RemediationDeps = {
    cell: (actorId) => {
      cellsLookedUp.push(actorId);
      return undefined;
    },
    restartSubtreeOf: () => Promise.reject(new Error('a mesh command restarts nothing')),
    outcomes,
    deadLetters: createDeadLetterStore(db),
    shedTtlMs: 30_000,
    now: () => NOW,
    meshRemedy: async (kind, target, params) => {
      asked.push([kind, target, params]);
      return answer(kind);
    },
  };
  /** An action as the executor records it before sending its command: pending under the command's id. */
  const pendingAction = (id: number, kind: string, target = PEER) => {
    const incidentId = incidents.open({ causeKind: 'peer-down', target, detectedAt: 100 });
    outcomes.startAction({ id, incidentId, kind, target, params: { durationMs: 60_000 }, at: 200, status: 'pending' });
  };
  return { deps, outcomes, asked, cellsLookedUp, pendingAction };
}

const command = (commandId: number, kind: CommandKind, target = PEER, params: Record<string, unknown> = { durationMs: 60_000 }): RuntimeCommand => ({ commandId, kind, target, params });

describe('mesh commands', () => {
  it.each(['reroute-around', 'quarantine-peer', 'reconnect-members'] as const)('claims a pending %s, hands it to the peer-link actor once, and answers "already performed" when it is sent again', async (kind) => {
    const { deps, outcomes, asked, cellsLookedUp, pendingAction } = remediation();
    const target = kind === 'reconnect-members' ? 'mesh' : PEER;
    pendingAction(7, kind, target);

    await expect(performCommand(command(7, kind, target), deps)).resolves.toStrictEqual({ commandId: 7, ok: true, detail: `${kind} done` });
    expect(asked).toEqual([[kind, target, { durationMs: 60_000 }]]);
    expect(outcomes.getAction(7)).toMatchObject({ status: 'running', startedAt: NOW });

    // The executor restarted and sends the command again: performed once.
    await expect(performCommand(command(7, kind, target), deps)).resolves.toStrictEqual({ commandId: 7, ok: true, detail: 'already performed' });
    expect(asked).toHaveLength(1);
    expect(cellsLookedUp).toEqual([]);
  });

  it('refuses an action that has already ended, without asking the peer-link actor', async () => {
    const { deps, outcomes, asked, pendingAction } = remediation();
    pendingAction(8, 'reroute-around');
    outcomes.finishAction(8, 'failed', 300);
    await expect(performCommand(command(8, 'reroute-around'), deps)).resolves.toStrictEqual({ commandId: 8, ok: false, detail: 'the action has already ended' });
    expect(asked).toEqual([]);
  });

  it('refuses a command with no action row, saying why, without asking the peer-link actor', async () => {
    const { deps, asked } = remediation();
    const result = await performCommand(command(99, 'quarantine-peer'), deps);
    expect(result.ok).toBe(false);
    expect(result.commandId).toBe(99);
    expect(result.detail).toMatch(/no action 99\b/);
    expect(asked).toEqual([]);
  });

  it("answers with the peer-link actor's refusal as it gave it, the action claimed all the same", async () => {
    const { deps, outcomes, pendingAction } = remediation(() => ({ ok: false, detail: `no link to ${PEER}` }));
    pendingAction(9, 'reroute-around');
    await expect(performCommand(command(9, 'reroute-around'), deps)).resolves.toStrictEqual({ commandId: 9, ok: false, detail: `no link to ${PEER}` });
    expect(outcomes.getAction(9)?.status).toBe('running');
  });

  it.each(['unreroute-around', 'unquarantine-peer'] as const)('hands %s to the peer-link actor every time it is sent, claiming nothing', async (kind) => {
    const { deps, outcomes, asked, cellsLookedUp, pendingAction } = remediation();
    // The executor sends the undo under the action's id once it has ended the action (rolled back).
    const action = kind === 'unreroute-around' ? 'reroute-around' : 'quarantine-peer';
    pendingAction(11, action);
    outcomes.claimAction(11, 300);
    outcomes.finishAction(11, 'rolled_back', 400);

    for (let sent = 1; sent <= 3; sent++) {
      await expect(performCommand(command(11, kind), deps)).resolves.toStrictEqual({ commandId: 11, ok: true, detail: `${kind} done` });
      expect(asked).toHaveLength(sent);
    }
    expect(asked[0]).toEqual([kind, PEER, { durationMs: 60_000 }]);
    expect(outcomes.getAction(11)?.status, 'the row is left as the executor ended it').toBe('rolled_back');
    // An undo for which no row exists at all is handed over as well: there is nothing to claim.
    await expect(performCommand(command(404, kind), deps)).resolves.toMatchObject({ commandId: 404, ok: true });
    expect(asked).toHaveLength(4);
    expect(cellsLookedUp).toEqual([]);
  });

  it("passes an undo's refusal through as the result", async () => {
    const { deps } = remediation(() => ({ ok: false, detail: `${PEER} was not quarantined` }));
    await expect(performCommand(command(12, 'unquarantine-peer'), deps)).resolves.toStrictEqual({ commandId: 12, ok: false, detail: `${PEER} was not quarantined` });
  });

  it('still looks up the actor for a local command: the mesh path is taken only for mesh kinds', async () => {
    const { deps, asked, cellsLookedUp } = remediation();
    await expect(performCommand(command(13, 'restart-actor', 'planner', {}), deps)).resolves.toStrictEqual({ commandId: 13, ok: false, detail: "no actor 'planner' in this node" });
    expect(cellsLookedUp).toEqual(['planner']);
    expect(asked).toEqual([]);
  });
});
