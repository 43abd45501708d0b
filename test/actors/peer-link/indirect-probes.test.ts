/**
 * SWIM's indirect probe (actors/peer-link/indirect-probes.ts) on a virtual clock, a scripted random
 * and fake peers: a node that lost its link to a member asks up to INDIRECT_HELPERS other linked
 * peers (never the member, chosen at random) and decides once: alive the moment one helper says so,
 * not alive the moment every helper asked said silent, exactly at INDIRECT_PROBE_MS when some stay
 * quiet, and at once when there is nobody to ask, no request got out, or MAX_PENDING_PROBES are
 * already under way. It answers others' requests from its own links' evidence. Only an answer from
 * a peer asked, about the member asked, for a nonce issued counts; one for a probe already settled
 * is late; bytes that do not decode are refused by reason, logged sparingly, and never thrown. Once
 * stopped it decides nothing more and takes nothing in.
 */
import { describe, expect, it } from 'vitest';
import { INDIRECT_HELPERS, INDIRECT_PROBE_MS, IndirectProbes, MAX_PENDING_PROBES } from '../../../actors/peer-link/indirect-probes.js';
import { MAX_PROBE_MESSAGE_BYTES, PROBE_TOPIC, decodeIndirectProbe, encodeIndirectProbe, type IndirectProbeMessage } from '../../../lib/mesh/indirect-probe-message.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';

/** The member whose link was lost. */
const S = 'spiffe://mesh.test/node/s';
const P1 = 'spiffe://mesh.test/node/p1';
const P2 = 'spiffe://mesh.test/node/p2';
const P3 = 'spiffe://mesh.test/node/p3';
const P4 = 'spiffe://mesh.test/node/p4';
const P5 = 'spiffe://mesh.test/node/p5';
const OTHER = 'spiffe://mesh.test/node/other';

interface Sent {
  to: string;
  topic: string;
  message: IndirectProbeMessage;
}

interface Verdict {
  alive: boolean;
  by: string | undefined;
}

interface Options {
  /** What linkedPeers() gives (read on every ask, so a test may change it). */
  peers?: string[];
  /** What random() gives, in order; the test fails if it is asked for more. */
  draws?: number[];
  /** random() gives 0 forever (for tests that ask many times and do not care whom). */
  zeroRandom?: boolean;
  /** Whether send() gets a message out to a peer (default: always). */
  delivers?: (peer: string) => boolean;
  /** Peers this node's own links show alive. */
  responsive?: string[] | ((peer: string) => boolean);
}

/** Indirect probes over fake ports that record everything they are given. */
function rig(options: Options = {}) {
  const clock = new VirtualClock();
  const peers = [...(options.peers ?? [P1, P2, P3, P4])];
  const draws = [...(options.draws ?? [])];
  let drawn = 0;
  const sent: Sent[] = [];
  const logs: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const asked: string[] = [];
  let changes = 0;
  const responsive = options.responsive ?? [];
  const probes = new IndirectProbes({
    clock,
    random: () => {
      drawn++;
      if (options.zeroRandom) return 0;
      const next = draws.shift();
      if (next === undefined) throw new Error('random() was called more often than the test scripted');
      return next;
    },
    send: (peer, topic, bytes) => {
      sent.push({ to: peer, topic, message: decodeIndirectProbe(bytes) });
      return options.delivers ? options.delivers(peer) : true;
    },
    linkedPeers: () => peers,
    responsive: (peer) => {
      asked.push(peer);
      return typeof responsive === 'function' ? responsive(peer) : responsive.includes(peer);
    },
    changed: () => {
      changes++;
    },
    log: (level, message, fields) => {
      logs.push({ level, message, fields });
    },
  });
  const verdicts: Verdict[] = [];
  /** Asks about `subject`, recording its verdicts in `verdicts` (and in the array returned, for this ask alone). */
  const ask = (subject = S) => {
    const mine: Verdict[] = [];
    probes.ask(subject, (alive, by) => {
      mine.push({ alive, by });
      verdicts.push({ alive, by });
    });
    return mine;
  };
  /** A peer's answer arriving on the probe topic. */
  const answer = (from: string, nonce: number, alive: boolean, subject = S) => probes.receive(from, encodeIndirectProbe({ kind: 'answer', nonce, subject, alive }));
  return { clock, probes, peers, sent, logs, verdicts, ask, answer, responsiveAsked: asked, drawn: () => drawn, changes: () => changes };
}

describe('indirect probes: asking', () => {
  it('decides "not alive" at once, asking nobody and setting no timer, when no peer but the subject is linked', () => {
    for (const peers of [[], [S], [S, S]]) {
      const { clock, probes, sent, ask, drawn, changes } = rig({ peers });
      const verdict = ask();
      // Synchronous: decided before ask() returns, so a suspicion is never held back for nothing.
      expect(verdict, JSON.stringify(peers)).toEqual([{ alive: false, by: undefined }]);
      expect(sent).toEqual([]);
      expect(clock.pendingTimers()).toBe(0);
      expect(drawn()).toBe(0);
      expect(probes.counters.asked).toBe(0);
      clock.advance(INDIRECT_PROBE_MS * 10);
      expect(verdict).toHaveLength(1);
      expect(changes()).toBe(0);
    }
  });

  it('asks at most INDIRECT_HELPERS peers, never the subject, each a request about the subject on $probe under one nonce', () => {
    expect(INDIRECT_HELPERS).toBe(3);
    // The subject among the linked peers (it may have redialed on a second connection) is filtered out before choosing.
    const { sent, ask, drawn, clock } = rig({ peers: [S, P1, P2, S, P3, P4, P5], draws: [0.99, 0.99, 0.99] });
    const verdict = ask();
    expect(verdict).toEqual([]);
    expect(sent).toHaveLength(INDIRECT_HELPERS);
    expect(sent.map((each) => each.to)).not.toContain(S);
    expect(new Set(sent.map((each) => each.to)).size).toBe(INDIRECT_HELPERS);
    for (const each of sent) expect(each).toStrictEqual({ to: each.to, topic: PROBE_TOPIC, message: { kind: 'request', nonce: 1, subject: S } });
    // One draw per helper chosen, no more.
    expect(drawn()).toBe(INDIRECT_HELPERS);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('asks every other peer when fewer than INDIRECT_HELPERS are linked, drawing once per helper', () => {
    const { sent, ask, drawn } = rig({ peers: [P1, S, P2], draws: [0, 0] });
    ask();
    expect(sent.map((each) => each.to).sort()).toEqual([P1, P2]);
    expect(drawn()).toBe(2);
  });

  it('chooses its helpers at random: two random scripts choose different helpers', () => {
    // A partial Fisher-Yates shuffle over [P1..P5]: draws of 0 keep the order; draws near 1 swap in the last each time.
    const low = rig({ peers: [P1, P2, P3, P4, P5], draws: [0, 0, 0] });
    low.ask();
    expect(low.sent.map((each) => each.to)).toEqual([P1, P2, P3]);
    const high = rig({ peers: [P1, P2, P3, P4, P5], draws: [0.99, 0.99, 0.99] });
    high.ask();
    // [P5 P2 P3 P4 P1] → [P5 P1 P3 P4 P2] → [P5 P1 P2 P4 P3]
    expect(high.sent.map((each) => each.to)).toEqual([P5, P1, P2]);
    expect(new Set(high.sent.map((each) => each.to))).not.toEqual(new Set(low.sent.map((each) => each.to)));
  });

  it('can choose any peer first, the last one included', () => {
    const peers = [P1, P2, P3, P4, P5];
    const firsts = peers.map((_, index) => {
      const { sent, ask } = rig({ peers, draws: [(index + 0.5) / peers.length, 0, 0] });
      ask();
      return sent[0]!.to;
    });
    expect(firsts).toEqual(peers);
  });

  it('gives each probe its own nonce, so answers to one do not settle another', () => {
    const { sent, ask, answer, probes } = rig({ peers: [P1, P2, P3, P4], zeroRandom: true });
    const first = ask(S);
    const second = ask(OTHER);
    const nonces = sent.map((each) => each.message.nonce);
    expect(nonces).toEqual([1, 1, 1, 2, 2, 2]);
    answer(P1, 2, true, OTHER);
    expect(second).toEqual([{ alive: true, by: P1 }]);
    expect(first).toEqual([]);
    for (const helper of [P1, P2, P3]) answer(helper, 1, false);
    expect(first).toEqual([{ alive: false, by: undefined }]);
    expect(probes.counters).toMatchObject({ asked: 2, reached: 1, answered: 4, late: 0, refused: {} });
  });

  it('wraps its nonce from 0xffffffff to 1, never 0 nor 2^32 (which no request could carry)', () => {
    const { sent, ask, probes } = rig({ peers: [P1], zeroRandom: true });
    // Four billion probes cannot be run in a test: the counter is set where it wraps.
    (probes as unknown as { nextNonce: number }).nextNonce = 0xffff_ffff;
    ask();
    ask();
    ask();
    expect(sent.map((each) => each.message.nonce)).toEqual([0xffff_ffff, 1, 2]);
  });
});

describe('indirect probes: deciding', () => {
  it('decides "alive" the moment one helper says so, naming it, and clears its timer', () => {
    const { clock, probes, ask, answer, changes } = rig({ peers: [P1, P2, P3], draws: [0, 0, 0] });
    const verdict = ask();
    answer(P1, 1, false);
    expect(verdict).toEqual([]);
    clock.advance(50);
    answer(P2, 1, true);
    expect(verdict).toEqual([{ alive: true, by: P2 }]);
    expect(clock.pendingTimers()).toBe(0);
    expect(changes()).toBe(1);
    expect(probes.counters).toMatchObject({ asked: 1, reached: 1, answered: 2, late: 0 });
    // The timer is gone: its running out later does not call the verdict again.
    clock.advance(INDIRECT_PROBE_MS * 10);
    expect(verdict).toHaveLength(1);
    expect(probes.counters.reached).toBe(1);
  });

  it('decides "not alive" as soon as the last helper asked says silent, before INDIRECT_PROBE_MS', () => {
    const { clock, probes, ask, answer, changes } = rig({ peers: [P1, P2, P3], draws: [0, 0, 0] });
    const verdict = ask();
    clock.advance(10);
    answer(P3, 1, false);
    answer(P1, 1, false);
    expect(verdict, 'one helper still to answer').toEqual([]);
    expect(changes()).toBe(0);
    answer(P2, 1, false);
    expect(verdict).toEqual([{ alive: false, by: undefined }]);
    expect(clock.monotonicNow()).toBeLessThan(INDIRECT_PROBE_MS);
    expect(clock.pendingTimers()).toBe(0);
    expect(changes()).toBe(1);
    expect(probes.counters).toMatchObject({ asked: 1, reached: 0, answered: 3, late: 0, refused: {} });
    clock.advance(INDIRECT_PROBE_MS);
    expect(verdict).toHaveLength(1);
  });

  it('decides "not alive" exactly at INDIRECT_PROBE_MS when a helper stays quiet, not a millisecond before', () => {
    const { clock, probes, ask, answer, changes } = rig({ peers: [P1, P2, P3], draws: [0, 0, 0] });
    const verdict = ask();
    answer(P1, 1, false);
    answer(P2, 1, false);
    clock.advance(INDIRECT_PROBE_MS - 1);
    expect(verdict).toEqual([]);
    clock.advance(1);
    expect(verdict).toEqual([{ alive: false, by: undefined }]);
    expect(changes()).toBe(1);
    clock.advance(INDIRECT_PROBE_MS * 10);
    expect(verdict).toHaveLength(1);
    expect(probes.counters).toMatchObject({ asked: 1, reached: 0, answered: 2, late: 0 });
  });

  it('decides "not alive" at INDIRECT_PROBE_MS when nobody answers at all', () => {
    const { clock, ask } = rig({ peers: [P1, P2], draws: [0, 0] });
    const verdict = ask();
    clock.advance(INDIRECT_PROBE_MS - 1);
    expect(verdict).toEqual([]);
    clock.advance(1);
    expect(verdict).toEqual([{ alive: false, by: undefined }]);
  });

  it('decides "not alive" at once, with no timer, when no request to any helper got out', () => {
    const { clock, probes, sent, ask } = rig({ peers: [P1, P2, P3, P4], draws: [0, 0, 0], delivers: () => false });
    const verdict = ask();
    expect(sent.map((each) => each.to), 'every helper was tried').toEqual([P1, P2, P3]);
    expect(verdict).toEqual([{ alive: false, by: undefined }]);
    expect(clock.pendingTimers()).toBe(0);
    expect(probes.counters.asked).toBe(0);
  });

  it('waits only for the helpers a request reached: one it could not reach neither counts nor is waited for', () => {
    const { probes, ask, answer, logs } = rig({ peers: [P1, P2, P3], draws: [0, 0, 0], delivers: (peer) => peer !== P1 });
    const verdict = ask();
    expect(probes.counters.asked).toBe(1);
    // P1 was never asked (its send failed): its "alive" is refused, not taken.
    answer(P1, 1, true);
    expect(verdict).toEqual([]);
    expect(probes.counters.refused).toEqual({ unasked: 1 });
    expect(logs).toHaveLength(1);
    answer(P2, 1, false);
    expect(verdict).toEqual([]);
    answer(P3, 1, false);
    expect(verdict).toEqual([{ alive: false, by: undefined }]);
  });

  it('keeps concurrent probes about the same member apart, each with its own verdict', () => {
    const { ask, answer } = rig({ peers: [P1, P2], zeroRandom: true });
    const first = ask();
    const second = ask();
    answer(P1, 2, true);
    expect(second).toEqual([{ alive: true, by: P1 }]);
    expect(first).toEqual([]);
    answer(P1, 1, false);
    answer(P2, 1, false);
    expect(first).toEqual([{ alive: false, by: undefined }]);
  });

  it('decides "not alive" at once, asking nobody, once MAX_PENDING_PROBES probes are under way', () => {
    const { clock, probes, sent, ask, answer } = rig({ peers: [P1, P2, P3], zeroRandom: true });
    const under: Verdict[][] = [];
    for (let index = 0; index < MAX_PENDING_PROBES; index++) under.push(ask(`spiffe://mesh.test/node/m${index}`));
    expect(under.every((verdict) => verdict.length === 0)).toBe(true);
    expect(sent).toHaveLength(MAX_PENDING_PROBES * 3);
    expect(clock.pendingTimers()).toBe(MAX_PENDING_PROBES);
    const beyond = ask();
    expect(beyond).toEqual([{ alive: false, by: undefined }]);
    expect(sent).toHaveLength(MAX_PENDING_PROBES * 3);
    expect(probes.counters.asked).toBe(MAX_PENDING_PROBES);
    // One settled frees a place: the next probe is asked again.
    for (const helper of [P1, P2, P3]) answer(helper, 1, false, 'spiffe://mesh.test/node/m0');
    expect(under[0]).toEqual([{ alive: false, by: undefined }]);
    const next = ask();
    expect(next).toEqual([]);
    expect(sent).toHaveLength(MAX_PENDING_PROBES * 3 + 3);
    // And the wait of each still runs out: every one under way is decided at INDIRECT_PROBE_MS.
    clock.advance(INDIRECT_PROBE_MS);
    expect(under.every((verdict) => verdict.length === 1)).toBe(true);
    expect(next).toEqual([{ alive: false, by: undefined }]);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('indirect probes: answering others', () => {
  it('answers a request at once, on $probe to the asker, with what its own links show of the subject', () => {
    const { probes, sent, responsiveAsked, changes } = rig({ responsive: [P2] });
    probes.receive(P1, encodeIndirectProbe({ kind: 'request', nonce: 77, subject: P2 }));
    probes.receive(P1, encodeIndirectProbe({ kind: 'request', nonce: 0xffff_ffff, subject: P3 }));
    probes.receive(P4, encodeIndirectProbe({ kind: 'request', nonce: 0, subject: P2 }));
    expect(sent).toStrictEqual([
      { to: P1, topic: PROBE_TOPIC, message: { kind: 'answer', nonce: 77, subject: P2, alive: true } },
      { to: P1, topic: PROBE_TOPIC, message: { kind: 'answer', nonce: 0xffff_ffff, subject: P3, alive: false } },
      { to: P4, topic: PROBE_TOPIC, message: { kind: 'answer', nonce: 0, subject: P2, alive: true } },
    ]);
    expect(responsiveAsked).toEqual([P2, P3, P2]);
    // Answering is no probe of this node's own: nothing counted.
    expect(probes.counters).toStrictEqual({ asked: 0, reached: 0, answered: 0, late: 0, refused: {} });
    expect(changes()).toBe(0);
  });

  it('answers "silent" to a peer asking about itself, whatever its own link to that peer shows', () => {
    // Its link to the asker is up (the request came over it), but the asker cannot vouch for itself through this node.
    const { probes, sent } = rig({ responsive: () => true });
    probes.receive(P1, encodeIndirectProbe({ kind: 'request', nonce: 5, subject: P1 }));
    expect(sent).toStrictEqual([{ to: P1, topic: PROBE_TOPIC, message: { kind: 'answer', nonce: 5, subject: P1, alive: false } }]);
    probes.receive(P1, encodeIndirectProbe({ kind: 'request', nonce: 6, subject: P2 }));
    expect(sent[1]!.message).toStrictEqual({ kind: 'answer', nonce: 6, subject: P2, alive: true });
  });
});

describe('indirect probes: answers that do not count', () => {
  it('refuses as unasked an answer from a peer not asked, about another member, or for a nonce not issued, and is not settled by it', () => {
    const { probes, ask, answer, logs, changes } = rig({ peers: [P1, P2, P3, P4], draws: [0, 0, 0] });
    const verdict = ask();
    answer(P4, 1, true); // not asked (P1..P3 were)
    answer(P1, 1, true, OTHER); // asked, but about S
    answer(P1, 2, true); // a nonce this node has not issued yet
    answer(P1, 0xffff_ffff, true);
    expect(verdict).toEqual([]);
    expect(probes.counters).toMatchObject({ asked: 1, reached: 0, answered: 0, late: 0, refused: { unasked: 4 } });
    expect(logs.map((each) => [each.level, each.fields.from, each.fields.reason, each.fields.times])).toEqual([
      ['warn', P4, 'unasked', 1],
      ['warn', P1, 'unasked', 2],
      ['warn', P1, 'unasked', 3],
      ['warn', P1, 'unasked', 4],
    ]);
    expect(changes()).toBe(4);
    // P1's answer about the wrong member did not use up its place: its real answer still counts.
    answer(P1, 1, true);
    expect(verdict).toEqual([{ alive: true, by: P1 }]);
    expect(probes.counters).toMatchObject({ reached: 1, answered: 1 });
  });

  it('refuses as unasked a second answer from the same helper, so one helper cannot stand for all', () => {
    const { probes, ask, answer } = rig({ peers: [P1, P2, P3], draws: [0, 0, 0] });
    const verdict = ask();
    answer(P1, 1, false);
    answer(P1, 1, false);
    answer(P1, 1, false);
    expect(verdict, 'P2 and P3 have not answered').toEqual([]);
    expect(probes.counters).toMatchObject({ answered: 1, refused: { unasked: 2 } });
    answer(P2, 1, false);
    answer(P3, 1, false);
    expect(verdict).toEqual([{ alive: false, by: undefined }]);
  });

  it('counts an answer to a probe already settled as late, and does nothing else', () => {
    const { clock, probes, ask, answer, logs, changes, sent } = rig({ peers: [P1, P2, P3], draws: [0, 0, 0, 0, 0, 0] });
    const verdict = ask();
    answer(P1, 1, true);
    expect(verdict).toEqual([{ alive: true, by: P1 }]);
    const changesThen = changes();
    const sentThen = sent.length;
    // A slow helper after the alive answer, and even an "alive" after the wait ran out for the next probe.
    answer(P2, 1, false);
    answer(P3, 1, true);
    const timedOut = ask();
    clock.advance(INDIRECT_PROBE_MS);
    expect(timedOut).toEqual([{ alive: false, by: undefined }]);
    const changesAfterTimeout = changes();
    answer(P1, 2, true);
    expect(verdict).toHaveLength(1);
    expect(timedOut).toEqual([{ alive: false, by: undefined }]);
    expect(probes.counters).toMatchObject({ asked: 2, reached: 1, answered: 1, late: 3, refused: {} });
    expect(logs).toEqual([]);
    expect(changes()).toBe(changesAfterTimeout);
    expect(changesAfterTimeout).toBe(changesThen + 1);
    expect(sent).toHaveLength(sentThen + 3);
  });

  it('refuses as unasked, not late, an answer to a settled probe from a peer that was not asked, or about another member', () => {
    const { probes, ask, answer } = rig({ peers: [P1, P2, P3, P4], draws: [0, 0, 0] });
    ask();
    answer(P1, 1, true);
    // P4 was never asked; nonce 0 is never issued.
    answer(P4, 1, false);
    answer(P4, 0, true);
    expect(probes.counters).toMatchObject({ late: 0, refused: { unasked: 2 } });
    // A helper that was asked and is late is counted late, once.
    answer(P2, 1, false);
    answer(P2, 1, false);
    expect(probes.counters).toMatchObject({ late: 1, refused: { unasked: 3 } });
  });

  it('refuses malformed and oversized bytes by reason without throwing, logging the first ten and then every hundredth', () => {
    const { probes, sent, logs, changes, ask } = rig({ peers: [P1], draws: [0] });
    const verdict = ask();
    const malformed = [Buffer.alloc(0), Buffer.from([1, 0, 0, 0, 0, 1]), Buffer.from([2, 0, 0, 0, 0, 1, 0x73]), Buffer.from([1, 9, 0, 0, 0, 1, 0x73]), Buffer.concat([Buffer.from([1, 2, 0, 0, 0, 1]), Buffer.from('not a spiffe id')]), Buffer.concat([Buffer.from([1, 2, 0, 0, 0, 1]), Buffer.from('spiffe://'), Buffer.from([0xff])])];
    for (let index = 0; index < 250; index++) expect(() => probes.receive(P1, malformed[index % malformed.length]!)).not.toThrow();
    for (let index = 0; index < 3; index++) expect(() => probes.receive(P2, Buffer.alloc(MAX_PROBE_MESSAGE_BYTES + 1 + index))).not.toThrow();
    expect(probes.counters.refused).toStrictEqual({ malformed: 250, oversized: 3 });
    // Each reason counted on its own: malformed 1..10, 100, 200; oversized 1..3.
    const malformedLogs = logs.filter((each) => each.fields.reason === 'malformed');
    expect(malformedLogs.map((each) => each.fields.times)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 200]);
    expect(logs.filter((each) => each.fields.reason === 'oversized').map((each) => each.fields.times)).toEqual([1, 2, 3]);
    expect(logs.every((each) => each.level === 'warn' && each.message === 'refused an indirect probe message')).toBe(true);
    expect(malformedLogs[0]!.fields).toMatchObject({ from: P1, reason: 'malformed' });
    expect(String(malformedLogs[0]!.fields.detail)).toMatch(/too short/);
    expect(logs.find((each) => each.fields.reason === 'oversized')!.fields).toMatchObject({ from: P2, detail: expect.stringMatching(/oversized/) });
    expect(changes()).toBe(253);
    // Nothing answered, nothing settled: a garbled "alive" keeps no member alive.
    expect(sent).toHaveLength(1);
    expect(verdict).toEqual([]);
    expect(probes.counters).toMatchObject({ answered: 0, reached: 0, late: 0 });
  });
});

describe('indirect probes: stopping', () => {
  it('clears every timer: no verdict after stop however much time passes, nothing taken in, and a new ask decided at once', () => {
    const { clock, probes, sent, logs, ask, answer, changes, responsiveAsked } = rig({ peers: [P1, P2, P3], zeroRandom: true, responsive: () => true });
    const first = ask();
    const second = ask(OTHER);
    expect(clock.pendingTimers()).toBe(2);
    probes.stop();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(INDIRECT_PROBE_MS * 100);
    expect(first).toEqual([]);
    expect(second).toEqual([]);
    const sentThen = sent.length;
    const counters = structuredClone(probes.counters);
    // An answer, a request, and garbage: none touches anything once stopped.
    answer(P1, 1, true);
    answer(P1, 3, true);
    probes.receive(P2, encodeIndirectProbe({ kind: 'request', nonce: 9, subject: P3 }));
    probes.receive(P2, Buffer.from('garbage'));
    expect(first).toEqual([]);
    expect(sent).toHaveLength(sentThen);
    expect(responsiveAsked).toEqual([]);
    expect(probes.counters).toStrictEqual(counters);
    expect(logs).toEqual([]);
    expect(changes()).toBe(0);
    const after = ask();
    expect(after).toEqual([{ alive: false, by: undefined }]);
    expect(sent).toHaveLength(sentThen);
    expect(clock.pendingTimers()).toBe(0);
  });
});
