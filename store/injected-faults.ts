/**
 * Chaos injections with their start times. The analyzer links the incident it opens to the
 * injection on the same target that it explains, so the incident carries fault_started_at (MTTD
 * and MTTR from the fault's start) and the bench compares injected and diagnosed kinds from records.
 */
import type { Database } from 'better-sqlite3';
import { checkEpochMs } from './column-values.js';

export interface InjectedFault {
  id: number;
  kind: string;
  target: string;
  startedAt: number;
  incidentId: number | null;
}

export interface InjectedFaultStore {
  record(fault: { kind: string; target: string; startedAt: number }): number;
  /**
   * The latest injection on `target` started within `windowMs` before `at` (inclusive) and not yet
   * linked to an incident. Call it and `link` in one transaction, so two incidents never claim one injection.
   */
  latestUnlinked(target: string, at: number, windowMs: number): InjectedFault | undefined;
  link(faultId: number, incidentId: number): void;
  /** The injection linked to an incident, if any. */
  forIncident(incidentId: number): InjectedFault | undefined;
  list(options?: { sinceMs?: number }): InjectedFault[];
}

const COLUMNS = 'id, kind, target, started_at AS startedAt, incident_id AS incidentId';

export function createInjectedFaultStore(db: Database): InjectedFaultStore {
  const insert = db.prepare<[string, string, number]>('INSERT INTO injected_faults (kind, target, started_at) VALUES (?, ?, ?)');
  const latest = db.prepare<[string, number, number], InjectedFault>(
    `SELECT ${COLUMNS} FROM injected_faults
       WHERE target = ? AND started_at <= ? AND started_at >= ? AND incident_id IS NULL ORDER BY started_at DESC, id DESC LIMIT 1`,
  );
  const link = db.prepare<[number, number]>('UPDATE injected_faults SET incident_id = ? WHERE id = ?');
  const byIncident = db.prepare<[number], InjectedFault>(`SELECT ${COLUMNS} FROM injected_faults WHERE incident_id = ?`);
  const since = db.prepare<[number], InjectedFault>(`SELECT ${COLUMNS} FROM injected_faults WHERE started_at >= ? ORDER BY id`);
  return {
    record(fault) {
      checkEpochMs('startedAt', fault.startedAt);
      return Number(insert.run(fault.kind, fault.target, fault.startedAt).lastInsertRowid);
    },
    latestUnlinked: (target, at, windowMs) => latest.get(target, at, at - windowMs),
    link(faultId, incidentId) {
      link.run(incidentId, faultId);
    },
    forIncident: (incidentId) => byIncident.get(incidentId),
    list: (options = {}) => since.all(options.sinceMs ?? 0),
  };
}
