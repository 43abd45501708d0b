/**
 * The monitor: takes every telemetry sample in, keeps the catalogued metrics (an unknown metric
 * is rejected and counted), stores them in one batched write per sample, passes them on to the
 * analyzer and executor as a window, and applies retention once a minute of sample time.
 *
 * Pure: the store is reached through the ports; time comes from the samples themselves.
 */
import { assign, emit, setup } from 'xstate';
import type { BusEmitted } from '../lib/bus/bus-emitted.js';
import { isMetricName } from '../lib/mape/metrics.js';
import type { AcceptedPoint, TelemetrySample, TelemetryWindow } from '../lib/mape/telemetry.js';

export interface MonitorPorts {
  /** One transaction per sample. */
  writeSamples(at: number, points: readonly AcceptedPoint[]): void;
  /** Rolls raw samples up into minutes and deletes what is past retention. */
  applyRetention(now: number): void;
}

/** Retention runs at most this often by default: rolling up is per minute, so more often finds little new. */
export const RETENTION_EVERY_MS = 60_000;

export interface MonitorContext {
  samples: number;
  acceptedPoints: number;
  /** Points refused because their metric is not in the catalog, by metric name (bounded). */
  rejectedPoints: number;
  rejectedMetrics: Record<string, number>;
  lastRetentionAt: number;
}

/** At most this many distinct unknown names are remembered: a buggy source must not grow the snapshot. */
const MAX_REJECTED_NAMES = 32;

type MonitorEvent = { type: 'telemetry.sample'; payload: TelemetrySample };

export function createMonitorMachine(ports: MonitorPorts, options: { retentionEveryMs?: number } = {}) {
  const retentionEveryMs = options.retentionEveryMs ?? RETENTION_EVERY_MS;
  return setup({
    types: {} as { context: MonitorContext; events: MonitorEvent; emitted: BusEmitted },
    actions: {
      ingest: assign(({ context, event }) => {
        const sample = event.payload;
        const accepted: AcceptedPoint[] = [];
        const rejectedMetrics = { ...context.rejectedMetrics };
        let rejected = 0;
        for (const point of sample.points) {
          if (isMetricName(point.metric)) {
            accepted.push(point as AcceptedPoint);
            continue;
          }
          rejected++;
          if (point.metric in rejectedMetrics || Object.keys(rejectedMetrics).length < MAX_REJECTED_NAMES) {
            rejectedMetrics[point.metric] = (rejectedMetrics[point.metric] ?? 0) + 1;
          }
        }
        if (accepted.length > 0) ports.writeSamples(sample.at, accepted);
        let lastRetentionAt = context.lastRetentionAt;
        if (sample.at - lastRetentionAt >= retentionEveryMs) {
          ports.applyRetention(sample.at);
          lastRetentionAt = sample.at;
        }
        return {
          samples: context.samples + 1,
          acceptedPoints: context.acceptedPoints + accepted.length,
          rejectedPoints: context.rejectedPoints + rejected,
          rejectedMetrics,
          lastRetentionAt,
        };
      }),
      forward: emit(({ event }) => {
        const sample = event.payload;
        const window: TelemetryWindow = {
          at: sample.at,
          intervalMs: sample.intervalMs,
          points: sample.points.filter((point): point is AcceptedPoint => isMetricName(point.metric)),
        };
        return { type: 'bus.publish' as const, topic: 'telemetry.window', payload: window };
      }),
    },
  }).createMachine({
    id: 'monitor',
    context: { samples: 0, acceptedPoints: 0, rejectedPoints: 0, rejectedMetrics: {}, lastRetentionAt: 0 },
    initial: 'watching',
    states: {
      watching: {
        on: { 'telemetry.sample': { actions: ['ingest', 'forward'] } },
      },
    },
  });
}
