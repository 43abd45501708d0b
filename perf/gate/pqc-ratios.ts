/**
 * The gate's post-quantum ratios, each side measured in the same round as the other:
 * - every liboqs operation the handshake uses (ML-KEM-768 key pair, encapsulation,
 *   decapsulation; ML-DSA-65 signing, verification) against one bare node:crypto X25519
 *   agreement: what the WASM build costs against the native crypto beside it;
 * - the whole hybrid handshake (lib/crypto/pq-handshake.ts, both sides' four steps) against the
 *   sum of its parts (the liboqs, X25519 and ECDSA operations it performs, timed alone): what the
 *   handshake's own code adds (encoding, hashing, key import), so a slow key import like the PKCS#8
 *   one that once cost a millisecond per handshake shows as a higher ratio on any machine;
 * - the session channel's 64 KiB seal + open against bare AES-256-GCM seal + open
 *   (`aead_ratio_64k`'s measurement).
 */
import { createCipheriv, createDecipheriv, diffieHellman, generateKeyPairSync, randomBytes } from 'node:crypto';
import { deriveInitialKeys } from '../../lib/crypto/key-schedule.js';
import { loadPqc, type Pqc } from '../../lib/crypto/liboqs.js';
import { encodeNodeRecord, signWithSvidKey, verifyWithSvidKey } from '../../lib/crypto/node-record.js';
import { completeResponder, finishInitiator, respond, startInitiator, type HandshakeContext, type LocalIdentity, type PeerIdentity } from '../../lib/crypto/pq-handshake.js';
import { DEFAULT_SUITES } from '../../lib/crypto/pq-suites.js';
import { INNER, SessionChannel } from '../../lib/crypto/session-channel.js';
import { TLS_EXPORTER_BYTES } from '../../lib/crypto/transcript.js';
import { x25519, x25519Generate } from '../../lib/crypto/x25519.js';
import type { Figure } from '../stats.js';
import { interleavedRatio, medianCpuMicros, medianMicros, pairedRatio, ratioFigure, warmUntilSteady } from './paired-ratio.js';

export interface PqcGateCounts {
  rounds: number;
  warmupRounds: number;
  /** Calls per side per round of a single operation (the round's value is their median). */
  opsPerRound: number;
  /** Handshakes (and calls of each part) per round. */
  handshakesPerRound: number;
  /** 64 KiB frames per side per round of the AEAD ratio, the sides alternating frame by frame (the round's value is each side's median frame). */
  framesPerRound: number;
}

/**
 * How long the whole handshake (every liboqs operation) runs before anything is measured, so that
 * V8 has optimised the WebAssembly (see warmUntilSteady): under two CPU burners its second step
 * came about 150 ms after the first calls; this leaves several times that.
 */
const WASM_WARM_MS = 1_000;

/** What the handshake signs: a 44-byte context string and a 48-byte transcript hash. */
const SIGNED_BYTES = 92;
const AEAD_PAYLOAD_BYTES = 64 * 1024;

interface HandshakeIdentity {
  local: LocalIdentity;
  peer: PeerIdentity;
}

/** A node's keys as the handshake sees them: an ECDSA P-256 key in the SVID's place (the handshake only signs and verifies with it). */
function identity(pqc: Pqc, spiffeId: string): HandshakeIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const mldsa = pqc.mldsa65.keypair();
  const record = encodeNodeRecord({ spiffeId, mldsaPublicKey: mldsa.publicKey, notAfter: Date.now() + 3_600_000 }, privateKey);
  return { local: { spiffeId, svidKey: privateKey, mldsa, record }, peer: { spiffeId, svidPublicKey: publicKey } };
}

function handshake(pqc: Pqc, a: HandshakeIdentity, b: HandshakeIdentity): void {
  const exporter = randomBytes(TLS_EXPORTER_BYTES);
  const initiator: HandshakeContext = { pqc, local: a.local, peer: b.peer, exporter, suites: DEFAULT_SUITES, now: Date.now };
  const responder: HandshakeContext = { pqc, local: b.local, peer: a.peer, exporter, suites: DEFAULT_SUITES, now: Date.now };
  const start = startInitiator(initiator);
  const answer = respond(responder, start.hello);
  const finish = finishInitiator(initiator, start.state, answer.accept);
  const done = completeResponder(responder, answer.state, finish.finish);
  if (!done.keys.send.equals(finish.established.keys.receive)) throw new Error('handshake: the two sides derived different keys');
}

/** The operations one x-wing handshake performs, with how many times it performs each. */
function handshakeParts(pqc: Pqc, a: HandshakeIdentity): { count: number; run: () => unknown }[] {
  const kem = pqc.kem('ML-KEM-768');
  const kemKeys = kem.keypair();
  const encapsulated = kem.encapsulate(kemKeys.publicKey);
  const x = x25519Generate();
  const peerShare = x25519Generate().publicKey;
  const data = randomBytes(SIGNED_BYTES);
  const mldsaSignature = pqc.mldsa65.sign(data, a.local.mldsa.secretKey);
  const ecdsaSignature = signWithSvidKey(a.local.svidKey, data);
  return [
    { count: 1, run: () => kem.keypair() },
    { count: 1, run: () => kem.encapsulate(kemKeys.publicKey) },
    { count: 1, run: () => kem.decapsulate(encapsulated.ciphertext, kemKeys.secretKey) },
    // X-Wing: the initiator's key share and the responder's ephemeral key; one agreement each side.
    { count: 2, run: () => x25519Generate() },
    { count: 2, run: () => x25519(x.privateKey, peerShare) },
    { count: 2, run: () => pqc.mldsa65.sign(data, a.local.mldsa.secretKey) },
    { count: 2, run: () => pqc.mldsa65.verify(data, mldsaSignature, a.local.mldsa.publicKey) },
    // Each side signs its transcript with its SVID key, and verifies the peer's record and transcript signature.
    { count: 2, run: () => signWithSvidKey(a.local.svidKey, data) },
    { count: 4, run: () => verifyWithSvidKey(a.peer.svidPublicKey, data, ecdsaSignature) },
  ];
}

/** A bare X25519 agreement between two node:crypto key objects: the native operation the liboqs ones are measured against. */
function bareX25519(): () => unknown {
  const ours = generateKeyPairSync('x25519');
  const theirs = generateKeyPairSync('x25519');
  return () => diffieHellman({ privateKey: ours.privateKey, publicKey: theirs.publicKey });
}

/** One 64 KiB payload sealed and opened with bare AES-256-GCM, as the pqc suite's baseline: no AAD, no framing (final() adds nothing in GCM). */
function bareAesGcm(key: Buffer, nonce: Buffer, payload: Buffer): void {
  const sealer = createCipheriv('aes-256-gcm', key, nonce);
  const sealed = sealer.update(payload);
  sealer.final();
  const opener = createDecipheriv('aes-256-gcm', key, nonce);
  opener.setAuthTag(sealer.getAuthTag());
  opener.update(sealed);
  opener.final();
}

export async function pqcGateFigures(suite: string, counts: PqcGateCounts, progress: (message: string) => void): Promise<Figure[]> {
  const pqc = await loadPqc();
  const figures: Figure[] = [];
  const plan = { rounds: counts.rounds, warmupRounds: counts.warmupRounds };
  const a = identity(pqc, 'spiffe://gate.test/node/a');
  const b = identity(pqc, 'spiffe://gate.test/node/b');
  warmUntilSteady(() => handshake(pqc, a, b), WASM_WARM_MS);
  const x25519Op = bareX25519();
  const x25519Side = { label: 'node:crypto X25519 agreement (µs, median of the round)', measure: () => medianMicros(counts.opsPerRound, x25519Op) };

  const kem = pqc.kem('ML-KEM-768');
  const kemKeys = kem.keypair();
  const ciphertext = kem.encapsulate(kemKeys.publicKey).ciphertext;
  const signer = pqc.mldsa65;
  const signerKeys = signer.keypair();
  const message = randomBytes(SIGNED_BYTES);
  const signature = signer.sign(message, signerKeys.secretKey);
  const operations = [
    { name: 'pqc_mlkem768_keygen_vs_x25519', run: () => kem.keypair() },
    { name: 'pqc_mlkem768_encaps_vs_x25519', run: () => kem.encapsulate(kemKeys.publicKey) },
    { name: 'pqc_mlkem768_decaps_vs_x25519', run: () => kem.decapsulate(ciphertext, kemKeys.secretKey) },
    { name: 'pqc_mldsa65_sign_vs_x25519', run: () => signer.sign(message, signerKeys.secretKey) },
    { name: 'pqc_mldsa65_verify_vs_x25519', run: () => signer.verify(message, signature, signerKeys.publicKey) },
  ];
  warmUntilSteady(x25519Op);
  for (const operation of operations) {
    warmUntilSteady(operation.run);
    const measured = await pairedRatio({ ...plan, numerator: { label: operation.name, measure: () => medianMicros(counts.opsPerRound, operation.run) }, denominator: x25519Side });
    figures.push(ratioFigure(suite, operation.name, measured, { config: { implementation: '@oqs/liboqs-js (WASM) through lib/crypto/liboqs.ts', against: x25519Side.label, ops_per_round: counts.opsPerRound, rounds: counts.rounds } }));
  }
  progress('liboqs operations against X25519 done');

  const parts = handshakeParts(pqc, a);
  for (const part of parts) warmUntilSteady(part.run);
  const measured = await pairedRatio({
    ...plan,
    numerator: { label: 'x-wing handshake, both sides (CPU µs)', measure: () => medianCpuMicros(counts.handshakesPerRound, () => handshake(pqc, a, b)) },
    denominator: { label: 'its parts, each timed alone (CPU µs)', measure: () => parts.reduce((sum, part) => sum + part.count * medianCpuMicros(counts.handshakesPerRound, part.run), 0) },
  });
  figures.push(
    ratioFigure(suite, 'pqc_handshake_vs_parts', measured, {
      config: {
        handshake: 'startInitiator, respond, finishInitiator, completeResponder (suite x-wing) on one thread',
        parts: 'ML-KEM-768 key pair + encapsulation + decapsulation, 2 X25519 key pairs + 2 agreements, 2 ML-DSA-65 signatures + 2 verifications, 2 ECDSA P-256 signatures + 4 verifications',
        per_round: counts.handshakesPerRound,
        rounds: counts.rounds,
      },
    }),
  );
  progress('handshake against its parts done');

  const secret = randomBytes(32);
  const hash = randomBytes(48);
  const sendKeys = deriveInitialKeys('initiator', secret, hash);
  const receiveKeys = deriveInitialKeys('responder', secret, hash);
  const payload = randomBytes(AEAD_PAYLOAD_BYTES);
  const bareKey = randomBytes(32);
  const sender = new SessionChannel(sendKeys, Date.now());
  const receiver = new SessionChannel(receiveKeys, Date.now());
  const nonce = Buffer.alloc(12);
  let frame = 0;
  /** One seal + open, the frame handed over as the parts seal() made (a link writes them to TLS as they are). */
  const channel = () => {
    const opened = receiver.open(sender.seal(INNER.data, payload)).payload;
    if (opened.length !== payload.length) throw new Error('SessionChannel: the opened payload differs from the sealed one');
  };
  const bare = () => {
    nonce.writeUInt32BE(frame++, 8);
    bareAesGcm(bareKey, nonce, payload);
  };
  warmUntilSteady(channel);
  warmUntilSteady(bare);
  // Rates: the channel's throughput over bare AES-GCM's is bare time over channel time.
  const aead = interleavedRatio({
    ...plan,
    callsPerRound: counts.framesPerRound,
    numerator: { label: 'bare AES-256-GCM seal + open of 64 KiB (µs, median of the round)', run: bare },
    denominator: { label: 'SessionChannel seal + open of 64 KiB (µs, median of the round)', run: channel },
  });
  figures.push(
    ratioFigure(suite, 'pqc_aead_ratio_64k', aead, {
      config: { measured: 'throughput of SessionChannel seal + open of 64 KiB frames over bare node:crypto AES-256-GCM seal + open (bare µs per frame / channel µs per frame), one frame timed at a time, the two alternating frame by frame, opened from the parts seal() made', frames_per_round: counts.framesPerRound, rounds: counts.rounds },
    }),
  );
  progress('AEAD 64 KiB done');
  return figures;
}
