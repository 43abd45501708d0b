/**
 * Attack (issue 13, hole 10): a node out of file descriptors. Its accepts then fail with EMFILE:
 * libuv answers most of those by closing the connection it could not take (its reserve-descriptor
 * trick), and hands the rest to the server as an 'error', which every server here listens to for
 * its whole life. Here a real node process is given a descriptor limit a little above what it
 * holds, then flooded with more TCP connections than it has descriptors left, and its control
 * socket is called while it is exhausted: the node must stay up with its peer-link actor, give
 * the descriptors back once the flood is gone, and then link a legitimate peer and answer status.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseHostPort } from '../../lib/net/host-port.js';
import { initEmbeddedCa } from '../../lib/spiffe/embedded-ca-files.js';
import { actorStatus, probeOf, startMeshListener } from '../helpers/mesh-node.js';
import { attackScene } from '../helpers/attack-scene.js';
import { CLI_MAIN, startProcess } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const B = 'spiffe://mesh.test/node/b';
const LEGITIMATE = 'spiffe://mesh.test/node/a';
/** Descriptors the node may open beyond those it holds when the limit is set. */
const HEADROOM = 24;
/** Connections in the flood: several times the headroom, so accepts must fail. */
const FLOOD = 120;
/** The self-healing loop's sampling interval here, and how many of them the node spends exhausted. */
const SAMPLING_MS = 250;
const EXHAUSTED_FOR_MS = 8 * SAMPLING_MS;

const scene = attackScene('x0tta6bl4-emfile-');
const openDescriptors = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

describe('a node whose descriptors run out under a flood of connections', () => {
  it('stays up with its peer-link actor, and serves a legitimate peer and its control socket once the flood is gone', async () => {
    const dir = scene.tempDir();
    const ca = await initEmbeddedCa(dir, 'mesh.test');
    // The self-healing loop on, as by default: its sampler reads the process's memory every
    // interval, exhausted or not. Observing only: what is under test is that nothing dies, and an
    // action of the loop (a restart it judged right) would hide whether something did.
    const b = await startMeshListener(dir, { trustDomain: 'mesh.test', spiffeId: B, selfHealing: { intervalMs: SAMPLING_MS, observeOnly: true } });
    const pid = b.node.child.pid!;
    const limit = openDescriptors(pid) + HEADROOM;
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`]);

    const { host, port } = parseHostPort(b.listening);
    const flood: Socket[] = [];
    try {
      for (let i = 0; i < FLOOD; i++) {
        const socket = connect({ host, port });
        socket.on('error', () => undefined);
        flood.push(socket);
      }
      // The node took descriptors up to its limit: the rest of its accepts failed.
      await untilValue('the node to run out of descriptors', async () => (openDescriptors(pid) >= limit - 1 ? true : undefined), 30_000, 20);
      // Exposure, not a wait for a condition: the node stays exhausted for several of its sampling
      // intervals, each of which reads the process's memory (a read that needs a descriptor).
      await new Promise((resolve) => setTimeout(resolve, EXHAUSTED_FOR_MS));
      // Exhausted, the control socket may not take the call; answered or not, the node goes on.
      await startProcess([CLI_MAIN, 'status', '--data-dir', dir]).exited;
      expect(b.node.child.exitCode).toBeNull();
    } finally {
      for (const socket of flood) socket.destroy();
    }
    await untilValue('the node to give the flood\'s descriptors back', async () => (openDescriptors(pid) < limit - HEADROOM / 2 ? true : undefined), 30_000);

    const legitimate = await scene.linkedPeer(ca, LEGITIMATE, { address: b.listening, spiffeId: B }, 60_000);
    for (let n = 1; n <= 20; n++) expect(legitimate.send(B, 'test.mesh', Buffer.from(JSON.stringify({ n })))).toBe(true);
    const arrived = await untilValue("the legitimate peer's messages at the probe", async () => {
      const probe = await probeOf(dir);
      return probe.received.length >= 20 ? probe : undefined;
    });
    expect(arrived.received).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect((await actorStatus(dir, 'peer-link')).restarts, b.node.output().slice(-4000)).toBe(0);
    const status = startProcess([CLI_MAIN, 'status', '--data-dir', dir]);
    expect(await status.exited).toBe(0);
    expect(b.node.child.exitCode).toBeNull();
  }, 120_000);
});
