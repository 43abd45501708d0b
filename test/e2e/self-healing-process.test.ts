/**
 * The self-healing loop across processes: faults injected with `x0tta6bl4 chaos`, incidents read
 * with `x0tta6bl4 incidents`, and a node process restarted mid-incident that resumes the action
 * it had under way from its knowledge base and finishes it, once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentReport } from '../../store/mape-status.js';
import { openStore } from '../../store/open-store.js';
import { createPolicyStore } from '../../store/policies.js';
import { CLI_MAIN, reapAll, startProcess, TEST_NODE_MAIN } from '../helpers/node-process.js';
import { waitFor } from '../helpers/test-node.js';

let dataDir: string | undefined;
afterEach(async () => {
  await reapAll();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function cli(...args: string[]): Promise<{ code: number | string; output: string }> {
  const run = startProcess([CLI_MAIN, ...args, '--data-dir', dataDir!]);
  const code = await run.exited;
  return { code, output: run.output() };
}

async function incidents(): Promise<IncidentReport[]> {
  const { code, output } = await cli('incidents', '--json');
  expect(code).toBe(0);
  return JSON.parse(output) as IncidentReport[];
}

function startNode(planner: Record<string, unknown>) {
  return startProcess([
    TEST_NODE_MAIN,
    JSON.stringify({ dataDir, actors: [{ id: 'workload' }], config: { mape: { intervalMs: 250 } }, mape: { planner } }),
  ]);
}

describe('self-healing across node processes', () => {
  it('a node restarted mid-incident keeps its knowledge base and finishes the open incident with the action it had started', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-e2e-'));
    // A first candidate that cannot end a flood (draining it while the sender goes on), with a long
    // verification window: the incident stays open, executing, until the node is restarted.
    const db = openStore(join(dataDir, 'x0tta6bl4.db'));
    createPolicyStore(db).upsert({ causeKind: 'mailbox-flood', actionKind: 'drain-mailbox', cost: 0, risk: 0 });
    db.close();
    const planner = { verifyWithinMs: 120_000 };

    const first = startNode(planner);
    await first.waitForOutput('"msg":"ready"');
    const injected = await cli('chaos', 'mailbox-flood', '--target', 'workload');
    expect(injected.code).toBe(0);
    expect(injected.output).toMatch(/injected mailbox-flood into 'workload'/);

    const open = await waitFor(
      async () => (await incidents()).find((incident) => incident.status === 'executing' && incident.actions[0]?.status === 'running'),
      20_000,
      'the incident to be executing',
    );
    // On failure, every incident the node recorded: a wrong diagnosis shows which rule took the flood.
    expect(open, JSON.stringify(await incidents())).toMatchObject({ causeKind: 'mailbox-flood', target: 'workload', injected: { kind: 'mailbox-flood' } });
    // status shows the loop's latest published state, which follows the knowledge base the
    // incidents command reads: wait for it to say so rather than reading it once.
    const status = await waitFor(
      async () => {
        const shown = await cli('status');
        return /self-healing: executing, \d+ open/.test(shown.output) && shown.output.includes(`incident #${open.id} executing: mailbox-flood on workload`) ? shown : undefined;
      },
      20_000,
      'status to show the executing incident',
    );
    expect(status.output).toContain(`incident #${open.id} executing: mailbox-flood on workload`);

    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = startNode(planner);
    await second.waitForOutput('"msg":"ready"');
    const closed = await waitFor(
      async () => (await incidents()).find((incident) => incident.id === open.id && incident.status !== 'executing'),
      20_000,
      'the resumed incident to close',
    );
    // The flood ended with the first process; the resumed executor verifies the same action and
    // records its one outcome: no second action, no second incident.
    expect(closed.status).toBe('recovered');
    expect(closed.actions.map((action) => [action.id, action.kind, action.status, action.outcome?.success])).toEqual([
      [open.actions[0]!.id, 'drain-mailbox', 'succeeded', true],
    ]);
    // One incident for the flood across both processes. Only the workload's are counted: a loaded
    // machine has also shown a false memory-leak incident on the monitor here (issue 16's
    // false-incident target, measured by the mape bench), which is not what this test is about.
    const onWorkload = (await incidents()).filter((incident) => incident.target === 'workload');
    expect(onWorkload.map((incident) => incident.id)).toEqual([open.id]);

    const text = await cli('incidents', '--since', '10m');
    expect(text.code).toBe(0);
    expect(text.output).toContain(`#${open.id}  recovered  cause mailbox-flood  target workload`);
    // Any duration: one over a second is printed in seconds (a loaded machine detects later).
    expect(text.output).toMatch(/MTTD \d/);
    expect(text.output).toContain('drain-mailbox on workload: succeeded, verified');

    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses chaos in production mode, and bad usage, with clear messages', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-e2e-'));
    const node = startProcess([TEST_NODE_MAIN, JSON.stringify({ dataDir, actors: [{ id: 'workload' }], config: { production: true, identity: { agentSocket: 'unix:///run/spire/agent.sock' } } })]);
    await node.waitForOutput('"msg":"ready"');
    const refused = await cli('chaos', 'cpu-hog', '--target', 'workload');
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/ProductionModeError/);

    const unknownKind = await cli('chaos', 'gremlins');
    expect(unknownKind.code).toBe(2);
    expect(unknownKind.output).toMatch(/Allowed choices are crash-loop, hung-actor/);

    const badSince = await cli('incidents', '--since', 'yesterday-ish');
    expect(badSince.code).toBe(2);
    expect(badSince.output).toContain("--since: 'yesterday-ish' is not a duration");
    node.kill('SIGTERM');
    expect(await node.exited).toBe(0);
  });
});
