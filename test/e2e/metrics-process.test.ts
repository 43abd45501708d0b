/**
 * A real node's operations endpoint: /metrics passes `promtool check metrics` and carries the
 * runtime's, the self-healing loop's, identity's and the peer links' metrics; /health answers
 * while the process runs; /ready is 503 with the reason while the node lacks its SVID (an agent
 * that is not there) and 200 once a node holds one; unknown paths 404, other methods 405.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callControl } from '../../cli/control-client.js';
import { reapAll, startProcess, TEST_NODE_MAIN, type NodeProcess } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const dirs: string[] = [];
afterEach(async () => {
  await reapAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-metrics-'));
  dirs.push(dir);
  return dir;
}

/** The address the node logged for its endpoint. */
async function endpoint(node: NodeProcess): Promise<string> {
  await node.waitForOutput('serving /metrics');
  const line = node.output().split('\n').find((text) => text.includes('serving /metrics'))!;
  return `http://${(JSON.parse(line) as { address: string }).address}`;
}

describe('metrics, health and readiness over HTTP', () => {
  it('serves metrics promtool accepts, from the runtime, the loop, identity and the mesh; ready once the SVID is there', async () => {
    const dir = dataDir();
    const node = startProcess([
      TEST_NODE_MAIN,
      JSON.stringify({ dataDir: dir, actors: [{ id: 'a' }], mape: {}, security: true, config: { mesh: { listen: '127.0.0.1:0' } } }),
    ]);
    const base = await endpoint(node);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ready = await untilValue('ready', async () => {
      const response = await fetch(`${base}/ready`);
      return response.status === 200 ? response.text() : undefined;
    });
    expect(ready).toMatch(/^ready: \d+ actors running, spiffe:\/\//);

    // A fault for the loop to find and remedy: its incident shows in the loop's metrics.
    await callControl(join(dir, 'control.sock'), 'chaos', { kind: 'crash-loop', target: 'a' });
    const text = await untilValue('the recovered incident in the metrics', async () => {
      const body = await (await fetch(`${base}/metrics`)).text();
      return body.includes('x0tta6bl4_mape_mttr_seconds_count{cause="crash-loop"} 1') ? body : undefined;
    }, 30_000);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'x0tta6bl4_actor_restarts_total{actor="a"}',
      'x0tta6bl4_actor_up{actor="identity"} 1',
      'x0tta6bl4_actor_mailbox_depth{actor="monitor"}',
      'x0tta6bl4_actor_message_latency_seconds_bucket{le="0.001",actor="monitor"}',
      'x0tta6bl4_actor_messages_overflow_total{actor="a",policy="drop-oldest"} 0',
      'x0tta6bl4_mape_incidents_total{cause="crash-loop"} 1',
      'x0tta6bl4_mape_mttd_seconds_count{cause="crash-loop"} 1',
      'x0tta6bl4_svid_expiry_timestamp_seconds',
      'x0tta6bl4_svid_updates_total 1',
      'x0tta6bl4_identity_ready 1',
      'x0tta6bl4_mesh_links_up 0',
      'x0tta6bl4_mesh_members{state="alive"} 0',
      'x0tta6bl4_mesh_member_records_total{outcome="learned"} 0',
      'x0tta6bl4_pq_handshakes_total 0',
      'x0tta6bl4_mesh_payloads_refused_total{reason="too-deep"} 0',
      'x0tta6bl4_mesh_connections_shed_total{reason="per-address"} 0',
      'x0tta6bl4_pq_handshake_duration_seconds_bucket{le="+Inf"} 0',
    ]) {
      expect(text, name).toContain(name);
    }
    // Every incident of the node passes the loop's phases, not only the injected one: on a loaded
    // machine another may have been diagnosed meanwhile, so the phases count at least this one.
    for (const phase of ['diagnose', 'verify']) {
      const count = Number(new RegExp(`x0tta6bl4_mape_phase_seconds_count\\{phase="${phase}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      expect(count, `x0tta6bl4_mape_phase_seconds_count{phase="${phase}"}`).toBeGreaterThanOrEqual(1);
    }
    const processed = Number(/x0tta6bl4_actor_messages_processed_total\{actor="monitor"\} (\d+)/.exec(text)![1]);
    expect(processed).toBeGreaterThan(0);

    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    node.kill('SIGTERM');
    expect(await node.exited).toBe(0);
  }, 60_000);

  it('is alive but not ready, saying why, while the node waits for an SVID from an agent that is not there', async () => {
    const dir = dataDir();
    const node = startProcess([
      TEST_NODE_MAIN,
      JSON.stringify({ dataDir: dir, actors: [{ id: 'a' }], security: true, config: { identity: { agentSocket: `unix://${join(dir, 'no-agent.sock')}` } } }),
    ]);
    const base = await endpoint(node);
    await node.waitForOutput('"msg":"ready"');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const response = await untilValue('the waiting reason', async () => {
      const answer = await fetch(`${base}/ready`);
      const body = await answer.text();
      return body.includes('waiting') ? { status: answer.status, body } : undefined;
    });
    expect(response.status).toBe(503);
    expect(response.body).toMatch(/^no SVID yet: identity is waiting \(UNAVAILABLE: /);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('x0tta6bl4_identity_ready 0');
  }, 60_000);
});
