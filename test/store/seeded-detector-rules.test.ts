/**
 * The detector rules a fresh knowledge base is seeded with, judged on the windows each fault kind
 * produces: the rule rows are data, so what they diagnose is tested from the store, not from a copy.
 */
import { describe, expect, it } from 'vitest';
import type { DetectedAnomaly } from '../../lib/mape/detector.js';
import { diagnose } from '../../lib/mape/diagnose.js';
import type { MetricName } from '../../lib/mape/metrics.js';
import type { TelemetryWindow } from '../../lib/mape/telemetry.js';
import { parseThresholdRule, thresholdDetector } from '../../lib/mape/threshold-rule.js';
import { createDetectorRuleStore } from '../../store/detector-rules.js';
import { useStoreFile } from './fixtures/store-file.js';

const storeFile = useStoreFile();

function seededRules() {
  return createDetectorRuleStore(storeFile.open())
    .enabled()
    .map((row) => parseThresholdRule(row as unknown as Record<string, unknown>));
}

/** The causes the seeded rules name for one window of one actor's metrics. */
function causesFor(metrics: Partial<Record<MetricName, number>>): string[] {
  const rules = seededRules();
  const detector = thresholdDetector(rules);
  const window: TelemetryWindow = {
    at: 1_000,
    intervalMs: 250,
    points: Object.entries(metrics).map(([metric, value]) => ({ metric: metric as MetricName, source: 'workload', value: value! })),
  };
  const { anomalies } = detector.observe(detector.initial(), window);
  const rank = new Map(rules.map((rule) => [`threshold:${rule.id}`, rule.rank]));
  return diagnose(anomalies, (anomaly: DetectedAnomaly) => rank.get(anomaly.detector) ?? Number.MAX_SAFE_INTEGER).map((candidate) => candidate.cause);
}

/** What a healthy actor shows: short bursts, a few messages, a shallow mailbox. */
const HEALTHY = { 'actor.cpu_burst_ms': 1, 'actor.cpu_ms_per_input': 0.2, 'actor.message_rate': 60, 'actor.mailbox_depth': 2, 'actor.unresponsive': 0 } as const;

describe('the seeded detector rules', () => {
  it('name a runaway loop a cpu-hog: long bursts while the thread is given only its normal traffic', () => {
    // The chaos hog on the mape bench's workload: 0.9 of a core over its 60 messages a second.
    expect(causesFor({ ...HEALTHY, 'actor.cpu_burst_ms': 45, 'actor.cpu_ms_per_input': 15 })).toEqual(['cpu-hog']);
  });

  it('do not name a thread a cpu-hog that holds its core long only because the machine is loaded and its input piles up meanwhile', () => {
    // The peer link of a 20-node demo on 2 cores: records from its peers' sockets, few bus messages.
    expect(causesFor({ ...HEALTHY, 'actor.cpu_burst_ms': 48, 'actor.cpu_ms_per_input': 0.5, 'actor.message_rate': 2 })).toEqual([]);
  });

  it('do not name a flooded thread a cpu-hog while its backlog is still shallow (its sender starved on a loaded machine)', () => {
    // A loaded run saw a flood's injection taken by an earlier incident on the same actor; a busy
    // thread with under 200 messages queued is what the mailbox-depth condition let through.
    expect(causesFor({ ...HEALTHY, 'actor.cpu_burst_ms': 120, 'actor.cpu_ms_per_input': 0.3, 'actor.message_rate': 1_000, 'actor.mailbox_depth': 150 })).toEqual([]);
  });

  it('name a flood a mailbox-flood once its backlog is deep', () => {
    expect(causesFor({ ...HEALTHY, 'actor.cpu_burst_ms': 250, 'actor.message_rate': 4_000, 'actor.mailbox_depth': 2_400 })).toEqual(['mailbox-flood']);
  });

  it('name nothing on a healthy window', () => {
    expect(causesFor(HEALTHY)).toEqual([]);
  });
});
