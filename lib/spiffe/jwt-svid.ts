/**
 * JWT-SVID validation per the JWT-SVID standard
 * (https://github.com/spiffe/spiffe/blob/main/standards/JWT-SVID.md), with `jose` for the JOSE
 * work: compact serialization only; `alg` one of the RSA, ECDSA and RSA-PSS algorithms the
 * standard names (never `none`, never HMAC); `kid` present; `typ`, when present, JWT or JOSE;
 * `sub` a SPIFFE ID, `aud` containing the validator's audience, `exp` present and in the future;
 * the signature checked with the key of that `kid` in the JWT bundle of the subject's own trust
 * domain (never another's).
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { parseSpiffeId, type SpiffeId } from './spiffe-id.js';
import { SpiffeIdError } from './errors.js';

export const JWT_SVID_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'] as const;

export class JwtSvidError extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
export class MalformedJwtError extends JwtSvidError {}
export class UnsupportedAlgorithmError extends JwtSvidError {}
export class MissingKeyIdError extends JwtSvidError {}
export class BadTokenTypeError extends JwtSvidError {}
export class MissingClaimError extends JwtSvidError {}
export class JwtSubjectError extends JwtSvidError {}
export class AudienceMismatchError extends JwtSvidError {}
export class JwtExpiredError extends JwtSvidError {}
export class NoJwtBundleError extends JwtSvidError {}
export class JwtSignatureError extends JwtSvidError {}

/** JWT bundles by trust-domain name: each a JWK set. */
export type JwtBundleSet = ReadonlyMap<string, JSONWebKeySet>;

export interface ValidatedJwtSvid {
  spiffeId: SpiffeId;
  audience: string[];
  expiresAt: Date;
  claims: JWTPayload;
}

/**
 * The keys of a bundle that sign JWT-SVIDs: a SPIFFE bundle marks them `use: "jwt-svid"` (and its
 * X.509 authorities `x509-svid`), which JOSE libraries read as not-for-signatures; they are
 * handed on as plain signing keys.
 */
function jwtSvidKeys(set: JSONWebKeySet): JSONWebKeySet {
  return {
    keys: set.keys
      .filter((key) => key.use === undefined || key.use === 'jwt-svid' || key.use === 'sig')
      .map(({ use: _use, ...key }) => ({ ...key, use: 'sig' })),
  };
}

export async function validateJwtSvid(token: string, bundles: JwtBundleSet, audience: string, now: Date = new Date()): Promise<ValidatedJwtSvid> {
  if (token.split('.').length !== 3) throw new MalformedJwtError('compact serialization', 'a JWT-SVID is three base64url parts joined by dots');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch (error) {
    throw new MalformedJwtError('compact serialization', `not a JWT: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!(JWT_SVID_ALGORITHMS as readonly string[]).includes(String(header.alg))) {
    throw new UnsupportedAlgorithmError('alg', `algorithm ${JSON.stringify(header.alg)} is not allowed for JWT-SVIDs (${JWT_SVID_ALGORITHMS.join(', ')})`);
  }
  if (typeof header.kid !== 'string' || header.kid === '') throw new MissingKeyIdError('kid', 'a JWT-SVID header must carry a key ID (kid)');
  if (header.typ !== undefined && header.typ !== 'JWT' && header.typ !== 'JOSE') {
    throw new BadTokenTypeError('typ', `typ must be JWT or JOSE when present, is ${JSON.stringify(header.typ)}`);
  }
  for (const claim of ['sub', 'aud', 'exp'] as const) {
    if (payload[claim] === undefined) throw new MissingClaimError(claim, `a JWT-SVID must carry the '${claim}' claim`);
  }
  let spiffeId: SpiffeId;
  try {
    spiffeId = parseSpiffeId(String(payload.sub));
  } catch (error) {
    if (error instanceof SpiffeIdError) throw new JwtSubjectError('sub', `the subject is not a SPIFFE ID: ${error.message}`);
    throw error;
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud!];
  if (!audiences.includes(audience)) throw new AudienceMismatchError('aud', `the token is for ${JSON.stringify(audiences)}, not '${audience}'`);
  const expiresAt = new Date(Number(payload.exp) * 1000);
  if (!(expiresAt > now)) throw new JwtExpiredError('exp', `the token expired at ${expiresAt.toISOString()}`);
  const keys = bundles.get(spiffeId.trustDomain);
  if (!keys) throw new NoJwtBundleError('bundle of the subject\'s trust domain', `no JWT bundle for trust domain '${spiffeId.trustDomain}'`);
  try {
    await jwtVerify(token, createLocalJWKSet(jwtSvidKeys(keys)), { algorithms: [...JWT_SVID_ALGORITHMS], audience, currentDate: now });
  } catch (error) {
    if (error instanceof joseErrors.JWKSNoMatchingKey) {
      throw new JwtSignatureError('signature', `no key '${header.kid}' in the JWT bundle of '${spiffeId.trustDomain}'`);
    }
    throw new JwtSignatureError('signature', `the signature does not verify: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { spiffeId, audience: audiences, expiresAt, claims: payload };
}
