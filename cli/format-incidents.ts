/**
 * `x0tta6bl4 incidents` for humans: one block per incident, its phases as offsets from the fault
 * (or from detection when the fault's start is not known), then each action with its outcome.
 */
import type { IncidentReport } from '../store/mape-status.js';
import { formatDuration } from './format-status.js';
import { nearestRank } from '../store/nearest-rank.js';

export function formatIncidents(incidents: readonly IncidentReport[]): string {
  if (incidents.length === 0) return 'no incidents\n';
  return `${incidents.map(formatIncident).join('\n')}\n\n${summaryLines(incidents).join('\n')}\n`;
}

/**
 * MTTD and MTTR per cause kind over the listed incidents (nearest-rank median and p99), as
 * store/incidents.ts timings() computes them: MTTR from the fault's start when known, else from detection.
 */
function summaryLines(incidents: readonly IncidentReport[]): string[] {
  const byCause = new Map<string, { detect: number[]; repair: number[]; n: number }>();
  for (const incident of incidents) {
    const cause = incident.causeKind ?? '(undiagnosed)';
    const entry = byCause.get(cause) ?? { detect: [], repair: [], n: 0 };
    entry.n++;
    if (incident.faultStartedAt !== null) entry.detect.push(incident.detectedAt - incident.faultStartedAt);
    if (incident.recoveredAt !== null) entry.repair.push(incident.recoveredAt - (incident.faultStartedAt ?? incident.detectedAt));
    byCause.set(cause, entry);
  }
  const stat = (values: number[]) => {
    if (values.length === 0) return '-';
    const sorted = [...values].sort((a, b) => a - b);
    return `${formatDuration(nearestRank(sorted, 50)!)} / ${formatDuration(nearestRank(sorted, 99)!)}`;
  };
  return [
    'per cause (median / p99):',
    ...[...byCause.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([cause, entry]) => `  ${cause}: ${entry.n} incidents, MTTD ${stat(entry.detect)}, MTTR ${stat(entry.repair)}`),
  ];
}

function formatIncident(incident: IncidentReport): string {
  const origin = incident.faultStartedAt ?? incident.detectedAt;
  const offset = (at: number | null) => (at === null ? '-' : `+${formatDuration(at - origin)}`);
  const lines = [
    `#${incident.id}  ${incident.status}  cause ${incident.causeKind ?? '?'}  target ${incident.target ?? '?'}` +
      (incident.confidence !== null ? `  confidence ${incident.confidence.toFixed(2)}` : ''),
    `  ${incident.faultStartedAt !== null ? `fault ${iso(incident.faultStartedAt)}${incident.injected ? ` (injected ${incident.injected.kind})` : ''}` : `detected ${iso(incident.detectedAt)}`}`,
    `  detected ${offset(incident.detectedAt)}  diagnosed ${offset(incident.diagnosedAt)}  planned ${offset(incident.plannedAt)}  ` +
      `executed ${offset(incident.executedAt)}  ${incident.status === 'failed' ? `failed ${offset(incident.failedAt)}` : `recovered ${offset(incident.recoveredAt)}`}` +
      (incident.heldAt !== null ? `  held ${offset(incident.heldAt)}` : ''),
  ];
  if (incident.faultStartedAt !== null) {
    lines.push(
      `  MTTD ${formatDuration(incident.detectedAt - incident.faultStartedAt)}` +
        (incident.recoveredAt !== null ? `  MTTR ${formatDuration(incident.recoveredAt - incident.faultStartedAt)}` : ''),
    );
  }
  for (const action of incident.actions) {
    const outcome = action.outcome === null ? 'no outcome yet' : action.outcome.success ? 'verified' : 'not verified';
    lines.push(`  action #${action.id} ${action.kind} on ${action.target}: ${action.status}, ${outcome}`);
  }
  return lines.join('\n');
}

function iso(at: number): string {
  return new Date(at).toISOString();
}
