/**
 * The deterministic simulation's standard run on a small mesh (the 1,000-node one runs in
 * sim-thousand.test.ts, in a process of its own): the same seed gives the same execution, line for
 * line of the trace; another seed another; the mesh converges from a cold start, detects frozen and
 * killed nodes through their neighbours, recovers from each, heals a partition, and no routing loop
 * appears at any route change on the way.
 */
import { describe, expect, it } from 'vitest';
import { runSimScenario, type SimScenarioOptions } from '../../../../actors/peer-link/sim/sim-scenario.js';

const SCENARIO: SimScenarioOptions = { seed: 7, nodes: 40, freezes: 1, kills: 1, partitionMs: 4_000, quietMs: 1_000 };

describe('the simulation scenario', () => {
  it('runs the same way twice for one seed, trace line for line, and another way for another seed', async () => {
    const first: string[] = [];
    const second: string[] = [];
    const a = await runSimScenario({ ...SCENARIO, onTrace: (line) => first.push(line) });
    const b = await runSimScenario({ ...SCENARIO, onTrace: (line) => second.push(line) });
    // Compared line by line first, so a divergence shows where it begins.
    const diverges = first.findIndex((line, index) => line !== second[index]);
    expect(diverges === -1 ? undefined : { at: diverges, first: first[diverges], second: second[diverges] }).toBeUndefined();
    expect(second.length).toBe(first.length);
    expect(b.trace).toEqual(a.trace);
    expect({ ...b, convergenceCpuS: 0, faultsCpuS: 0 }).toEqual({ ...a, convergenceCpuS: 0, faultsCpuS: 0 });
    const other = await runSimScenario({ ...SCENARIO, seed: 8 });
    expect(other.trace.sha256).not.toBe(a.trace.sha256);
  });

  it('converges, detects and recovers from every fault, heals the partition, and never loops', async () => {
    const result = await runSimScenario({ ...SCENARIO, seed: 11, freezes: 2, kills: 2 });
    expect(result.convergenceMs).toBeDefined();
    expect(result.freezeDetectionMs).toHaveLength(2);
    expect(result.killDetectionMs).toHaveLength(2);
    for (const detected of [...result.freezeDetectionMs, ...result.killDetectionMs]) expect(detected).toBeDefined();
    expect(result.recoveryMs).toHaveLength(4);
    for (const recovered of result.recoveryMs) expect(recovered).toBeDefined();
    // A kill resets connections (its neighbours learn within a round trip or so); a freeze is found by the heartbeats.
    expect(Math.max(...(result.killDetectionMs as number[]))).toBeLessThan(Math.min(...(result.freezeDetectionMs as number[])));
    expect(result.partitionSeen).toBe(true);
    expect(result.partitionHealMs).toBeDefined();
    expect(result.loopChecks).toBeGreaterThan(0);
    expect(result.loops).toBe(0);
  });
});
