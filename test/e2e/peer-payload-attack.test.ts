/**
 * Attack (issue 13, hole 1): an authorized peer sends payloads built to stop the node. JSON nested
 * 20,000 deep is 40 KB, under the frame cap, and parses; the structured clone that carried it from
 * the peer-link worker to the bus recursed once per level, threw where nobody caught it, and the
 * worker died; repeated, the subtree and then the root gave up and the process exited. Here a real
 * node process is attacked over a real mTLS link by a peer its policy admits, and must refuse each
 * payload, count it, keep the attacker's link and serve a legitimate peer afterwards.
 */
import { describe, expect, it } from 'vitest';
import { initEmbeddedCa } from '../../lib/spiffe/embedded-ca-files.js';
import { actorStatus, meshOf, probeOf, startMeshListener } from '../helpers/mesh-node.js';
import { attackScene } from '../helpers/attack-scene.js';
import { CLI_MAIN, startProcess } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const B = 'spiffe://mesh.test/node/b';
const ATTACKER = 'spiffe://mesh.test/node/mallory';
const LEGITIMATE = 'spiffe://mesh.test/node/a';

const scene = attackScene('x0tta6bl4-attack-');

const nested = (depth: number) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('a peer that sends payloads built to stop the node', () => {
  it('has each refused and counted, keeps its link, and the node serves a legitimate peer after', async () => {
    const dir = scene.tempDir();
    const ca = await initEmbeddedCa(dir, 'mesh.test');
    const b = await startMeshListener(dir, { trustDomain: 'mesh.test', spiffeId: B });

    const attacker = await scene.linkedPeer(ca, ATTACKER, { address: b.listening, spiffeId: B });
    // Ten of the clone-breaking depth (ten worker deaths would have exceeded the subtree's restart
    // intensity), one at the depth the main thread used to drop silently with the rest of its
    // batch, one not JSON at all.
    for (let i = 0; i < 10; i++) expect(attacker.send(B, 'test.mesh', nested(20_000))).toBe(true);
    expect(attacker.send(B, 'test.mesh', nested(5_000))).toBe(true);
    expect(attacker.send(B, 'test.mesh', Buffer.from('{"n": 1'))).toBe(true);

    const refused = await untilValue('B to count every refused payload', async () => {
      const mesh = await meshOf(dir);
      return mesh && mesh.rejectedPayloads['too-deep'] === 11 && mesh.rejectedPayloads['not-json'] === 1 ? mesh : undefined;
    });
    expect(refused.links).toMatchObject([{ peer: ATTACKER, status: 'up', delivered: 12 }]);
    // The stream acknowledged them: the attacker is not made to resend what was refused.
    await untilValue('the attacker to see its messages acknowledged', async () => (attacker.state().links[0]?.pending === 0 ? true : undefined));

    const legitimate = await scene.linkedPeer(ca, LEGITIMATE, { address: b.listening, spiffeId: B });
    for (let n = 1; n <= 50; n++) expect(legitimate.send(B, 'test.mesh', Buffer.from(JSON.stringify({ n })))).toBe(true);
    const arrived = await untilValue('the legitimate peer\'s 50 messages at the probe', async () => {
      const probe = await probeOf(dir);
      return probe.received.length >= 50 ? probe : undefined;
    });
    expect(arrived.received).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
    expect(arrived.senders).toEqual([LEGITIMATE]);
    expect((await actorStatus(dir, 'peer-link')).restarts).toBe(0);
    const text = startProcess([CLI_MAIN, 'status', '--data-dir', dir]);
    expect(await text.exited).toBe(0);
    expect(text.output()).toContain('12 peer payloads REFUSED (11 too deep, 1 not JSON)');
    expect(b.node.child.exitCode).toBeNull();
  }, 90_000);
});
