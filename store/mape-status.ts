/**
 * The self-healing loop as `status` and `incidents` show it, read from the knowledge base in the
 * main thread (the loop's actors write it; reading never goes through them, so a wedged actor
 * cannot hide its own incident).
 */
import type { Database } from 'better-sqlite3';
import { createIncidentStore, type Incident } from './incidents.js';
import type { Action } from './outcomes.js';
import { ACTION_COLUMNS, actionFromRow, type ActionRow } from './outcomes.js';

export interface OpenIncidentStatus {
  id: number;
  cause: string | null;
  target: string | null;
  /** detected, diagnosed, planned, held (waiting for governance) or executing. */
  status: string;
  detectedAt: number;
}

export interface MapeStatus {
  /**
   * What the loop is doing: idle, or the furthest phase an open incident has reached
   * (detecting, planning, held, executing).
   */
  phase: 'idle' | 'diagnosing' | 'planning' | 'held' | 'executing';
  open: OpenIncidentStatus[];
  /** Plans held for governance (risk at or above the threshold): the operator's to decide until the voter exists. */
  held: OpenIncidentStatus[];
  /** Incidents closed, over the knowledge base's whole history. */
  recovered: number;
  failed: number;
}


const OPEN_STATUSES = "('detected','diagnosed','planned','held','executing')";

/** Reads only open incidents and per-status counts: status is polled, and the incident table only grows. */
export function readMapeStatus(db: Database): MapeStatus {
  const open = db
    .prepare<[], OpenIncidentStatus>(
      `SELECT id, cause_kind AS cause, target, status, detected_at AS detectedAt
         FROM incidents WHERE status IN ${OPEN_STATUSES} ORDER BY detected_at, id`,
    )
    .all();
  const closed = new Map(
    db
      .prepare<[], { status: string; n: number }>(`SELECT status, count(*) AS n FROM incidents WHERE status IN ('recovered','failed') GROUP BY status`)
      .all()
      .map((row) => [row.status, row.n]),
  );
  return {
    phase: phaseOf(open),
    open,
    held: open.filter((incident) => incident.status === 'held'),
    recovered: closed.get('recovered') ?? 0,
    failed: closed.get('failed') ?? 0,
  };
}

function phaseOf(open: readonly OpenIncidentStatus[]): MapeStatus['phase'] {
  const statuses = new Set(open.map((incident) => incident.status));
  if (statuses.has('executing')) return 'executing';
  if (statuses.has('planned') || statuses.has('diagnosed')) return 'planning';
  if (statuses.has('detected')) return 'diagnosing';
  if (statuses.has('held')) return 'held';
  return 'idle';
}

export interface IncidentReport extends Incident {
  /** Each action with its outcome; the outcome's detail is what the executor stored with it (the values its verdict was reached on), undefined when none. */
  actions: (Action & { outcome: { success: boolean; verifiedAt: number; detail: unknown } | null })[];
  /** The chaos injection the incident was linked to, if it was injected. */
  injected: { kind: string; startedAt: number } | null;
}

/** Incidents with their actions, outcomes and injections, oldest first. Works on a read-only connection. */
export function readIncidentReport(db: Database, options: { sinceMs?: number } = {}): IncidentReport[] {
  const actions = db.prepare<[number], ActionRow>(`SELECT ${ACTION_COLUMNS} FROM actions WHERE incident_id = ? ORDER BY id`);
  const outcome = db.prepare<[number], { success: number; verifiedAt: number; detail: string | null }>(
    'SELECT success, verified_at AS verifiedAt, detail FROM outcomes WHERE action_id = ? ORDER BY id DESC LIMIT 1',
  );
  const injected = db.prepare<[number], { kind: string; startedAt: number }>(
    'SELECT kind, started_at AS startedAt FROM injected_faults WHERE incident_id = ?',
  );
  return createIncidentStore(db)
    .list(options.sinceMs === undefined ? {} : { sinceMs: options.sinceMs })
    .map((incident) => ({
      ...incident,
      actions: actions.all(incident.id).map((row) => {
        const found = outcome.get(row.id);
        // The column's CHECK (json_valid) guarantees a stored detail parses.
        const ended = found ? { success: found.success === 1, verifiedAt: found.verifiedAt, detail: found.detail === null ? undefined : (JSON.parse(found.detail) as unknown) } : null;
        return { ...actionFromRow(row), outcome: ended };
      }),
      injected: injected.get(incident.id) ?? null,
    }));
}
