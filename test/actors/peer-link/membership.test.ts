/**
 * Membership's rules on real signed records (liboqs ML-DSA-65, SVIDs from a test CA), its ports
 * recorded: news is verified once, kept and relayed to every other linked peer; stale copies stop
 * after their head; a forged record is refused with its reason and never relayed; a leave
 * supersedes the record it ends; a record of this node newer than its own is outranked; a
 * link-up carries every record held; the verification queue is bounded; records that stopped
 * verifying are swept.
 */
import { INDIRECT_PROBE_MS } from '../../../actors/peer-link/indirect-probes.js';
import { createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ANTI_ENTROPY_MS, MAX_PENDING_BYTES_PER_PEER, MEMBER_TOPIC, Membership, type MembershipPorts } from '../../../actors/peer-link/membership.js';
import { MAX_MEMBERS, MemberTable, newerRecord } from '../../../actors/peer-link/member-table.js';
import { loadPqc, type Pqc } from '../../../lib/crypto/liboqs.js';
import { encodeNodeRecord } from '../../../lib/crypto/node-record.js';
import { xwingKeyPair } from '../../../lib/crypto/xwing.js';
import { MAX_MEMBER_TABLE_BYTES } from '../../../lib/mesh/member-limits.js';
import { encodeMemberRecord, MAX_MEMBER_RECORD_BYTES, verifyMemberRecord, type MemberRecord, type MemberSigning, type VerifiedMemberRecord } from '../../../lib/mesh/member-record.js';
import { createTrustDomainCa, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';
import { nodeCredentials } from '../../helpers/node-credentials.js';
import { until } from '../../helpers/wait.js';

const HOUR = 3_600_000;
const SELF = 'spiffe://mesh.test/node/self';
const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';

let pqc: Pqc;
let kemKey: Uint8Array | undefined;
/** One X-Wing key for every record of these tests: membership only carries it. */
const kemPublicKey = () => (kemKey ??= xwingKeyPair(pqc.kem('ML-KEM-768')).publicKey);
let ca: TrustDomainCa;
const signings = new Map<string, MemberSigning & { expiresAt: number }>();

async function signingOf(spiffeId: string, lifetimeMs = HOUR): Promise<MemberSigning & { expiresAt: number }> {
  const credentials = await nodeCredentials(ca, spiffeId, lifetimeMs);
  const mldsa = pqc.mldsa65.keypair();
  const svidKey = createPrivateKey({ key: Buffer.from(credentials.privateKey), format: 'der', type: 'pkcs8' });
  return {
    chain: credentials.chain.map((certificate) => new Uint8Array(certificate.rawData)),
    binding: encodeNodeRecord({ spiffeId, mldsaPublicKey: mldsa.publicKey, notAfter: credentials.expiresAt }, svidKey),
    secretKey: mldsa.secretKey,
    signer: pqc.mldsa65,
    expiresAt: credentials.expiresAt,
  };
}

function recordOf(spiffeId: string, incarnation: bigint, state: MemberRecord['state'] = 'alive', signing = signings.get(spiffeId)!): Buffer {
  return encodeMemberRecord({ spiffeId, addresses: ['127.0.0.1:7001'], incarnation, state, issuedAt: Date.now(), kemPublicKey: kemPublicKey() }, signing);
}

beforeAll(async () => {
  pqc = await loadPqc();
  ca = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 24 * HOUR) });
  for (const id of [SELF, A, B, C]) signings.set(id, await signingOf(id));
});

interface Recorded {
  membership: Membership;
  sent: Array<{ to: string; record: MemberRecord }>;
  misbehaved: Array<{ peer: string; reason: string }>;
  verified: string[];
  /** Members reported learned, alive (what routing applies its parked routes on). */
  learned: string[];
  linked: Set<string>;
  clock: VirtualClock;
  settle(): Promise<void>;
}

function membership(options: { linked?: string[]; verify?: MembershipPorts['verify'] } = {}): Recorded {
  const clock = new VirtualClock({ epochMs: Date.now() });
  const sent: Recorded['sent'] = [];
  const misbehaved: Recorded['misbehaved'] = [];
  const verified: string[] = [];
  const learned: string[] = [];
  const linked = new Set(options.linked ?? [A, B, C]);
  const table = new MemberTable(() => undefined);
  let pendingVerifications = 0;
  const ports: MembershipPorts = {
    clock,
    random: () => 0.5,
    send: (to, topic, bytes) => {
      if (topic === MEMBER_TOPIC) sent.push({ to, record: table.peek(bytes) });
      return true;
    },
    probe: async () => 'unknown',
    linkedPeers: () => linked,
    responsive: (peer) => linked.has(peer),
    verify: async (bytes) => {
      pendingVerifications++;
      try {
        const record = await (options.verify ?? ((input) => verifyMemberRecord(input, { bundles: new Map([[ca.trustDomain, [ca.certificate]]]), authorize: () => true, signer: pqc.mldsa65, now: Date.now() })))(bytes);
        verified.push(record.spiffeId);
        return record;
      } finally {
        pendingVerifications--;
      }
    },
    signing: () => ({ spiffeId: SELF, addresses: ['127.0.0.1:7000'], kemPublicKey: kemPublicKey(), signing: signings.get(SELF)! }),
    sign: encodeMemberRecord,
    changed: () => undefined,
    learned: (spiffeId) => learned.push(spiffeId),
    misbehaved: (peer, error) => misbehaved.push({ peer, reason: error.reason }),
    fail: (error) => {
      throw error;
    },
    log: () => undefined,
  };
  const instance = new Membership(ports);
  const settle = () => until('the verification queue drained', () => pendingVerifications === 0 && !(instance as unknown as { verifying: boolean }).verifying);
  return { membership: instance, sent, misbehaved, verified, learned, linked, clock, settle };
}

describe('member table', () => {
  it('orders records by incarnation, then a leave over an alive record of the same incarnation', () => {
    expect(newerRecord({ incarnation: 2n, state: 'alive' }, { incarnation: 1n, state: 'left' })).toBe(true);
    expect(newerRecord({ incarnation: 1n, state: 'left' }, { incarnation: 1n, state: 'alive' })).toBe(true);
    expect(newerRecord({ incarnation: 1n, state: 'alive' }, { incarnation: 1n, state: 'left' })).toBe(false);
    expect(newerRecord({ incarnation: 1n, state: 'alive' }, { incarnation: 1n, state: 'alive' })).toBe(false);
  });

  it('is bounded: a new member beyond MAX_MEMBERS is not news, a newer record of a known one still is', () => {
    const table = new MemberTable(() => SELF);
    const record = (spiffeId: string, incarnation: bigint): VerifiedMemberRecord => ({ spiffeId, addresses: [], incarnation, state: 'alive', issuedAt: 0, mldsaPublicKey: new Uint8Array(), kemPublicKey: new Uint8Array(), expiresAt: 1_000 });
    for (let index = 0; index < MAX_MEMBERS; index++) expect(table.take(record(`spiffe://mesh.test/node/${index}`, 1n), Buffer.alloc(0), 0)).toBe('news');
    expect(table.newsOf({ spiffeId: A, incarnation: 1n, state: 'alive' })).toBe('full');
    expect(table.newsOf({ spiffeId: 'spiffe://mesh.test/node/7', incarnation: 2n, state: 'alive' })).toBe('news');
    expect(table.newsOf({ spiffeId: SELF, incarnation: 99n, state: 'alive' })).toBe('stale');
    expect(table.expire(1_000)).toHaveLength(MAX_MEMBERS);
    expect(table.size).toBe(0);
    // Bounded in bytes too: records padded to their largest fill it long before MAX_MEMBERS.
    const large = Buffer.alloc(MAX_MEMBER_RECORD_BYTES);
    let taken = 0;
    while (table.take(record(`spiffe://mesh.test/node/${taken}`, 1n), large, 0) === 'news') taken++;
    expect(taken).toBe(MAX_MEMBER_TABLE_BYTES / MAX_MEMBER_RECORD_BYTES);
    expect(table.newsOf({ spiffeId: A, incarnation: 1n, state: 'alive' })).toBe('full');
  });
});

describe('membership', () => {
  it('verifies news once, keeps it and relays it to every other linked peer; a copy stops at its head', async () => {
    const { membership: m, sent, verified, learned, settle } = membership();
    m.announce();
    sent.length = 0;
    const record = recordOf(C, 5n);
    m.receive(A, record);
    await settle();
    expect(verified).toEqual([C]);
    expect(learned).toEqual([C]);
    // Relayed to B and to C (a record of C newer than its own would be C's to outrank), not back to A who sent it.
    expect(sent.map((s) => s.to)).toEqual([B, C]);
    m.receive(B, record);
    m.receive(A, recordOf(C, 4n));
    await settle();
    expect(verified).toEqual([C]);
    // A copy is no news: nothing learned again.
    expect(learned).toEqual([C]);
    const state = m.state(new Set([C]));
    expect(state).toMatchObject({ learned: 1, stale: 2, refused: {} });
    expect(state.members).toEqual([expect.objectContaining({ spiffeId: C, state: 'alive', incarnation: '5', addresses: ['127.0.0.1:7001'], linked: true })]);
  });

  it('refuses a forged record with its reason, relays nothing of it, and names the sender for its link to be closed', async () => {
    const { membership: m, sent, misbehaved, settle } = membership();
    m.announce();
    sent.length = 0;
    // C's record signed with A's ML-DSA key over C's own chain and binding: the signature does not check.
    m.receive(A, recordOf(C, 5n, 'alive', { ...signings.get(C)!, secretKey: signings.get(A)!.secretKey }));
    m.receive(B, Buffer.from('not a record'));
    m.receive(C, Buffer.alloc(MAX_MEMBER_RECORD_BYTES + 1));
    await settle();
    expect(sent).toEqual([]);
    expect(m.state(new Set())).toMatchObject({ learned: 0, members: [], refused: { signature: 1, malformed: 1, oversized: 1 } });
    expect(misbehaved).toEqual([
      { peer: C, reason: 'oversized' },
      { peer: A, reason: 'signature' },
      { peer: B, reason: 'malformed' },
    ]);
  });

  it('refuses, without failing, a record whose ID is no workload SPIFFE ID, and counts a policy refusal without blaming the relay', async () => {
    const { membership: m, misbehaved, settle } = membership({
      verify: (bytes) => verifyMemberRecord(bytes, { bundles: new Map([[ca.trustDomain, [ca.certificate]]]), authorize: (id) => id !== C, signer: pqc.mldsa65, now: Date.now() }),
    });
    m.announce();
    for (const id of ['x', 'spiffe://mesh.test', 'spiffe://mesh.test/node/a/']) {
      m.receive(A, encodeMemberRecord({ spiffeId: id, addresses: [], incarnation: 1n, state: 'alive', issuedAt: Date.now(), kemPublicKey: kemPublicKey() }, signings.get(A)!));
    }
    m.receive(B, recordOf(C, 5n));
    await settle();
    expect(m.state(new Set())).toMatchObject({ members: [], refused: { malformed: 3, unauthorized: 1 } });
    expect(misbehaved.map((entry) => entry.peer)).toEqual([A, A, A]);
  });

  it('takes a leave over the record it ends, and no older record after it', async () => {
    const { membership: m, settle } = membership();
    m.announce();
    m.receive(A, recordOf(C, 5n));
    m.receive(A, recordOf(C, 5n, 'left'));
    m.receive(B, recordOf(C, 5n));
    await settle();
    const state = m.state(new Set());
    expect(state.members).toEqual([expect.objectContaining({ spiffeId: C, state: 'left', incarnation: '5' })]);
    expect(state).toMatchObject({ learned: 2, stale: 1 });
  });

  it('outranks a genuine record of itself newer than its own, and ignores a copy of its own', async () => {
    const { membership: m, sent, settle } = membership();
    m.announce();
    const own = m.state(new Set()).incarnation!;
    sent.length = 0;
    // A record this node signed in an earlier run whose clock was ahead.
    m.receive(A, recordOf(SELF, BigInt(own) + 1_000n));
    await settle();
    const after = m.state(new Set()).incarnation!;
    expect(BigInt(after)).toBe(BigInt(own) + 1_001n);
    expect(sent.map((s) => [s.to, s.record.spiffeId, s.record.incarnation])).toEqual([A, B, C].map((peer) => [peer, SELF, BigInt(after)]));
    sent.length = 0;
    m.receive(B, recordOf(SELF, BigInt(after)));
    await settle();
    expect(sent).toEqual([]);
  });

  it('gives a peer whose link comes up every record it holds, its own first, and leaves with its own incarnation', async () => {
    const { membership: m, sent, settle } = membership({ linked: [] });
    m.announce();
    m.receive(A, recordOf(A, 1n));
    m.receive(A, recordOf(C, 3n));
    await settle();
    m.linkUp(B);
    expect(sent.map((s) => [s.to, s.record.spiffeId])).toEqual([
      [B, SELF],
      [B, A],
      [B, C],
    ]);
    sent.length = 0;
    m.linkUp(A);
    // A gets its own record too, as this node holds it: one newer than A's own is A's to outrank.
    expect(sent.map((s) => s.record.spiffeId)).toEqual([SELF, A, C]);
  });

  it('signs a leave at its own incarnation and sends it to every linked peer', () => {
    const { membership: m, sent } = membership();
    m.announce();
    const incarnation = BigInt(m.state(new Set()).incarnation!);
    sent.length = 0;
    m.leave();
    expect(sent.map((s) => [s.to, s.record.state, s.record.incarnation])).toEqual([A, B, C].map((peer) => [peer, 'left', incarnation]));
  });

  it('bounds the verification queue in bytes, in all and per peer: beyond, a record is refused as overflow', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { membership: m, settle } = membership({
      verify: async (bytes) => {
        await held;
        return verifyMemberRecord(bytes, { bundles: new Map([[ca.trustDomain, [ca.certificate]]]), authorize: () => true, signer: pqc.mldsa65, now: Date.now() });
      },
    });
    m.announce();
    const record = recordOf(C, 5n);
    // The first is taken out of the queue at once and held in verification; after it, A may fill a quarter of the queue's bytes.
    const perPeer = Math.floor(MAX_PENDING_BYTES_PER_PEER / record.length);
    for (let index = 0; index <= perPeer + 1; index++) m.receive(A, record);
    expect(m.state(new Set()).refused).toEqual({ overflow: 1 });
    // B still gets its share.
    for (let index = 0; index < perPeer; index++) m.receive(B, record);
    expect(m.state(new Set()).refused).toEqual({ overflow: 1 });
    release();
    await settle();
    expect(m.state(new Set())).toMatchObject({ learned: 1, stale: 2 * perPeer });
  });

  it('judges a lost link only after what the peer sent before it is verified: a leave that came first is no failure', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { membership: m, settle, linked, clock } = membership({
      verify: async (bytes) => {
        await held;
        return verifyMemberRecord(bytes, { bundles: new Map([[ca.trustDomain, [ca.certificate]]]), authorize: () => true, signer: pqc.mldsa65, now: Date.now() });
      },
    });
    // The links to C and A are lost (a peer still linked is never suspected).
    linked.delete(C);
    linked.delete(A);
    m.announce();
    m.receive(C, recordOf(C, 5n));
    release();
    await settle();
    let releaseLeave: () => void = () => undefined;
    const leaveHeld = new Promise<void>((resolve) => (releaseLeave = resolve));
    const slow = m as unknown as { ports: MembershipPorts };
    const verify = slow.ports.verify;
    slow.ports.verify = async (bytes) => {
      await leaveHeld;
      return verify(bytes);
    };
    m.receive(C, recordOf(C, 5n, 'left'));
    m.lost(C, 'the connection closed');
    expect(m.state(new Set()).suspected).toBe(0);
    releaseLeave();
    await settle();
    expect(m.state(new Set())).toMatchObject({ suspected: 0, members: [expect.objectContaining({ spiffeId: C, state: 'left' })] });
    // With nothing pending, a lost link is judged at once: B, still linked, is asked whether A lives
    // to it (an indirect probe); it never answers, and the suspicion goes ahead once the wait is over.
    m.receive(A, recordOf(A, 2n));
    await settle();
    m.lost(A, 'the connection closed');
    expect(m.state(new Set())).toMatchObject({ suspected: 0, indirectProbes: { asked: 1 } });
    clock.advance(INDIRECT_PROBE_MS);
    expect(m.state(new Set())).toMatchObject({ suspected: 1, indirectProbes: { asked: 1, reached: 0, notSuspected: 0 } });
    // A peer linked again by the time its loss is judged is not suspected.
    m.receive(B, recordOf(B, 2n));
    m.lost(B, 'one of two connections closed');
    await settle();
    expect(m.state(new Set())).toMatchObject({ suspected: 1 });
  });

  it('sends every record it holds to one linked peer every round of anti-entropy, so a flood that missed a peer is made up', async () => {
    const { membership: m, sent, clock, settle } = membership();
    m.announce();
    m.receive(A, recordOf(C, 5n));
    await settle();
    sent.length = 0;
    // random() is 0.5: the round comes after 30 s (0.5 + 0.5 of it), to the second of the three linked peers.
    clock.advance(ANTI_ENTROPY_MS - 1);
    expect(sent).toEqual([]);
    clock.advance(1);
    expect(sent.map(({ to, record }) => [to, record.spiffeId])).toEqual([
      [B, SELF],
      [B, C],
    ]);
  });

  it('drops a record once it stops verifying', async () => {
    const shortLived = await signingOf(C, 20_000);
    const { membership: m, clock, settle } = membership();
    m.announce();
    m.receive(A, recordOf(C, 5n, 'alive', shortLived));
    await settle();
    expect(m.state(new Set()).members).toHaveLength(1);
    // The SVID's end is rounded to whole seconds; the sweep runs every 10 s.
    clock.advance(shortLived.expiresAt - clock.now() + 10_000);
    expect(m.state(new Set()).members).toEqual([]);
  });
});
