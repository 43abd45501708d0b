/**
 * Routing over a network that fails without any process failing: four node processes, each in a
 * network namespace this test makes, joined by veth pairs in a square (a–b, b–d, d–c, c–a; nothing
 * routed between links, so a reaches d only through the mesh). A stream of end-to-end messages goes
 * from a to d; the veth of a's link on the stream's path is set down (no socket closes, no process
 * dies: the link's heartbeats find the peer silent), the route moves to the other side of the square,
 * and d receives every message once, in order. The link set up again, a links to that neighbour
 * again and routes to it directly. The namespaces are removed afterwards, also on failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initTrustDomain, meshAt, probeOf, routeTo, shareCa, startMeshNode } from '../helpers/mesh-node.js';
import { makeNetns, netnsUnavailable, type Netns } from '../helpers/netns.js';
import { reapAll } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const TRUST_DOMAIN = 'mesh.test';
const NAMES = ['a', 'b', 'c', 'd'];
const id = (index: number) => `spiffe://${TRUST_DOMAIN}/node/${NAMES[index]}`;
/** The square: a–b, b–d, d–c, c–a. */
const EDGES: [number, number][] = [
  [0, 1],
  [1, 3],
  [3, 2],
  [2, 0],
];
const PORT = 7000;
const unavailable = netnsUnavailable();
if (unavailable) process.stdout.write(`mesh-netns-process: skipped: ${unavailable}\n`);

let netns: Netns | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await reapAll();
  netns?.remove();
  netns = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});



describe.skipIf(unavailable !== undefined)('routing over network namespaces', () => {
  it('reroutes a stream when a link on its path is set down, losing and repeating nothing, and links again once it is up', async () => {
    netns = makeNetns(`x6r${process.pid % 100_000}`, NAMES.length, EDGES);
    const square = netns;
    const dir = NAMES.map(() => {
      const made = mkdtempSync(join(tmpdir(), 'x0tta6bl4-netns-'));
      dirs.push(made);
      return made;
    });
    await initTrustDomain(dir[0]!, TRUST_DOMAIN);
    for (let index = 1; index < NAMES.length; index++) shareCa(dir[0]!, dir[index]!);
    // Each node listens on every address of its namespace and advertises its link addresses; the lower index dials each link.
    const addressesOf = (node: number) => square.links.flatMap((link) => link.between.flatMap((end, side) => (end === node ? [`${link.ends[side]!.address}:${PORT}`] : [])));
    const peersOf = (node: number) =>
      square.links.filter((link) => link.between[0] === node).map((link) => ({ address: `${link.ends[1].address}:${PORT}`, spiffeId: id(link.between[1]) }));
    const nodes = NAMES.map((_, node) =>
      startMeshNode({
        dir: dir[node]!,
        trustDomain: TRUST_DOMAIN,
        spiffeId: id(node),
        netns: square.names[node]!,
        mesh: { listen: `0.0.0.0:${PORT}`, advertise: addressesOf(node), peers: peersOf(node) },
        probe: node === 0 ? { sendTo: id(3), count: 100_000, batch: 1, intervalMs: 10, startWhenRouted: true, stamp: true } : {},
      }),
    );

    const routed = await meshAt(dir[0]!, 'a to route to d', (mesh) => routeTo(mesh, id(3)) !== undefined);
    const via = NAMES.indexOf(routeTo(routed, id(3))!.nextHop.split('/').at(-1)!);
    const other = via === 1 ? 2 : 1;
    await untilValue('the stream flowing into d', async () => ((await probeOf(dir[3]!)).received.length >= 100 ? true : undefined), 60_000, 100);

    const cut = square.links.find((link) => link.between.includes(0) && link.between.includes(via))!;
    const cutAt = Date.now();
    netns.ip(0, 'link', 'set', cut.ends[cut.between.indexOf(0)]!.device, 'down');
    await meshAt(dir[0]!, `a to route to d through ${NAMES[other]}`, (mesh) => routeTo(mesh, id(3))?.nextHop === id(other));
    const after = await untilValue(
      'd to deliver messages sent after the cut',
      async () => {
        const probe = await probeOf(dir[3]!);
        return probe.arrivals.filter(([, sentAt]) => sentAt >= cutAt).length >= 100 ? probe : undefined;
      },
      60_000,
      100,
    );
    // Every message once, in order, across the cut: nothing lost on the dead link, nothing twice.
    expect(after.received).toEqual(Array.from({ length: after.received.length }, (_, index) => index + 1));
    expect(after.senders).toEqual([id(0)]);
    // The silence was found by the heartbeats: nothing closed the link's connection. Read from a's log
    // (the link's last error is soon its redials' ENETUNREACH).
    const downs = nodes[0]!.output().split('\n').filter((line) => line.includes('"peer link down"') && line.includes(id(via)));
    expect(downs.some((line) => line.includes('PeerSilentError'))).toBe(true);

    netns.ip(0, 'link', 'set', cut.ends[cut.between.indexOf(0)]!.device, 'up');
    const healed = await meshAt(dir[0]!, `a linked to ${NAMES[via]} again, routing to it directly`, (mesh) => mesh.links.some((link) => link.peer === id(via) && link.status === 'up') && routeTo(mesh, id(via))?.nextHop === id(via));
    expect(healed.membership.members.find((member) => member.spiffeId === id(via))?.state).toBe('alive');
    const final = await probeOf(dir[3]!);
    expect(final.received).toEqual(Array.from({ length: final.received.length }, (_, index) => index + 1));
  }, 180_000);
});
