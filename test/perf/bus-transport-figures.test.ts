/**
 * The bus's transport figures from a round's samples: the ratio is the median of each round's own
 * ratio (not a ratio of medians), the target is judged on it, the state machine's and metrics'
 * costs are round-by-round differences of CPU time, and rounds out of step are refused.
 */
import { describe, expect, it } from 'vitest';
import { cpuName, FLOOR_TIMESTAMP, FLOOR_VALIDATE, Samples } from '../../perf/suites/bus-throughput.js';
import { transportFigures } from '../../perf/suites/bus-transport-figures.js';
import type { Figure } from '../../perf/stats.js';

const RAW = 'postmessage_msgs_per_s_batched';
const TRANSPORT = 'transport_msgs_per_s_batched';
const METERED = 'metered_transport_msgs_per_s_batched';
const XSTATE = 'worker_msgs_per_s_batched';

/** Three rounds; per path: msgs/s and, per message, host / actor thread run ns and host wait ns. */
function samples(transport: number[], raw = [1_000_000, 2_000_000, 1_000_000]): Samples {
  const s = new Samples();
  const put = (name: string, values: number[]) => values.forEach((value) => s.add(name, value));
  put(RAW, raw);
  put(TRANSPORT, transport);
  put(METERED, [300_000, 600_000, 300_000]);
  put(XSTATE, [100_000, 200_000, 100_000]);
  for (const [path, main, worker] of [[RAW, 200, 200], [TRANSPORT, 600, 400], [METERED, 900, 400], [XSTATE, 700, 2_400]] as const) {
    put(cpuName(path, 'main'), [main, main, main]);
    put(cpuName(path, 'worker'), [worker, worker + 10, worker - 10]);
    put(cpuName(path, 'main_wait'), [50, 60, 70]);
  }
  put(FLOOR_VALIDATE, [90, 100, 110]);
  put(FLOOR_TIMESTAMP, [40, 45, 50]);
  return s;
}

const byName = (figures: Figure[], name: string) => figures.find((f) => f.name === name)!;

describe('transport figures', () => {
  it('judge the target on the median of the rounds\' own ratios, not on the ratio of the medians', () => {
    // Raw 1M, 2M, 3M; transport 0.7M, 1.4M, 0.9M: round ratios 0.7, 0.7, 0.3 -> 0.7; medians' ratio 0.9 / 2 = 0.45.
    const ratio = byName(transportFigures('bus', samples([700_000, 1_400_000, 900_000], [1_000_000, 2_000_000, 3_000_000]), {}), 'transport_ratio_batched');
    expect(ratio.median).toBeCloseTo(0.7, 5);
    expect(ratio['ratio_of_medians']).toBeCloseTo(0.45, 5);
    expect(ratio['target_met']).toBe(true);
    const missed = byName(transportFigures('bus', samples([500_000, 1_000_000, 500_000]), {}), 'transport_ratio_batched');
    expect(missed.median).toBeCloseTo(0.5, 5);
    expect(missed['target_met']).toBe(false);
  });

  it('pair rounds, so a slow round of raw postMessage does not lift the ratio of another', () => {
    // Transport 600k in every round; raw 1M, 2M, 1M: round ratios 0.6, 0.3, 0.6 -> median 0.6.
    const ratio = byName(transportFigures('bus', samples([600_000, 600_000, 600_000]), {}), 'transport_ratio_batched');
    expect(ratio.median).toBeCloseTo(0.6, 5);
    expect(ratio['ratio_of_medians']).toBeCloseTo(0.6, 5);
    expect(ratio.min).toBeCloseTo(0.3, 5);
  });

  it('report CPU per message, the bottleneck ratio and the host floor beside the ratio', () => {
    const ratio = byName(transportFigures('bus', samples([600_000, 600_000, 600_000]), {}), 'transport_ratio_batched');
    expect(ratio['cpu_ns_per_msg']).toEqual({ bus_main: 600, bus_worker: 400, raw_main: 200, raw_worker: 200 });
    expect(ratio['bottleneck_cpu_ratio']).toBeCloseTo(200 / 600, 3);
    expect(ratio['host_floor_ns_per_msg']).toEqual({ validate: 100, timestamp: 45 });
  });

  it('measure the state machine on the actor thread and metrics on the host thread, round by round', () => {
    const figures = transportFigures('bus', samples([600_000, 600_000, 600_000]), {});
    expect(byName(figures, 'xstate_cost_ns_per_msg').median).toBe(2_000);
    const metrics = byName(figures, 'metrics_cost_ns_per_msg');
    expect(metrics.median).toBe(300);
    expect(metrics['throughput_ratio']).toBeCloseTo(0.5, 5);
  });

  it('refuse rounds out of step', () => {
    const s = samples([600_000, 600_000, 600_000]);
    s.add(TRANSPORT, 600_000);
    expect(() => transportFigures('bus', s, {})).toThrow(/paired samples of different lengths/);
  });
});
