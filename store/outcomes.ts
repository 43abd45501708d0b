/**
 * What the executor did and how it went: actions started and finished against an incident, and
 * verified outcomes, from which the planner learns which action works for which cause.
 */
import type { Database } from 'better-sqlite3';
import { checkEpochMs, toJsonColumn } from './column-values.js';
import { ActionStateError, TargetBusyError, UnknownActionError, UnknownIncidentError } from './knowledge-base-errors.js';

export type ActionStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'rolled_back';

/** How an action can end. */
export type ActionEnd = Extract<ActionStatus, 'succeeded' | 'failed' | 'rolled_back'>;

export interface StartAction {
  /**
   * The action's id, when the caller allocates ids (the executor does, so a replayed start after a
   * crash finds its own row instead of inserting a second one).
   */
  id?: number;
  /** 'running' (default) or 'pending': recorded, not yet performed; claimAction performs the switch. */
  status?: 'pending' | 'running';
  incidentId: number;
  /** e.g. 'restart-actor', 'shed-topic'. */
  kind: string;
  /** The actor, subtree or topic acted on; one unfinished action per target at a time. */
  target: string;
  /** Must be JSON-serializable. */
  params?: unknown;
  at: number;
}

export interface Action {
  id: number;
  incidentId: number;
  kind: string;
  target: string;
  params: unknown;
  status: ActionStatus;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface RecordOutcome {
  actionId: number;
  /** Whether verification found the metric back to normal in time. */
  success: boolean;
  verifiedAt: number;
  /** Must be JSON-serializable. */
  detail?: unknown;
}

export interface SuccessRate {
  actionKind: string;
  successes: number;
  attempts: number;
  /** (successes + 1) / (attempts + 2): see smoothedSuccessRate. */
  smoothedRate: number;
}

/** What claimAction found: whether the caller now owns performing the action. */
export type ClaimResult = 'claimed' | 'already-running' | 'ended';

export interface OutcomeStore {
  /**
   * Records an action (running from `at`, or pending) and returns its id. With an id that is already
   * stored for the same incident, kind and target, returns it unchanged (a replayed start).
   * Throws UnknownIncidentError, TargetBusyError, or ActionStateError when the id is taken by another action.
   */
  startAction(action: StartAction): number;
  /**
   * Moves a pending action to running from `at`, atomically: exactly one caller ever gets
   * 'claimed', so the action's effect is performed once however often its command is sent.
   * Throws UnknownActionError.
   */
  claimAction(id: number, at: number): ClaimResult;
  /**
   * Ends a pending or running action. Throws UnknownActionError, or ActionStateError when it
   * already ended or `at` precedes its start.
   */
  finishAction(id: number, status: ActionEnd, at: number): void;
  getAction(id: number): Action | undefined;
  /**
   * Records a verified outcome of an action, filing it under the action's kind and its incident's
   * cause kind (copied, so they cannot disagree with the action). Returns the outcome's id.
   * Throws UnknownActionError; a TypeError when the incident has no cause kind yet.
   */
  recordOutcome(outcome: RecordOutcome): number;
  /** Per action kind tried for `causeKind`, best smoothed rate first (then most attempts, then kind). */
  successRates(causeKind: string): SuccessRate[];
}

/**
 * Laplace's rule of succession: (s + 1) / (n + 2), a uniform prior of one success and one failure.
 * Raw s / n ranks an action that worked once (1/1 = 1.0) above one that worked 19 times in 20
 * (0.95), and leaves untried actions at 0/0; smoothed, those are 0.67, 0.91 and 0.5, so evidence
 * counts and an untried candidate sits between proven good and proven bad ones.
 */
export function smoothedSuccessRate(successes: number, attempts: number): number {
  return (successes + 1) / (attempts + 2);
}

/** An action as SQLite returns it: params still JSON text. */
export type ActionRow = Omit<Action, 'params'> & { params: string };

/** The columns of an action row, named as ActionRow's fields. */
export const ACTION_COLUMNS = `id, incident_id AS incidentId, kind, target, params, status, started_at AS startedAt,
            finished_at AS finishedAt`;

/** The column's CHECK (json_valid) guarantees params parse. */
export function actionFromRow(row: ActionRow): Action {
  return { ...row, params: JSON.parse(row.params) as unknown };
}

/** `db` must have been opened by openStore (its migrations create the tables). */
export function createOutcomeStore(db: Database): OutcomeStore {
  const insertAction = db.prepare<[number | null, number, string, string, string, string, number | null]>(
    `INSERT INTO actions (id, incident_id, kind, target, params, status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const claim = db.prepare<[number, number]>(`UPDATE actions SET status = 'running', started_at = ? WHERE id = ? AND status = 'pending'`);
  const incidentExists = db.prepare<[number], { id: number }>('SELECT id FROM incidents WHERE id = ?');
  const selectAction = db.prepare<[number], ActionRow>(`SELECT ${ACTION_COLUMNS} FROM actions WHERE id = ?`);
  const endAction = db.prepare<[ActionEnd, number, number]>('UPDATE actions SET status = ?, finished_at = ? WHERE id = ?');
  const selectCause = db.prepare<[number], { causeKind: string | null }>(
    'SELECT i.cause_kind AS causeKind FROM actions a JOIN incidents i ON i.id = a.incident_id WHERE a.id = ?',
  );
  const insertOutcome = db.prepare<[number, number, string | null, number]>(
    `INSERT INTO outcomes (action_id, incident_id, cause_kind, action_kind, success, verified_at, detail)
       SELECT a.id, a.incident_id, i.cause_kind, a.kind, ?, ?, ?
         FROM actions a JOIN incidents i ON i.id = a.incident_id WHERE a.id = ?`,
  );
  const selectRates = db.prepare<[string], { actionKind: string; successes: number; attempts: number }>(
    `SELECT action_kind AS actionKind, sum(success) AS successes, count(*) AS attempts
       FROM outcomes WHERE cause_kind = ? GROUP BY action_kind`,
  );

  const startTx = db.transaction((action: StartAction, params: string): number => {
    if (incidentExists.get(action.incidentId) === undefined) throw new UnknownIncidentError(db.name, action.incidentId);
    if (action.id !== undefined) {
      const existing = selectAction.get(action.id);
      if (existing !== undefined) {
        if (existing.incidentId === action.incidentId && existing.kind === action.kind && existing.target === action.target) {
          return existing.id;
        }
        throw new ActionStateError(db.name, action.id, `the id is taken by '${existing.kind}' on '${existing.target}'`);
      }
    }
    const status = action.status ?? 'running';
    try {
      return Number(
        insertAction.run(action.id ?? null, action.incidentId, action.kind, action.target, params, status, status === 'running' ? action.at : null)
          .lastInsertRowid,
      );
    } catch (error) {
      // The only unique index on actions is the one open action per target.
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE') throw new TargetBusyError(db.name, action.target);
      throw error;
    }
  });
  const finishTx = db.transaction((id: number, status: ActionEnd, at: number) => {
    const row = selectAction.get(id);
    if (row === undefined) throw new UnknownActionError(db.name, id);
    if (row.status !== 'pending' && row.status !== 'running') {
      throw new ActionStateError(db.name, id, `it already ended as '${row.status}'`);
    }
    if (row.startedAt !== null && at < row.startedAt) {
      throw new ActionStateError(db.name, id, `finish time ${at} is before its start at ${row.startedAt}`);
    }
    endAction.run(status, at, id);
  });
  const outcomeTx = db.transaction((outcome: RecordOutcome, detail: string | null): number => {
    const cause = selectCause.get(outcome.actionId);
    if (cause === undefined) throw new UnknownActionError(db.name, outcome.actionId);
    if (cause.causeKind === null) {
      throw new TypeError(
        `action ${outcome.actionId}'s incident has no cause kind; outcomes are learned per cause, so record them after the diagnosis`,
      );
    }
    return Number(insertOutcome.run(outcome.success ? 1 : 0, outcome.verifiedAt, detail, outcome.actionId).lastInsertRowid);
  });

  return {
    startAction(action) {
      checkEpochMs('at', action.at);
      return startTx.immediate(action, toJsonColumn(action.params ?? {}, `params of action '${action.kind}'`));
    },
    claimAction(id, at) {
      checkEpochMs('at', at);
      return db.transaction((): ClaimResult => {
        if (claim.run(at, id).changes === 1) return 'claimed';
        const row = selectAction.get(id);
        if (row === undefined) throw new UnknownActionError(db.name, id);
        return row.status === 'running' ? 'already-running' : 'ended';
      }).immediate();
    },
    finishAction(id, status, at) {
      checkEpochMs('at', at);
      finishTx.immediate(id, status, at);
    },
    getAction(id) {
      const row = selectAction.get(id);
      if (row === undefined) return undefined;
      // The column's CHECK (json_valid) guarantees it parses.
      return actionFromRow(row);
    },
    recordOutcome(outcome) {
      checkEpochMs('verifiedAt', outcome.verifiedAt);
      const detail = outcome.detail === undefined ? null : toJsonColumn(outcome.detail, 'outcome detail');
      return outcomeTx.immediate(outcome, detail);
    },
    successRates(causeKind) {
      return selectRates
        .all(causeKind)
        .map((row) => ({ ...row, smoothedRate: smoothedSuccessRate(row.successes, row.attempts) }))
        .sort(
          (a, b) =>
            b.smoothedRate - a.smoothedRate ||
            b.attempts - a.attempts ||
            (a.actionKind < b.actionKind ? -1 : a.actionKind > b.actionKind ? 1 : 0),
        );
    },
  };
}

function sqliteCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
