/** Telemetry as it travels on the bus (`telemetry.sample` in, `telemetry.window` out of the monitor). */
import type { MetricName } from './metrics.js';

export interface TelemetryPoint {
  metric: string;
  /** An actor id, or `process` for the node as a whole. */
  source: string;
  value: number;
}

export interface TelemetrySample {
  /** Wall-clock ms when the readings were taken. */
  at: number;
  /** The sampling interval the readings cover; 0 for an event (an actor exit) reported at once. */
  intervalMs: number;
  points: TelemetryPoint[];
}

/** A sample after the monitor accepted it: only catalogued metrics. */
export interface AcceptedPoint extends TelemetryPoint {
  metric: MetricName;
}

export interface TelemetryWindow {
  at: number;
  intervalMs: number;
  points: AcceptedPoint[];
}

/** The latest value of a metric for a source in a window, if the window has it. */
export function pointValue(window: TelemetryWindow, metric: MetricName, source: string): number | undefined {
  for (const point of window.points) if (point.metric === metric && point.source === source) return point.value;
  return undefined;
}
