/**
 * The Workload API's X509SVIDResponse as the identity actor takes it in: grpc-js decodes it with
 * the proto loader's deserializer (lib/spiffe/workload-api-proto.ts), toContext checks it
 * (lib/spiffe/workload-api-client.ts), and the chosen SVID is verified against the message's own
 * bundle (lib/spiffe/svid-choice.ts). The message comes from the local agent and carries no
 * signature of its own, so the oracle is the parser's: an accepted message decodes and encodes
 * back to itself, its context says what the message said (every SVID with its announced ID, which
 * its leaf carries, a non-empty key, a bundle per trust domain), the chosen SVID's path ends at a
 * root of that bundle; and a chain that verifies under the genuine bundle is the issued one.
 * Rejections: WorkloadApiMessageError, SpiffeIdError, SvidError; a deserializer failure is any
 * Error (grpc-js ends the stream with status INTERNAL on whatever the deserializer throws).
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { webcrypto } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { SpiffeIdError } from '../../lib/spiffe/errors.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { chooseVerifiedSvid, type ChosenSvid } from '../../lib/spiffe/svid-choice.js';
import { SvidError } from '../../lib/spiffe/svid-errors.js';
import { createTrustDomainCa, issueX509Svid } from '../../lib/spiffe/svid-issuer.js';
import { toContext, WorkloadApiMessageError, type X509Context } from '../../lib/spiffe/workload-api-client.js';
import { workloadApiService, type X509SvidMessage, type X509SvidResponseMessage } from '../../lib/spiffe/workload-api-proto.js';
import { leafSpiffeId } from '../../lib/spiffe/x509-svid.js';
import { bytesNear, hex } from './byte-mutations.js';
import { FuzzFinding } from './fuzz-finding.js';
import { asyncFuzzTarget, suiteOf, type FuzzSuite } from './fuzz-target.js';
import { mustBeTyped, mustEqual, mustHold, sameBytes } from './oracles.js';
import { signedPart } from './signed-part.js';

export const WORKLOAD_API_TARGETS = ['x509-svid-response'] as const;

const DAY = 86_400_000;
/** Long enough that a run of any length verifies the recorded SVIDs at the real time chooseVerifiedSvid uses. */
const VALIDITY_MS = 30 * DAY;
/** Federated-bundle keys that are not plain SPIFFE IDs, some of them JavaScript object keys with meaning. */
const ODD_KEYS = ['spiffe://other.org', 'spiffe://example.org', 'spiffe://OTHER.org', 'spiffe://other.org/path', '__proto__', 'constructor', '', 'spiffe://'];

function der(certificates: readonly X509Certificate[]): Buffer {
  return Buffer.concat(certificates.map((certificate) => Buffer.from(certificate.rawData)));
}

async function recordedMessage(): Promise<X509SvidResponseMessage> {
  const validity = { notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + VALIDITY_MS) };
  const ca = await createTrustDomainCa('example.org', validity);
  const other = await createTrustDomainCa('other.org', validity);
  const svid = async (path: string, hint: string): Promise<X509SvidMessage> => {
    const issued = await issueX509Svid(ca, parseSpiffeId(`spiffe://example.org${path}`), validity);
    const key = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', issued.keys.privateKey));
    return { spiffe_id: `spiffe://example.org${path}`, x509_svid: der([issued.certificate]), x509_svid_key: key, bundle: der([ca.certificate]), hint };
  };
  return { svids: [await svid('/node/a', 'internal'), await svid('/node/b', 'external')], crl: [], federated_bundles: { 'spiffe://other.org': der([other.certificate]) } };
}

/** Messages assembled from the recorded one's parts: SVIDs dropped, repeated or mixed, odd federated keys. */
function assembledMessages(recorded: X509SvidResponseMessage): fc.Arbitrary<X509SvidResponseMessage> {
  const parts = recorded.svids;
  const pick = <K extends keyof X509SvidMessage>(key: K) => fc.nat({ max: parts.length - 1 }).map((index) => parts[index]![key]);
  const svid = fc.record({
    spiffe_id: fc.oneof(pick('spiffe_id'), fc.constantFrom(...ODD_KEYS)),
    x509_svid: pick('x509_svid'),
    x509_svid_key: fc.oneof(pick('x509_svid_key'), fc.constant(Buffer.alloc(0))),
    bundle: fc.oneof(pick('bundle'), fc.constant(recorded.federated_bundles['spiffe://other.org']!)),
    hint: fc.string({ maxLength: 8 }),
  });
  return fc.record({
    svids: fc.array(svid, { maxLength: 3 }),
    crl: fc.constant([]),
    federated_bundles: fc.dictionary(fc.constantFrom(...ODD_KEYS), fc.constantFrom(...Object.values(recorded.federated_bundles), parts[0]!.bundle), { maxKeys: 3 }),
  });
}

/**
 * A decoded message with its map's values as Buffers: a map entry without its value decodes to
 * an empty array (protobufjs's default there), which encodes back as an empty Buffer; the content
 * is the same, and toContext reads either as bytes.
 */
function comparable(message: X509SvidResponseMessage): X509SvidResponseMessage {
  return { ...message, federated_bundles: Object.fromEntries(Object.entries(message.federated_bundles).map(([id, bytes]) => [id, Buffer.from(bytes)])) };
}

/** A chosen SVID's signed content: its ID and each path certificate's to-be-signed bytes. */
function signedContent(chosen: ChosenSvid): string[] {
  return [chosen.verified.spiffeId.id, ...chosen.verified.path.map((certificate) => signedPart(certificate).toString('hex'))];
}

export async function workloadApiTargets(): Promise<FuzzSuite> {
  const method = workloadApiService()['FetchX509SVID']!;
  const serialize = (message: X509SvidResponseMessage) => method.responseSerialize(message) as Buffer;
  const deserialize = (bytes: Uint8Array) => method.responseDeserialize(Buffer.from(bytes)) as X509SvidResponseMessage;
  const recorded = await recordedMessage();
  const recordedBytes = serialize(recorded);
  const genuine = await chooseVerifiedSvid(toContext(deserialize(recordedBytes)), {});
  const genuineContent = signedContent(genuine);
  const genuineBundle = recorded.svids[0]!.bundle;

  const judge = async (bytes: Uint8Array): Promise<string> => {
    let message: X509SvidResponseMessage;
    try {
      message = deserialize(bytes);
    } catch (error) {
      return `${mustBeTyped(error, [Error], 'the Workload API deserializer')} (in the deserializer)`;
    }
    mustEqual(comparable(deserialize(serialize(message))), comparable(message), 'the decoded message encoded and decoded again');
    let context: X509Context;
    try {
      context = toContext(message);
    } catch (error) {
      return mustBeTyped(error, [WorkloadApiMessageError, SpiffeIdError, SvidError], 'toContext');
    }
    mustHold(context.svids.length === message.svids.length && context.svids.length >= 1, `a context of ${context.svids.length} SVIDs from a message of ${message.svids.length}`);
    context.svids.forEach((entry, index) => {
      const sent = message.svids[index]!;
      mustEqual(entry.spiffeId.id, parseSpiffeId(sent.spiffe_id).id, `SVID #${index}'s ID`);
      mustEqual(leafSpiffeId(entry.chain[0]!).id, entry.spiffeId.id, `SVID #${index}'s leaf ID`);
      mustHold(entry.privateKey.length > 0 && sameBytes(entry.privateKey, sent.x509_svid_key), `SVID #${index}'s key is not the one sent`);
      mustEqual(entry.hint, sent.hint, `SVID #${index}'s hint`);
      mustHold(context.bundles.has(entry.spiffeId.trustDomain), `no bundle for ${entry.spiffeId.trustDomain}`);
    });
    const named = new Set([...context.svids.map((entry) => entry.spiffeId.trustDomain), ...Object.keys(message.federated_bundles).map((id) => parseSpiffeId(id).trustDomain)]);
    mustHold([...context.bundles.keys()].every((trustDomain) => named.has(trustDomain)), `bundles for trust domains the message does not name: ${[...context.bundles.keys()].join(', ')}`);
    let chosen: ChosenSvid;
    try {
      chosen = await chooseVerifiedSvid(context, {});
    } catch (error) {
      const outcome = mustBeTyped(error, [SvidError], 'chooseVerifiedSvid');
      if (sameBytes(bytes, recordedBytes)) throw new FuzzFinding('recorded-refused', `the recorded message no longer verifies (${outcome})`);
      return `${outcome} (the chosen SVID)`;
    }
    mustEqual(chosen.verified.spiffeId.id, chosen.entry.spiffeId.id, 'the verified ID');
    const anchor = chosen.verified.path.at(-1)!;
    mustHold(context.bundles.get(chosen.entry.spiffeId.trustDomain)!.includes(anchor), 'the verified path ends outside its trust domain\'s bundle');
    // Under the genuine bundle (the one the verification used) only the issued chain verifies.
    if (sameBytes(der(context.bundles.get(chosen.entry.spiffeId.trustDomain)!), genuineBundle) && chosen.entry.spiffeId.id === genuine.entry.spiffeId.id && !isDeepStrictEqual(signedContent(chosen), genuineContent)) {
      throw new FuzzFinding('forgery-accepted', `a chain for ${chosen.entry.spiffeId.id} other than the issued one verified under the genuine bundle`);
    }
    return 'accepted';
  };

  const inputs = fc.oneof({ arbitrary: bytesNear([recordedBytes]), weight: 3 }, { arbitrary: assembledMessages(recorded).map(serialize), weight: 1 });
  return suiteOf([asyncFuzzTarget('x509-svid-response', inputs, judge, hex)]);
}
