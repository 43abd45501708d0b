/**
 * The Supervisor contract: how a tree is described. OTP semantics:
 * - strategy: which siblings restart with a crashed child (one_for_one: itself; one_for_all:
 *   all; rest_for_one: itself and those started after it);
 * - restart: permanent children always restart, transient only after an abnormal exit,
 *   temporary never;
 * - intensity/periodMs: more than `intensity` restarts within `periodMs` and the supervisor
 *   gives up: it stops its children and fails, and its parent handles that as a crash.
 */
import type { HostKind } from './host.js';

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
export type RestartType = 'permanent' | 'transient' | 'temporary';

export interface ActorChildSpec {
  kind: 'actor';
  id: string;
  /** file: URL (or absolute path) of the compiled actor module; its default export is an ActorDefinition. */
  module: string;
  options?: Record<string, unknown>;
  /** Topics delivered to this actor's mailbox. */
  subscribes?: string[];
  restart?: RestartType;
  /** Overrides the node's configured host for this actor. */
  host?: HostKind;
}

export interface SupervisorSpec {
  kind: 'supervisor';
  id: string;
  strategy: Strategy;
  /** Defaults to the node's supervision config. */
  intensity?: number;
  periodMs?: number;
  restart?: RestartType;
  children: ChildSpec[];
}

export type ChildSpec = ActorChildSpec | SupervisorSpec;
