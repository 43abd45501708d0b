/**
 * Actions still pending or running: after a restart mid-action, the executor must finish or roll
 * back each of these (with the outcome store's finishAction) before it starts new ones.
 */
import type { Database } from 'better-sqlite3';
import { ACTION_COLUMNS, actionFromRow, type Action, type ActionRow } from './outcomes.js';

export interface UnfinishedActionStore {
  /** Every action whose status is 'pending' or 'running', oldest start first (unstarted last), then by id. */
  unfinishedActions(): Action[];
}


/** `db` must have been opened by openStore (its migrations create the table). */
export function createUnfinishedActionStore(db: Database): UnfinishedActionStore {
  // The partial index actions_one_open_per_target covers exactly these rows.
  const selectUnfinished = db.prepare<[], ActionRow>(
    `SELECT ${ACTION_COLUMNS}
       FROM actions WHERE status IN ('pending','running')
       ORDER BY started_at IS NULL, started_at, id`,
  );

  return {
    unfinishedActions() {
      return selectUnfinished.all().map(actionFromRow);
    },
  };
}
