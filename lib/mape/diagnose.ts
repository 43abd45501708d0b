/**
 * From the anomalies of one window to root-cause candidates, one per source at most. Rules name
 * a cause; when several match one source (a hung thread also shows a full CPU and a growing
 * mailbox), the most specific symptom wins (lowest rank). Statistical detectors flagging the
 * same source corroborate and raise the confidence; alone they name no cause and open no
 * incident, which keeps noise out of the incident table.
 */
import { CAUSE_RESOURCE, type CauseKind } from './causes.js';
import type { DetectedAnomaly } from './detector.js';
import type { MetricName } from './metrics.js';

export interface CauseCandidate {
  cause: CauseKind;
  target: string;
  resource: string;
  confidence: number;
  evidence: { metric: MetricName; source: string; value: number; detectors: string[] }[];
}

/** Added per corroborating statistical anomaly (distinct metric) on the blamed source. */
const CORROBORATION_STEP = 0.05;
/** Never claim certainty from heuristics. */
const MAX_CONFIDENCE = 0.99;

export function diagnose(anomalies: readonly DetectedAnomaly[], rankOf: (anomaly: DetectedAnomaly) => number): CauseCandidate[] {
  const bySource = new Map<string, DetectedAnomaly[]>();
  for (const anomaly of anomalies) {
    const list = bySource.get(anomaly.source) ?? [];
    list.push(anomaly);
    bySource.set(anomaly.source, list);
  }
  const candidates: CauseCandidate[] = [];
  for (const [source, list] of bySource) {
    const causal = list.filter((anomaly) => anomaly.cause !== undefined);
    if (causal.length === 0) continue;
    const best = causal.reduce((a, b) => (rankOf(b) < rankOf(a) ? b : a));
    const corroborating = new Set(list.filter((anomaly) => anomaly.cause === undefined).map((anomaly) => anomaly.metric));
    const evidence = new Map<string, CauseCandidate['evidence'][number]>();
    for (const anomaly of list) {
      const entry = evidence.get(anomaly.metric) ?? { metric: anomaly.metric, source, value: anomaly.value, detectors: [] };
      entry.detectors.push(anomaly.detector);
      evidence.set(anomaly.metric, entry);
    }
    candidates.push({
      cause: best.cause!,
      target: source,
      resource: CAUSE_RESOURCE[best.cause!],
      confidence: Math.min(MAX_CONFIDENCE, (best.confidence ?? 0.5) + CORROBORATION_STEP * corroborating.size),
      evidence: [...evidence.values()],
    });
  }
  return candidates.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}
