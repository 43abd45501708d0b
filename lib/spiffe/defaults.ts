/** SPIFFE defaults that configuration and threads share, without loading the X.509 library. */

/** The SPIRE agent's default X.509-SVID lifetime; the embedded trust domain rotates at half of it. */
export const DEFAULT_SVID_TTL_MS = 60 * 60 * 1000;
