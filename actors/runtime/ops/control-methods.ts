/**
 * What the control socket answers (`x0tta6bl4 status`, `chaos`, `incidents`, `mesh ping`, `stop`,
 * and the tests' `snapshot` and `crash`): each method a call of the node's API, its parameters
 * checked here since they come from another process.
 */
import { z } from 'zod';
import { LOCAL_CAUSE_KINDS, type LocalCauseKind } from '../../../lib/mape/causes.js';
import { meshChaosRequestSchema, type MeshChaosRequest } from '../../../lib/mesh/mesh-remedy.js';
import type { IncidentReport } from '../../../store/mape-status.js';
import { FAULT_KINDS, type FaultKind } from '../self-healing/fault-kinds.js';
import { defaultChaosTarget } from '../self-healing/chaos-target.js';
import type { ControlHandler } from './control-server.js';
import { meshPingRequestSchema } from '../../../lib/mesh/mesh-ping-result.js';
import type { TreeNodeStatus } from './node-status.js';
import { PEER_LINK_ACTOR } from '../config/actor-ids.js';

const actorParams = z.strictObject({ actorId: z.string().min(1) });
const crashParams = z.strictObject({ actorId: z.string().min(1), kind: z.enum(FAULT_KINDS) });
const chaosParams = z.strictObject({ kind: z.enum(LOCAL_CAUSE_KINDS), target: z.string().min(1).optional() });
const incidentsParams = z.strictObject({ sinceMs: z.number().int().nonnegative().optional() });

/** The node's API the control socket serves (X0tta6bl4Node satisfies it). */
export interface ControlledNode {
  status(): Promise<unknown>;
  snapshot(actorId: string): Promise<unknown>;
  crash(actorId: string, kind: FaultKind): Promise<void>;
  chaos(kind: LocalCauseKind, actorId: string): Promise<unknown>;
  meshChaos(request: MeshChaosRequest): Promise<unknown>;
  incidents(options?: { sinceMs?: number }): IncidentReport[];
  tree(): TreeNodeStatus;
  request(actorId: string, topic: string, payload: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
}

/** What a ping request may take beyond its pings' own time: the bus and the reply. */
const PING_SLACK_MS = 5_000;

/** `onStop` is called after the `stop` answer is on its way, so the client hears it before the socket closes. */
export function controlMethods(node: ControlledNode, onStop: () => void): ControlHandler {
  return async (method, params) => {
    switch (method) {
      case 'status':
        return node.status();
      case 'snapshot':
        return node.snapshot(actorParams.parse(params).actorId);
      case 'crash': {
        const { actorId, kind } = crashParams.parse(params);
        await node.crash(actorId, kind);
        return { injected: kind, actorId };
      }
      case 'chaos': {
        const { kind, target } = chaosParams.parse(params);
        return node.chaos(kind, target ?? defaultChaosTarget(node.tree()));
      }
      case 'chaos.mesh':
        return node.meshChaos(meshChaosRequestSchema.parse(params));
      case 'incidents': {
        const { sinceMs } = incidentsParams.parse(params);
        return node.incidents(sinceMs === undefined ? {} : { sinceMs });
      }
      case 'mesh.ping': {
        const request = meshPingRequestSchema.parse(params);
        const timeoutMs = (request.count - 1) * request.intervalMs + request.timeoutMs + PING_SLACK_MS;
        return node.request(PEER_LINK_ACTOR, 'mesh.ping', request, { timeoutMs });
      }
      case 'stop':
        setImmediate(onStop);
        return { stopping: true };
      default:
        throw new TypeError(`unknown control method '${method}' (status, snapshot, crash, chaos, chaos.mesh, incidents, mesh.ping, stop)`);
    }
  };
}
