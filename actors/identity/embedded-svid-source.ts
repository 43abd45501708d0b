/**
 * The embedded trust domain's SVID source: the node's SVID issued by the local CA, re-issued at
 * half its lifetime (as the SPIRE agent rotates), so the new one is in use long before the old
 * one expires. The rotation timer is this edge's; the keys are fresh for every SVID.
 */
import { webcrypto } from 'node:crypto';
import type { SpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { DEFAULT_SVID_TTL_MS } from '../../lib/spiffe/defaults.js';
import { issueX509Svid, type TrustDomainCa } from '../../lib/spiffe/svid-issuer.js';
import type { JwtSvidSource, X509SvidSource } from './workload-api-server.js';
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from 'jose';
import { randomBytes } from 'node:crypto';
import type { X509SvidResponseMessage } from '../../lib/spiffe/workload-api-proto.js';


/** A rotation that failed is tried again after this long (or an eighth of the lifetime, if shorter): well before the SVID's remaining half runs out. */
const ROTATION_RETRY_MS = 5_000;

/** JWT-SVIDs live five minutes, as SPIRE's do by default: a bearer token should not outlive its use. */
export const JWT_SVID_TTL_S = 300;

export interface EmbeddedSvidSource extends X509SvidSource, JwtSvidSource {
  /** Issues now (first SVID or an early rotation). */
  rotate(): Promise<void>;
  stop(): void;
}

export async function createEmbeddedSvidSource(options: { ca: TrustDomainCa; spiffeId: SpiffeId; ttlMs?: number; hint?: string }): Promise<EmbeddedSvidSource> {
  const ttlMs = options.ttlMs ?? DEFAULT_SVID_TTL_MS;
  const listeners = new Set<() => void>();
  let state: X509SvidResponseMessage | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const rotate = async () => {
    const now = Date.now();
    const svid = await issueX509Svid(options.ca, options.spiffeId, { notBefore: new Date(now - 60_000), notAfter: new Date(now + ttlMs) });
    const key = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', svid.keys.privateKey));
    state = {
      svids: [
        {
          spiffe_id: options.spiffeId.id,
          x509_svid: Buffer.from(svid.certificate.rawData),
          x509_svid_key: key,
          bundle: Buffer.from(options.ca.certificate.rawData),
          hint: options.hint ?? '',
        },
      ],
      crl: [],
      federated_bundles: {},
    };
    for (const listener of listeners) listener();
    schedule(ttlMs / 2);
  };
  /** The next rotation; one that fails (the CA cannot sign now) is tried again soon, the current SVID still valid meanwhile. */
  const schedule = (inMs: number) => {
    if (timer) clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => rotate().catch(() => schedule(Math.min(ttlMs / 8, ROTATION_RETRY_MS))), inMs);
    timer.unref();
  };
  await rotate();
  // The trust domain's JWT signing key (ES256), published in its JWT bundle under its key ID.
  const jwtKeys = await generateKeyPair('ES256');
  const kid = randomBytes(16).toString('hex');
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(jwtKeys.publicKey)), kid, alg: 'ES256', use: 'jwt-svid' }] };
  return {
    async issueJwtSvids(audience, spiffeId) {
      if (spiffeId !== undefined && spiffeId !== options.spiffeId.id) return [];
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setSubject(options.spiffeId.id)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${JWT_SVID_TTL_S}s`)
        .sign(jwtKeys.privateKey);
      return [{ spiffeId: options.spiffeId.id, token, hint: options.hint ?? '' }];
    },
    jwtBundles: () => new Map([[options.ca.trustDomain, jwks]]),
    current: () => state,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    rotate,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
