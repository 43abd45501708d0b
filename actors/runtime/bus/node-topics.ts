/**
 * The node's own topics. Subsystems declare theirs here as they land (telemetry.*, anomaly.*,
 * mesh.*, …), so every topic and its schema can be read in one file. The payload types of the
 * MAPE-K topics are in lib/mape/; these schemas check them where they cross a thread. A topic
 * declared `latestState` is a subsystem's standing: the runtime keeps its latest payload.
 */
import { meshPingRequestSchema } from '../../../lib/mesh/mesh-ping-result.js';
import { z } from 'zod';
import { ACTION_KINDS, COMMAND_KINDS } from '../../../lib/mape/actions.js';
import { CAUSE_KINDS } from '../../../lib/mape/causes.js';
import { defineTopics } from './topic-registry.js';
import { identityStateSchema } from '../../../lib/spiffe/identity-state.js';
import { meshLinksSchema } from '../../../lib/mesh/links-state.js';
import { linkFaultRequestSchema, meshRemedyRequestSchema } from '../../../lib/mesh/mesh-remedy.js';

const epochMs = z.number().int().nonnegative();
const id = z.number().int().positive();
const name = z.string().min(1).max(200);
/** What telemetry is about and remedies act on: an actor id, `process`, `mesh`, or a peer's SPIFFE ID (at most 2,048 bytes, the SPIFFE standard's bound). */
const subject = z.string().min(1).max(2048);
const finite = z.number().finite();

/** Any metric name: unknown ones pass the bus and are rejected, and counted, by the monitor. */
const telemetryPoint = z.strictObject({ metric: name, source: subject, value: finite });
const telemetrySample = z.strictObject({
  at: epochMs,
  intervalMs: z.number().int().nonnegative(),
  points: z.array(telemetryPoint).max(10_000),
});
const causeKind = z.enum(CAUSE_KINDS);
const actionKind = z.enum(ACTION_KINDS);
const criterion = z.strictObject({ metric: name, source: subject, op: z.enum(['<=', '>=']), value: finite });

export const nodeTopics = defineTopics({
  'node.ping': {
    schema: z.object({}).strict(),
    overflow: 'reject',
    description: 'Request any actor to answer that it is serving; used by health checks and benchmarks.',
  },
  'telemetry.sample': {
    schema: telemetrySample,
    // A newer sample supersedes an old one: under pressure the oldest readings go first.
    overflow: 'drop-oldest',
    description: 'Readings from a source (the runtime every interval, and at once on an actor crash; later peer-link and eBPF).',
  },
  'telemetry.window': {
    schema: telemetrySample,
    overflow: 'drop-oldest',
    description: "The monitor's accepted readings, to the analyzer (detection) and the executor (verification).",
  },
  'mape.diagnosis': {
    schema: z.strictObject({
      incidentId: id,
      cause: causeKind,
      target: subject,
      resource: name,
      confidence: z.number().min(0).max(1),
      detectedAt: epochMs,
      diagnosedAt: epochMs,
      evidence: z.array(z.strictObject({ metric: name, source: subject, value: finite, detectors: z.array(name) })),
    }),
    overflow: 'block',
    description: 'Analyzer → planner: an incident with its root-cause candidate.',
  },
  'mape.plan': {
    schema: z.strictObject({
      incidentId: id,
      cause: causeKind,
      target: subject,
      candidates: z
        .array(
          z.strictObject({
            policyId: id,
            action: actionKind,
            target: subject,
            params: z.record(z.string(), z.unknown()),
            cost: z.number().nonnegative(),
            risk: z.number().min(0).max(1),
            successRate: z.number().min(0).max(1),
            score: finite,
            rollback: z.enum(COMMAND_KINDS).nullable(),
          }),
        )
        .min(1),
      verify: z.strictObject({ criteria: z.array(criterion).min(1), withinMs: z.number().int().positive() }),
      risk: z.number().min(0).max(1),
      plannedAt: epochMs,
    }),
    overflow: 'block',
    description: 'Planner → executor: ranked actions with verification criteria.',
  },
  'mape.outcome': {
    schema: z.strictObject({
      incidentId: id,
      actionId: id.nullable(),
      cause: causeKind,
      target: subject,
      action: actionKind.nullable(),
      success: z.boolean(),
      at: epochMs,
      final: z.boolean(),
      recovered: z.boolean(),
    }),
    overflow: 'block',
    description: 'Executor → analyzer and planner: how an action went, and whether the incident is over.',
  },
  'runtime.command': {
    schema: z.strictObject({
      commandId: id,
      kind: z.enum(COMMAND_KINDS),
      target: subject,
      params: z.record(z.string(), z.unknown()),
    }),
    overflow: 'block',
    description: 'Executor → the runtime (main thread): perform a remediation; idempotent by commandId (the action id).',
  },
  'identity.state': {
    schema: identityStateSchema,
    overflow: 'drop-oldest',
    latestState: true,
    description: "The identity actor's standing with its SPIFFE identity, on every change (status shows the latest).",
  },
  'mesh.send': {
    schema: z.strictObject({ to: name, topic: name, payload: z.json() }),
    // Sends are counted and ordered by the link: the mailbox must not drop one silently.
    overflow: 'block',
    description: 'Any actor → peer-link: send payload (JSON) to the peer with SPIFFE ID `to`, delivered there as mesh.recv.',
  },
  'mesh.recv': {
    schema: z.strictObject({ from: name, topic: name, payload: z.json() }),
    overflow: 'block',
    description: 'peer-link → subscribers: a message from the authenticated peer `from` (its SPIFFE ID), in the order it was sent.',
  },
  'mesh.ping': {
    schema: meshPingRequestSchema,
    // A request of the operator's (x0tta6bl4 mesh ping): refused when the actor's mailbox is full, never waited on.
    overflow: 'reject',
    description: 'The runtime → peer-link (a request): end-to-end pings to a member; the reply gives each round trip and the hops it took.',
  },
  'mesh.remedy': {
    schema: meshRemedyRequestSchema,
    // The executor's command, relayed by the runtime (a request): refused at once rather than waited on; the executor then tries its next candidate.
    overflow: 'reject',
    description: 'The runtime → peer-link (a request): perform a mesh remedy (reroute-around, quarantine-peer, reconnect-members, or an undo); the reply says what was done.',
  },
  'mesh.fault': {
    schema: linkFaultRequestSchema,
    overflow: 'reject',
    description: 'The runtime → peer-link (a request, chaos only): cut, make lossy or heal the links with one peer.',
  },
  'mesh.links': {
    schema: meshLinksSchema,
    overflow: 'drop-oldest',
    latestState: true,
    description: "The peer-link actor's listener and links, on change (status shows the latest).",
  },
  'runtime.command.result': {
    schema: z.strictObject({ commandId: id, ok: z.boolean(), detail: z.string(), effect: z.record(z.string(), z.unknown()).optional() }),
    overflow: 'block',
    description: 'The runtime → executor: what a command did.',
  },
});
