/**
 * Incident phase marks that tolerate replays: an actor that processes a message again after a
 * crash marks a phase the incident already passed, which the store rightly refuses as out of
 * order; here that is recognised and skipped. Detail is merged into the stored detail, so each
 * phase adds its part (evidence, plan, outcome) without erasing the others'.
 */
import type { IncidentPhase, IncidentStore } from './incidents.js';

const ORDER: Record<string, number> = { detected: 0, diagnosed: 1, planned: 2, held: 3, executing: 3, recovered: 4, failed: 4 };

/** Marks `phase` unless the incident is already at or past it; returns whether it marked. */
export function markOnce(
  incidents: IncidentStore,
  id: number,
  phase: IncidentPhase,
  at: number,
  detail?: Record<string, unknown>,
): boolean {
  const incident = incidents.get(id);
  if (!incident) return false;
  if (ORDER[incident.status]! >= ORDER[phase]! && !(incident.status === 'held' && phase === 'executing')) return false;
  const stored = typeof incident.detail === 'object' && incident.detail !== null ? (incident.detail as Record<string, unknown>) : {};
  // A clock step back between two threads must not break the phase order the store enforces.
  const latest = Math.max(incident.detectedAt, incident.diagnosedAt ?? 0, incident.plannedAt ?? 0, incident.executedAt ?? 0);
  incidents.mark(id, phase, Math.max(at, latest), detail ? { detail: { ...stored, ...detail } } : {});
  return true;
}
