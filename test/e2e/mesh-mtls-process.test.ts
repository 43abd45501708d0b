/**
 * mTLS between real node processes on loopback, each with its embedded trust domain: an allowed
 * peer is linked and its messages delivered; a peer of another trust domain and a peer of the
 * right trust domain with a disallowed path are refused; and with SVIDs rotating every few
 * seconds on both sides, a steady message stream crosses several re-authentications with nothing
 * lost, duplicated or reordered; and with the identity actor of each side crashed under traffic,
 * the link survives (the security subtree is one_for_one: the peer link re-authenticates with the
 * restarted identity's new SVID instead of being restarted with it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callControl } from '../../cli/control-client.js';
import { encodeFrame, LINK_ID_BYTES, LINK_PROTOCOL_VERSION, RecordReader, type LinkFrame } from '../../actors/peer-link/frame-codec.js';
import { parseHostPort } from '../../lib/net/host-port.js';
import { actorStatus, initTrustDomain, meshOf, probeOf, shareCa, startMeshListener, startMeshNode } from '../helpers/mesh-node.js';
import { CLI_MAIN, reapAll, startProcess } from '../helpers/node-process.js';
import { untilValue } from '../helpers/wait.js';

const dirs: string[] = [];
afterEach(async () => {
  await reapAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-mesh-'));
  dirs.push(dir);
  return dir;
}

/**
 * Waits for A's probe's `count` messages at B's probe and checks they came in order, once each;
 * then for both sides' reports to catch up (they are coalesced, so they lag the probe): B delivered
 * each once end to end, A holds none unacknowledged, its link none either. (End to end, a message
 * may go more than once on a loaded machine, its acknowledgement late: its link counts copies, the
 * end-to-end counters do not.)
 */
async function streamDelivered(dirA: string, dirB: string, count: number) {
  const received = await untilValue(
    `${count} messages at B`,
    async () => {
      const got = await probeOf(dirB);
      return got.received.length >= count ? got : undefined;
    },
    60_000,
  );
  expect(received.received).toEqual(Array.from({ length: count }, (_, index) => index + 1));
  const atB = await untilValue('B to report every delivery', async () => {
    const mesh = await meshOf(dirB);
    return mesh?.links[0] && mesh.endToEnd.delivered === count ? mesh.links[0] : undefined;
  });
  const atA = await untilValue('A to see everything acknowledged', async () => {
    const mesh = await meshOf(dirA);
    const link = mesh?.links[0];
    return link && link.pending === 0 && mesh.endToEnd.sent === count && mesh.endToEnd.held === 0 ? link : undefined;
  });
  return { atA, atB };
}

/** Dials with an SVID from files, trusting anything, says Hello, and returns the frames the node answers with until it closes. */
async function rogueDial(address: string, svidDir: string): Promise<LinkFrame[]> {
  const { host, port } = parseHostPort(address);
  const socket = connect({
    host,
    port,
    key: readFileSync(join(svidDir, 'svid-key.pem')),
    cert: readFileSync(join(svidDir, 'svid.pem')),
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    minVersion: 'TLSv1.3',
  });
  const reader = new RecordReader();
  const frames: LinkFrame[] = [];
  socket.on('secureConnect', () => {
    socket.write(encodeFrame({ kind: 'hello', version: LINK_PROTOCOL_VERSION, linkId: randomBytes(LINK_ID_BYTES), incarnation: randomBytes(LINK_ID_BYTES), receiveNext: 0 }));
  });
  socket.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  await new Promise((resolve) => socket.once('close', resolve));
  return frames;
}

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';

describe('peer links between node processes (mTLS with SVIDs)', () => {
  it('links an allowed peer, delivers its messages in order, and shows the link on both sides', async () => {
    const dirA = dataDir();
    const dirB = dataDir();
    await initTrustDomain(dirB, 'mesh.test');
    shareCa(dirB, dirA);
    const b = await startMeshListener(dirB, { trustDomain: 'mesh.test', spiffeId: B });
    startMeshNode({ dir: dirA, trustDomain: 'mesh.test', spiffeId: A, mesh: { peers: [{ address: b.listening, spiffeId: B }] }, probe: { sendTo: B, count: 200, intervalMs: 5, batch: 5 } });

    const received = await untilValue('200 messages at B', async () => {
      const got = await probeOf(dirB);
      return got.received.length >= 200 ? got : undefined;
    });
    expect(received.received).toEqual(Array.from({ length: 200 }, (_, index) => index + 1));
    expect(received.senders).toEqual([A]);

    const atA = await untilValue('A to see its link acknowledged', async () => {
      const state = await meshOf(dirA);
      const link = state?.links[0];
      return link && link.status === 'up' && link.pending === 0 && state.endToEnd.sent === 200 && state.endToEnd.held === 0 ? state : undefined;
    });
    expect(atA!.spiffeId).toBe(A);
    expect(atA!.links).toMatchObject([{ peer: B, role: 'dialer', status: 'up', address: b.listening, suite: 'x-wing', epoch: 0 }]);
    expect(atA!.pq.handshakes).toBe(1);
    // B's link state is published by its peer-link actor and reaches `status` after the probe's
    // messages do: wait for the state that says all 200 were delivered instead of reading it once.
    const atB = await untilValue('B to report all 200 delivered', async () => {
      const state = await meshOf(dirB);
      return state?.endToEnd.delivered === 200 ? state : undefined;
    });
    expect(atB.links).toMatchObject([{ peer: A, role: 'acceptor', status: 'up' }]);
    // Carried as end-to-end envelopes on the link, counted there with their acknowledgements (and any copies).
    expect(atB.links[0]!.delivered).toBeGreaterThanOrEqual(200);

    const text = startProcess([CLI_MAIN, 'status', '--data-dir', dirB]);
    expect(await text.exited).toBe(0);
    expect(text.output()).toMatch(/mesh: listening on 127\.0\.0\.1:\d+, 1 link/);
    expect(text.output()).toContain(`← ${A} up`);
  });

  it('refuses a peer of another trust domain, on both sides', async () => {
    const dirB = dataDir();
    const dirC = dataDir();
    await initTrustDomain(dirB, 'mesh.test');
    await initTrustDomain(dirC, 'other.test');
    const b = await startMeshListener(dirB, { trustDomain: 'mesh.test', spiffeId: B });
    startMeshNode({ dir: dirC, trustDomain: 'other.test', spiffeId: 'spiffe://other.test/node/c', mesh: { peers: [{ address: b.listening, spiffeId: B }] }, probe: { sendTo: B, count: 5 } });

    // The dialer of the other trust domain has no bundle for B's: it refuses B.
    const atC = await untilValue('C to report its failure', async () => {
      const link = (await meshOf(dirC))?.links[0];
      return link?.lastError ? link : undefined;
    });
    expect(atC.status).toBe('connecting');
    expect(atC.lastError).toContain('NoBundleForTrustDomainError');
    expect(atC.connections).toBe(0);

    // A dialer of that trust domain that skips its own checks is refused by B. It proved no identity
    // B trusts, so it is told nothing more than that; B's operator sees the rule.
    const issue = startProcess([CLI_MAIN, 'identity', 'issue', '--spiffe-id', 'spiffe://other.test/node/rogue', '--out', join(dirC, 'rogue'), '--data-dir', dirC]);
    expect(await issue.exited).toBe(0);
    const answer = await rogueDial(b.listening, join(dirC, 'rogue'));
    expect(answer).toEqual([{ kind: 'goodbye', reason: 'refused' }]);
    const atB = await untilValue('B to count the refusal', async () => {
      const state = await meshOf(dirB);
      return state && state.refused > 0 ? state : undefined;
    });
    expect(atB.lastRefusal).toContain('NoBundleForTrustDomainError');
    expect(atB.links).toEqual([]);
    expect((await probeOf(dirB)).received).toEqual([]);
  });

  it('refuses a peer of the trust domain whose path the policy does not allow, and tells it why', async () => {
    const dirB = dataDir();
    const dirD = dataDir();
    await initTrustDomain(dirB, 'mesh.test');
    shareCa(dirB, dirD);
    // B admits only /node/... (the default); D's ID is under /workload.
    const b = await startMeshListener(dirB, { trustDomain: 'mesh.test', spiffeId: B });
    startMeshNode({ dir: dirD, trustDomain: 'mesh.test', spiffeId: 'spiffe://mesh.test/workload/d', mesh: { peers: [{ address: b.listening, spiffeId: B }], authorize: [{ trustDomain: 'mesh.test' }] }, probe: { sendTo: B, count: 5 } });

    const atB = await untilValue('B to refuse D', async () => {
      const state = await meshOf(dirB);
      return state && state.refused > 0 ? state : undefined;
    });
    expect(atB.lastRefusal).toContain('PeerNotAuthorizedError');
    expect(atB.lastRefusal).toContain('spiffe://mesh.test/workload/d');
    const atD = await untilValue('D to hear the refusal', async () => {
      const link = (await meshOf(dirD))?.links[0];
      return link?.lastError?.includes('refused') ? link : undefined;
    });
    expect(atD.lastError).toContain('PeerNotAuthorizedError');
    expect(atD.connections).toBe(0);
    expect((await probeOf(dirB)).received).toEqual([]);
  });

  it('keeps a message stream whole while both SVIDs rotate every 5 s: nothing lost, duplicated or reordered', async () => {
    const dirA = dataDir();
    const dirB = dataDir();
    await initTrustDomain(dirB, 'mesh.test');
    shareCa(dirB, dirA);
    // 10 s SVIDs rotate at half-life: each side rotates about three times during the 16 s stream.
    const b = await startMeshListener(dirB, { trustDomain: 'mesh.test', spiffeId: B, svidTtlMs: 10_000 });
    const count = 1_600;
    startMeshNode({
      dir: dirA,
      trustDomain: 'mesh.test',
      spiffeId: A,
      svidTtlMs: 10_000,
      mesh: { peers: [{ address: b.listening, spiffeId: B }] },
      probe: { sendTo: B, count, intervalMs: 20, batch: 2 },
    });

    const { atA, atB } = await streamDelivered(dirA, dirB, count);
    // Re-authentications on new connections, driven by both sides' rotations.
    expect(atA.reauths).toBeGreaterThanOrEqual(2);
    expect(atA.connections).toBe(atA.reauths + 1);
    expect(atB.connections).toBeGreaterThanOrEqual(3);
    expect(atA.dropped).toBe(0);
    // Each new connection ran its own post-quantum handshake.
    expect((await meshOf(dirA))!.pq.handshakes).toBeGreaterThanOrEqual(3);
  }, 90_000);

  it('keeps the link whole when the identity actor of either side crashes under traffic: no reconnection, nothing lost or reordered', async () => {
    const dirA = dataDir();
    const dirB = dataDir();
    await initTrustDomain(dirB, 'mesh.test');
    shareCa(dirB, dirA);
    const b = await startMeshListener(dirB, { trustDomain: 'mesh.test', spiffeId: B });
    // 100 messages a second for 12 s: traffic flows through both crashes and the recoveries after them.
    const count = 1_200;
    startMeshNode({ dir: dirA, trustDomain: 'mesh.test', spiffeId: A, mesh: { peers: [{ address: b.listening, spiffeId: B }] }, probe: { sendTo: B, count, intervalMs: 20, batch: 2 } });
    await untilValue('traffic at B', async () => ((await probeOf(dirB)).received.length >= 100 ? true : undefined));

    // A's identity (the dialer's): its restart issues A a new SVID, and A's link moves to a new connection with it.
    await callControl(join(dirA, 'control.sock'), 'crash', { actorId: 'identity', kind: 'throw' });
    await untilValue('A to re-authenticate with its restarted identity', async () => {
      const identity = await actorStatus(dirA, 'identity');
      const link = (await meshOf(dirA))?.links[0];
      return identity.restarts === 1 && link && link.reauths >= 1 ? true : undefined;
    });
    // B's identity (the acceptor's): B asks A to re-authenticate with B's new SVID.
    await callControl(join(dirB, 'control.sock'), 'crash', { actorId: 'identity', kind: 'throw' });
    await untilValue('A to re-authenticate after B got its new SVID', async () => {
      const identity = await actorStatus(dirB, 'identity');
      const link = (await meshOf(dirA))?.links[0];
      return identity.restarts === 1 && link && link.reauths >= 2 ? true : undefined;
    });

    const { atA, atB } = await streamDelivered(dirA, dirB, count);
    // One link on each side throughout (a restarted peer link on A would have come back as a new
    // link at B), and every connection after the first replaced a live one (make before break): a
    // link that had gone down would have reconnected without a re-authentication.
    expect((await meshOf(dirA))!.links).toHaveLength(1);
    expect((await meshOf(dirB))!.links).toHaveLength(1);
    expect(atA).toMatchObject({ status: 'up', dropped: 0 });
    expect(atA.connections).toBe(atA.reauths + 1);
    expect(atB).toMatchObject({ peer: A, status: 'up' });
    // Neither peer-link actor was restarted.
    expect((await actorStatus(dirA, 'peer-link')).restarts).toBe(0);
    expect((await actorStatus(dirB, 'peer-link')).restarts).toBe(0);
  }, 120_000);
});
