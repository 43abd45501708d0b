/**
 * A member claim: what a node says of another member when it has lost it, signed with its own
 * ML-DSA key so that whoever relays the claim cannot forge or alter it. `suspect`: the claimer's
 * link to the member was lost, and it waits for the member to refute; `dead`: the member did not
 * refute in time, or its address refused a connection at once (a process that died). A claim names
 * the incarnation it is about: the member refutes it by issuing a record with a higher one
 * (membership.ts), which every claim about an older incarnation then loses to (SWIM, Das et al. 2002).
 *
 *   version u8 (1) | kind u8 (0 suspect, 1 dead) | subject vector16 (SPIFFE ID) | incarnation u64
 *   | claimer vector16 (SPIFFE ID) | issuedAt u64 (epoch ms) | mldsaSignature vector16 (3309)
 *
 * The signature covers a context string and every byte before it. Checks, cheapest first, each
 * refusal typed: the size before anything is parsed; the parse (both IDs workload SPIFFE IDs, the
 * signature its exact length); a time of issue no later than a clock skew ahead; a claimer this
 * node knows (its member record gives the key); the signature under that key.
 */
import { MLDSA65_SIZES, type Signer } from '../crypto/liboqs.js';
import { MAX_SPIFFE_ID_BYTES } from '../crypto/node-record.js';
import { WireReader, WireWriter } from '../crypto/wire.js';
import { parseSpiffeId } from '../spiffe/spiffe-id.js';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from './member-record.js';

const CLAIM_VERSION = 1;
const CONTEXT = Buffer.from('x0tta6bl4 member claim v1\0');
export const MEMBER_CLAIM_KINDS = ['suspect', 'dead'] as const;
export type MemberClaimKind = (typeof MEMBER_CLAIM_KINDS)[number];
/** Two IDs at their longest, the fixed fields and the signature: a claim longer than this is refused unread. */
export const MAX_MEMBER_CLAIM_BYTES = 8 * 1024;

export interface MemberClaim {
  kind: MemberClaimKind;
  subject: string;
  incarnation: bigint;
  claimer: string;
  issuedAt: number;
}

export type MemberClaimRefusal = 'oversized' | 'malformed' | 'from-the-future' | 'unknown-claimer' | 'signature';

export class MemberClaimError extends Error {
  override readonly name = 'MemberClaimError';
  constructor(
    readonly reason: MemberClaimRefusal,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function encodeMemberClaim(claim: MemberClaim, signing: { secretKey: Uint8Array; signer: Signer }): Buffer {
  const body = new WireWriter()
    .u8(CLAIM_VERSION)
    .u8(MEMBER_CLAIM_KINDS.indexOf(claim.kind))
    .vector16(Buffer.from(claim.subject, 'utf8'))
    .u64(claim.incarnation)
    .vector16(Buffer.from(claim.claimer, 'utf8'))
    .u64(BigInt(claim.issuedAt))
    .finish();
  const signature = signing.signer.sign(Buffer.concat([CONTEXT, body]), signing.secretKey);
  return Buffer.concat([body, new WireWriter().vector16(signature).finish()]);
}

interface ParsedClaim {
  claim: MemberClaim;
  signed: Uint8Array;
  signature: Uint8Array;
}

function workloadId(bytes: Uint8Array, field: string): string {
  const id = Buffer.from(bytes).toString('utf8');
  if (parseSpiffeId(id).path === '') throw new MemberClaimError('malformed', `the claim's ${field} ${id} has no path`);
  return id;
}

function parse(bytes: Uint8Array): ParsedClaim {
  const reader = new WireReader(bytes);
  const version = reader.u8('claim.version');
  if (version !== CLAIM_VERSION) throw new MemberClaimError('malformed', `member claim version ${version} is not supported`);
  const kindCode = reader.u8('claim.kind');
  const kind = MEMBER_CLAIM_KINDS[kindCode];
  if (kind === undefined) throw new MemberClaimError('malformed', `member claim kind ${kindCode} is not known`);
  const subject = workloadId(reader.vector16('claim.subject', 1, MAX_SPIFFE_ID_BYTES), 'subject');
  const incarnation = reader.u64('claim.incarnation');
  const claimer = workloadId(reader.vector16('claim.claimer', 1, MAX_SPIFFE_ID_BYTES), 'claimer');
  const issuedAt = reader.u64('claim.issuedAt');
  const signed = reader.consumed();
  const signature = reader.vector16('claim.signature', MLDSA65_SIZES.signature, MLDSA65_SIZES.signature);
  reader.end('member claim');
  if (issuedAt > BigInt(Number.MAX_SAFE_INTEGER)) throw new MemberClaimError('malformed', 'the time of issue is out of range');
  if (subject === claimer) throw new MemberClaimError('malformed', `${claimer} makes a claim about itself`);
  return { claim: { kind, subject, incarnation, claimer, issuedAt: Number(issuedAt) }, signed, signature };
}

/** A claim's content, bounded and parsed but not verified: what membership compares with what it knows first. */
export function peekMemberClaim(bytes: Uint8Array): MemberClaim {
  return parseBounded(bytes).claim;
}

function parseBounded(bytes: Uint8Array): ParsedClaim {
  if (bytes.length > MAX_MEMBER_CLAIM_BYTES) throw new MemberClaimError('oversized', `a member claim of ${bytes.length} bytes is over the ${MAX_MEMBER_CLAIM_BYTES}-byte cap`);
  try {
    return parse(bytes);
  } catch (error) {
    if (error instanceof MemberClaimError) throw error;
    throw new MemberClaimError('malformed', `the member claim does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export interface VerifyMemberClaimOptions {
  /** The ML-DSA public key of a member this node holds a verified record of. */
  keyOf(spiffeId: string): Uint8Array | undefined;
  signer: Signer;
  now: number;
  maxClockSkewMs?: number;
}

/** Checks a claim a peer relayed; throws MemberClaimError saying which check refused it. */
export function verifyMemberClaim(bytes: Uint8Array, options: VerifyMemberClaimOptions): MemberClaim {
  const { claim, signed, signature } = parseBounded(bytes);
  if (claim.issuedAt > options.now + (options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS)) {
    throw new MemberClaimError('from-the-future', `the claim of ${claim.claimer} was issued ${claim.issuedAt - options.now} ms ahead of this node's clock`);
  }
  const key = options.keyOf(claim.claimer);
  if (!key) throw new MemberClaimError('unknown-claimer', `${claim.claimer} is not a member this node knows`);
  let valid: boolean;
  try {
    valid = options.signer.verify(Buffer.concat([CONTEXT, signed]), signature, key);
  } catch (error) {
    throw new MemberClaimError('signature', `the claim of ${claim.claimer} could not be checked: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!valid) throw new MemberClaimError('signature', `the claim is not signed by ${claim.claimer}'s ML-DSA key`);
  return claim;
}
