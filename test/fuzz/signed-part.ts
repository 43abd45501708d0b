/**
 * The part of a certificate its issuer's signature covers (tbsCertificate), as @peculiar/x509
 * verifies it: the bytes as they were read, not a re-encoding. The library keeps it in a getter
 * its typings mark private; it is the exact value the signature check uses, which is what an
 * oracle about signed content must compare.
 */
import type { X509Certificate } from '@peculiar/x509';

export function signedPart(certificate: X509Certificate): Buffer {
  return Buffer.from((certificate as unknown as { tbs: ArrayBuffer }).tbs);
}
