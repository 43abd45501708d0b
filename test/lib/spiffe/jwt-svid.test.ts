/** JWT-SVID validation: a good token passes; each rule of the JWT-SVID standard broken alone is refused with its own error. */
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AudienceMismatchError,
  BadTokenTypeError,
  JwtExpiredError,
  JwtSignatureError,
  JwtSubjectError,
  JwtSvidError,
  MalformedJwtError,
  MissingClaimError,
  MissingKeyIdError,
  NoJwtBundleError,
  UnsupportedAlgorithmError,
  validateJwtSvid,
  type JwtBundleSet,
} from '../../../lib/spiffe/jwt-svid.js';

let key: Awaited<ReturnType<typeof generateKeyPair>>;
let bundles: JwtBundleSet;

beforeAll(async () => {
  key = await generateKeyPair('ES256');
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'ES256' }] };
  bundles = new Map([['mesh.test', jwks]]);
});

interface TokenOptions {
  sub?: string | null;
  aud?: readonly string[] | null;
  exp?: number | null;
  kid?: string | null;
  typ?: string;
}

function token(options: TokenOptions = {}, signer = key.privateKey): Promise<string> {
  const jwt = new SignJWT({});
  const header: Record<string, string> = { alg: 'ES256' };
  if (options.kid !== null) header.kid = options.kid ?? 'k1';
  if (options.typ !== undefined) header.typ = options.typ;
  jwt.setProtectedHeader(header as never);
  if (options.sub !== null) jwt.setSubject(options.sub ?? 'spiffe://mesh.test/node/a');
  if (options.aud !== null) jwt.setAudience([...(options.aud ?? ['peer-link'])]);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 300);
  return jwt.sign(signer);
}

describe('validateJwtSvid', () => {
  it('accepts a well-formed token for its audience, with its SPIFFE ID and claims', async () => {
    const validated = await validateJwtSvid(await token({ aud: ['a', 'peer-link'], typ: 'JWT' }), bundles, 'peer-link');
    expect(validated.spiffeId.id).toBe('spiffe://mesh.test/node/a');
    expect(validated.audience).toEqual(['a', 'peer-link']);
    expect(validated.claims.sub).toBe('spiffe://mesh.test/node/a');
  });

  it.each([
    ['no kid', { kid: null }, MissingKeyIdError],
    ['a typ other than JWT or JOSE', { typ: 'at+jwt' }, BadTokenTypeError],
    ['no sub', { sub: null }, MissingClaimError],
    ['no aud', { aud: null }, MissingClaimError],
    ['no exp', { exp: null }, MissingClaimError],
    ['a sub that is not a SPIFFE ID', { sub: 'user@example.org' }, JwtSubjectError],
    ['another audience', { aud: ['someone-else'] }, AudienceMismatchError],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 10 }, JwtExpiredError],
    ['a subject of a trust domain with no bundle here', { sub: 'spiffe://other.test/node/a' }, NoJwtBundleError],
    ['a key ID not in the bundle', { kid: 'k2' }, JwtSignatureError],
  ] as const)('refuses %s', async (_name, options, errorClass) => {
    const attempt = validateJwtSvid(await token(options), bundles, 'peer-link');
    await expect(attempt).rejects.toBeInstanceOf(errorClass);
    await expect(attempt).rejects.toBeInstanceOf(JwtSvidError);
  });

  it('refuses a token signed by another key under the same kid, a tampered payload, alg none, and garbage', async () => {
    const stranger = await generateKeyPair('ES256');
    await expect(validateJwtSvid(await token({}, stranger.privateKey), bundles, 'peer-link')).rejects.toBeInstanceOf(JwtSignatureError);
    const [head, , signature] = (await token()).split('.');
    const forgedBody = Buffer.from(JSON.stringify({ sub: 'spiffe://mesh.test/admin', aud: ['peer-link'], exp: 9_999_999_999 })).toString('base64url');
    await expect(validateJwtSvid(`${head}.${forgedBody}.${signature}`, bundles, 'peer-link')).rejects.toBeInstanceOf(JwtSignatureError);
    const none = new UnsecuredJWT({}).setSubject('spiffe://mesh.test/node/a').setAudience('peer-link').setExpirationTime('5m').encode();
    await expect(validateJwtSvid(none, bundles, 'peer-link')).rejects.toBeInstanceOf(UnsupportedAlgorithmError);
    await expect(validateJwtSvid('not.a.jwt', bundles, 'peer-link')).rejects.toBeInstanceOf(MalformedJwtError);
    await expect(validateJwtSvid('two.parts', bundles, 'peer-link')).rejects.toBeInstanceOf(MalformedJwtError);
  });
});
