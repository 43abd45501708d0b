/**
 * The analyzer: runs every detector over each telemetry window, turns what they find into
 * root-cause candidates (lib/mape/diagnose.ts), and opens an incident per candidate on a target
 * that has none open, handing the diagnosis to the planner.
 *
 * Replays are harmless: incident ids are allocated from the context (persisted with it), so a
 * window processed again after a crash opens the same incident id, which the store ignores.
 * Time comes from the windows (detection) and the `now` port (diagnosis).
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { BusEmitted } from '../lib/bus/bus-emitted.js';
import type { DetectedAnomaly } from '../lib/mape/detector.js';
import { diagnose, type CauseCandidate } from '../lib/mape/diagnose.js';
import { ewmaDetector, type EwmaState } from '../lib/mape/ewma.js';
import type { Diagnosis, Outcome } from '../lib/mape/plan.js';
import { robustZDetector, type RobustZState } from '../lib/mape/robust-z.js';
import type { TelemetryWindow } from '../lib/mape/telemetry.js';
import { thresholdDetector, type ThresholdRule, type ThresholdState } from '../lib/mape/threshold-rule.js';

export interface AnalyzerPorts {
  now(): number;
  /**
   * In one transaction: opens each diagnosed incident (idempotently, by id) and marks it diagnosed,
   * and stores the window's anomalies, attached to the incident opened on their source if any.
   */
  record(anomalies: readonly DetectedAnomaly[], opened: readonly Diagnosis[]): void;
}

export interface AnalyzerInput {
  rules: readonly ThresholdRule[];
  /** The next free incident id in the store, for a machine that starts without a snapshot. */
  firstIncidentId: number;
  /** Rule rows the store holds that could not be used, with why: reported in the context. */
  skippedRules: { id: string; reason: string }[];
}

export interface AnalyzerContext {
  threshold: ThresholdState;
  robustZ: RobustZState;
  ewma: EwmaState;
  /** Open incident per target: no second incident while one is being handled. */
  open: Record<string, { incidentId: number; cause: string }>;
  /** After an incident closes, its target is left alone until this time (window time). */
  quietUntil: Record<string, number>;
  /**
   * Incidents on a target that failed in a row (reset by a recovery): each doubles the quiet after
   * the next failure, so a condition no remedy can cure (a lossy link that is the only way to a
   * member) is not acted on again every few seconds. Absent in snapshots taken before it existed.
   */
  failedInRow?: Record<string, number>;
  nextIncidentId: number;
  /** The sampling interval as the windows report it. */
  lastIntervalMs: number;
  windows: number;
  anomalies: number;
  incidents: number;
  skippedRules: { id: string; reason: string }[];
}

/** Below this a candidate is noise, not a diagnosis (the default rules start at 0.75). */
export const MIN_CONFIDENCE = 0.5;
/**
 * Windows that follow a closed incident on its target carry readings taken while the remedy took
 * effect (a replaced thread's first probe); one interval of quiet keeps them from reopening it.
 */
const QUIET_INTERVALS = 1;
/** The longest quiet after failures in a row, in intervals: about a minute at the default 1 s. */
const MAX_QUIET_INTERVALS = 64;

/** Statistical baselines: the resource metrics where a deviation means something. */
const STATISTICAL_METRICS = [
  'actor.cpu_ratio',
  'actor.elu',
  'actor.probe_ms',
  'actor.mailbox_depth',
  'actor.retained_heap_growth_bps',
  'actor.store_write_ms',
  'process.cpu_ratio',
  'process.event_loop_delay_ms',
] as const;

/** Below these a change is noise whatever the spread says (a flat series has a spread of 0). */
const NOISE_FLOORS = {
  'actor.cpu_ratio': 0.05,
  'actor.elu': 0.05,
  'actor.probe_ms': 5,
  'actor.mailbox_depth': 50,
  'actor.retained_heap_growth_bps': 1024 * 1024,
  'actor.store_write_ms': 5,
  'process.cpu_ratio': 0.05,
  'process.event_loop_delay_ms': 5,
} satisfies Record<(typeof STATISTICAL_METRICS)[number], number>;

const robustZ = robustZDetector({ metrics: STATISTICAL_METRICS, windowSize: 30, minSamples: 10, threshold: 6, minScale: NOISE_FLOORS });
const ewma = ewmaDetector({ metrics: STATISTICAL_METRICS, alpha: 0.2, k: 6, minSamples: 10, minSd: NOISE_FLOORS });

type AnalyzerEvent = { type: 'telemetry.window'; payload: TelemetryWindow } | { type: 'mape.outcome'; payload: Outcome };

export function createAnalyzerMachine(ports: AnalyzerPorts, input: AnalyzerInput) {
  const threshold = thresholdDetector(input.rules);
  const rankOf = new Map(input.rules.map((rule) => [`threshold:${rule.id}`, rule.rank]));
  const rank = (anomaly: DetectedAnomaly) => rankOf.get(anomaly.detector) ?? Number.MAX_SAFE_INTEGER;

  return setup({
    types: {} as { context: AnalyzerContext; events: AnalyzerEvent; emitted: BusEmitted },
    actions: {
      analyze: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'telemetry.window') return;
        const window = event.payload;
        const t = threshold.observe(context.threshold, window);
        // The statistical detectors learn from the regular samples only: an event's window (a
        // crash, a mailbox's high-water crossing, a slow write: intervalMs 0) is one reading taken
        // because it was unusual, and would count an episode twice in their baselines.
        const sampled = window.intervalMs > 0;
        const z = sampled ? robustZ.observe(context.robustZ, window) : { state: context.robustZ, anomalies: [] };
        const e = sampled ? ewma.observe(context.ewma, window) : { state: context.ewma, anomalies: [] };
        const anomalies = [...t.anomalies, ...z.anomalies, ...e.anomalies];
        const open = { ...context.open };
        const quietUntil = { ...context.quietUntil };
        let nextIncidentId = context.nextIncidentId;
        const opened: Diagnosis[] = [];
        for (const candidate of diagnose(anomalies, rank)) {
          if (!isActionable(candidate, open, quietUntil, window.at)) continue;
          const diagnosis: Diagnosis = {
            incidentId: nextIncidentId++,
            cause: candidate.cause,
            target: candidate.target,
            resource: candidate.resource,
            confidence: candidate.confidence,
            detectedAt: window.at,
            diagnosedAt: Math.max(window.at, ports.now()),
            evidence: candidate.evidence,
          };
          open[candidate.target] = { incidentId: diagnosis.incidentId, cause: candidate.cause };
          opened.push(diagnosis);
        }
        // Ended by a sample only: a sample is stamped before its probes are answered, so an event's
        // window can arrive first with a later time, and would end the quiet interval before the
        // sample taken within it (readings from while the remedy took effect) is judged.
        if (sampled) for (const [target, until] of Object.entries(quietUntil)) if (until <= window.at) delete quietUntil[target];
        if (anomalies.length > 0) ports.record(anomalies, opened);
        for (const diagnosis of opened) {
          enqueue.emit({ type: 'bus.publish', topic: 'mape.diagnosis', payload: diagnosis });
        }
        enqueue.assign({
          threshold: t.state,
          robustZ: z.state,
          ewma: e.state,
          open,
          quietUntil,
          nextIncidentId,
          lastIntervalMs: window.intervalMs > 0 ? window.intervalMs : context.lastIntervalMs,
          windows: context.windows + 1,
          anomalies: context.anomalies + anomalies.length,
          incidents: context.incidents + opened.length,
        });
      }),
      close: assign(({ context, event }) => {
        if (event.type !== 'mape.outcome' || !event.payload.final) return {};
        const outcome = event.payload;
        const current = context.open[outcome.target];
        if (!current || current.incidentId !== outcome.incidentId) return {};
        const open = { ...context.open };
        delete open[outcome.target];
        const failedInRow = { ...(context.failedInRow ?? {}) };
        if (outcome.recovered) delete failedInRow[outcome.target];
        else failedInRow[outcome.target] = (failedInRow[outcome.target] ?? 0) + 1;
        const failures = failedInRow[outcome.target] ?? 0;
        const intervals = failures === 0 ? QUIET_INTERVALS : Math.min(MAX_QUIET_INTERVALS, QUIET_INTERVALS * 2 ** failures);
        return { open, failedInRow, quietUntil: { ...context.quietUntil, [outcome.target]: outcome.at + intervals * context.lastIntervalMs } };
      }),
    },
  }).createMachine({
    id: 'analyzer',
    context: {
      threshold: threshold.initial(),
      robustZ: robustZ.initial(),
      ewma: ewma.initial(),
      open: {},
      quietUntil: {},
      failedInRow: {},
      nextIncidentId: input.firstIncidentId,
      lastIntervalMs: 1_000,
      windows: 0,
      anomalies: 0,
      incidents: 0,
      skippedRules: input.skippedRules,
    },
    initial: 'watching',
    states: {
      watching: {
        on: {
          'telemetry.window': { actions: 'analyze' },
          'mape.outcome': { actions: 'close' },
        },
      },
    },
  });
}

function isActionable(candidate: CauseCandidate, open: AnalyzerContext['open'], quietUntil: AnalyzerContext['quietUntil'], at: number): boolean {
  if (candidate.confidence < MIN_CONFIDENCE) return false;
  if (open[candidate.target] !== undefined) return false;
  const quiet = quietUntil[candidate.target];
  return quiet === undefined || at >= quiet;
}
