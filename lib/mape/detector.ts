/**
 * The Detector contract: the analyzer runs every detector over each telemetry window. A detector
 * is a pure function of its own state and the window, so its state lives in the analyzer's
 * machine context (persisted, restored after a restart) and replays give the same anomalies.
 * Baseline detectors (threshold rules, robust z-score, EWMA) implement it now; the GraphSAGE
 * detector of a later issue plugs into the same contract.
 */
import type { CauseKind } from './causes.js';
import type { MetricName } from './metrics.js';
import type { TelemetryWindow } from './telemetry.js';

export interface DetectedAnomaly {
  detector: string;
  metric: MetricName;
  source: string;
  value: number;
  /** 0..1. */
  severity: number;
  at: number;
  /** Set by detectors that know what a deviation means (threshold rules); statistical ones leave it out. */
  cause?: CauseKind;
  /** The detector's own confidence that `cause` is right (rules carry it). */
  confidence?: number;
}

export interface Detector<State> {
  readonly id: string;
  initial(): State;
  observe(state: State, window: TelemetryWindow): { state: State; anomalies: DetectedAnomaly[] };
}

/** Key of one series (metric of one source) in a detector's state. */
export function seriesKey(metric: string, source: string): string {
  return `${metric}\u0000${source}`;
}
