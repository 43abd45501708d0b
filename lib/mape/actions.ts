/**
 * What the executor can do, through the runtime's command topic. Each kind says what undoes it:
 * the executor rolls an action back when verification fails and no candidate is left.
 *
 * Local actions act on an actor (the main thread performs them); mesh actions on the node's links
 * and routes (the main thread hands them to the peer-link actor, lib/mesh/mesh-remedy.ts):
 * - reroute-around: the link to the peer costs as much as a long detour, for a while, so routes
 *   leave it wherever another way exists, and fresh routes are asked for at once;
 * - quarantine-peer: the links with the peer are closed and its connections refused, for a while;
 * - reconnect-members: every member held alive that no route leads to is dialed directly at the
 *   addresses its record gives (a partition bridged over the network underneath).
 */
export const LOCAL_ACTION_KINDS = ['restart-actor', 'restart-subtree', 'quarantine-message', 'shed-topic', 'drain-mailbox'] as const;
export const MESH_ACTION_KINDS = ['reroute-around', 'quarantine-peer', 'reconnect-members'] as const;
export const ACTION_KINDS = [...LOCAL_ACTION_KINDS, ...MESH_ACTION_KINDS] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export function isActionKind(value: unknown): value is ActionKind {
  return typeof value === 'string' && (ACTION_KINDS as readonly string[]).includes(value);
}

/** The undo commands of the actions that have one. */
export const UNDO_KINDS = ['unshed-topic', 'unreroute-around', 'unquarantine-peer'] as const;
export type UndoKind = (typeof UNDO_KINDS)[number];

/**
 * The inverse command, or undefined when there is none: a restart cannot be undone, quarantined
 * and drained messages are kept as dead letters (an operator can replay them), a shed topic is
 * accepted again, an avoided link costs what it measures again, a quarantined peer is let back,
 * and links made to bridge a partition are links like any other (nothing to undo).
 */
export const ROLLBACK_OF: Record<ActionKind, UndoKind | undefined> = {
  'restart-actor': undefined,
  'restart-subtree': undefined,
  'quarantine-message': undefined,
  'shed-topic': 'unshed-topic',
  'drain-mailbox': undefined,
  'reroute-around': 'unreroute-around',
  'quarantine-peer': 'unquarantine-peer',
  'reconnect-members': undefined,
};

/** What the runtime can be told to do: every action, and the undo of those that have one. */
export const COMMAND_KINDS = [...ACTION_KINDS, ...UNDO_KINDS] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/** The commands the peer-link actor performs: the mesh actions and their undos. */
export const MESH_COMMAND_KINDS = [...MESH_ACTION_KINDS, 'unreroute-around', 'unquarantine-peer'] as const;
export type MeshCommandKind = (typeof MESH_COMMAND_KINDS)[number];

export function isMeshCommand(kind: CommandKind): kind is MeshCommandKind {
  return (MESH_COMMAND_KINDS as readonly string[]).includes(kind);
}

/** A command the executor sends the runtime; `commandId` is the action's row id, which makes it idempotent. */
export interface RuntimeCommand {
  commandId: number;
  kind: CommandKind;
  target: string;
  params: Record<string, unknown>;
}

export interface RuntimeCommandResult {
  commandId: number;
  ok: boolean;
  /** What was done, or why not (a precondition that no longer holds, an unknown target). */
  detail: string;
  /** What the command chose that its undo needs, e.g. `{ topic }` for shed-topic. */
  effect?: Record<string, unknown>;
}
