/**
 * What the executor can do, through the runtime's command topic. Each kind says what undoes it:
 * the executor rolls an action back when verification fails and no candidate is left.
 */
export const ACTION_KINDS = ['restart-actor', 'restart-subtree', 'quarantine-message', 'shed-topic', 'drain-mailbox'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export function isActionKind(value: unknown): value is ActionKind {
  return typeof value === 'string' && (ACTION_KINDS as readonly string[]).includes(value);
}

/**
 * The inverse command, or undefined when there is none: a restart cannot be undone, quarantined
 * and drained messages are kept as dead letters (an operator can replay them), a shed topic is
 * accepted again.
 */
export const ROLLBACK_OF: Record<ActionKind, 'unshed-topic' | undefined> = {
  'restart-actor': undefined,
  'restart-subtree': undefined,
  'quarantine-message': undefined,
  'shed-topic': 'unshed-topic',
  'drain-mailbox': undefined,
};

/** What the runtime can be told to do: every action, and the undo of those that have one. */
export const COMMAND_KINDS = [...ACTION_KINDS, 'unshed-topic'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

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
