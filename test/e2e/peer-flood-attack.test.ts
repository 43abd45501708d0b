/**
 * Attack (issue 13, hole 3): an authorized peer streams messages faster than the node's subscriber
 * of mesh.recv can take them. The bus blocks the peer-link actor behind the full mailbox; before,
 * the actor went on reading its sockets and every message it decoded waited in the host, without
 * bound, so a peer could fill the node's memory at the speed of its link. Now the links stop
 * reading while the bus holds them back: the flood waits in the peer's own send window and TCP
 * buffers. A real node process with a deliberately slow subscriber and a small mailbox is flooded
 * over real mTLS; everything arrives in order, what the host held stays small, the peer-link
 * actor never restarts, and a legitimate peer is served after.
 */
import { describe, expect, it } from 'vitest';
import { initEmbeddedCa } from '../../lib/spiffe/embedded-ca-files.js';
import { actorStatus, meshOf, nodeStatus, probeOf, startMeshListener } from '../helpers/mesh-node.js';
import { attackScene } from '../helpers/attack-scene.js';
import { untilValue } from '../helpers/wait.js';

const B = 'spiffe://mesh.test/node/b';
const FLOODER = 'spiffe://mesh.test/node/flood';
const LEGITIMATE = 'spiffe://mesh.test/node/a';
/** 20 MiB in all: far more than loopback's socket buffers and the subscriber's mailbox hold. */
const FLOOD = 5_000;
const PADDING = 'x'.repeat(4_096);
/** What the host may hold for the blocked peer-link actor: the messages it decoded before its pause reached it. */
const HELD_CEILING = 1_000;

const scene = attackScene('x0tta6bl4-flood-');

describe('a peer that floods the node faster than its subscriber takes the messages', () => {
  it('is held back at its own end: the node holds little, loses nothing, and serves a legitimate peer after', async () => {
    const dir = scene.tempDir();
    const ca = await initEmbeddedCa(dir, 'mesh.test');
    // A subscriber that takes 1 ms per message behind a 64-message mailbox: the flood outruns it 20-fold or more.
    const b = await startMeshListener(dir, { trustDomain: 'mesh.test', spiffeId: B, probe: { costMs: 1 }, config: { mailbox: { capacity: 64, inflightWindow: 32 } } });

    const flooder = await scene.linkedPeer(ca, FLOODER, { address: b.listening, spiffeId: B });
    for (let n = 1; n <= FLOOD; n++) expect(flooder.send(B, 'test.mesh', Buffer.from(JSON.stringify({ n, padding: PADDING })))).toBe(true);
    const arrived = await untilValue(
      `the ${FLOOD} flooded messages at the probe`,
      async () => {
        const probe = await probeOf(dir);
        return probe.received.length >= FLOOD ? probe : undefined;
      },
      120_000,
    );
    expect(arrived.received).toEqual(Array.from({ length: FLOOD }, (_, index) => index + 1));
    const status = await nodeStatus(dir);
    // The flood did meet the full mailbox, and what waited in the host stayed small.
    expect(status.bus.heldMax).toBeGreaterThan(0);
    expect(status.bus.heldMax).toBeLessThanOrEqual(HELD_CEILING);
    expect((await meshOf(dir))!.readHolds).toBeGreaterThan(0);

    const legitimate = await scene.linkedPeer(ca, LEGITIMATE, { address: b.listening, spiffeId: B });
    for (let n = FLOOD + 1; n <= FLOOD + 50; n++) expect(legitimate.send(B, 'test.mesh', Buffer.from(JSON.stringify({ n })))).toBe(true);
    const after = await untilValue("the legitimate peer's 50 messages at the probe", async () => {
      const probe = await probeOf(dir);
      return probe.received.length >= FLOOD + 50 ? probe : undefined;
    });
    expect(after.received.slice(FLOOD)).toEqual(Array.from({ length: 50 }, (_, index) => FLOOD + index + 1));
    expect(after.senders).toEqual([FLOODER, LEGITIMATE]);
    expect((await actorStatus(dir, 'peer-link')).restarts).toBe(0);
    expect(b.node.child.exitCode).toBeNull();
  }, 180_000);
});
