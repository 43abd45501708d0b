/**
 * The requests the runtime makes of the peer-link actor on behalf of the MAPE-K loop and chaos:
 * a remedy (`mesh.remedy`: one of lib/mape/actions.ts's mesh commands, its target a peer's SPIFFE
 * ID or `mesh`) and a link fault (`mesh.fault`: chaos's cut-link, lossy-link and heal-link), each
 * answered with what was done. One schema per message; the types are derived from them.
 */
import { z } from 'zod';
import { MESH_COMMAND_KINDS } from '../mape/actions.js';

const name = z.string().min(1).max(2048);

export const meshRemedyRequestSchema = z.strictObject({
  kind: z.enum(MESH_COMMAND_KINDS),
  target: name,
  /** How long an avoidance or a quarantine lasts at most (ms); the node's default when absent. */
  durationMs: z.int().min(1_000).max(3_600_000).optional(),
  /** Epoch ms after which it must not be performed: the runtime has stopped waiting for the answer by then. */
  notAfter: z.int().nonnegative().optional(),
});
export type MeshRemedyRequest = z.infer<typeof meshRemedyRequestSchema>;

export const meshRemedyResultSchema = z.strictObject({ ok: z.boolean(), detail: z.string().max(4096) });
export type MeshRemedyResult = z.infer<typeof meshRemedyResultSchema>;

/** A link fault lasts at most an hour: a forgotten chaos run ends by itself. */
export const MAX_LINK_FAULT_MS = 3_600_000;

export const LINK_FAULT_KINDS = ['cut-link', 'lossy-link', 'heal-link'] as const;
export type LinkFaultKind = (typeof LINK_FAULT_KINDS)[number];

export const linkFaultRequestSchema = z.strictObject({
  kind: z.enum(LINK_FAULT_KINDS),
  /** The peer at the far end of the link (its SPIFFE ID). */
  peer: name,
  /** lossy-link: the share of heartbeat frames dropped each way (0..1]. */
  share: z.number().gt(0).max(1).optional(),
  durationMs: z.int().min(1).max(MAX_LINK_FAULT_MS).optional(),
});
export type LinkFaultRequest = z.infer<typeof linkFaultRequestSchema>;

/**
 * Chaos on the mesh as the control socket takes it: a link fault the peer-link actor injects, or a
 * fault of a peer's process the caller injects itself (kill-peer: SIGKILL, freeze-peer: SIGSTOP),
 * which this node only records with its start, so the incident it opens carries the fault's start.
 */
export const MESH_CHAOS_KINDS = [...LINK_FAULT_KINDS, 'kill-peer', 'freeze-peer'] as const;
export type MeshChaosKind = (typeof MESH_CHAOS_KINDS)[number];

export const meshChaosRequestSchema = z
  .strictObject({
    kind: z.enum(MESH_CHAOS_KINDS),
    peer: name.refine((peer) => peer.startsWith('spiffe://'), 'a peer is a SPIFFE ID'),
    share: z.number().gt(0).max(1).optional(),
    durationMs: z.int().min(1).max(MAX_LINK_FAULT_MS).optional(),
    /** When the caller injected the fault (epoch ms), recorded as its start; default now. */
    startedAt: z.int().nonnegative().optional(),
  })
  // The same rules as the command line's: nothing taken that would be silently ignored.
  .refine((request) => request.share === undefined || request.kind === 'lossy-link', { message: 'share is for lossy-link only', path: ['share'] })
  .refine((request) => request.durationMs === undefined || (request.kind !== 'kill-peer' && request.kind !== 'freeze-peer'), { message: 'durationMs is for link faults only (a process fault lasts as long as its caller makes it)', path: ['durationMs'] });
export type MeshChaosRequest = z.infer<typeof meshChaosRequestSchema>;

/** The diagnosis each mesh fault should lead to (diagnosis accuracy compares them); heal-link is no fault. */
export const EXPECTED_CAUSE = {
  'cut-link': 'link-degraded',
  'lossy-link': 'link-degraded',
  'kill-peer': 'peer-down',
  'freeze-peer': 'peer-down',
} as const satisfies Record<Exclude<MeshChaosKind, 'heal-link'>, string>;
