/**
 * The authenticated hybrid handshake: both sides derive the same keys; every byte of every
 * message of a recorded handshake, flipped in turn, aborts it with a typed error; a changed
 * offer (downgrade), a relay onto another TLS connection and an ML-DSA key not bound to the peer's
 * SPIFFE ID are each refused, with the reason named.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { HandshakeError } from '../../../lib/crypto/handshake-error.js';
import { encodeHello, parseHello } from '../../../lib/crypto/handshake-messages.js';
import { completeResponder, finishInitiator, respond, startInitiator, type HandshakeContext } from '../../../lib/crypto/pq-handshake.js';
import { bindingHash } from '../../../lib/crypto/transcript.js';
import { A_ID, B_ID, pair, peerView, svidKeyPair, testNode, type Pair } from '../../helpers/pq-identities.js';

let p: Pair;
beforeAll(async () => {
  p = await pair();
});

function run(initiator: HandshakeContext, responder: HandshakeContext) {
  const { hello, state } = startInitiator(initiator);
  const answered = respond(responder, hello);
  const finished = finishInitiator(initiator, state, answered.accept);
  const completed = completeResponder(responder, answered.state, finished.finish);
  return { hello, accept: answered.accept, finish: finished.finish, initiator: finished.established, responder: completed };
}

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(HandshakeError);
    return (error as HandshakeError).reason;
  }
  return 'accepted';
}

describe('post-quantum handshake', () => {
  it('agrees on one key per direction, the suite and each other\'s node record', () => {
    const result = run(p.initiator(), p.responder());
    expect(result.initiator.suite).toBe('x-wing');
    expect(result.initiator.keys.send).toEqual(result.responder.keys.receive);
    expect(result.initiator.keys.receive).toEqual(result.responder.keys.send);
    expect(result.initiator.keys.send).not.toEqual(result.initiator.keys.receive);
    expect(result.initiator.peerRecord.spiffeId).toBe(B_ID);
    expect(result.responder.peerRecord.spiffeId).toBe(A_ID);
  });

  it('follows the initiator\'s preference among the suites the responder accepts (ML-KEM-1024 available)', () => {
    expect(run(p.initiator(['mlkem1024-x25519', 'x-wing']), p.responder()).responder.suite).toBe('mlkem1024-x25519');
    expect(run(p.initiator(['mlkem1024-x25519', 'x-wing']), p.responder(['x-wing'])).responder.suite).toBe('x-wing');
    const both = run(p.initiator(['mlkem1024-x25519']), p.responder(['mlkem1024-x25519']));
    expect(both.initiator.keys.send).toEqual(both.responder.keys.receive);
  });

  it('aborts with a typed error when any byte of any message of a recorded handshake is flipped', () => {
    const initiator = p.initiator();
    const responder = p.responder();
    const recorded = startInitiator(initiator);
    const answered = respond(responder, recorded.hello);
    const finished = finishInitiator(initiator, recorded.state, answered.accept);
    // The states above were advanced by the good run; fresh ones replay it up to the flipped message.
    const reasons = new Map<string, number>();
    const count = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    const flip = (bytes: Buffer, i: number) => {
      const copy = Buffer.from(bytes);
      copy[i]! ^= 0x01;
      return copy;
    };
    const freshInitiator = () => {
      const { hello, state } = startInitiator(initiator);
      return { hello, state };
    };
    // Hello: the responder may answer, but then the initiator, whose transcript holds the true Hello, refuses.
    const first = freshInitiator();
    for (let i = 0; i < first.hello.length; i++) {
      let reason: string;
      try {
        const flipped = respond(responder, flip(first.hello, i));
        reason = reasonOf(() => finishInitiator(initiator, first.state, flipped.accept));
      } catch (error) {
        expect(error).toBeInstanceOf(HandshakeError);
        reason = (error as HandshakeError).reason;
      }
      expect(reason, `hello byte ${i}`).not.toBe('accepted');
      count(reason);
    }
    // Accept: against the recorded initiator state (a refused Accept leaves it unchanged).
    const second = freshInitiator();
    const secondAccept = respond(responder, second.hello);
    for (let i = 0; i < secondAccept.accept.length; i++) {
      const reason = reasonOf(() => finishInitiator(initiator, second.state, flip(secondAccept.accept, i)));
      expect(reason, `accept byte ${i}`).not.toBe('accepted');
      count(reason);
    }
    // Finish: against the recorded responder state.
    const third = freshInitiator();
    const thirdAccept = respond(responder, third.hello);
    const thirdFinish = finishInitiator(initiator, third.state, thirdAccept.accept);
    for (let i = 0; i < thirdFinish.finish.length; i++) {
      const reason = reasonOf(() => completeResponder(responder, thirdAccept.state, flip(thirdFinish.finish, i)));
      expect(reason, `finish byte ${i}`).not.toBe('accepted');
      count(reason);
    }
    // The unflipped messages still complete.
    expect(() => completeResponder(responder, thirdAccept.state, thirdFinish.finish)).not.toThrow();
    expect([...reasons.keys()].sort()).toEqual(expect.arrayContaining(['malformed', 'signature']));
    expect(finished.established.suite).toBe('x-wing');
  }, 120_000);

  it('refuses a downgrade: an offer changed in flight fails the responder\'s signature at the initiator', () => {
    const initiator = p.initiator(['x-wing', 'mlkem1024-x25519']);
    const { hello, state } = startInitiator(initiator);
    const parsed = parseHello(hello);
    // A relay strips the preferred suite (X-Wing, ML-KEM-768) and its key share.
    const stripped = encodeHello({ ...parsed, suites: parsed.suites.slice(1), keyShares: parsed.keyShares.slice(1) });
    const answered = respond(p.responder(), stripped);
    expect(reasonOf(() => finishInitiator(initiator, state, answered.accept))).toBe('signature');
  });

  it('refuses an offer without a hybrid ML-KEM suite it accepts', () => {
    const { hello } = startInitiator(p.initiator(['mlkem1024-x25519']));
    expect(reasonOf(() => respond(p.responder(['x-wing']), hello))).toBe('no-common-suite');
    const parsed = parseHello(startInitiator(p.initiator()).hello);
    const unknownOnly = encodeHello({ ...parsed, suites: [200], keyShares: [randomBytes(64)] });
    expect(reasonOf(() => respond(p.responder(), unknownOnly))).toBe('no-common-suite');
    const noMlDsa = encodeHello({ ...parsed, signatures: [9] });
    expect(reasonOf(() => respond(p.responder(), noMlDsa))).toBe('no-common-suite');
  });

  it('refuses a session relayed onto another TLS connection', () => {
    const { hello, state } = startInitiator(p.initiator());
    // The relay's connection to the responder has another exporter.
    expect(reasonOf(() => respond(p.responder(undefined, randomBytes(32)), hello))).toBe('channel-binding');
    // A relay that also rewrites the binding is caught by the signatures.
    const other = randomBytes(32);
    const rebound = encodeHello({ ...parseHello(hello), binding: bindingHash(other) });
    const answered = respond(p.responder(undefined, other), rebound);
    expect(reasonOf(() => finishInitiator(p.initiator(), state, answered.accept))).toBe('signature');
  });

  it('refuses an ML-DSA key that is not bound to the peer\'s SPIFFE ID', () => {
    const { pqc, a } = p;
    // A record naming another ID than TLS proved.
    const impostor = testNode(pqc, B_ID, { recordId: 'spiffe://mesh.test/node/c' });
    const asB = (node: typeof impostor): HandshakeContext => ({ ...p.responder(), local: node.local });
    const viewOf = (node: typeof impostor) => ({ ...p.initiator(), peer: peerView(node) });
    let start = startInitiator(viewOf(impostor));
    expect(reasonOf(() => finishInitiator(viewOf(impostor), start.state, respond(asB(impostor), start.hello).accept))).toBe('identity-mismatch');
    // A record signed by another SVID key than the one TLS verified.
    const forged = testNode(pqc, B_ID, { recordSigner: svidKeyPair().privateKey });
    start = startInitiator(viewOf(forged));
    expect(reasonOf(() => finishInitiator(viewOf(forged), start.state, respond(asB(forged), start.hello).accept))).toBe('node-record');
    // A record binding one ML-DSA key while the transcript is signed with another.
    const swapped = testNode(pqc, B_ID, { mldsaPublicKey: pqc.mldsa65.keypair().publicKey });
    start = startInitiator(viewOf(swapped));
    expect(reasonOf(() => finishInitiator(viewOf(swapped), start.state, respond(asB(swapped), start.hello).accept))).toBe('signature');
    // An expired record.
    const expired = testNode(pqc, B_ID, { notAfter: Date.now() - 1 });
    start = startInitiator(viewOf(expired));
    expect(reasonOf(() => finishInitiator(viewOf(expired), start.state, respond(asB(expired), start.hello).accept))).toBe('node-record');
    expect(a.local.spiffeId).toBe(A_ID);
  });
});
