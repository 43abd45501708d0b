/**
 * The steps of the authenticated hybrid handshake, as pure functions of their inputs (the
 * statechart in machines/pq-handshake.ts sequences them):
 *
 *   initiator                                   responder
 *   startInitiator ── Hello ──────────────────► respond
 *     (nonce, TLS binding, offered suites in preference order, a key share per suite)
 *                   ◄────────────── Accept ──── (suite chosen, ciphertext, node record, signatures)
 *   finishInitiator ── Finish ────────────────► completeResponder
 *     (node record, signatures)
 *
 * Each side signs its transcript hash (which starts with the TLS exporter and holds the offer)
 * with its ML-DSA-65 key and its SVID key; its node record binds that ML-DSA key to the SPIFFE ID
 * the TLS handshake proved. So a changed offer (downgrade), a relay onto another connection, or
 * a key presented under another identity each abort with a HandshakeError.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { CryptoError } from './crypto-errors.js';
import { HandshakeError } from './handshake-error.js';
import {
  appendSignatures,
  encodeAcceptCore,
  encodeFinishCore,
  encodeHello,
  NONCE_BYTES,
  parseAccept,
  parseFinish,
  parseHello,
} from './handshake-messages.js';
import { deriveInitialKeys, type EpochKeys } from './key-schedule.js';
import type { Pqc } from './liboqs.js';
import { signWithSvidKey, verifyNodeRecord, verifyWithSvidKey, type NodeRecord } from './node-record.js';
import { encapsulateTo, generateKeyShare, SIGNATURE_ALGORITHMS, SUITES, suiteName, type KeyShare, type SuiteName } from './pq-suites.js';
import { bindingHash, Transcript } from './transcript.js';

/** What a node brings to a handshake: its SPIFFE ID, SVID key, ML-DSA key pair and its signed node record. */
export interface LocalIdentity {
  spiffeId: string;
  svidKey: KeyObject;
  mldsa: { publicKey: Uint8Array; secretKey: Uint8Array };
  /** encodeNodeRecord of this identity, made once per SVID. */
  record: Uint8Array;
}

/** What the carrying TLS connection proved about the peer. */
export interface PeerIdentity {
  spiffeId: string;
  svidPublicKey: KeyObject;
}

export interface HandshakeContext {
  pqc: Pqc;
  local: LocalIdentity;
  peer: PeerIdentity;
  /** The carrying TLS connection's exported keying material (TLS_EXPORTER_LABEL, 32 bytes). */
  exporter: Uint8Array;
  /** Initiator: offered, in preference order. Responder: accepted. */
  suites: readonly SuiteName[];
  now(): number;
}

export interface Established {
  keys: EpochKeys;
  suite: SuiteName;
  peerRecord: NodeRecord;
}

const SIGNED_BY = { initiator: Buffer.from('x0tta6bl4 pq-session v1 initiator signature\0'), responder: Buffer.from('x0tta6bl4 pq-session v1 responder signature\0') };

function signTranscript(context: HandshakeContext, role: 'initiator' | 'responder', hash: Uint8Array) {
  const data = Buffer.concat([SIGNED_BY[role], hash]);
  return { mldsa: context.pqc.mldsa65.sign(data, context.local.mldsa.secretKey), svid: signWithSvidKey(context.local.svidKey, data) };
}

function verifyTranscript(context: HandshakeContext, role: 'initiator' | 'responder', hash: Uint8Array, record: NodeRecord, mldsaSignature: Uint8Array, svidSignature: Uint8Array): void {
  const data = Buffer.concat([SIGNED_BY[role], hash]);
  if (!context.pqc.mldsa65.verify(data, mldsaSignature, record.mldsaPublicKey)) {
    throw new HandshakeError('signature', `the ${role}'s ML-DSA-65 signature over the transcript does not verify (changed offer, relayed connection, or wrong key)`);
  }
  if (!verifyWithSvidKey(context.peer.svidPublicKey, data, svidSignature)) {
    throw new HandshakeError('signature', `the ${role}'s SVID signature over the transcript does not verify`);
  }
}

/** Key-material errors from lib/crypto (a bad key share or ciphertext) abort as HandshakeErrors too. */
function asHandshakeError(error: unknown): never {
  if (error instanceof HandshakeError) throw error;
  if (error instanceof CryptoError) throw new HandshakeError('key-material', error.message, { cause: error });
  throw error;
}

export interface InitiatorState {
  transcript: Transcript;
  shares: KeyShare[];
  suites: number[];
}

export function startInitiator(context: HandshakeContext): { hello: Buffer; state: InitiatorState } {
  if (context.suites.length === 0) throw new HandshakeError('no-common-suite', 'nothing to offer');
  const shares = context.suites.map((suite) => generateKeyShare(context.pqc, suite));
  const suites = context.suites.map((suite) => SUITES[suite]);
  const hello = encodeHello({
    nonce: randomBytes(NONCE_BYTES),
    binding: bindingHash(context.exporter),
    suites,
    signatures: [SIGNATURE_ALGORITHMS['ML-DSA-65']],
    keyShares: shares.map((share) => share.publicKey),
  });
  return { hello, state: { transcript: new Transcript(context.exporter).add(hello), shares, suites } };
}

export interface ResponderState {
  transcript: Transcript;
  sharedSecret: Uint8Array;
  suite: SuiteName;
}

export function respond(context: HandshakeContext, helloBytes: Uint8Array): { accept: Buffer; state: ResponderState } {
  try {
    const hello = parseHello(helloBytes);
    if (!Buffer.from(hello.binding).equals(bindingHash(context.exporter))) {
      throw new HandshakeError('channel-binding', 'the Hello was written for another TLS connection (relayed)');
    }
    // The initiator's preference decides among what this side accepts.
    const index = hello.suites.findIndex((id) => {
      const name = suiteName(id);
      return name !== undefined && context.suites.includes(name);
    });
    if (index < 0) throw new HandshakeError('no-common-suite', `offered suites ${hello.suites.join(', ')}; this node accepts ${context.suites.join(', ')}`);
    if (!hello.signatures.includes(SIGNATURE_ALGORITHMS['ML-DSA-65'])) throw new HandshakeError('no-common-suite', 'ML-DSA-65 is not offered');
    const suite = suiteName(hello.suites[index]!)!;
    const { ciphertext, sharedSecret } = encapsulateTo(context.pqc, suite, hello.keyShares[index]!);
    const transcript = new Transcript(context.exporter).add(helloBytes);
    const core = encodeAcceptCore({ nonce: randomBytes(NONCE_BYTES), suite: SUITES[suite], signature: SIGNATURE_ALGORITHMS['ML-DSA-65'], ciphertext, record: context.local.record });
    const signatures = signTranscript(context, 'responder', transcript.peek(core));
    const accept = appendSignatures(core, signatures.mldsa, signatures.svid);
    transcript.add(accept);
    return { accept, state: { transcript, sharedSecret, suite } };
  } catch (error) {
    return asHandshakeError(error);
  }
}

export function finishInitiator(context: HandshakeContext, state: InitiatorState, acceptBytes: Uint8Array): { finish: Buffer; established: Established } {
  try {
    const accept = parseAccept(acceptBytes);
    const index = state.suites.indexOf(accept.suite);
    if (index < 0) throw new HandshakeError('no-common-suite', `the responder chose suite ${accept.suite}, which was not offered`);
    const peerRecord = verifyNodeRecord(accept.record, context.peer, context.now());
    verifyTranscript(context, 'responder', state.transcript.peek(accept.signedPart), peerRecord, accept.mldsaSignature, accept.svidSignature);
    const sharedSecret = state.shares[index]!.decapsulate(accept.ciphertext);
    state.transcript.add(acceptBytes);
    const core = encodeFinishCore(context.local.record);
    const signatures = signTranscript(context, 'initiator', state.transcript.peek(core));
    const finish = appendSignatures(core, signatures.mldsa, signatures.svid);
    state.transcript.add(finish);
    const suite = suiteName(accept.suite)!;
    return { finish, established: { keys: deriveInitialKeys('initiator', sharedSecret, state.transcript.peek()), suite, peerRecord } };
  } catch (error) {
    return asHandshakeError(error);
  }
}

export function completeResponder(context: HandshakeContext, state: ResponderState, finishBytes: Uint8Array): Established {
  try {
    const finish = parseFinish(finishBytes);
    const peerRecord = verifyNodeRecord(finish.record, context.peer, context.now());
    verifyTranscript(context, 'initiator', state.transcript.peek(finish.signedPart), peerRecord, finish.mldsaSignature, finish.svidSignature);
    state.transcript.add(finishBytes);
    return { keys: deriveInitialKeys('responder', state.sharedSecret, state.transcript.peek()), suite: state.suite, peerRecord };
  } catch (error) {
    return asHandshakeError(error);
  }
}
