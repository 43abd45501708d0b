/**
 * The node's supervision tree (ARCHITECTURE.md §1). Subsystems add their actors to their group
 * as their issues land; the groups still empty are the subsystems to come.
 */
import { PEER_LINK_ACTOR } from './actor-ids.js';
import type { NodeConfig } from './node-config.js';
import { resolve } from 'node:path';
import { embeddedWorkloadSocketPath } from '../../../lib/spiffe/embedded-ca-paths.js';
import type { ChildSpec, SupervisorSpec } from '../contracts/supervision-spec.js';
import { NODE_KEY_FILE_NAME } from './data-files.js';

const actorModule = (subsystem: string): string => new URL(`../../${subsystem}/worker.js`, import.meta.url).href;

type TreeConfig = Pick<NodeConfig, 'mape' | 'identity' | 'dataDir' | 'mesh' | 'logLevel' | 'production'>;

export function defaultTree(config: TreeConfig): SupervisorSpec {
  const { mape, identity } = config;
  return {
    kind: 'supervisor',
    id: 'root',
    strategy: 'one_for_one',
    children: [
      // one_for_one: the peer link fetches its own SVID from the Workload API and re-authenticates
      // its links make-before-break when the SVID changes, so a restarted identity actor (whose
      // embedded Workload API socket goes and comes back: the peer link's client redials it) costs
      // no link. Restarting the peer link with it would drop every link for nothing.
      {
        kind: 'supervisor',
        id: 'security',
        strategy: 'one_for_one',
        children: [
          {
            kind: 'actor',
            id: 'identity',
            module: actorModule('identity'),
            options: {
              dataDir: config.dataDir,
              trustDomain: identity.trustDomain,
              svidTtlMs: identity.svidTtlMs,
              ...(identity.agentSocket !== undefined ? { agentSocket: identity.agentSocket } : {}),
              ...(identity.spiffeId !== undefined ? { spiffeId: identity.spiffeId } : {}),
              ...(identity.hint !== undefined ? { hint: identity.hint } : {}),
            },
          },
          ...(meshConfigured(config) ? [peerLinkSpec(config)] : []),
        ],
      },
      {
        kind: 'supervisor',
        id: 'mape',
        strategy: 'one_for_one',
        children: mape.enabled
          ? [
              {
                kind: 'actor',
                id: 'monitor',
                module: actorModule('monitor'),
                subscribes: ['telemetry.sample'],
                options: { rawRetentionMs: mape.retention.rawMs, rollupRetentionMs: mape.retention.rollupMs },
              },
              { kind: 'actor', id: 'analyzer', module: actorModule('analyzer'), subscribes: ['telemetry.window', 'mape.outcome'] },
              { kind: 'actor', id: 'planner', module: actorModule('planner'), subscribes: ['mape.diagnosis'], options: { riskThreshold: mape.riskThreshold } },
              {
                kind: 'actor',
                id: 'executor',
                module: actorModule('executor'),
                subscribes: ['mape.plan', 'telemetry.window', 'runtime.command.result'],
              },
            ]
          : [],
      },
      { kind: 'supervisor', id: 'governance', strategy: 'one_for_one', children: [] },
      { kind: 'supervisor', id: 'learning', strategy: 'one_for_one', children: [] },
    ],
  };
}

/** Where the node's signing key is, and whether the node may create it there (only in its data directory, on the first start: node-key.ts). */
export function nodeKeySourceOf(config: Pick<NodeConfig, 'dataDir' | 'identity'>): { file: string; create: boolean } {
  const configured = config.identity.nodeKeyFile;
  return configured !== undefined ? { file: resolve(configured), create: false } : { file: resolve(config.dataDir, NODE_KEY_FILE_NAME), create: true };
}

/** The peer-link actor runs when the node has something to link: a listener or peers to dial. */
export function meshConfigured(config: Pick<NodeConfig, 'mesh'>): boolean {
  return config.mesh.listen !== undefined || config.mesh.peers.length > 0;
}

/** The peer-link actor: it fetches its SVID from the agent, or from the embedded trust domain's socket the identity actor serves. */
function peerLinkSpec(config: TreeConfig): ChildSpec {
  const { identity, mesh } = config;
  return {
    kind: 'actor',
    id: PEER_LINK_ACTOR,
    module: actorModule('peer-link'),
    subscribes: ['mesh.send'],
    options: {
      workloadSocket: identity.agentSocket ?? `unix://${embeddedWorkloadSocketPath(resolve(config.dataDir))}`,
      ...(identity.hint !== undefined ? { hint: identity.hint } : {}),
      ...(identity.spiffeId !== undefined ? { spiffeId: identity.spiffeId } : {}),
      ...(mesh.listen !== undefined ? { listen: mesh.listen } : {}),
      ...(mesh.advertise !== undefined ? { advertise: mesh.advertise } : {}),
      peers: mesh.peers,
      authorize: mesh.authorize,
      postQuantum: mesh.postQuantum,
      failureDetection: mesh.failureDetection,
      nodeKeyFile: nodeKeySourceOf(config).file,
      logLevel: config.logLevel,
      // The mesh as telemetry for the loop, at its sampling interval; none when the loop is off.
      ...(config.mape.enabled ? { telemetryEveryMs: config.mape.intervalMs } : {}),
      // Link faults (chaos) are refused in production by the actor itself too, whoever asks it.
      chaos: !config.production,
    },
  };
}

/** The security subtree (identity, and peer-link when the mesh is configured), for trees built around test actors. */
export function securitySubtree(config: TreeConfig): SupervisorSpec {
  return defaultTree(config).children.find((child) => child.id === 'security') as SupervisorSpec;
}

/** The MAPE-K actors, for trees that want the loop next to their own actors (tests, benchmarks). */
export function mapeSubtree(config: TreeConfig): SupervisorSpec {
  return defaultTree(config).children.find((child) => child.id === 'mape') as SupervisorSpec;
}
