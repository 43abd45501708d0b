/**
 * The analyzer's threshold rules as stored (migration 3 seeds the defaults). Rows come back raw:
 * the analyzer parses each with lib/mape's parseThresholdRule, so a corrupted row is reported and
 * skipped instead of stopping the loop.
 */
import type { Database } from 'better-sqlite3';

export interface DetectorRuleRow {
  id: string;
  metric: unknown;
  op: unknown;
  threshold: unknown;
  consecutive: unknown;
  cause: unknown;
  confidence: unknown;
  rank: unknown;
  andMetric: unknown;
  andOp: unknown;
  andThreshold: unknown;
}

export interface UpsertDetectorRule {
  id: string;
  metric: string;
  op: string;
  threshold: number;
  consecutive: number;
  cause: string;
  confidence: number;
  rank: number;
  enabled?: boolean;
  and?: { metric: string; op: string; threshold: number };
}

export interface DetectorRuleStore {
  /** Enabled rules, by rank then id. */
  enabled(): DetectorRuleRow[];
  upsert(rule: UpsertDetectorRule): void;
}

export function createDetectorRuleStore(db: Database): DetectorRuleStore {
  const selectEnabled = db.prepare<[], DetectorRuleRow>(
    `SELECT id, metric, op, threshold, consecutive, cause_kind AS cause, confidence, rank,
            and_metric AS andMetric, and_op AS andOp, and_threshold AS andThreshold
       FROM detector_rules WHERE enabled = 1 ORDER BY rank, id`,
  );
  const upsert = db.prepare(
    `INSERT INTO detector_rules (id, metric, op, threshold, consecutive, cause_kind, confidence, rank, enabled, and_metric, and_op, and_threshold)
       VALUES (@id, @metric, @op, @threshold, @consecutive, @cause, @confidence, @rank, @enabled, @andMetric, @andOp, @andThreshold)
       ON CONFLICT (id) DO UPDATE SET metric = @metric, op = @op, threshold = @threshold, consecutive = @consecutive,
         cause_kind = @cause, confidence = @confidence, rank = @rank, enabled = @enabled,
         and_metric = @andMetric, and_op = @andOp, and_threshold = @andThreshold`,
  );
  return {
    enabled: () => selectEnabled.all(),
    upsert(rule) {
      const { and, ...rest } = rule;
      upsert.run({
        ...rest,
        enabled: rule.enabled === false ? 0 : 1,
        andMetric: and?.metric ?? null,
        andOp: and?.op ?? null,
        andThreshold: and?.threshold ?? null,
      });
    },
  };
}
