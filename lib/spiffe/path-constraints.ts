/**
 * The constraints a validated path's CAs place on what is below them (RFC 5280 §4.2.1.9,
 * §4.2.1.10, §4.2.1.12), and the leaf's extended key usage, checked once the path to the bundle is
 * known. Name constraints are evaluated for URI names, which is what SPIFFE IDs are: a constraint
 * on the URI host is one on the trust domain. A CA that constrains any other name type (DNS, IP,
 * e-mail, directory names) is refused rather than half-checked: a constraint we do not evaluate
 * would otherwise be a constraint we silently ignore.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { NameConstraints, type GeneralSubtrees } from '@peculiar/asn1-x509';
import { BasicConstraintsExtension, ExtendedKeyUsage, ExtendedKeyUsageExtension, type X509Certificate } from '@peculiar/x509';
import { ExtendedKeyUsageError, NameConstraintError, PathLengthError } from './svid-errors.js';
import { uriSans } from './x509-svid-names.js';

const NAME_CONSTRAINTS_OID = '2.5.29.30';
/** anyExtendedKeyUsage (RFC 5280 §4.2.1.12). */
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/** `path`: leaf first, ending with the bundle's root. */
export function checkPathConstraints(path: readonly X509Certificate[]): void {
  checkExtendedKeyUsage(path[0]!);
  for (let index = 1; index < path.length; index++) {
    const ca = path[index]!;
    checkPathLength(ca, index - 1);
    checkNameConstraints(ca, path.slice(0, index));
  }
}

function checkExtendedKeyUsage(leaf: X509Certificate): void {
  const extension = leaf.getExtension(ExtendedKeyUsageExtension);
  if (!extension) return;
  const usages = new Set(extension.usages.map(String));
  if (usages.has(ANY_EXTENDED_KEY_USAGE)) return;
  for (const [purpose, oid] of [['serverAuth', ExtendedKeyUsage.serverAuth], ['clientAuth', ExtendedKeyUsage.clientAuth]] as const) {
    if (!usages.has(oid)) throw new ExtendedKeyUsageError('extended key usage allows mutual TLS', `the leaf's extended key usage lacks ${purpose}, which a node's SVID needs (it both dials and accepts)`);
  }
}

/** `intermediatesBelow`: the CAs between this one and the leaf. */
function checkPathLength(ca: X509Certificate, intermediatesBelow: number): void {
  const limit = ca.getExtension(BasicConstraintsExtension)?.pathLength;
  if (limit !== undefined && intermediatesBelow > limit) {
    throw new PathLengthError('pathLenConstraint', `'${ca.subject}' allows ${limit} intermediate CA${limit === 1 ? '' : 's'} below it, the path has ${intermediatesBelow}`);
  }
}

function checkNameConstraints(ca: X509Certificate, below: readonly X509Certificate[]): void {
  const extension = ca.extensions.find((candidate) => candidate.type === NAME_CONSTRAINTS_OID);
  if (!extension) return;
  let constraints: NameConstraints;
  try {
    constraints = AsnConvert.parse(extension.value, NameConstraints);
  } catch (error) {
    throw new NameConstraintError('name constraints', `'${ca.subject}' has name constraints that do not parse: ${(error as Error).message}`);
  }
  const permitted = uriConstraints(ca, constraints.permittedSubtrees);
  const excluded = uriConstraints(ca, constraints.excludedSubtrees);
  for (const certificate of below) {
    for (const uri of uriSans(certificate)) {
      const host = uriHost(uri);
      if (permitted.length > 0 && !permitted.some((constraint) => hostMatches(host, constraint))) {
        throw new NameConstraintError('name constraints', `'${ca.subject}' permits URIs in ${permitted.join(', ')} only; '${uri}' is not`);
      }
      const hit = excluded.find((constraint) => hostMatches(host, constraint));
      if (hit !== undefined) throw new NameConstraintError('name constraints', `'${ca.subject}' excludes URIs in ${hit}; '${uri}' is one`);
    }
  }
}

/** The URI constraints of a subtree list; any other name type is refused as unevaluated. */
function uriConstraints(ca: X509Certificate, subtrees: GeneralSubtrees | undefined): string[] {
  return [...(subtrees ?? [])].map((subtree) => {
    const uri = subtree.base.uniformResourceIdentifier;
    if (uri === undefined) {
      const type = Object.keys(subtree.base).find((key) => (subtree.base as unknown as Record<string, unknown>)[key] !== undefined) ?? 'unknown';
      throw new NameConstraintError('name constraints', `'${ca.subject}' constrains ${type} names, which this validator does not evaluate`);
    }
    return uri.toLowerCase();
  });
}

function uriHost(uri: string): string {
  try {
    return new URL(uri).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/** RFC 5280 §4.2.1.10 for URIs: `.example.org` matches any host below it, `example.org` that host only. */
function hostMatches(host: string, constraint: string): boolean {
  return constraint.startsWith('.') ? host.endsWith(constraint) && host.length > constraint.length : host === constraint;
}
