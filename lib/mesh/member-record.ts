/**
 * A member record: what membership gossips about a node, so that a node linked to one member learns
 * the rest and checks each record itself, whoever relayed it. It says who the node is (its SPIFFE
 * ID, proved by its X.509-SVID chain), where to reach it, its ML-DSA-65 key (bound to the ID by the
 * node record its SVID key signed: lib/crypto/node-record.ts), and its incarnation, and it is signed
 * with that ML-DSA key, the node's lasting key (lib/crypto/node-key-file.ts). It also carries the
 * node's X-Wing public key, which members seal end-to-end messages for it with (e2e-session.ts): a
 * key pair the node makes at each start and never stores, so a key taken from a stopped node's disk
 * opens none of its past messages.
 *
 *   version u8 (2) | spiffeId vector16 (UTF-8, 1..2048)
 *   | addresses u8 count (0..8), each vector16 (UTF-8 host:port, 1..262)
 *   | incarnation u64 | state u8 (0 alive, 1 left) | issuedAt u64 (epoch ms)
 *   | kemPublicKey vector16 (X-Wing, 1216)
 *   | binding vector16 (a node record, 1..8192) | chain u8 count (1..4), each vector16 (DER, 1..8192)
 *   | mldsaSignature vector16 (3309)
 *
 * The signature covers a context string and every byte before it. Checks, cheapest first, each
 * refusal typed (MemberRecordError.reason): the size, before anything is parsed; the parse (the
 * certificates' DER included); a time of issue no later than a clock skew ahead; whether this node
 * admits the ID at all (the same policy as its peer links', so a workload another trust domain
 * vouches for cannot join by gossip); the leaf naming the same ID; then the signatures: the chain to
 * the bundle of the ID's own trust domain, the binding, signed by the leaf's key for the same ID and
 * not expired, and the ML-DSA signature under the bound key. Whether a valid record is news (a newer
 * incarnation than the one known) is for the membership that keeps them, which can read the
 * incarnation first (peekMemberRecord) and verify only news.
 */
import { createPublicKey } from 'node:crypto';
import { X509Certificate } from '@peculiar/x509';
import { MLDSA65_SIZES, type Signer } from '../crypto/liboqs.js';
import { MAX_SPIFFE_ID_BYTES, verifyNodeRecord } from '../crypto/node-record.js';
import { WireReader, WireWriter } from '../crypto/wire.js';
import { checkEncapsulationKey } from '../crypto/mlkem-key-check.js';
import { XWING_PUBLIC_KEY_BYTES } from '../crypto/xwing.js';
import { canonicalHostPort } from '../net/host-port.js';
import { parseSpiffeId } from '../spiffe/spiffe-id.js';
import { MAX_MEMBER_ADDRESSES, MEMBER_RECORD_STATES, type MemberRecordState } from './member-limits.js';
import { leafSpiffeId, verifyX509Svid, type BundleSet } from '../spiffe/x509-svid.js';

/** Version 2 added the X-Wing key; a version-1 record (no key to seal for) is refused as malformed. */
const RECORD_VERSION = 2;
const CONTEXT = Buffer.from('x0tta6bl4 member record v2\0');
export { MAX_MEMBER_ADDRESSES, MEMBER_RECORD_STATES, type MemberRecordState };
/** `[` IPv6 `]:` port: 262 characters at most. */
const MAX_ADDRESS_BYTES = 262;
/** A leaf and up to three intermediates: SPIRE deployments nest a few at most. */
export const MAX_CHAIN_CERTIFICATES = 4;
const MAX_CERTIFICATE_BYTES = 8_192;
const MAX_BINDING_BYTES = 8_192;
/** Everything above at its largest, rounded up: a record longer than this is refused unread. */
export const MAX_MEMBER_RECORD_BYTES = 64 * 1024;
/** How far ahead of this node's clock a record's time of issue may be: NTP-synchronised machines are within milliseconds, unsynchronised ones within seconds. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 30_000;

export interface MemberRecord {
  spiffeId: string;
  /** Where the node accepts peer links (`host:port`). */
  addresses: string[];
  /** Raised by the node itself, to refute a suspicion of it or to announce a change: a higher one supersedes. */
  incarnation: bigint;
  /** `left`: the node announced its graceful leave; at the same incarnation it supersedes `alive`. */
  state: MemberRecordState;
  issuedAt: number;
  /** The node's X-Wing public key of this run: what end-to-end messages to it are sealed for. */
  kemPublicKey: Uint8Array;
}

export interface VerifiedMemberRecord extends MemberRecord {
  mldsaPublicKey: Uint8Array;
  /** When the record stops verifying: its binding's or its chain's end, whichever comes first. */
  expiresAt: number;
}

export type MemberRecordRefusal = 'oversized' | 'malformed' | 'from-the-future' | 'unauthorized' | 'untrusted' | 'binding' | 'signature';

export class MemberRecordError extends Error {
  override readonly name = 'MemberRecordError';
  constructor(
    readonly reason: MemberRecordRefusal,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What the node signs a record with: its SVID chain (DER, leaf first), the node record binding its key, and its ML-DSA key. */
export interface MemberSigning {
  chain: readonly Uint8Array[];
  binding: Uint8Array;
  secretKey: Uint8Array;
  signer: Signer;
}

export function encodeMemberRecord(record: MemberRecord, signing: MemberSigning): Buffer {
  if (record.addresses.length > MAX_MEMBER_ADDRESSES) throw new RangeError(`a member record carries at most ${MAX_MEMBER_ADDRESSES} addresses`);
  if (signing.chain.length < 1 || signing.chain.length > MAX_CHAIN_CERTIFICATES) throw new RangeError(`a member record carries 1 to ${MAX_CHAIN_CERTIFICATES} certificates`);
  const writer = new WireWriter().u8(RECORD_VERSION).vector16(Buffer.from(record.spiffeId, 'utf8')).u8(record.addresses.length);
  for (const address of record.addresses) writer.vector16(Buffer.from(address, 'utf8'));
  writer.u64(record.incarnation).u8(MEMBER_RECORD_STATES.indexOf(record.state)).u64(BigInt(record.issuedAt)).vector16(record.kemPublicKey).vector16(signing.binding).u8(signing.chain.length);
  for (const certificate of signing.chain) writer.vector16(certificate);
  const body = writer.finish();
  const signature = signing.signer.sign(Buffer.concat([CONTEXT, body]), signing.secretKey);
  return Buffer.concat([body, new WireWriter().vector16(signature).finish()]);
}

interface ParsedRecord {
  record: MemberRecord;
  binding: Uint8Array;
  chain: X509Certificate[];
  signed: Uint8Array;
  signature: Uint8Array;
}

/** The fields before the signed keys and certificates: what membership compares with what it knows. */
function parseHead(reader: WireReader): MemberRecord {
  const version = reader.u8('member.version');
  if (version !== RECORD_VERSION) throw new MemberRecordError('malformed', `member record version ${version} is not supported`);
  const spiffeId = Buffer.from(reader.vector16('member.spiffeId', 1, MAX_SPIFFE_ID_BYTES)).toString('utf8');
  // A SPIFFE ID with a path (a workload's), checked as it is read: every later check and the node's policy take it as one.
  if (parseSpiffeId(spiffeId).path === '') throw new MemberRecordError('malformed', `the member ID ${spiffeId} has no path`);
  const addressCount = reader.u8('member.addresses');
  if (addressCount > MAX_MEMBER_ADDRESSES) throw new MemberRecordError('malformed', `${addressCount} addresses, at most ${MAX_MEMBER_ADDRESSES}`);
  const addresses: string[] = [];
  for (let index = 0; index < addressCount; index++) {
    const text = Buffer.from(reader.vector16('member.address', 1, MAX_ADDRESS_BYTES)).toString('utf8');
    // Written back in its canonical form: two spellings of one address are one address.
    const address = canonicalHostPort(text);
    if (addresses.includes(address)) throw new MemberRecordError('malformed', `the address ${address} is listed twice`);
    addresses.push(address);
  }
  const incarnation = reader.u64('member.incarnation');
  const stateCode = reader.u8('member.state');
  const state = MEMBER_RECORD_STATES[stateCode];
  if (state === undefined) throw new MemberRecordError('malformed', `member state ${stateCode} is not known`);
  const issuedAt = reader.u64('member.issuedAt');
  if (issuedAt > BigInt(Number.MAX_SAFE_INTEGER)) throw new MemberRecordError('malformed', 'the time of issue is out of range');
  const kemPublicKey = reader.vector16('member.kemPublicKey', XWING_PUBLIC_KEY_BYTES, XWING_PUBLIC_KEY_BYTES);
  return { spiffeId, addresses, incarnation, state, issuedAt: Number(issuedAt), kemPublicKey };
}

function parse(bytes: Uint8Array): ParsedRecord {
  const reader = new WireReader(bytes);
  const head = parseHead(reader);
  // FIPS 203's checks on the ML-KEM half, before any signature: a key no one could seal for travels to no member.
  checkEncapsulationKey('ML-KEM-768', head.kemPublicKey.subarray(0, XWING_PUBLIC_KEY_BYTES - 32));
  const binding = reader.vector16('member.binding', 1, MAX_BINDING_BYTES);
  const chainCount = reader.u8('member.chain');
  if (chainCount < 1 || chainCount > MAX_CHAIN_CERTIFICATES) throw new MemberRecordError('malformed', `${chainCount} certificates, 1 to ${MAX_CHAIN_CERTIFICATES}`);
  const chain: X509Certificate[] = [];
  for (let index = 0; index < chainCount; index++) chain.push(new X509Certificate(reader.vector16('member.certificate', 1, MAX_CERTIFICATE_BYTES)));
  const signed = reader.consumed();
  const signature = reader.vector16('member.signature', MLDSA65_SIZES.signature, MLDSA65_SIZES.signature);
  reader.end('member record');
  return { record: { ...head, kemPublicKey: new Uint8Array(head.kemPublicKey) }, binding, chain, signed, signature };
}

export interface VerifyMemberRecordOptions {
  bundles: BundleSet;
  /** Whether this node admits a member of this SPIFFE ID (its peer-link policy). */
  authorize(spiffeId: string): boolean;
  signer: Signer;
  now: number;
  maxClockSkewMs?: number;
}

/**
 * A record's head (who, where, which incarnation, which state), parsed and bounded but not verified:
 * what membership compares with what it knows before paying for the rest. Only the head is read, so
 * a stale record (most of what anti-entropy brings) costs microseconds; whatever follows it is
 * checked by verifyMemberRecord, which only news reaches.
 */
export function peekMemberRecord(bytes: Uint8Array): MemberRecord {
  if (bytes.length > MAX_MEMBER_RECORD_BYTES) throw new MemberRecordError('oversized', `a member record of ${bytes.length} bytes is over the ${MAX_MEMBER_RECORD_BYTES}-byte cap`);
  try {
    return parseHead(new WireReader(bytes));
  } catch (error) {
    if (error instanceof MemberRecordError) throw error;
    throw new MemberRecordError('malformed', `the member record does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * What a record's ML-DSA signature covers (a context string and every byte before the signature),
 * and the signature: read from the record's end without parsing the rest, for a verifier that checks
 * the signature under a key it holds already (the deterministic simulation's stand-in).
 */
export function memberRecordSignature(bytes: Uint8Array): { message: Buffer; signature: Uint8Array } {
  const tail = 2 + MLDSA65_SIZES.signature;
  if (bytes.length <= tail || Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt16BE(bytes.length - tail) !== MLDSA65_SIZES.signature) {
    throw new MemberRecordError('malformed', 'the member record does not end with a signature');
  }
  return { message: Buffer.concat([CONTEXT, bytes.subarray(0, bytes.length - tail)]), signature: bytes.subarray(bytes.length - MLDSA65_SIZES.signature) };
}

function parseBounded(bytes: Uint8Array): ParsedRecord {
  if (bytes.length > MAX_MEMBER_RECORD_BYTES) throw new MemberRecordError('oversized', `a member record of ${bytes.length} bytes is over the ${MAX_MEMBER_RECORD_BYTES}-byte cap`);
  try {
    return parse(bytes);
  } catch (error) {
    if (error instanceof MemberRecordError) throw error;
    throw new MemberRecordError('malformed', `the member record does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Checks a record a peer relayed; throws MemberRecordError saying which check refused it. */
export async function verifyMemberRecord(bytes: Uint8Array, options: VerifyMemberRecordOptions): Promise<VerifiedMemberRecord> {
  const parsed = parseBounded(bytes);
  const { record } = parsed;
  const skew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (record.issuedAt > options.now + skew) {
    throw new MemberRecordError('from-the-future', `the member record of ${record.spiffeId} was issued ${record.issuedAt - options.now} ms ahead of this node's clock`);
  }
  let admitted: boolean;
  try {
    admitted = options.authorize(record.spiffeId);
  } catch {
    admitted = false;
  }
  if (!admitted) throw new MemberRecordError('unauthorized', `${record.spiffeId} is not a member this node admits`);

  let leafKey;
  let chainExpiresAt: number;
  try {
    // The leaf's name first, before any signature: a record naming one ID over another's chain costs nothing to refuse.
    const leafId = leafSpiffeId(parsed.chain[0]!).id;
    if (leafId !== record.spiffeId) throw new Error(`the chain's leaf names ${leafId}, the record ${record.spiffeId}`);
    const verified = await verifyX509Svid(parsed.chain, options.bundles, new Date(options.now));
    // Every certificate carried is on the verified path (which ends with the bundle's root): padding would travel to every member.
    if (verified.path.length - 1 !== parsed.chain.length) throw new Error(`${parsed.chain.length - verified.path.length + 1} certificates beyond the path to the bundle`);
    leafKey = createPublicKey({ key: Buffer.from(parsed.chain[0]!.publicKey.rawData), format: 'der', type: 'spki' });
    chainExpiresAt = verified.expiresAt.getTime();
  } catch (error) {
    throw new MemberRecordError('untrusted', `the member record of ${record.spiffeId} is not proved by its chain: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  let mldsaPublicKey: Uint8Array;
  let bindingExpiresAt: number;
  try {
    const binding = verifyNodeRecord(parsed.binding, { spiffeId: record.spiffeId, svidPublicKey: leafKey }, options.now);
    mldsaPublicKey = binding.mldsaPublicKey;
    bindingExpiresAt = binding.notAfter;
  } catch (error) {
    throw new MemberRecordError('binding', `the member record of ${record.spiffeId} does not bind its key: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  let signed: boolean;
  try {
    signed = options.signer.verify(Buffer.concat([CONTEXT, parsed.signed]), parsed.signature, mldsaPublicKey);
  } catch (error) {
    throw new MemberRecordError('signature', `the member record of ${record.spiffeId} could not be checked: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!signed) throw new MemberRecordError('signature', `the member record of ${record.spiffeId} is not signed by its ML-DSA key`);
  return { ...record, mldsaPublicKey, expiresAt: Math.min(chainExpiresAt, bindingExpiresAt) };
}
