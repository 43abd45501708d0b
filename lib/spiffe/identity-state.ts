/**
 * What the identity actor publishes on `identity.state`: where the node stands with its SPIFFE
 * identity. The schema is the one definition; the bus checks every message against it, the CLI
 * checks the status that carries it, and the types below are derived from it (the identity
 * machine imports them as types only).
 */
import { z } from 'zod';

const count = z.int().min(0);

export const IDENTITY_STATUSES = ['connecting', 'waiting', 'ready', 'failed'] as const;

export const identityStateSchema = z.strictObject({
  status: z.enum(IDENTITY_STATUSES),
  /** From a SPIRE agent, or from the embedded trust domain's CA. */
  mode: z.enum(['agent', 'embedded']),
  /** The Workload API address the SVIDs come from. */
  endpoint: z.string(),
  /** Why the node waits or failed, or the last rejected update. */
  reason: z.string().optional(),
  spiffeId: z.string().optional(),
  trustDomain: z.string().optional(),
  /** Epoch ms: the earliest notAfter on the current SVID's verified path. */
  expiresAt: z.number().int().nonnegative().optional(),
  /** SVIDs received: the first and each rotation. */
  updates: count,
  rejected: count,
});

/** What `identity.state` carries. */
export type IdentityStateMessage = z.infer<typeof identityStateSchema>;
export type IdentityStatus = IdentityStateMessage['status'];
export type IdentityMode = IdentityStateMessage['mode'];
