/**
 * Incidents: one row per fault the loop noticed, stamped at every phase (fault start when known,
 * detected, diagnosed, planned, executed, recovered), so MTTD and MTTR are computed from these
 * records rather than claimed.
 */
import type { Database } from 'better-sqlite3';
import { checkEpochMs, toJsonColumn } from './column-values.js';
import { IncidentOrderError, UnknownIncidentError } from './knowledge-base-errors.js';
import { nearestRank } from './nearest-rank.js';

export type IncidentStatus = 'detected' | 'diagnosed' | 'planned' | 'held' | 'executing' | 'recovered' | 'failed';

/** Every status an incident can move to after `detected`. */
export type IncidentPhase = Exclude<IncidentStatus, 'detected'>;

export interface Incident {
  id: number;
  causeKind: string | null;
  target: string | null;
  status: IncidentStatus;
  confidence: number | null;
  faultStartedAt: number | null;
  detectedAt: number;
  diagnosedAt: number | null;
  plannedAt: number | null;
  executedAt: number | null;
  recoveredAt: number | null;
  /** When the plan was held for governance (risk at or above the threshold). */
  heldAt: number | null;
  /** When the loop gave up on the incident. */
  failedAt: number | null;
  /** The parsed JSON detail, undefined when none was stored. */
  detail: unknown;
}

export interface OpenIncident {
  /**
   * The incident's id, when the caller allocates ids (the analyzer does, so a window processed
   * again after a crash opens the same incident instead of a second one: the open is then a no-op).
   */
  id?: number;
  causeKind?: string;
  target?: string;
  /** Known only when the fault was injected; MTTD needs it. */
  faultStartedAt?: number;
  detectedAt: number;
  /** Must be JSON-serializable. */
  detail?: unknown;
}

/** What a phase may add to the incident; fields left out keep their stored values. */
export interface IncidentFields {
  causeKind?: string;
  target?: string;
  confidence?: number;
  /** Replaces the stored detail; must be JSON-serializable. */
  detail?: unknown;
}

export interface DurationSummary {
  /** How many incidents the figure is computed from. */
  n: number;
  /** Nearest-rank median in ms; null when n is 0. */
  median: number | null;
  /** Nearest-rank 99th percentile in ms; null when n is 0. */
  p99: number | null;
}

export interface CauseTimings {
  /** null groups the incidents never diagnosed. */
  causeKind: string | null;
  /** Incidents of this cause, whatever their status. */
  n: number;
  /** detected_at − fault_started_at, over the incidents whose fault start is known. */
  mttdMs: DurationSummary;
  /** recovered_at − fault_started_at (or − detected_at when the start is unknown), over recovered incidents. */
  mttrMs: DurationSummary;
}

export interface IncidentStore {
  /** Records a newly detected incident (status 'detected') and returns its id. */
  open(incident: OpenIncident): number;
  /**
   * Moves the incident to `phase` at `at`, stamping the phase's time (diagnosed_at, planned_at,
   * executed_at for 'executing', recovered_at; 'held' and 'failed' have no column and set only the
   * status). Marking a phase again moves its time forward. Throws UnknownIncidentError, or
   * IncidentOrderError when `at` is earlier than a phase already recorded, the phase comes before
   * one already recorded, or the incident is closed (recovered or failed).
   */
  mark(id: number, phase: IncidentPhase, at: number, fields?: IncidentFields): void;
  get(id: number): Incident | undefined;
  /** Incidents detected at or after `sinceMs` (all when omitted), oldest first. */
  list(options?: { sinceMs?: number }): Incident[];
  /** MTTD and MTTR per cause kind, ordered by cause kind (undiagnosed last). */
  timings(): CauseTimings[];
}

/** The phases that have a timestamp, in the order the CHECKs of migration 2 require. */
const STAMPED_PHASES = ['detected', 'diagnosed', 'planned', 'executing', 'recovered'] as const;
type StampedPhase = (typeof STAMPED_PHASES)[number];

const CLOSED: ReadonlySet<IncidentStatus> = new Set(['recovered', 'failed']);

/** An incident as SQLite returns it: the detail still JSON text. */
type IncidentRow = Omit<Incident, 'detail'> & { detail: string | null };

const SELECT_INCIDENT = `SELECT id, cause_kind AS causeKind, target, status, confidence,
    fault_started_at AS faultStartedAt, detected_at AS detectedAt, diagnosed_at AS diagnosedAt,
    planned_at AS plannedAt, executed_at AS executedAt, recovered_at AS recoveredAt, held_at AS heldAt,
    failed_at AS failedAt, detail
  FROM incidents`;

interface UpdateParams {
  id: number;
  phase: IncidentPhase;
  at: number;
  causeKind: string | null;
  target: string | null;
  confidence: number | null;
  detail: string | null;
}

/** `db` must have been opened by openStore (its migrations create the table). */
export function createIncidentStore(db: Database): IncidentStore {
  const insert = db.prepare<[number | null, string | null, string | null, number | null, number, string | null]>(
    `INSERT INTO incidents (id, cause_kind, target, status, fault_started_at, detected_at, detail)
       VALUES (?, ?, ?, 'detected', ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  const selectOne = db.prepare<[number], IncidentRow>(`${SELECT_INCIDENT} WHERE id = ?`);
  const selectSince = db.prepare<[number], IncidentRow>(
    `${SELECT_INCIDENT} WHERE detected_at >= ? ORDER BY detected_at, id`,
  );
  const selectAll = db.prepare<[], IncidentRow>(`${SELECT_INCIDENT} ORDER BY detected_at, id`);
  // The phase's own column takes `at`, the others keep their values; fields left undefined keep
  // theirs too (coalesce). One statement for every phase, since a column name cannot be bound.
  const update = db.prepare<[UpdateParams]>(
    `UPDATE incidents SET status = @phase,
         diagnosed_at = CASE @phase WHEN 'diagnosed' THEN @at ELSE diagnosed_at END,
         planned_at   = CASE @phase WHEN 'planned'   THEN @at ELSE planned_at END,
         executed_at  = CASE @phase WHEN 'executing' THEN @at ELSE executed_at END,
         recovered_at = CASE @phase WHEN 'recovered' THEN @at ELSE recovered_at END,
         held_at      = CASE @phase WHEN 'held'      THEN @at ELSE held_at END,
         failed_at    = CASE @phase WHEN 'failed'    THEN @at ELSE failed_at END,
         cause_kind = coalesce(@causeKind, cause_kind), target = coalesce(@target, target),
         confidence = coalesce(@confidence, confidence), detail = coalesce(@detail, detail)
       WHERE id = @id`,
  );

  const markTx = db.transaction((id: number, phase: IncidentPhase, at: number, fields: IncidentFields) => {
    const row = selectOne.get(id);
    if (row === undefined) throw new UnknownIncidentError(db.name, id);
    const refuse = (detail: string): never => {
      throw new IncidentOrderError(db.name, id, phase, at, detail);
    };
    if (CLOSED.has(row.status)) refuse(`it is closed ('${row.status}')`);
    const stamps = stampsOf(row);
    const latest = stamps.reduce((a, b) => (b.at >= a.at ? b : a));
    if (at < latest.at) refuse(`that is earlier than '${latest.phase}' at ${latest.at}`);
    const position = STAMPED_PHASES.indexOf(phase as StampedPhase);
    if (position >= 0) {
      const later = stamps.find((stamp) => STAMPED_PHASES.indexOf(stamp.phase) > position);
      if (later !== undefined) refuse(`'${later.phase}' is already recorded, at ${later.at}`);
    }
    update.run({
      id,
      phase,
      at,
      causeKind: fields.causeKind ?? null,
      target: fields.target ?? null,
      confidence: fields.confidence ?? null,
      detail: fields.detail === undefined ? null : toJsonColumn(fields.detail, `detail of incident ${id}`),
    });
  });

  return {
    open(incident) {
      checkEpochMs('detectedAt', incident.detectedAt);
      if (incident.faultStartedAt !== undefined) {
        checkEpochMs('faultStartedAt', incident.faultStartedAt);
        if (incident.faultStartedAt > incident.detectedAt) {
          throw new RangeError(
            `faultStartedAt ${incident.faultStartedAt} is after detectedAt ${incident.detectedAt}: ` +
              'a fault cannot be detected before it starts',
          );
        }
      }
      const detail = incident.detail === undefined ? null : toJsonColumn(incident.detail, 'incident detail');
      const result = insert.run(
        incident.id ?? null,
        incident.causeKind ?? null,
        incident.target ?? null,
        incident.faultStartedAt ?? null,
        incident.detectedAt,
        detail,
      );
      return incident.id ?? Number(result.lastInsertRowid);
    },
    mark(id, phase, at, fields = {}) {
      checkEpochMs('at', at);
      if (fields.confidence !== undefined && !(fields.confidence >= 0 && fields.confidence <= 1)) {
        throw new RangeError(`confidence must be in [0, 1], got ${fields.confidence}`);
      }
      // IMMEDIATE: the row is read then written, and another thread's writer must not slip between.
      markTx.immediate(id, phase, at, fields);
    },
    get(id) {
      const row = selectOne.get(id);
      return row === undefined ? undefined : toIncident(row);
    },
    list(options = {}) {
      const rows = options.sinceMs === undefined ? selectAll.all() : selectSince.all(options.sinceMs);
      return rows.map(toIncident);
    },
    timings() {
      const groups = new Map<string | null, { n: number; detect: number[]; repair: number[] }>();
      for (const row of selectAll.all()) {
        let group = groups.get(row.causeKind);
        if (group === undefined) groups.set(row.causeKind, (group = { n: 0, detect: [], repair: [] }));
        group.n += 1;
        if (row.faultStartedAt !== null) group.detect.push(row.detectedAt - row.faultStartedAt);
        // From the fault's start when known: that is what the mesh suffers. Organic faults have no
        // known start, so their repair time runs from detection and leaves out the detection delay.
        if (row.recoveredAt !== null) group.repair.push(row.recoveredAt - (row.faultStartedAt ?? row.detectedAt));
      }
      return [...groups.entries()]
        .sort(([a], [b]) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1))
        .map(([causeKind, group]) => ({
          causeKind,
          n: group.n,
          mttdMs: summarize(group.detect),
          mttrMs: summarize(group.repair),
        }));
    },
  };
}

function stampsOf(row: IncidentRow): Array<{ phase: StampedPhase; at: number }> {
  const values: Record<StampedPhase, number | null> = {
    detected: row.detectedAt,
    diagnosed: row.diagnosedAt,
    planned: row.plannedAt,
    executing: row.executedAt,
    recovered: row.recoveredAt,
  };
  return STAMPED_PHASES.flatMap((phase) => {
    const at = values[phase];
    return at === null ? [] : [{ phase, at }];
  });
}

function summarize(durations: number[]): DurationSummary {
  const sorted = durations.sort((a, b) => a - b);
  return { n: sorted.length, median: nearestRank(sorted, 50) ?? null, p99: nearestRank(sorted, 99) ?? null };
}

function toIncident(row: IncidentRow): Incident {
  const { detail, ...rest } = row;
  // The column's CHECK (json_valid) guarantees it parses.
  return { ...rest, detail: detail === null ? undefined : (JSON.parse(detail) as unknown) };
}
