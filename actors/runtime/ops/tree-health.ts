/**
 * Whether the node is ready (to be sent traffic: /ready) and healthy (still making progress: the
 * systemd watchdog), from its supervision tree and its subsystems' standings. Pure: callers pass
 * the tree, the verdicts and the time.
 *
 * Ready: the node is running, every actor is running, and each subsystem standing that can hold
 * readiness back (its formatter's `ready`, e.g. identity without its SVID) says ready, where the
 * tree runs that subsystem's actor. Healthy is weaker on purpose: an actor restarting, or identity
 * waiting for an agent, is the node healing or waiting, not stuck; an actor away from `running`
 * for longer than the grace, or given up on (`failed`), is stuck, and the watchdog lets systemd
 * restart the node.
 */
import type { Verdict } from '../contracts/subsystem-standing.js';
import type { ActorStatus, TreeNodeStatus } from './node-status.js';
import type { StandingVerdict } from './standings.js';
import { actorsIn } from '../supervision/tree-walk.js';

export type { Verdict };

export type NodePhase = 'starting' | 'running' | 'stopping';

export function readiness(phase: NodePhase, tree: TreeNodeStatus | undefined, standings: readonly StandingVerdict[]): Verdict {
  if (phase !== 'running' || !tree) return { ok: false, reason: `the node is ${phase}` };
  const actors: ActorStatus[] = [...actorsIn(tree)];
  const down = actors.filter((actor) => actor.state !== 'running');
  if (down.length > 0) return { ok: false, reason: `not running: ${down.map((actor) => `${actor.id} (${actor.state})`).join(', ')}` };
  const running = new Set(actors.map((actor) => actor.id));
  const counted = standings.filter((standing) => running.has(standing.actor)).map((standing) => standing.verdict);
  const blocking = counted.find((verdict) => !verdict.ok);
  if (blocking) return blocking;
  return { ok: true, reason: [`ready: ${actors.length} actors running`, ...counted.map((verdict) => verdict.reason).filter((reason) => reason !== '')].join(', ') };
}

/** The summary systemd shows in `systemctl status` (STATUS=): actors running, then each reported standing's phrase. */
export function statusLine(phase: NodePhase, tree: TreeNodeStatus | undefined, standings: readonly string[]): string {
  if (phase !== 'running' || !tree) return phase;
  const actors: ActorStatus[] = [...actorsIn(tree)];
  const running = actors.filter((actor) => actor.state === 'running').length;
  return [`${running}/${actors.length} actors running`, ...standings].join(', ');
}

/** Remembers since when each actor has been away from `running`, across checks. */
export class TreeWatch {
  private readonly downSince = new Map<string, number>();

  constructor(private readonly graceMs: number) {}

  check(phase: NodePhase, tree: TreeNodeStatus, now: number): Verdict {
    if (phase !== 'running') return { ok: phase === 'starting', reason: `the node is ${phase}` };
    const actors: ActorStatus[] = [...actorsIn(tree)];
    const stuck: string[] = [];
    for (const actor of actors) {
      if (actor.state === 'running' || actor.state === 'stopped') {
        this.downSince.delete(actor.id);
        continue;
      }
      if (actor.state === 'failed') {
        stuck.push(`${actor.id} failed`);
        continue;
      }
      const since = this.downSince.get(actor.id) ?? now;
      this.downSince.set(actor.id, since);
      if (now - since > this.graceMs) stuck.push(`${actor.id} ${actor.state} for ${Math.round((now - since) / 1000)} s`);
    }
    return stuck.length > 0 ? { ok: false, reason: `stuck: ${stuck.join(', ')}` } : { ok: true, reason: `${actors.length} actors` };
  }
}
