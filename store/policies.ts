/**
 * The planner's policy table: which action kinds may answer which cause kind, under what
 * preconditions, at what cost and risk, and whether each is enabled. The planner ranks the
 * candidates with the learned success rates (outcomes.ts); this table only says what is allowed.
 */
import type { Database } from 'better-sqlite3';
import { toJsonColumn } from './column-values.js';
import { UnknownPolicyError } from './knowledge-base-errors.js';

export interface UpsertPolicy {
  causeKind: string;
  actionKind: string;
  /** A JSON-serializable object; default {} on insert. */
  preconditions?: object;
  /** Finite and >= 0; default 1 on insert. */
  cost?: number;
  /** In [0, 1]; default 0 on insert. */
  risk?: number;
  /** Default true on insert. */
  enabled?: boolean;
}

export interface Policy {
  id: number;
  causeKind: string;
  actionKind: string;
  preconditions: Record<string, unknown>;
  cost: number;
  risk: number;
  enabled: boolean;
}

export interface PolicyStore {
  /**
   * Inserts the policy for (causeKind, actionKind), or updates the one already there: fields left
   * out keep their stored values (or take the defaults on insert). Returns the policy's id.
   * Throws a TypeError or RangeError naming a malformed field, writing nothing.
   */
  upsert(policy: UpsertPolicy): number;
  /** The enabled policies for `causeKind`, cheapest first, then least risky, then by action kind. */
  candidates(causeKind: string): Policy[];
  /** Enables or disables one policy; throws UnknownPolicyError when there is none. */
  setEnabled(causeKind: string, actionKind: string, enabled: boolean): void;
}

interface PolicyRow {
  id: number;
  causeKind: string;
  actionKind: string;
  preconditions: string;
  cost: number;
  risk: number;
  enabled: 0 | 1;
}

interface UpsertParams {
  causeKind: string;
  actionKind: string;
  preconditions: string | null;
  cost: number | null;
  risk: number | null;
  enabled: 0 | 1 | null;
}

/** `db` must have been opened by openStore (its migrations create the table). */
export function createPolicyStore(db: Database): PolicyStore {
  // NULL parameters mean "left out": the defaults of migration 2 on insert, the stored value on update.
  const upsert = db.prepare<[UpsertParams], { id: number }>(
    `INSERT INTO policies (cause_kind, action_kind, preconditions, cost, risk, enabled)
       VALUES (@causeKind, @actionKind, coalesce(@preconditions, '{}'), coalesce(@cost, 1),
               coalesce(@risk, 0), coalesce(@enabled, 1))
       ON CONFLICT (cause_kind, action_kind) DO UPDATE SET
         preconditions = coalesce(@preconditions, preconditions),
         cost = coalesce(@cost, cost),
         risk = coalesce(@risk, risk),
         enabled = coalesce(@enabled, enabled)
       RETURNING id`,
  );
  const selectCandidates = db.prepare<[string], PolicyRow>(
    `SELECT id, cause_kind AS causeKind, action_kind AS actionKind, preconditions, cost, risk, enabled
       FROM policies WHERE cause_kind = ? AND enabled = 1 ORDER BY cost, risk, action_kind`,
  );
  const updateEnabled = db.prepare<[0 | 1, string, string]>(
    'UPDATE policies SET enabled = ? WHERE cause_kind = ? AND action_kind = ?',
  );

  return {
    upsert(policy) {
      nonEmpty('causeKind', policy.causeKind);
      nonEmpty('actionKind', policy.actionKind);
      if (policy.cost !== undefined && !(Number.isFinite(policy.cost) && policy.cost >= 0)) {
        throw new RangeError(`cost must be a finite number >= 0, got ${policy.cost}`);
      }
      if (policy.risk !== undefined && !(policy.risk >= 0 && policy.risk <= 1)) {
        throw new RangeError(`risk must be in [0, 1], got ${policy.risk}`);
      }
      const { preconditions } = policy;
      if (preconditions !== undefined && (typeof preconditions !== 'object' || preconditions === null || Array.isArray(preconditions))) {
        throw new TypeError('preconditions must be a JSON object');
      }
      const row = upsert.get({
        causeKind: policy.causeKind,
        actionKind: policy.actionKind,
        preconditions:
          preconditions === undefined
            ? null
            : toJsonColumn(preconditions, `preconditions of policy '${policy.causeKind}' → '${policy.actionKind}'`),
        cost: policy.cost ?? null,
        risk: policy.risk ?? null,
        enabled: policy.enabled === undefined ? null : policy.enabled ? 1 : 0,
      });
      // RETURNING yields the row on both insert and update.
      return row!.id;
    },
    candidates(causeKind) {
      return selectCandidates.all(causeKind).map((row) => ({
        ...row,
        // The column's CHECK (json_valid) guarantees it parses; upsert stores only objects.
        preconditions: JSON.parse(row.preconditions) as Record<string, unknown>,
        enabled: row.enabled === 1,
      }));
    },
    setEnabled(causeKind, actionKind, enabled) {
      if (updateEnabled.run(enabled ? 1 : 0, causeKind, actionKind).changes === 0) {
        throw new UnknownPolicyError(db.name, causeKind, actionKind);
      }
    },
  };
}

function nonEmpty(name: string, value: string): void {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${name} must be a non-empty string`);
}
