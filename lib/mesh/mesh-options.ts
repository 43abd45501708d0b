/**
 * The mesh options, written once: the node configuration's `mesh` section
 * (actors/runtime/config/node-config.ts) and the peer-link actor's options
 * (actors/peer-link/worker.ts, which adds where its SVID comes from) are both this schema. It lives
 * in lib/ because the runtime's configuration may not import a subsystem's folder, and the
 * subsystem may not import the runtime's configuration. The suite names come from the suites
 * themselves (lib/crypto/pq-suites.ts).
 */
import { z } from 'zod';
import { DEFAULT_MAX_FRAMES_PER_KEY, DEFAULT_REKEY_AFTER_FRAMES, DEFAULT_REKEY_AFTER_MS } from '../crypto/session-channel.js';
import { DEFAULT_SUITES, SUITES, type SuiteName } from '../crypto/pq-suite-ids.js';
import { canonicalHostPort, parseHostPort } from '../net/host-port.js';
import { failureDetectionSchema } from './failure-detection.js';
import { MAX_MEMBER_ADDRESSES } from './member-limits.js';
import { refineWith } from '../schema/refine-with.js';
import { parseSpiffeId, parseTrustDomain, validatePath } from '../spiffe/spiffe-id.js';

/** Who may link to this node when `mesh.authorize` is not set: the nodes of its own trust domain (IDs under /node). */
export const DEFAULT_MESH_AUTHORIZE = [{ pathPrefix: '/node' }] as const;
/** Peers one node dials: the same bound as the links it accepts (MAX_ACCEPTED_LINKS in the peer link). */
export const MAX_MESH_PEERS = 1_024;
/** The least rekey interval in frames: below it a session spends more on key exchanges than on traffic. */
export const MIN_REKEY_AFTER_FRAMES = 16;
/** The least rekey interval in time: a hybrid exchange every second is already far more than any key needs. */
export const MIN_REKEY_AFTER_MS = 1_000;

function canonicalOrAsWritten(address: string): string {
  try {
    return canonicalHostPort(address);
  } catch {
    return address;
  }
}

const SUITE_NAMES = Object.keys(SUITES) as [SuiteName, ...SuiteName[]];

export const spiffeIdText = z.string().min(1).superRefine(refineWith(parseSpiffeId));
export const trustDomainText = z.string().min(1).superRefine(refineWith(parseTrustDomain));

export const meshOptionsSchema = z.strictObject({
  /** `host:port` to accept peer links on (port 0: any free port); none by default, so a node opens no port unless asked. */
  listen: z
    .string()
    .min(1)
    .superRefine(refineWith((value) => parseHostPort(value, { allowAnyPort: true })))
    .optional(),
  /**
   * Where other members reach this node (`host:port`, at most MAX_MEMBER_ADDRESSES), as its member
   * record tells them. Default: the address `listen` bound, unless that is an any-address
   * (0.0.0.0, ::), which names no machine; then none, and members learn of this node without
   * being able to dial it.
   */
  advertise: z
    .array(z.string().min(1).superRefine(refineWith(parseHostPort)))
    .max(MAX_MEMBER_ADDRESSES)
    // Runs even when an element was refused above: an address that does not parse is left as written here.
    .refine((addresses) => new Set(addresses.map(canonicalOrAsWritten)).size === addresses.length, 'lists an address twice')
    .optional(),
  /** Peers this node dials, each named by the SPIFFE ID it must prove. */
  peers: z
    .array(z.strictObject({ address: z.string().min(1).superRefine(refineWith(parseHostPort)), spiffeId: spiffeIdText }))
    .max(MAX_MESH_PEERS)
    .default([]),
  /** Any entry allowing a peer's SPIFFE ID admits it: exact IDs, a whole trust domain, or a path prefix (in this node's trust domain unless one is given). */
  authorize: z
    .array(
      z.union([
        z.strictObject({ ids: z.array(spiffeIdText).min(1) }),
        z.strictObject({ trustDomain: trustDomainText }),
        z.strictObject({ pathPrefix: z.string().min(1).superRefine(refineWith(validatePath)), trustDomain: trustDomainText.optional() }),
      ]),
    )
    .min(1)
    .default([...DEFAULT_MESH_AUTHORIZE]),
  /** Heartbeats, the failure detector and the suspicion (lib/mesh/failure-detection.ts says why each default). */
  failureDetection: failureDetectionSchema,
  /** The post-quantum session inside every link (lib/crypto): there is no way to turn it off. */
  postQuantum: z
    .strictObject({
      /** Offered in this order when dialing, accepted when answering: X-Wing (ML-KEM-768 + X25519) and/or ML-KEM-1024 + X25519. */
      suites: z
        .array(z.enum(SUITE_NAMES))
        .min(1)
        .max(SUITE_NAMES.length)
        .refine((suites) => new Set(suites).size === suites.length, 'lists a suite twice')
        .default([...DEFAULT_SUITES]),
      /** A fresh hybrid exchange after this many frames under one key… */
      rekeyAfterFrames: z.int().min(MIN_REKEY_AFTER_FRAMES).max(DEFAULT_MAX_FRAMES_PER_KEY / 2).default(DEFAULT_REKEY_AFTER_FRAMES),
      /** …or this long, whichever comes first. */
      rekeyAfterMs: z.int().min(MIN_REKEY_AFTER_MS).default(DEFAULT_REKEY_AFTER_MS),
    })
    .prefault({}),
});

/** What a configuration may say (every key optional). */
export type MeshOptionsInput = z.input<typeof meshOptionsSchema>;
/** The mesh options a node runs with (defaults filled in). */
export type MeshOptions = z.output<typeof meshOptionsSchema>;
