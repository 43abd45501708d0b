/** The next id after the largest in a table: where a machine that allocates ids starts without a snapshot. */
import type { Database } from 'better-sqlite3';

export function nextFreeId(db: Database, table: 'incidents' | 'actions'): number {
  const row = db.prepare<[], { maxId: number | null }>(`SELECT max(id) AS maxId FROM ${table}`).get();
  return (row?.maxId ?? 0) + 1;
}
