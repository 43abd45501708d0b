/**
 * Anomalies: what the analyzer's detectors found, one row per finding, taken up by an incident
 * either when recorded or later (attach), so an incident lists the evidence it was opened on.
 */
import type { Database } from 'better-sqlite3';
import { checkEpochMs, toJsonColumn } from './column-values.js';
import { InvalidAnomalyError, UnknownAnomalyError, UnknownIncidentError } from './knowledge-base-errors.js';

export interface RecordAnomaly {
  detectedAt: number;
  /** The detector that fired, e.g. 'ewma-z', 'restart-rate'. */
  detector: string;
  /** The actor id, or 'process' for the node as a whole. */
  source: string;
  /** The metrics the finding is about; at least one, each non-empty. */
  metrics: readonly string[];
  /** In [0, 1]. */
  severity: number;
  /** Must be JSON-serializable. */
  detail?: unknown;
  /** The incident taking the anomaly up; left out, it stays unattached until attach. */
  incidentId?: number;
}

export interface Anomaly {
  id: number;
  incidentId: number | null;
  detectedAt: number;
  detector: string;
  source: string;
  metrics: string[];
  severity: number;
  /** The parsed JSON detail, undefined when none was stored. */
  detail: unknown;
}

export interface AnomalyStore {
  /**
   * Records an anomaly and returns its id. Throws InvalidAnomalyError (severity outside [0, 1], no
   * metrics, an empty detector, source or metric) or UnknownIncidentError, writing nothing.
   */
  record(anomaly: RecordAnomaly): number;
  /**
   * Attaches every anomaly to the incident, in one transaction: all or none. An anomaly already
   * attached elsewhere moves to this incident. Throws UnknownIncidentError or UnknownAnomalyError.
   */
  attach(anomalyIds: readonly number[], incidentId: number): void;
  /** Anomalies detected at or after `sinceMs`, oldest first. */
  listSince(sinceMs: number): Anomaly[];
  /** The incident's anomalies, oldest first (none for an unknown incident). */
  forIncident(incidentId: number): Anomaly[];
}

/** An anomaly as SQLite returns it: metrics and detail still JSON text. */
type AnomalyRow = Omit<Anomaly, 'metrics' | 'detail'> & { metrics: string; detail: string | null };

const SELECT_ANOMALY = `SELECT id, incident_id AS incidentId, detected_at AS detectedAt, detector, source,
    metrics, severity, detail FROM anomalies`;

/** `db` must have been opened by openStore (its migrations create the table). */
export function createAnomalyStore(db: Database): AnomalyStore {
  const insert = db.prepare<[number | null, number, string, string, string, number, string | null]>(
    `INSERT INTO anomalies (incident_id, detected_at, detector, source, metrics, severity, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const incidentExists = db.prepare<[number], { id: number }>('SELECT id FROM incidents WHERE id = ?');
  const setIncident = db.prepare<[number, number]>('UPDATE anomalies SET incident_id = ? WHERE id = ?');
  const selectSince = db.prepare<[number], AnomalyRow>(`${SELECT_ANOMALY} WHERE detected_at >= ? ORDER BY detected_at, id`);
  const selectForIncident = db.prepare<[number], AnomalyRow>(
    `${SELECT_ANOMALY} WHERE incident_id = ? ORDER BY detected_at, id`,
  );

  const recordTx = db.transaction((anomaly: RecordAnomaly, metrics: string, detail: string | null): number => {
    const incidentId = anomaly.incidentId ?? null;
    if (incidentId !== null && incidentExists.get(incidentId) === undefined) {
      throw new UnknownIncidentError(db.name, incidentId);
    }
    return Number(
      insert.run(incidentId, anomaly.detectedAt, anomaly.detector, anomaly.source, metrics, anomaly.severity, detail)
        .lastInsertRowid,
    );
  });
  const attachTx = db.transaction((anomalyIds: readonly number[], incidentId: number) => {
    if (incidentExists.get(incidentId) === undefined) throw new UnknownIncidentError(db.name, incidentId);
    for (const id of anomalyIds) {
      // Throwing rolls back the ones already attached: all or none.
      if (setIncident.run(incidentId, id).changes === 0) throw new UnknownAnomalyError(db.name, id);
    }
  });

  return {
    record(anomaly) {
      checkEpochMs('detectedAt', anomaly.detectedAt);
      const problem = anomalyProblem(anomaly);
      if (problem !== undefined) throw new InvalidAnomalyError(db.name, String(anomaly.detector), problem);
      const detail = anomaly.detail === undefined ? null : toJsonColumn(anomaly.detail, 'anomaly detail');
      return recordTx.immediate(anomaly, JSON.stringify(anomaly.metrics), detail);
    },
    attach(anomalyIds, incidentId) {
      attachTx.immediate(anomalyIds, incidentId);
    },
    listSince(sinceMs) {
      return selectSince.all(sinceMs).map(toAnomaly);
    },
    forIncident(incidentId) {
      return selectForIncident.all(incidentId).map(toAnomaly);
    },
  };
}

function anomalyProblem(anomaly: RecordAnomaly): string | undefined {
  if (typeof anomaly.severity !== 'number' || !(anomaly.severity >= 0 && anomaly.severity <= 1)) {
    return `severity ${String(anomaly.severity)} is not in [0, 1]`;
  }
  if (!Array.isArray(anomaly.metrics) || anomaly.metrics.length === 0) return 'metrics must be a non-empty array';
  const bad = anomaly.metrics.findIndex((metric) => typeof metric !== 'string' || metric === '');
  if (bad >= 0) return `metric ${bad} must be a non-empty string`;
  if (typeof anomaly.detector !== 'string' || anomaly.detector === '') return 'detector must be a non-empty string';
  if (typeof anomaly.source !== 'string' || anomaly.source === '') return 'source must be a non-empty string';
  return undefined;
}

function toAnomaly(row: AnomalyRow): Anomaly {
  const { metrics, detail, ...rest } = row;
  // The columns' CHECKs (json_valid, an array for metrics) guarantee they parse.
  return {
    ...rest,
    metrics: JSON.parse(metrics) as string[],
    detail: detail === null ? undefined : (JSON.parse(detail) as unknown),
  };
}
