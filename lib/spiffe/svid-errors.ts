/**
 * Why an X.509-SVID was refused: one class per rule of the X509-SVID standard
 * (https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md) and of RFC 5280 path
 * validation, with a stable `name` and the rule in words. All extend SvidError.
 */
export class SvidError extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Not a certificate: bad PEM, truncated or malformed DER. */
export class CertificateParseError extends SvidError {}
/** A leaf must carry exactly one URI SAN. */
export class UriSanCountError extends SvidError {}
/** The URI SAN is not a valid SPIFFE ID. */
export class NotSpiffeIdError extends SvidError {}
/** A leaf SVID's SPIFFE ID must have a path (the trust domain's own ID names no workload). */
export class RootPathIdError extends SvidError {}
/** A leaf must not be a CA. */
export class LeafIsCaError extends SvidError {}
/** The key usage extension must be present and critical. */
export class KeyUsageError extends SvidError {}
/** A leaf must have digitalSignature. */
export class MissingDigitalSignatureError extends SvidError {}
/** A leaf must not have keyCertSign or cRLSign. */
export class LeafSigningUsageError extends SvidError {}
/** A signing (intermediate or root) certificate must be a CA with keyCertSign, and name no workload. */
export class SigningCertificateError extends SvidError {}
/** A critical extension this validator does not know (RFC 5280 §4.2: must be refused). */
export class UnknownCriticalExtensionError extends SvidError {}
/** Outside a certificate's validity window. */
export class ExpiredError extends SvidError {}
export class NotYetValidError extends SvidError {}
/** No bundle for the leaf's trust domain: roots of another trust domain never vouch for it. */
export class NoBundleForTrustDomainError extends SvidError {}
/** The chain does not lead to a root of the bundle, or a signature does not verify. */
export class UntrustedChainError extends SvidError {}
/** A CA's name constraints exclude (or do not permit) a name below it, or constrain a name type this validator does not evaluate. */
export class NameConstraintError extends SvidError {}
/** A CA's pathLenConstraint allows fewer intermediates below it than the path has. */
export class PathLengthError extends SvidError {}
/** A leaf whose extended key usage does not allow TLS client and server authentication (a node's SVID does both). */
export class ExtendedKeyUsageError extends SvidError {}
