/**
 * Mesh nodes for end-to-end tests: a real node process with the security subtree (identity and
 * peer link) and a mesh probe actor, and what a test reads from it over its control socket (the
 * node's status, its mesh links, an actor's standing, the probe's record of what arrived).
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { callControl } from '../../cli/control-client.js';
import { nodeStatusSchema, type MeshStatus, type NodeStatus } from '../../actors/runtime/ops/node-status.js';
import { findActorIn } from '../../actors/runtime/supervision/tree-walk.js';
import { CLI_MAIN, startProcess, TEST_NODE_MAIN, type NodeProcess } from './node-process.js';
import { untilValue } from './wait.js';

export interface MeshNodeSpec {
  dir: string;
  trustDomain: string;
  spiffeId: string;
  mesh: Record<string, unknown>;
  svidTtlMs?: number;
  probe?: Record<string, unknown>;
  /** More of the node's configuration (mailbox, supervision, …). */
  config?: Record<string, unknown>;
  /**
   * The self-healing loop's actors and the runtime's sampling, every `intervalMs` (off unless
   * given); `observeOnly` holds every plan for governance, so the loop detects and diagnoses but
   * never acts on the node under test.
   */
  selfHealing?: { intervalMs: number; observeOnly?: boolean };
  /** The network namespace to run in (test/helpers/netns.ts). */
  netns?: string;
}

/** Starts a node process with the identity and peer-link actors and a probe actor named `probe`. */
export function startMeshNode(spec: MeshNodeSpec): NodeProcess {
  return startProcess([
    TEST_NODE_MAIN,
    JSON.stringify({
      dataDir: spec.dir,
      actors: [],
      security: true,
      probes: [{ id: 'probe', options: spec.probe ?? {} }],
      ...(spec.selfHealing ? { mape: spec.selfHealing.observeOnly ? { planner: { riskThreshold: 0 } } : {} } : {}),
      config: {
        ...spec.config,
        mape: spec.selfHealing ? { enabled: true, intervalMs: spec.selfHealing.intervalMs } : { enabled: false },
        identity: { trustDomain: spec.trustDomain, spiffeId: spec.spiffeId, ...(spec.svidTtlMs ? { svidTtlMs: spec.svidTtlMs } : {}) },
        mesh: spec.mesh,
      },
    }),
  ], spec.netns !== undefined ? { netns: spec.netns } : {});
}

/** A CA for the trust domain, made by the CLI in `dir`. */
export async function initTrustDomain(dir: string, trustDomain: string): Promise<void> {
  const init = startProcess([CLI_MAIN, 'identity', 'init', '--trust-domain', trustDomain, '--data-dir', dir]);
  const code = await init.exited;
  if (code !== 0) throw new Error(`identity init exited with ${code}: ${init.output()}`);
}

/** A second node of the same trust domain: it shares the CA (both embedded agents issue from it). */
export function shareCa(from: string, to: string): void {
  mkdirSync(join(to, 'identity'), { recursive: true, mode: 0o700 });
  for (const file of ['ca.pem', 'ca-key.pem']) cpSync(join(from, 'identity', file), join(to, 'identity', file));
}

/** Starts a node that listens on a free loopback port and returns it with the address it bound. */
export async function startMeshListener(dir: string, spec: Omit<MeshNodeSpec, 'dir' | 'mesh'> & { authorize?: unknown[] }) {
  const node = startMeshNode({ ...spec, dir, mesh: { listen: '127.0.0.1:0', ...(spec.authorize ? { authorize: spec.authorize } : {}) } });
  await node.waitForOutput('"msg":"ready"');
  const listening = await untilValue('the node to listen', async () => (await meshOf(dir))?.listening);
  return { node, listening };
}

export async function nodeStatus(dir: string): Promise<NodeStatus> {
  return nodeStatusSchema.parse(await callControl(join(dir, 'control.sock'), 'status'));
}

export async function meshOf(dir: string): Promise<MeshStatus | undefined> {
  return (await nodeStatus(dir)).mesh;
}

/** An actor's restarts and state, as the node's supervision tree shows them. */
export async function actorStatus(dir: string, actorId: string) {
  const actor = findActorIn((await nodeStatus(dir)).tree, actorId);
  if (!actor) throw new Error(`no actor '${actorId}' in the tree`);
  return actor;
}

export interface ProbeRecord {
  received: number[];
  senders: string[];
  sent: number;
  /** Stamped messages' [n, sentAt, receivedAt] (fixtures/mesh-probe-actor.ts's `stamp`). */
  arrivals: Array<[number, number, number]>;
}

/** What the node's probe actor has sent, and received (the numbers, in arrival order, and from whom). */
export async function probeOf(dir: string): Promise<ProbeRecord> {
  const snapshot = (await callControl(join(dir, 'control.sock'), 'snapshot', { actorId: 'probe' })) as { context: ProbeRecord };
  return snapshot.context;
}

/** The node's mesh status once `wanted` holds of it (a status not yet readable counts as not yet). */
export async function meshAt(dir: string, what: string, wanted: (mesh: MeshStatus) => boolean, timeoutMs = 60_000): Promise<MeshStatus> {
  return untilValue(
    what,
    async () => {
      const mesh = await meshOf(dir).catch(() => undefined);
      return mesh && wanted(mesh) ? mesh : undefined;
    },
    timeoutMs,
    100,
  );
}

export const routeTo = (mesh: MeshStatus, destination: string) => mesh.routing.routes.find((route) => route.destination === destination);
