/**
 * The self-healing loop as `status` and `incidents` show it, read from the knowledge base in the
 * main thread (the loop's actors write it; reading never goes through them, so a wedged actor
 * cannot hide its own incident).
 */
import type { Database } from 'better-sqlite3';
import { createIncidentStore, type Incident } from '../../store/incidents.js';
import type { Action } from '../../store/outcomes.js';
import { ACTION_COLUMNS, actionFromRow, type ActionRow } from '../../store/outcomes.js';
import type { MapeStatus, OpenIncidentStatus } from './node-status.js';

const OPEN = new Set(['detected', 'diagnosed', 'planned', 'held', 'executing']);

export function readMapeStatus(db: Database, sinceMs = 0): MapeStatus {
  const incidents = createIncidentStore(db).list({ sinceMs });
  const open = incidents.filter((incident) => OPEN.has(incident.status)).map(openStatus);
  const held = open.filter((incident) => incident.status === 'held');
  return {
    phase: phaseOf(open),
    open,
    held,
    recovered: incidents.filter((incident) => incident.status === 'recovered').length,
    failed: incidents.filter((incident) => incident.status === 'failed').length,
  };
}

function openStatus(incident: Incident): OpenIncidentStatus {
  return { id: incident.id, cause: incident.causeKind, target: incident.target, status: incident.status, detectedAt: incident.detectedAt };
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
  actions: (Action & { outcome: { success: boolean; verifiedAt: number } | null })[];
  /** The chaos injection the incident was linked to, if it was injected. */
  injected: { kind: string; startedAt: number } | null;
}

/** Incidents with their actions, outcomes and injections, oldest first. Works on a read-only connection. */
export function readIncidentReport(db: Database, options: { sinceMs?: number } = {}): IncidentReport[] {
  const actions = db.prepare<[number], ActionRow>(`SELECT ${ACTION_COLUMNS} FROM actions WHERE incident_id = ? ORDER BY id`);
  const outcome = db.prepare<[number], { success: number; verifiedAt: number }>(
    'SELECT success, verified_at AS verifiedAt FROM outcomes WHERE action_id = ? ORDER BY id DESC LIMIT 1',
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
        return { ...actionFromRow(row), outcome: found ? { success: found.success === 1, verifiedAt: found.verifiedAt } : null };
      }),
      injected: injected.get(incident.id) ?? null,
    }));
}
