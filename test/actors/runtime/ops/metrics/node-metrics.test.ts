/**
 * A real node's /metrics, /health and /ready in this process (actors inline, so what the metrics
 * read is measured here too; test/e2e/metrics-process.test.ts checks a node process against
 * promtool): per-actor series from the tree, each message's latency, the knowledge base's
 * incidents counted once each, and a metrics port that cannot be bound costing only the metrics.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE_NAME } from '../../../../../actors/runtime/node.js';
import { openStore } from '../../../../../store/open-store.js';
import { createIncidentStore } from '../../../../../store/incidents.js';
import type { ChildSpec } from '../../../../../actors/runtime/contracts/supervision-spec.js';
import { COUNTER_ACTOR } from '../../../../fixtures/fixture-paths.js';
import { startTestNode, waitFor, type TestNode } from '../../../../helpers/test-node.js';

let running: TestNode | undefined;
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await running?.cleanup();
  running = undefined;
});

const COUNTER: ChildSpec = { kind: 'actor', id: 'a', module: COUNTER_ACTOR, subscribes: ['test.increment'], host: 'inline' };

/** The value of one series (`name{labels}`) in an exposition, or undefined when absent. */
function series(exposition: string, name: string): number | undefined {
  const line = exposition.split('\n').find((text) => text.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function get(base: string, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const response = await fetch(`${base}${path}`, { method });
  return { status: response.status, body: await response.text() };
}

describe('node metrics', () => {
  it("serves each actor's series and message latencies, and hands the latencies to the caller's hook as well", async () => {
    const seen: string[] = [];
    running = await startTestNode({
      children: [COUNTER],
      ops: { metrics: { listen: '127.0.0.1:0' } },
      onMessageProcessed: (actorId) => seen.push(actorId),
    });
    const base = `http://${running.node.metricsAddress!}`;
    for (let n = 0; n < 5; n++) await running.node.publish('test.increment', { sender: 's', n });
    await waitFor(async () => (((await running!.node.request('a', 'test.get', {})) as { count: number }).count === 5 ? true : undefined));

    // Acknowledgements follow the snapshot writes: scrape until every accepted message (the increments
    // and the gets above) is acknowledged.
    const metrics = await waitFor(async () => {
      const scraped = await get(base, '/metrics');
      const accepted = series(scraped.body, 'x0tta6bl4_actor_messages_accepted_total{actor="a"}');
      return accepted === series(scraped.body, 'x0tta6bl4_actor_messages_processed_total{actor="a"}') ? scraped : undefined;
    }, 10_000, 'every message acknowledged');
    expect(metrics.status).toBe(200);
    expect(series(metrics.body, 'x0tta6bl4_actor_up{actor="a"}')).toBe(1);
    expect(series(metrics.body, 'x0tta6bl4_actor_restarts_total{actor="a"}')).toBe(0);
    expect(series(metrics.body, 'x0tta6bl4_actor_mailbox_depth{actor="a"}')).toBe(0);
    expect(series(metrics.body, 'x0tta6bl4_actor_messages_overflow_total{actor="a",policy="drop-oldest"}')).toBe(0);
    // One latency per acknowledged message: five increments and at least one get.
    const processed = series(metrics.body, 'x0tta6bl4_actor_messages_processed_total{actor="a"}')!;
    expect(processed).toBeGreaterThanOrEqual(6);
    expect(series(metrics.body, 'x0tta6bl4_actor_message_latency_seconds_count{actor="a"}')).toBe(processed);
    expect(seen.length).toBe(processed);
    expect(new Set(seen)).toEqual(new Set(['a']));
    // prom-client's process metrics, without the `_total` gauges promtool refuses.
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
    expect(metrics.body).not.toContain('nodejs_active_handles_total');

    expect(await get(base, '/health')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get(base, '/ready')).toMatchObject({ status: 200, body: expect.stringContaining('ready: 1 actors running') });
    expect((await get(base, '/nowhere')).status).toBe(404);
    expect((await get(base, '/metrics', 'POST')).status).toBe(405);
  });

  it("counts and times each of the knowledge base's incidents once, however often it is scraped", async () => {
    running = await startTestNode({ children: [COUNTER], ops: { metrics: { listen: '127.0.0.1:0' } } });
    const base = `http://${running.node.metricsAddress!}`;
    // The self-healing loop's actors write incidents from their own connections; so does this test.
    const db = openStore(join(running.dataDir, DATABASE_FILE_NAME));
    closers.push(() => void db.close());
    const incidents = createIncidentStore(db);
    const faultAt = Date.now();
    const id = incidents.open({ causeKind: 'mailbox-flood', target: 'a', faultStartedAt: faultAt, detectedAt: faultAt + 500 });
    incidents.mark(id, 'diagnosed', faultAt + 700);
    const first = (await get(base, '/metrics')).body;
    expect(series(first, 'x0tta6bl4_mape_incidents_total{cause="mailbox-flood"}')).toBe(1);
    expect(series(first, 'x0tta6bl4_mape_mttd_seconds_sum{cause="mailbox-flood"}')).toBeCloseTo(0.5, 6);
    expect(series(first, 'x0tta6bl4_mape_phase_seconds_count{phase="diagnose"}')).toBe(1);
    expect(series(first, 'x0tta6bl4_mape_mttr_seconds_count{cause="mailbox-flood"}')).toBeUndefined();

    incidents.mark(id, 'planned', faultAt + 800);
    incidents.mark(id, 'executing', faultAt + 900);
    incidents.mark(id, 'recovered', faultAt + 2_500);
    // An incident whose cause is not known yet is not counted by cause.
    incidents.open({ detectedAt: faultAt + 3_000 });
    await get(base, '/metrics');
    const last = (await get(base, '/metrics')).body;
    expect(series(last, 'x0tta6bl4_mape_incidents_total{cause="mailbox-flood"}')).toBe(1);
    expect(series(last, 'x0tta6bl4_mape_incidents_total{cause="unknown"}')).toBeUndefined();
    expect(series(last, 'x0tta6bl4_mape_mttd_seconds_count{cause="mailbox-flood"}')).toBe(1);
    expect(series(last, 'x0tta6bl4_mape_mttr_seconds_sum{cause="mailbox-flood"}')).toBeCloseTo(2.5, 6);
    for (const phase of ['diagnose', 'plan', 'execute', 'verify']) {
      expect(series(last, `x0tta6bl4_mape_phase_seconds_count{phase="${phase}"}`)).toBe(1);
    }
    expect(series(last, 'x0tta6bl4_mape_phase_seconds_sum{phase="verify"}')).toBeCloseTo(1.6, 6);
  });

  it('runs without its metrics when their port is taken, saying why', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    const { port } = squatter.address() as { port: number };
    running = await startTestNode({ children: [COUNTER], ops: { metrics: { listen: `127.0.0.1:${port}` } } });
    expect(running.node.metricsAddress).toBeUndefined();
    expect(running.logs.some((line) => line.msg.startsWith('cannot serve /metrics'))).toBe(true);
    expect(await running.node.request('a', 'test.get', {})).toEqual({ count: 0 });
  });
});
