/**
 * A real node for self-healing tests: real worker threads, a real SQLite file, the four MAPE-K
 * actors of the default tree, and one workload actor (the counter) with steady traffic, the
 * target of the injected faults. Sampling every 250 ms keeps the tests short; the bench measures
 * at the default 1 s.
 */
import type { NodeConfigInput } from '../../../actors/runtime/config/node-config.js';
import { mapeSubtree } from '../../../actors/runtime/config/default-tree.js';
import { parseNodeConfig } from '../../../actors/runtime/config/node-config.js';
import type { IncidentReport } from '../../../store/mape-status.js';
import type { SupervisorSpec } from '../../../actors/runtime/contracts/supervision-spec.js';
import { COUNTER_ACTOR } from '../../fixtures/fixture-paths.js';
import { rmSync } from 'node:fs';
import { makeDataDir, startTestNode, waitFor, type TestNode } from '../../helpers/test-node.js';

export const WORKLOAD = 'workload';
export const TEST_INTERVAL_MS = 250;

export interface HealingNode extends TestNode {
  /** Waits until the incident on the workload opened after `afterId` is closed (recovered or failed). */
  closedIncident(afterId?: number, timeoutMs?: number): Promise<IncidentReport>;
}

export interface HealingNodeOptions {
  /** Writes to the node's fresh data directory before the node starts (a seeded knowledge base). */
  seed?: (dataDir: string) => void;
  config?: NodeConfigInput;
  /** Options of the planner actor (riskThreshold, verifyWithinMs). */
  planner?: Record<string, unknown>;
  /** Options of the monitor actor (retentionEveryMs, rawRetentionMs). */
  monitor?: Record<string, unknown>;
}

export async function startHealingNode(options: HealingNodeOptions = {}): Promise<HealingNode> {
  const config: NodeConfigInput = {
    ...options.config,
    // The runtime's real backoff, so a crash loop runs at the speed it would in production.
    supervision: { backoff: { minMs: 10, maxMs: 1_000, jitter: 0.2 }, ...options.config?.supervision },
    mape: { intervalMs: TEST_INTERVAL_MS, shedTtlMs: 1_500, ...options.config?.mape },
  };
  const mape = mapeSubtree(parseNodeConfig(config));
  const withPlannerOptions: SupervisorSpec = {
    ...mape,
    children: mape.children.map((child) => {
      const extra = child.kind === 'actor' ? { planner: options.planner, monitor: options.monitor }[child.id] : undefined;
      return child.kind === 'actor' && extra ? { ...child, options: { ...child.options, ...extra } } : child;
    }),
  };
  // The data directory is made here when a test seeds it, and removed with the node either way.
  const dataDir = options.seed ? makeDataDir() : undefined;
  if (dataDir) options.seed!(dataDir);
  const test = await startTestNode({
    config,
    ...(dataDir ? { dataDir } : {}),
    children: [
      { kind: 'supervisor', id: 'work', strategy: 'one_for_one', intensity: 20, children: [{ kind: 'actor', id: WORKLOAD, module: COUNTER_ACTOR, subscribes: ['test.increment'] }] },
      withPlannerOptions,
    ],
  });
  let n = 0;
  // Steady traffic: a persistent actor with messages writes snapshots, which is where a slow store shows.
  const traffic = setInterval(() => {
    test.node.publish('test.increment', { sender: 'traffic', n: ++n }).catch(() => undefined);
  }, 20);
  return {
    ...test,
    async cleanup() {
      clearInterval(traffic);
      await test.cleanup();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    closedIncident(afterId = 0, timeoutMs = 20_000) {
      return waitFor(
        () =>
          test.node
            .incidents()
            .find((incident) => incident.id > afterId && incident.target === WORKLOAD && (incident.status === 'recovered' || incident.status === 'failed')),
        timeoutMs,
        `an incident on '${WORKLOAD}' after #${afterId} to close`,
      );
    },
  };
}
