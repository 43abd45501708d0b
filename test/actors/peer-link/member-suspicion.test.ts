/**
 * Suspicion on a virtual clock with real ML-DSA claims: a node that loses its link to a member
 * suspects it, says so to every linked peer, and declares it dead when the timeout passes without a
 * refutation, or at once when its address refuses a connection; a claim from another member, even
 * `dead`, only makes a node suspect the member, dead at its own timeout, which more claimers
 * shorten (Lifeguard); a node linked to the member takes no claim about it; a member refutes only a
 * claim about its current incarnation; a claim about another incarnation than the one held changes
 * nothing; a claim seen is never taken or relayed twice, kept or not; a newer record or a link up
 * clears the suspicion; a forged claim is refused and its sender named.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_TOPIC, MemberSuspicion, type ProbeVerdict, type SuspicionPorts } from '../../../actors/peer-link/member-suspicion.js';
import { MemberTable } from '../../../actors/peer-link/member-table.js';
import { loadPqc, type Pqc } from '../../../lib/crypto/liboqs.js';
import { encodeMemberClaim, peekMemberClaim, type MemberClaim } from '../../../lib/mesh/member-claim.js';
import type { VerifiedMemberRecord } from '../../../lib/mesh/member-record.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';

const SELF = 'spiffe://mesh.test/node/self';
const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';
const D = 'spiffe://mesh.test/node/d';
const E = 'spiffe://mesh.test/node/e';
const TIMEOUT = 1_000;

let pqc: Pqc;
const keys = new Map<string, { publicKey: Uint8Array; secretKey: Uint8Array }>();

beforeAll(async () => {
  pqc = await loadPqc();
  for (const id of [SELF, A, B, C, D, E]) keys.set(id, pqc.mldsa65.keypair());
});

const record = (spiffeId: string, incarnation: bigint): VerifiedMemberRecord => ({
  spiffeId,
  addresses: ['127.0.0.1:7001'],
  incarnation,
  state: 'alive',
  issuedAt: 0,
  mldsaPublicKey: keys.get(spiffeId)!.publicKey,
  kemPublicKey: new Uint8Array(0),
  expiresAt: Number.MAX_SAFE_INTEGER,
});

function claimBy(claimer: string, kind: MemberClaim['kind'], subject: string, incarnation: bigint, secretKey = keys.get(claimer)!.secretKey): Buffer {
  return encodeMemberClaim({ kind, subject, incarnation, claimer, issuedAt: Date.now() }, { secretKey, signer: pqc.mldsa65 });
}

function harness(probe: ProbeVerdict = 'unknown', askOthers?: SuspicionPorts['askOthers']) {
  const clock = new VirtualClock({ epochMs: Date.now() });
  const table = new MemberTable(() => SELF);
  for (const id of [A, B, C, D, E]) table.take(record(id, 10n), Buffer.alloc(100), clock.now());
  const sent: Array<{ to: string; claim: MemberClaim }> = [];
  const refuted: bigint[] = [];
  const misbehaved: string[] = [];
  let probeRelease: (verdict: ProbeVerdict) => void = () => undefined;
  const suspicion = new MemberSuspicion(
    table,
    {
      clock,
      selfId: () => SELF,
      ownIncarnation: () => 5n,
      send: (to, topic, bytes) => {
        expect(topic).toBe(CLAIM_TOPIC);
        sent.push({ to, claim: peekMemberClaim(bytes) });
        return true;
      },
      linkedPeers: () => [A, B],
      // Linked to A and B; B's frames keep their rhythm, A's link has gone quiet.
      responsive: (peer) => peer === B,
      signing: () => ({ chain: [], binding: new Uint8Array(), secretKey: keys.get(SELF)!.secretKey, signer: pqc.mldsa65 }),
      probe: () => new Promise<ProbeVerdict>((resolve) => (probeRelease = resolve)),
      // No other member to ask by default: the suspicion goes ahead at once (indirect answers: below).
      askOthers: (subject, verdict) => (askOthers ? askOthers(subject, verdict) : verdict(false)),
      refute: (claimed) => refuted.push(claimed),
      misbehaved: (peer) => misbehaved.push(peer),
      changed: () => undefined,
      fail: (error) => {
        throw error;
      },
      log: () => undefined,
    },
    { maxMs: TIMEOUT, minMs: TIMEOUT / 4, confirmations: 3 },
  );
  const status = (id: string) => table.get(id)!.status;
  const answerProbe = async () => {
    probeRelease(probe);
    await clock.settle();
  };
  return { clock, table, suspicion, sent, refuted, misbehaved, status, answerProbe };
}

describe('member suspicion', () => {
  it('suspects a member whose link was lost, tells every linked peer, and declares it dead after the timeout', async () => {
    const { clock, suspicion, sent, status, answerProbe } = harness('unknown');
    suspicion.lost(C, 'the connection closed');
    await answerProbe();
    expect(status(C)).toBe('suspect');
    expect(sent.map(({ to, claim }) => [to, claim.kind, claim.subject, claim.claimer, claim.incarnation])).toEqual([
      [A, 'suspect', C, SELF, 10n],
      [B, 'suspect', C, SELF, 10n],
    ]);
    clock.advance(TIMEOUT - 1);
    expect(status(C)).toBe('suspect');
    clock.advance(1);
    expect(status(C)).toBe('dead');
    expect(sent.slice(2).map(({ to, claim }) => [to, claim.kind])).toEqual([
      [A, 'dead'],
      [B, 'dead'],
    ]);
    expect(suspicion.counters).toMatchObject({ suspected: 1, declaredDead: 1 });
  });

  it('declares dead at once a member whose address refuses a connection', async () => {
    const { suspicion, sent, status, answerProbe } = harness('refused');
    suspicion.lost(C, 'the connection closed');
    expect(status(C)).toBe('suspect');
    await answerProbe();
    expect(status(C)).toBe('dead');
    expect(sent.map(({ claim }) => claim.kind)).toEqual(['suspect', 'suspect', 'dead', 'dead']);
  });

  it('does not suspect a member another member still reaches: only the link to it failed (indirect probe)', async () => {
    let answer: (alive: boolean, by?: string) => void = () => undefined;
    const { clock, suspicion, sent, status, answerProbe } = harness('unknown', (subject, verdict) => {
      expect(subject).toBe(C);
      answer = verdict;
    });
    suspicion.lost(C, 'the failure detector found it silent');
    // Nothing is claimed while the others are asked.
    expect(status(C)).toBe('alive');
    expect(sent).toEqual([]);
    answer(true, B);
    await answerProbe();
    clock.advance(TIMEOUT * 2);
    expect(status(C)).toBe('alive');
    expect(sent).toEqual([]);
    expect(suspicion.counters).toMatchObject({ suspected: 0, declaredDead: 0, reachedIndirectly: 1 });
    // A later loss of the same member is judged anew.
    suspicion.lost(C, 'lost again');
    answer(false);
    expect(status(C)).toBe('suspect');
    expect(suspicion.counters.suspected).toBe(1);
  });

  it('declares dead at once on a refused address that comes before any proof of life, and a proof after it changes nothing', async () => {
    const answers: Array<(alive: boolean, by?: string) => void> = [];
    const { suspicion, sent, status, answerProbe } = harness('refused', (_subject, verdict) => answers.push(verdict));
    suspicion.lost(C, 'closed');
    expect(status(C)).toBe('alive');
    // The refusal comes first: the process is gone, the suspicion is raised and ends at once.
    await answerProbe();
    expect(status(C)).toBe('dead');
    expect(sent.map(({ claim }) => claim.kind)).toEqual(['suspect', 'suspect', 'dead', 'dead']);
    // An answer arriving after that changes nothing.
    answers[0]!(true, B);
    expect(status(C)).toBe('dead');
    expect(suspicion.counters).toMatchObject({ suspected: 1, declaredDead: 1, reachedIndirectly: 0 });
  });

  it('only suspects, to be refuted, a member whose address refuses a connection after its signed proof of life came through another', async () => {
    // A forged reset, or an address it no longer listens on: the proof is the stronger evidence.
    let answer: (alive: boolean, by?: string) => void = () => undefined;
    const { clock, suspicion, status, answerProbe } = harness('refused', (_subject, verdict) => (answer = verdict));
    suspicion.lost(C, 'closed');
    answer(true, B);
    expect(status(C)).toBe('alive');
    await answerProbe();
    expect(status(C)).toBe('suspect');
    expect(suspicion.counters).toMatchObject({ suspected: 1, declaredDead: 0, reachedIndirectly: 1 });
    // Unrefuted, it is dead at the suspicion's timeout like any suspect.
    clock.advance(TIMEOUT);
    expect(status(C)).toBe('dead');
  });

  it("takes another member's claim: suspect, relayed to the other linked peers, dead at its own timeout without a claim of its own", () => {
    const { clock, suspicion, sent, status } = harness();
    suspicion.receive(A, claimBy(A, 'suspect', C, 10n));
    expect(status(C)).toBe('suspect');
    expect(sent.map(({ to, claim }) => [to, claim.claimer])).toEqual([[B, A]]);
    // The same claim again (through another path) changes nothing and goes nowhere.
    suspicion.receive(B, claimBy(A, 'suspect', C, 10n));
    expect(sent).toHaveLength(1);
    clock.advance(TIMEOUT);
    expect(status(C)).toBe('dead');
    expect(sent).toHaveLength(1);
    expect(suspicion.counters).toMatchObject({ learned: 1, stale: 1, suspected: 0, declaredDead: 0 });
  });

  it("takes another member's dead claim as one confirmation of a suspicion it times out itself, and ignores claims about another incarnation", () => {
    const { clock, suspicion, status } = harness();
    suspicion.receive(A, claimBy(A, 'dead', C, 9n));
    suspicion.receive(A, claimBy(A, 'dead', C, 11n));
    expect(status(C)).toBe('alive');
    suspicion.receive(A, claimBy(A, 'dead', C, 10n));
    expect(status(C)).toBe('suspect');
    clock.advance(TIMEOUT);
    expect(status(C)).toBe('dead');
    expect(suspicion.counters).toMatchObject({ learned: 1, stale: 2, declaredDead: 0 });
  });

  it('shortens the suspicion as more members confirm it: max with one claimer, down to min with three more', () => {
    const { clock, suspicion, status } = harness();
    suspicion.receive(A, claimBy(A, 'suspect', C, 10n));
    suspicion.receive(A, claimBy(B, 'suspect', C, 10n));
    suspicion.receive(A, claimBy(D, 'dead', C, 10n));
    // Three claimers: 1,000 - 750 × log(3) / log(4) ≈ 406 ms.
    clock.advance(405);
    expect(status(C)).toBe('suspect');
    clock.advance(1);
    expect(status(C)).toBe('dead');
  });

  it('takes no claim about a member whose link keeps its rhythm, but relays it; one whose link went quiet it takes', () => {
    const { clock, suspicion, sent, status } = harness();
    suspicion.receive(A, claimBy(A, 'dead', B, 10n));
    clock.advance(TIMEOUT * 2);
    expect(status(B)).toBe('alive');
    // Relayed to the other linked peer: B itself, whose claim it is to refute.
    expect(sent.map(({ to, claim }) => [to, claim.subject])).toEqual([[B, B]]);
    suspicion.receive(B, claimBy(B, 'suspect', A, 10n));
    expect(status(A)).toBe('suspect');
  });

  it('refutes only a claim about its current incarnation', () => {
    const { suspicion, refuted } = harness();
    suspicion.receive(A, claimBy(A, 'suspect', SELF, 4n));
    suspicion.receive(A, claimBy(A, 'suspect', SELF, 5n));
    suspicion.receive(B, claimBy(B, 'dead', SELF, 2n ** 64n - 2n));
    expect(refuted).toEqual([5n]);
    expect(suspicion.counters.stale).toBe(2);
  });

  it('never takes or relays a claim twice, though it keeps only a few per member', () => {
    const { suspicion, sent } = harness();
    const claims = [A, B, C, D].flatMap((claimer) => [claimBy(claimer, 'suspect', E, 10n), claimBy(claimer, 'dead', E, 10n)]);
    for (const claim of claims) suspicion.receive(A, claim);
    const relayed = sent.length;
    // Each relayed once, to the one linked peer that did not send it.
    expect(relayed).toBe(claims.length);
    for (const claim of claims) suspicion.receive(B, claim);
    expect(sent).toHaveLength(relayed);
    expect(suspicion.counters).toMatchObject({ learned: claims.length, stale: claims.length });
  });

  it('clears a suspicion when a newer record of the member is taken, or its link comes up, and gives it the claims about it', () => {
    const { clock, table, suspicion, sent, status } = harness();
    suspicion.receive(A, claimBy(A, 'suspect', C, 10n));
    expect(status(C)).toBe('suspect');
    sent.length = 0;
    suspicion.linkUp(C);
    expect(status(C)).toBe('alive');
    expect(sent.map(({ to, claim }) => [to, claim.kind, claim.claimer])).toEqual([[C, 'suspect', A]]);
    clock.advance(TIMEOUT * 2);
    expect(status(C)).toBe('alive');

    suspicion.receive(A, claimBy(A, 'suspect', D, 10n));
    expect(status(D)).toBe('suspect');
    expect(table.take(record(D, 11n), Buffer.alloc(100), clock.now())).toBe('news');
    suspicion.recordChanged(D);
    clock.advance(TIMEOUT * 2);
    expect(status(D)).toBe('alive');
  });

  it('refuses a forged claim and names its sender; ignores its own claims coming back', () => {
    const { suspicion, misbehaved, status } = harness();
    suspicion.receive(B, claimBy(A, 'dead', C, 10n, keys.get(B)!.secretKey));
    suspicion.receive(B, Buffer.from('garbage'));
    expect(status(C)).toBe('alive');
    expect(misbehaved).toEqual([B, B]);
    expect(suspicion.counters.refused).toEqual({ signature: 1, malformed: 1 });
    suspicion.receive(A, claimBy(SELF, 'suspect', C, 10n));
    expect(status(C)).toBe('alive');
    expect(suspicion.counters.stale).toBe(1);
  });

  it("adds its own loss to others' suspicion as one more confirmation, once; does not suspect a member that left; stops its timers on stop", () => {
    const { clock, table, suspicion, status, sent } = harness();
    table.get(A)!.status = 'left';
    suspicion.lost(A, 'closed');
    expect(status(A)).toBe('left');
    // D already suspect by A's claim: this node's own loss of D is a second claimer, which shortens the timeout.
    suspicion.receive(A, claimBy(A, 'suspect', D, 10n));
    sent.length = 0;
    suspicion.lost(D, 'closed');
    expect(sent.map(({ claim }) => [claim.kind, claim.subject, claim.claimer])).toEqual([
      ['suspect', D, SELF],
      ['suspect', D, SELF],
    ]);
    // Two claimers: 1,000 - 750 × log(2) / log(4) = 625 ms (this harness: at most three confirmations).
    clock.advance(624);
    expect(status(D)).toBe('suspect');
    clock.advance(1);
    expect(status(D)).toBe('dead');
    suspicion.lost(C, 'closed');
    suspicion.lost(C, 'closed again');
    expect(suspicion.counters.suspected).toBe(2);
    suspicion.stop();
    clock.advance(TIMEOUT * 2);
    expect(status(C)).toBe('suspect');
  });
});
