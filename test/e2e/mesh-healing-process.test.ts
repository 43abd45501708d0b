/**
 * The MAPE-K loop heals the mesh between real node processes on loopback, each with its loop on:
 * four nodes in a ring with one chord (n0–n1–n2–n3–n0 and n0–n2). Faults are injected as an
 * operator would with `x0tta6bl4 chaos`, and the incidents are read from n0's knowledge base:
 * - lossy-link on n0's link to n1: diagnosed link-degraded, the link avoided (reroute-around), n1
 *   reached through n2, recovered;
 * - cut-link on n0's link to n2: n2 lives (it refutes n0's suspicion through n1 and n3), the link is
 *   lost, diagnosed link-degraded, recovered once no route crosses it and every member is reached;
 * - kill-peer of n3 (SIGKILL): diagnosed peer-down at once, recovered once every member is reached
 *   around it.
 * Each incident carries the fault's start (from the injection record), so MTTD and MTTR come from rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callControl } from '../../cli/control-client.js';
import { chaosCommand } from '../../cli/chaos-command.js';
import type { IncidentReport } from '../../store/mape-status.js';
import { capturingOutput } from '../helpers/captured-output.js';
import { freePort } from '../helpers/free-port.js';
import { initTrustDomain, meshOf, shareCa, startMeshNode, meshAt, routeTo } from '../helpers/mesh-node.js';
import { reapAll, type NodeProcess } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const TRUST_DOMAIN = 'mesh.test';
const NODES = 4;
const id = (index: number) => `spiffe://${TRUST_DOMAIN}/node/n${index}`;
/** Who dials whom: the ring, and the chord n0–n2. */
const DIALS: Record<number, number[]> = { 0: [1, 2], 1: [2], 2: [3], 3: [0] };

const dirs: string[] = [];
afterEach(async () => {
  await reapAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-heal-'));
  dirs.push(dir);
  return dir;
}



/**
 * The incident of `cause` on `target` at the node that the fault injected at or after `since`
 * explains (its injection linked), once it has ended. Others on the same target do not count: a
 * busy machine can make the loop see a link's heartbeats late before the fault, and that incident is
 * the loop's own reading, not the one this fault caused.
 */
async function endedIncident(dir: string, cause: string, target: string, since: number): Promise<IncidentReport> {
  return untilValue(
    `a ${cause} incident on ${target} from the fault injected at ${since} to end`,
    async () => {
      const incidents = (await callControl(join(dir, 'control.sock'), 'incidents', {})) as IncidentReport[];
      const found = incidents.find((incident) => incident.causeKind === cause && incident.target === target && incident.injected !== null && incident.injected.startedAt >= since);
      return found && (found.status === 'recovered' || found.status === 'failed') ? found : undefined;
    },
    60_000,
    200,
  );
}

/** No incident open at the node: the next fault's incident is not held back by one still being handled. */
async function quiet(dir: string): Promise<void> {
  await untilValue(
    'no incident open',
    async () => {
      const incidents = (await callControl(join(dir, 'control.sock'), 'incidents', {})) as IncidentReport[];
      return incidents.every((incident) => incident.status === 'recovered' || incident.status === 'failed') ? true : undefined;
    },
    60_000,
    200,
  );
}

function expectRecoveredFromItsFault(incident: IncidentReport, actions: readonly string[]): void {
  // The values the verdict was reached on are in the outcome's detail: shown when this fails.
  const succeeded = incident.actions.filter((action) => action.outcome?.success === true).map((action) => action.kind);
  expect(incident.status, JSON.stringify(incident.actions.map((a) => ({ kind: a.kind, outcome: a.outcome })))).toBe('recovered');
  // The policy's candidates, in the order the planner ranks them by past success: one of them cured it.
  expect(succeeded.some((kind) => actions.includes(kind)), JSON.stringify(incident.actions)).toBe(true);
  expect(incident.injected).not.toBeNull();
  expect(incident.faultStartedAt).toBe(incident.injected!.startedAt);
  expect(incident.detectedAt).toBeGreaterThanOrEqual(incident.faultStartedAt!);
  expect(incident.recoveredAt).toBeGreaterThanOrEqual(incident.detectedAt);
}

describe('the MAPE-K loop heals the mesh between node processes', () => {
  it('avoids a lossy link, routes around a cut one and a killed neighbour, each incident recovered from its fault', async () => {
    const ports = await Promise.all(Array.from({ length: NODES }, () => freePort()));
    const dir = Array.from({ length: NODES }, () => dataDir());
    await initTrustDomain(dir[0]!, TRUST_DOMAIN);
    for (let index = 1; index < NODES; index++) shareCa(dir[0]!, dir[index]!);
    const nodes: NodeProcess[] = Array.from({ length: NODES }, (_, index) =>
      startMeshNode({
        dir: dir[index]!,
        trustDomain: TRUST_DOMAIN,
        spiffeId: id(index),
        mesh: { listen: `127.0.0.1:${ports[index]}`, peers: DIALS[index]!.map((peer) => ({ address: `127.0.0.1:${ports[peer]}`, spiffeId: id(peer) })) },
        selfHealing: { intervalMs: 500 },
      }),
    );
    await meshAt(dir[0]!, 'n0 to route to every node directly where it links', (mesh) => [1, 2, 3].every((index) => routeTo(mesh, id(index))?.nextHop === id(index)));

    // A lossy link: half of n0's heartbeats with n1 dropped each way, in this process as an operator's command would.
    await quiet(dir[0]!);
    const lossyAt = Date.now();
    const lossy = await capturingOutput(() => chaosCommand('lossy-link', { dataDir: dir[0]!, peer: id(1), share: '0.5', for: '60000' }));
    expect(lossy.stdout).toMatch(/^lossy-link spiffe:\/\/mesh\.test\/node\/n1: 50% of the heartbeats .* \(fault #\d+\)/);
    const degraded = await endedIncident(dir[0]!, 'link-degraded', id(1), lossyAt);
    expectRecoveredFromItsFault(degraded, ['reroute-around', 'quarantine-peer']);
    expect(routeTo((await meshOf(dir[0]!))!, id(1))?.nextHop).not.toBe(id(1));
    await capturingOutput(() => chaosCommand('heal-link', { dataDir: dir[0]!, peer: id(1) }));

    // A cut link: n0's link to n2 goes silent, both sockets open; n2 lives and is reached around it.
    await quiet(dir[0]!);
    const cutAt = Date.now();
    await capturingOutput(() => chaosCommand('cut-link', { dataDir: dir[0]!, peer: id(2), for: '60000' }));
    const cut = await endedIncident(dir[0]!, 'link-degraded', id(2), cutAt);
    expectRecoveredFromItsFault(cut, ['reroute-around', 'quarantine-peer']);
    const around = await meshAt(dir[0]!, 'n0 to reach n2 around the cut', (mesh) => routeTo(mesh, id(2)) !== undefined && routeTo(mesh, id(2))!.nextHop !== id(2));
    expect(around.membership.members.find((member) => member.spiffeId === id(2))?.state).toBe('alive');

    // A killed neighbour: recorded at n0 first (its start), then SIGKILL, as `chaos kill-peer --pid` does.
    await quiet(dir[0]!);
    const killedAt = Date.now();
    await callControl(join(dir[0]!, 'control.sock'), 'chaos.mesh', { kind: 'kill-peer', peer: id(3), startedAt: killedAt });
    nodes[3]!.kill('SIGKILL');
    const down = await endedIncident(dir[0]!, 'peer-down', id(3), killedAt);
    expectRecoveredFromItsFault(down, ['reroute-around', 'reconnect-members']);
  }, 240_000);
});
