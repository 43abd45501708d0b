/**
 * A Prometheus metric whose values are read from the node's state at scrape time (restart counts,
 * mailbox depths, counters a worker thread reports on the bus), registered in a prom-client
 * registry beside the metrics observed live. Cumulative readings are exposed as counters as they
 * are: prom-client's Counter only counts what it observed itself.
 */
import type { MetricObjectWithValues, MetricType, MetricValue, MetricValueWithName, Registry } from 'prom-client';

export interface SnapshotValue {
  labels?: Record<string, string | number>;
  value: number;
  /** For histograms: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  metricName?: string;
}

export class SnapshotMetric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly read: () => SnapshotValue[],
  ) {}

  get aggregator(): 'sum' {
    return 'sum';
  }

  async get(): Promise<Omit<MetricObjectWithValues<MetricValue<string> | MetricValueWithName<string>>, 'collect'>> {
    return {
      name: this.name,
      help: this.help,
      type: this.type as unknown as MetricType,
      aggregator: 'sum',
      values: this.read().map((entry) => ({
        value: entry.value,
        labels: entry.labels ?? {},
        ...(entry.metricName !== undefined ? { metricName: entry.metricName } : {}),
      })),
    };
  }

  reset(): void {}
}

export function registerSnapshot(registry: Registry, name: string, help: string, type: 'counter' | 'gauge' | 'histogram', read: () => SnapshotValue[]): void {
  registry.registerMetric(new SnapshotMetric(name, help, type, read) as never);
}

/** A histogram's exposition from cumulative bucket counts (upper bounds in seconds, ascending). */
export function histogramValues(name: string, bounds: readonly number[], cumulative: readonly number[], sum: number, count: number, labels: Record<string, string> = {}): SnapshotValue[] {
  return [
    ...bounds.map((bound, index) => ({ metricName: `${name}_bucket`, labels: { ...labels, le: String(bound) }, value: cumulative[index] ?? 0 })),
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count },
    { metricName: `${name}_sum`, labels, value: sum },
    { metricName: `${name}_count`, labels, value: count },
  ];
}
