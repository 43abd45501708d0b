/**
 * The monitor statechart on its own, with recording ports (the store-backed ports and the worker
 * are exercised by test/actors/monitor/retention.test.ts): what it stores, what it passes on,
 * what it refuses, and when retention runs.
 */
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { createMonitorMachine, RETENTION_EVERY_MS, type MonitorPorts } from '../../machines/monitor.js';
import type { TelemetryPoint, TelemetryWindow } from '../../lib/mape/telemetry.js';

function recorder() {
  const writes: Array<{ at: number; points: readonly TelemetryPoint[] }> = [];
  const retention: number[] = [];
  const ports: MonitorPorts = {
    writeSamples: (at, points) => void writes.push({ at, points }),
    applyRetention: (now) => void retention.push(now),
  };
  return { writes, retention, ports };
}

function start(ports: MonitorPorts, options: { retentionEveryMs?: number } = {}) {
  const actor = createActor(createMonitorMachine(ports, options));
  const windows: TelemetryWindow[] = [];
  actor.on('bus.publish', (emitted) => {
    if (emitted.type === 'bus.publish' && emitted.topic === 'telemetry.window') windows.push(emitted.payload as TelemetryWindow);
  });
  actor.start();
  const sample = (at: number, points: TelemetryPoint[]) => actor.send({ type: 'telemetry.sample', payload: { at, intervalMs: 250, points } });
  return { actor, windows, sample };
}

const depth = (source: string, value: number): TelemetryPoint => ({ metric: 'actor.mailbox_depth', source, value });
const unknown = (metric: string): TelemetryPoint => ({ metric, source: 'w', value: 1 });

describe('monitor machine', () => {
  it('stores the catalogued points of a sample in one write and passes them on as a window; unknown metrics are refused and counted', () => {
    const { writes, ports } = recorder();
    const { actor, windows, sample } = start(ports);
    sample(1_000, [depth('w', 3), unknown('actor.mailbox_dpeth'), depth('v', 0), unknown('actor.mailbox_dpeth'), unknown('cpu')]);
    expect(writes).toEqual([{ at: 1_000, points: [depth('w', 3), depth('v', 0)] }]);
    expect(windows).toEqual([{ at: 1_000, intervalMs: 250, points: [depth('w', 3), depth('v', 0)] }]);
    expect(actor.getSnapshot().context).toMatchObject({
      samples: 1,
      acceptedPoints: 2,
      rejectedPoints: 3,
      rejectedMetrics: { 'actor.mailbox_dpeth': 2, cpu: 1 },
    });
    actor.stop();
  });

  it('writes nothing for a sample with no catalogued point, and still passes an (empty) window on', () => {
    const { writes, ports } = recorder();
    const { actor, windows, sample } = start(ports);
    sample(1_000, [unknown('nope')]);
    expect(writes).toEqual([]);
    expect(windows).toEqual([{ at: 1_000, intervalMs: 250, points: [] }]);
    expect(actor.getSnapshot().context.samples).toBe(1);
    actor.stop();
  });

  it('runs retention once per interval of sample time, not once per sample', () => {
    const { retention, ports } = recorder();
    const { actor, sample } = start(ports, { retentionEveryMs: 1_000 });
    for (let at = 1_000; at <= 3_500; at += 250) sample(at, [depth('w', 1)]);
    expect(retention).toEqual([1_000, 2_000, 3_000]);
    actor.stop();
  });

  it('runs retention once a minute of sample time by default', () => {
    const { retention, ports } = recorder();
    const { actor, sample } = start(ports);
    sample(RETENTION_EVERY_MS - 1, [depth('w', 1)]);
    sample(RETENTION_EVERY_MS, [depth('w', 1)]);
    sample(RETENTION_EVERY_MS + 30_000, [depth('w', 1)]);
    expect(retention).toEqual([RETENTION_EVERY_MS]);
    actor.stop();
  });

  it('remembers at most 32 distinct unknown names, and keeps counting those it already has', () => {
    const { ports } = recorder();
    const { actor, sample } = start(ports);
    sample(1_000, Array.from({ length: 40 }, (_, i) => unknown(`bogus.${i}`)));
    sample(1_250, [unknown('bogus.0'), unknown('bogus.39')]);
    const { rejectedMetrics, rejectedPoints } = actor.getSnapshot().context;
    expect(Object.keys(rejectedMetrics)).toHaveLength(32);
    expect(rejectedMetrics['bogus.0']).toBe(2);
    expect(rejectedMetrics['bogus.39']).toBeUndefined();
    expect(rejectedPoints).toBe(42);
    actor.stop();
  });

  it('restores its counters and retention time from a persisted snapshot', () => {
    const first = recorder();
    const { actor, sample } = start(first.ports, { retentionEveryMs: 1_000 });
    sample(1_000, [depth('w', 1), unknown('x')]);
    const persisted = actor.getPersistedSnapshot();
    actor.stop();
    const second = recorder();
    const restored = createActor(createMonitorMachine(second.ports, { retentionEveryMs: 1_000 }), { snapshot: persisted });
    restored.start();
    restored.send({ type: 'telemetry.sample', payload: { at: 1_500, intervalMs: 250, points: [depth('w', 2)] } });
    // Retention ran at 1 000 before the restore: not again until 2 000.
    expect(second.retention).toEqual([]);
    expect(restored.getSnapshot().context).toMatchObject({ samples: 2, acceptedPoints: 2, rejectedPoints: 1, lastRetentionAt: 1_000 });
    restored.stop();
  });
});
