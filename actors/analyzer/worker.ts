/**
 * The analyzer actor: the analyzer machine with the knowledge base as its ports (rules in;
 * incidents, anomalies and the link to a chaos injection out). Rule rows that cannot be used are
 * reported (log and machine context) and skipped: one bad row must not blind the loop.
 */
import { createAnalyzerMachine } from '../../machines/analyzer.js';
import { parseThresholdRule, type ThresholdRule } from '../../lib/mape/threshold-rule.js';
import type { DetectedAnomaly } from '../../lib/mape/detector.js';
import type { Diagnosis } from '../../lib/mape/plan.js';
import { createAnomalyStore } from '../../store/anomalies.js';
import { createDetectorRuleStore } from '../../store/detector-rules.js';
import { createIncidentStore } from '../../store/incidents.js';
import { createInjectedFaultStore } from '../../store/injected-faults.js';
import { defineStoreActor } from '../runtime/actor-kit/store-actor.js';
import { createLogger } from '../runtime/actor-kit/logger.js';
import { nextFreeId } from '../../store/next-free-id.js';

/** An injection older than this when its target's incident is detected went unnoticed: not that incident's cause. */
const INJECTION_MATCH_WINDOW_MS = 30_000;

export default defineStoreActor((store, io) => {
  const log = createLogger('warn').child({ actor: io.actorId });
  const rules: ThresholdRule[] = [];
  const skippedRules: { id: string; reason: string }[] = [];
  for (const row of createDetectorRuleStore(store).enabled()) {
    try {
      rules.push(parseThresholdRule(row as unknown as Record<string, unknown>));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      skippedRules.push({ id: row.id, reason });
      log.warn({ rule: row.id, reason }, 'detector rule skipped');
    }
  }
  const incidents = createIncidentStore(store);
  const anomalies = createAnomalyStore(store);
  const injected = createInjectedFaultStore(store);
  const record = store.transaction((found: readonly DetectedAnomaly[], opened: readonly Diagnosis[]) => {
    const incidentOf = new Map<string, number>();
    for (const diagnosis of opened) {
      const fault = injected.forIncident(diagnosis.incidentId) ?? injected.latestUnlinked(diagnosis.target, diagnosis.detectedAt, INJECTION_MATCH_WINDOW_MS);
      incidents.open({
        id: diagnosis.incidentId,
        causeKind: diagnosis.cause,
        target: diagnosis.target,
        detectedAt: diagnosis.detectedAt,
        ...(fault ? { faultStartedAt: fault.startedAt } : {}),
      });
      if (fault && fault.incidentId === null) injected.link(fault.id, diagnosis.incidentId);
      const current = incidents.get(diagnosis.incidentId);
      if (current?.status === 'detected') {
        incidents.mark(diagnosis.incidentId, 'diagnosed', diagnosis.diagnosedAt, {
          confidence: diagnosis.confidence,
          detail: { resource: diagnosis.resource, evidence: diagnosis.evidence },
        });
      }
      incidentOf.set(diagnosis.target, diagnosis.incidentId);
    }
    for (const anomaly of found) {
      const incidentId = incidentOf.get(anomaly.source);
      anomalies.record({
        detectedAt: anomaly.at,
        detector: anomaly.detector,
        source: anomaly.source,
        metrics: [anomaly.metric],
        severity: anomaly.severity,
        detail: { value: anomaly.value, ...(anomaly.cause ? { cause: anomaly.cause } : {}) },
        ...(incidentId !== undefined ? { incidentId } : {}),
      });
    }
  });
  return createAnalyzerMachine(
    { now: () => Date.now(), record: (found, opened) => record.immediate(found, opened) },
    { rules, skippedRules, firstIncidentId: nextFreeId(store, 'incidents') },
  );
});
