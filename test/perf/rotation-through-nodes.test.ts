/**
 * The rotation bench's run, small: two node processes whose SVIDs the bench's Workload API
 * servers rotate, alternately the dialer's and the acceptor's, under a steady message stream.
 * Each rotation must re-authenticate the link on a connection the new SVID authenticated (the run
 * waits for that connection's expiry in the dialer's log, and fails if it never comes), and
 * the stream must come through whole, with one re-authentication per rotation and the link never
 * down.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeRotations } from '../../perf/fixtures/rotation-analysis.js';
import { runRotationBench } from '../../perf/fixtures/rotation-through-nodes.js';
import { reapAll } from '../helpers/node-process.js';

afterEach(reapAll);

describe('SVID rotation through two node processes', () => {
  it('re-authenticates the link with every new SVID, without losing, repeating or reordering a message', async () => {
    const run = await runRotationBench({ rotations: 4, warmup: 1, intervalMs: 2, steadyMessages: 20 });

    expect(run.pushed).toBe(5);
    expect(run.rotations.map((rotation) => rotation.side)).toEqual(['acceptor', 'dialer', 'acceptor', 'dialer']);
    const analysis = analyzeRotations(run.rotations, run.receipts);
    expect(analysis.gaps).toHaveLength(4);
    // Causality, not timing: the first new-session message arrives after its SVID was pushed.
    expect(analysis.gaps.every((gap) => gap > 0)).toBe(true);
    expect(analysis.stream).toMatchObject({ lost: 0, duplicates: 0, reordered: 0 });
    expect(analysis.stream.checked).toBeGreaterThan(0);
    expect(run.linkDowns).toEqual([]);
    // One re-authentication per rotation and no other connection: make before break, every time.
    expect(run.links.dialer).toMatchObject({ status: 'up', reauths: 5, connections: 6, dropped: 0 });
    expect(run.links.acceptor).toMatchObject({ status: 'up', connections: 6 });
    expect(run.mesh.dialer.unroutable).toBe(0);
  }, 240_000);
});
