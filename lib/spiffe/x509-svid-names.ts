/** The names an X.509 certificate carries that SPIFFE cares about: its URI SANs. */
import { SubjectAlternativeNameExtension, type X509Certificate } from '@peculiar/x509';

/** The URI SANs of a certificate, in order. */
export function uriSans(certificate: X509Certificate): string[] {
  const san = certificate.getExtension(SubjectAlternativeNameExtension);
  return san ? san.names.items.filter((name) => name.type === 'url').map((name) => name.value) : [];
}
