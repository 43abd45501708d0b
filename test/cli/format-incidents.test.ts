import { describe, expect, it } from 'vitest';
import type { IncidentReport } from '../../store/mape-status.js';
import { formatIncidents } from '../../cli/format-incidents.js';

function incident(id: number, fields: Partial<IncidentReport>): IncidentReport {
  return {
    id,
    causeKind: 'cpu-hog',
    target: 'workload',
    status: 'recovered',
    confidence: 0.8,
    faultStartedAt: 1_000,
    detectedAt: 1_500,
    diagnosedAt: 1_510,
    plannedAt: 1_520,
    executedAt: 1_540,
    recoveredAt: 2_600,
    heldAt: null,
    failedAt: null,
    detail: undefined,
    actions: [{ id: 4, incidentId: id, kind: 'restart-actor', target: 'workload', params: {}, status: 'succeeded', startedAt: 1_530, finishedAt: 2_600, outcome: { success: true, verifiedAt: 2_600, detail: undefined } }],
    injected: { kind: 'cpu-hog', startedAt: 1_000 },
    ...fields,
  };
}

describe('formatIncidents', () => {
  it('shows each incident\'s phases from the fault, its actions and outcomes, then MTTD and MTTR per cause', () => {
    const text = formatIncidents([
      incident(1, {}),
      incident(2, { status: 'failed', recoveredAt: null, failedAt: 9_000, detectedAt: 2_000, faultStartedAt: 1_000, actions: [], injected: null }),
      incident(3, { causeKind: 'hung-actor', faultStartedAt: null, injected: null }),
    ]);
    expect(text).toContain('#1  recovered  cause cpu-hog  target workload  confidence 0.80');
    expect(text).toContain('fault 1970-01-01T00:00:01.000Z (injected cpu-hog)');
    expect(text).toContain('detected +500ms  diagnosed +510ms  planned +520ms  executed +540ms  recovered +1s');
    expect(text).toContain('MTTD 500ms  MTTR 1s');
    expect(text).toContain('action #4 restart-actor on workload: succeeded, verified');
    expect(text).toContain('#2  failed');
    expect(text).toContain('failed +8s');
    expect(text).toContain('  cpu-hog: 2 incidents, MTTD 500ms / 1s, MTTR 1s / 1s');
    // No known fault start: detection is the origin, and MTTR runs from it.
    expect(text).toContain('  hung-actor: 1 incidents, MTTD -, MTTR 1s / 1s');
  });

  it('says so when there are none', () => {
    expect(formatIncidents([])).toBe('no incidents\n');
  });
});
