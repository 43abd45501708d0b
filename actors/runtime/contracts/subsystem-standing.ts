/**
 * A subsystem's standing: the latest state its actor publishes on a topic declared with
 * `latestState: true` (bus/topic-registry.ts), and how the node's operations read it. The
 * subsystem writes both halves next to its own code: a status formatter (`status-format.ts`:
 * the lines of `x0tta6bl4 status`, the phrase of systemd's STATUS=, and whether it blocks
 * readiness) and a metrics module (`metrics.ts`: the Prometheus series read from that state at
 * scrape time). The node registers each subsystem's standing in one line
 * (config/subsystem-standings.ts); `status`, `/ready`, metrics and the watchdog all read it
 * through the node's one latest-state accessor.
 */
import type { z } from 'zod';

export interface Verdict {
  ok: boolean;
  reason: string;
}

/** How a formatter writes what came from another process: control characters made harmless, epoch ms as ISO time. */
export interface StatusText {
  printable(text: string): string;
  timestamp(epochMs: number): string;
}

// Methods (not function properties) on purpose: a standing of one state type then fits a registry
// of standings of any state type.
export interface StatusFormat<S> {
  /** The actor that publishes the state: its verdict counts for readiness only where the tree runs it. */
  actor: string;
  /** The topic carrying the state, declared with `latestState: true`. */
  topic: string;
  /** The topic's schema: status carries the state under the standing's name, checked by it. */
  schema: z.ZodType<S>;
  /** Lines of `x0tta6bl4 status` about this state. */
  lines(state: S, text: StatusText): string[];
  /** A short phrase for systemd's one-line STATUS=. */
  summary(state: S): string;
  /**
   * Whether the node may be sent traffic as far as this subsystem goes, and why (its state is
   * undefined until the actor first reports). Absent: the subsystem never holds readiness back.
   */
  ready?(state: S | undefined): Verdict;
}

export interface MetricReading {
  labels?: Record<string, string>;
  value: number;
}

/** A histogram the subsystem keeps itself: cumulative counts per upper bound (ascending), their sum and count. */
export interface HistogramReading {
  bounds: readonly number[];
  cumulative: readonly number[];
  sum: number;
  count: number;
}

/** A Prometheus series read from the state at scrape time; absent until the actor first reports. Names carry the `x0tta6bl4_` prefix. */
export type StandingMetric<S> =
  | { name: string; help: string; type: 'counter' | 'gauge'; read(state: S): MetricReading[] }
  | { name: string; help: string; type: 'histogram'; read(state: S): HistogramReading };

export interface SubsystemStanding<S> {
  format: StatusFormat<S>;
  metrics: readonly StandingMetric<S>[];
}
