/**
 * What "back to normal" means per cause: the executor checks these on windows taken after its
 * action, until `withinMs` has passed. Thresholds sit well inside the detection rules' so a
 * value hovering at a rule's edge is not called recovered.
 */
import { MESH_TARGET, type CauseKind } from './causes.js';
import type { VerifyCriterion } from './plan.js';
import { pointValue, type TelemetryWindow } from './telemetry.js';

/**
 * A recovery slower than this counts as a failed action: the next candidate is tried. A replaced
 * thread's CPU and heap rates show from its second reading after start-up (runtime-sampler.ts),
 * up to three intervals at the default 1 s: six seconds leaves room for a loaded machine.
 */
export const DEFAULT_VERIFY_WITHIN_MS = 6_000;

export function verifyCriteria(cause: CauseKind, target: string): VerifyCriterion[] {
  const on = (metric: VerifyCriterion['metric'], op: VerifyCriterion['op'], value: number, source = target): VerifyCriterion => ({
    metric,
    source,
    op,
    value,
  });
  // Every member the node holds alive has a route: what the mesh's healing is for.
  const everyMemberReached = on('mesh.unreachable_members', '<=', 0, MESH_TARGET);
  switch (cause) {
    case 'crash-loop':
      return [on('actor.repeat_crashes', '<=', 0), on('actor.unresponsive', '<=', 0)];
    case 'hung-actor':
      return [on('actor.unresponsive', '<=', 0)];
    // Back to yielding its core within a few milliseconds of taking it, as a thread that works on
    // what it is given does (the rule calls a hog from 10): a bound the machine's load does not
    // move, where a CPU share would read a hog starved to under a quarter of a core as cured.
    case 'cpu-hog':
      return [on('actor.cpu_burst_ms', '<=', 5), on('actor.unresponsive', '<=', 0)];
    case 'memory-leak':
      return [on('actor.retained_heap_growth_bps', '<=', 2 * 1024 * 1024), on('actor.unresponsive', '<=', 0)];
    case 'mailbox-flood':
      return [on('actor.mailbox_depth', '<=', 100)];
    case 'slow-store':
      return [on('actor.store_write_ms', '<=', 50), on('actor.unresponsive', '<=', 0)];
    // A dead neighbour cannot be revived from here: recovered is every other member reached around it.
    case 'peer-down':
      return [everyMemberReached];
    // No route crosses the degraded link any more, its peer is reached around it, and nobody was cut off by leaving it.
    case 'link-degraded':
      return [on('peer.routed_destinations', '<=', 0), on('peer.reached_around', '>=', 1), everyMemberReached];
    case 'partitioned':
      return [everyMemberReached];
  }
}

/**
 * 'met' when every criterion's metric is in the window and satisfied; 'unknown' when one is
 * missing (an event window carries few metrics); 'unmet' otherwise.
 */
export function checkCriteria(criteria: readonly VerifyCriterion[], window: TelemetryWindow): 'met' | 'unmet' | 'unknown' {
  let unknown = false;
  for (const criterion of criteria) {
    const value = pointValue(window, criterion.metric, criterion.source);
    if (value === undefined) {
      unknown = true;
      continue;
    }
    const ok = criterion.op === '<=' ? value <= criterion.value : value >= criterion.value;
    if (!ok) return 'unmet';
  }
  return unknown ? 'unknown' : 'met';
}

/**
 * The values a verdict was reached on, as the action's stored detail ("actor.cpu_ratio 0.02 <=
 * 0.25, ..."), so an operator reading why an action counted as a cure, or a failed test, sees the
 * evidence and not only the verdict. A metric missing from the window reads "missing".
 */
export function describeCriteria(criteria: readonly VerifyCriterion[], window: TelemetryWindow): string {
  return criteria
    .map((criterion) => {
      const value = pointValue(window, criterion.metric, criterion.source);
      const shown = value === undefined ? 'missing' : Number(value.toPrecision(4)).toString();
      return `${criterion.metric} of ${criterion.source} ${shown} ${criterion.op} ${criterion.value}`;
    })
    .join(', ');
}
