/**
 * Routing between real node processes on loopback: five nodes in a ring, each dialing the next. A
 * stream of end-to-end messages from n0 to n2 goes the short way (through n1); n1 is killed with
 * SIGKILL in the middle of it, the routes move the other way round (through n4 and n3), and n2
 * receives every message once, in order. Restarted, n1 rejoins with a newer incarnation and the
 * short route returns, which `x0tta6bl4 mesh ping` then takes: two hops each way, through n1; a
 * ping to a member no route leads to goes unanswered, and the command exits 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MeshStatus } from '../../actors/runtime/ops/node-status.js';
import { freePort } from '../helpers/free-port.js';
import { initTrustDomain, meshOf, probeOf, shareCa, startMeshNode, meshAt, routeTo } from '../helpers/mesh-node.js';
import { meshPingCommand } from '../../cli/mesh-ping-command.js';
import { capturingOutput } from '../helpers/captured-output.js';
import { CLI_MAIN, reapAll, startProcess, type NodeProcess } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const TRUST_DOMAIN = 'mesh.test';
const RING = 5;
const id = (index: number) => `spiffe://${TRUST_DOMAIN}/node/n${index}`;
/** Messages in the stream: about three seconds of it at 1,000 a second, long enough to kill n1 within it. */
const STREAM = 3_000;

const dirs: string[] = [];
afterEach(async () => {
  await reapAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-ring-'));
  dirs.push(dir);
  return dir;
}


const memberOf = (mesh: MeshStatus, spiffeId: string) => mesh.membership.members.find((member) => member.spiffeId === spiffeId);

describe('routing between node processes', () => {
  it('reroutes a stream around a killed node without losing or repeating a message, and routes through it again once it is back', async () => {
    const ports = await Promise.all(Array.from({ length: RING }, () => freePort()));
    const dir = Array.from({ length: RING }, () => dataDir());
    await initTrustDomain(dir[0]!, TRUST_DOMAIN);
    for (let index = 1; index < RING; index++) shareCa(dir[0]!, dir[index]!);
    // n0 streams to n2 once n2 asks (by then each knows the other); n2 asks as soon as n0 is a member it can reach.
    const probes: Record<number, Record<string, unknown>> = {
      0: { sendTo: id(2), count: STREAM, batch: 10, intervalMs: 10, startOn: 'test.go' },
      2: { sendTo: id(0), count: 1, sendTopic: 'test.go' },
    };
    const start = (index: number): NodeProcess =>
      startMeshNode({
        dir: dir[index]!,
        trustDomain: TRUST_DOMAIN,
        spiffeId: id(index),
        mesh: { listen: `127.0.0.1:${ports[index]}`, peers: [{ address: `127.0.0.1:${ports[(index + 1) % RING]}`, spiffeId: id((index + 1) % RING) }] },
        probe: probes[index] ?? {},
      });
    const nodes = Array.from({ length: RING }, (_, index) => start(index));

    await meshAt(dir[0]!, 'n0 to route to n2 through n1', (mesh) => routeTo(mesh, id(2))?.nextHop === id(1));
    await untilValue('the stream under way at n2', async () => ((await probeOf(dir[2]!)).received.length >= 200 ? true : undefined), 60_000, 50);
    nodes[1]!.kill('SIGKILL');

    // (Metrics are not compared: a loaded machine's round trips move them by more than a hop.)
    await meshAt(dir[0]!, 'n0 to route to n2 the other way round', (mesh) => routeTo(mesh, id(2))?.nextHop === id(4));
    const received = await untilValue(
      'the whole stream at n2',
      async () => {
        const probe = await probeOf(dir[2]!);
        return probe.received.length >= STREAM ? probe : undefined;
      },
      120_000,
      200,
    );
    // Every message once, in the order sent, though n1 died holding some of them.
    expect(received.received).toEqual(Array.from({ length: STREAM }, (_, index) => index + 1));
    expect(received.senders).toEqual([id(0)]);
    // The rest went the long way: n4 and n3 forwarded them.
    expect((await meshOf(dir[4]!))!.endToEnd.forwarded).toBeGreaterThan(0);
    expect((await meshOf(dir[3]!))!.endToEnd.forwarded).toBeGreaterThan(0);
    const dead = await meshAt(dir[0]!, 'n1 held dead at n0', (mesh) => memberOf(mesh, id(1))?.state === 'dead');
    const deadIncarnation = BigInt(memberOf(dead, id(1))!.incarnation);

    nodes[1] = start(1);
    const back = await meshAt(dir[0]!, 'n1 alive again at n0, and the short route through it', (mesh) => memberOf(mesh, id(1))?.state === 'alive' && routeTo(mesh, id(2))?.nextHop === id(1));
    expect(BigInt(memberOf(back, id(1))!.incarnation)).toBeGreaterThan(deadIncarnation);
    expect(back.endToEnd.held).toBe(0);

    // `mesh ping` over the short route again: two hops each way, through n1 (once n2's route back goes through n1 too).
    await meshAt(dir[2]!, 'n2 to route to n0 through n1', (mesh) => routeTo(mesh, id(0))?.nextHop === id(1));
    // In this process, so that the command's lines are measured; its text, then its JSON.
    const text = await capturingOutput(() => meshPingCommand(id(2), { dataDir: dir[0]!, count: '2', interval: '50' }));
    expect(text.stdout).toMatch(new RegExp(`pong from ${id(2).replace(/[/.]/g, '\\$&')} via ${id(1).replace(/[/.]/g, '\\$&')} in \\d+\\.\\d\\d ms \\(2 hops out, 2 back\\)`));
    const json = await capturingOutput(() => meshPingCommand(id(2), { dataDir: dir[0]!, count: '2', interval: '50', json: true }));
    const replies = (JSON.parse(json.stdout) as { replies: Array<{ hopsOut: number; hopsBack: number; via: string }> }).replies;
    expect(replies).toEqual([1, 2].map((seq) => ({ seq, rttMs: expect.any(Number), hopsOut: 2, hopsBack: 2, via: id(1) })));
    // A member no route leads to: no reply, exit 1.
    const lost = startProcess([CLI_MAIN, 'mesh', 'ping', `spiffe://${TRUST_DOMAIN}/node/nobody`, '--count', '1', '--timeout', '300', '--data-dir', dir[0]!]);
    expect(await lost.exited).toBe(1);
    expect(lost.output()).toContain('1 sent, none answered');
  }, 240_000);
});
