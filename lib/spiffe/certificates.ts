/** Reading certificates from PEM (one or more blocks) or DER, with a typed error for anything else. */
import { PemConverter, X509Certificate } from '@peculiar/x509';
import { fromBER } from 'asn1js';
import { CertificateParseError } from './svid-errors.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Every certificate in `data`: PEM text with one or more CERTIFICATE blocks, or concatenated DER
 * (the Workload API's form). Throws CertificateParseError naming `what`.
 */
export function parseCertificates(data: Uint8Array | string, what: string): X509Certificate[] {
  const text = typeof data === 'string' ? data : looksLikePem(data) ? new TextDecoder().decode(data) : undefined;
  try {
    if (text !== undefined) {
      const blocks = text.match(PEM_CERTIFICATE);
      if (!blocks || blocks.length === 0) throw new Error('no PEM CERTIFICATE block');
      return blocks.flatMap((block) => PemConverter.decode(block).map(decodedCertificate));
    }
    return splitDer(data as Uint8Array).map(decodedCertificate);
  } catch (error) {
    if (error instanceof CertificateParseError) throw error;
    throw new CertificateParseError('certificate encoding', `${what}: not a certificate (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * One DER certificate with every part the validator reads decoded now. @peculiar/x509 decodes
 * names, validity, key and extensions lazily, on first access, and throws its own errors (asn1js,
 * TypeError) there: a certificate that fails them is refused here, as not a certificate, instead
 * of in the middle of validation with an error no caller expects.
 */
function decodedCertificate(der: ArrayBuffer | Uint8Array): X509Certificate {
  const certificate = new X509Certificate(der);
  void [certificate.subject, certificate.issuer, certificate.notBefore, certificate.notAfter, certificate.publicKey, certificate.extensions];
  return certificate;
}

/** As parseCertificates for one DER certificate (a TLS peer's): throws CertificateParseError naming `what`. */
export function parseDerCertificate(der: Uint8Array, what: string): X509Certificate {
  try {
    return decodedCertificate(der);
  } catch (error) {
    throw new CertificateParseError('certificate encoding', `${what}: not a certificate (${error instanceof Error ? error.message : String(error)})`);
  }
}

function looksLikePem(data: Uint8Array): boolean {
  return new TextDecoder().decode(data.subarray(0, Math.min(data.length, 4096))).includes('-----BEGIN');
}

/** Splits concatenated DER certificates (the Workload API's form) at each top-level element's end. */
function splitDer(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  while (offset < data.length) {
    const rest = data.slice(offset);
    const parsed = fromBER(rest);
    if (parsed.offset === -1) throw new Error(`malformed DER at byte ${offset}: ${parsed.result.error}`);
    out.push(rest.subarray(0, parsed.offset));
    offset += parsed.offset;
  }
  if (out.length === 0) throw new Error('empty');
  return out;
}
