/**
 * What the node tells the machine it runs on: the systemd notify protocol (READY=1 once the tree
 * is up, STATUS= a one-line summary, WATCHDOG=1 while the tree is healthy, STOPPING=1 at
 * shutdown) and the HTTP endpoint for Prometheus and probes (/metrics, /health, /ready). The
 * watchdog ping is a timer on the main event loop, so a stuck loop stops it by itself; a tree
 * stuck away from `running` stops it through TreeWatch.
 */
import type { Logger } from '../actors/runtime/actor-kit/logger.js';
import type { NodeMetrics } from '../actors/runtime/ops/metrics/node-metrics.js';
import { startOpsHttpServer, type OpsHttpServer } from '../actors/runtime/ops/metrics/ops-http-server.js';
import type { NodeConfig } from '../actors/runtime/config/node-config.js';
import type { IdentityStatus, MeshStatus, TreeNodeStatus } from '../actors/runtime/ops/node-status.js';
import { SystemdNotifier, watchdogIntervalMs } from '../actors/runtime/ops/systemd/systemd-notifier.js';
import { actorsOf, readiness, TreeWatch, type NodePhase } from '../actors/runtime/ops/tree-health.js';
import { parseHostPort } from '../lib/net/host-port.js';

export interface OperatedNode {
  tree(): TreeNodeStatus;
  identityStatus(): IdentityStatus | undefined;
  meshStatus(): MeshStatus | undefined;
}

export interface NodeOperations {
  /** The tree is up: READY=1, and the watchdog starts. */
  started(): void;
  /** Shutdown began: STOPPING=1; /ready answers 503 from now on. */
  stopping(): void;
  close(): Promise<void>;
  readonly metricsAddress: string | undefined;
}

/** The summary systemd shows in `systemctl status` (STATUS=). */
export function statusLine(phase: NodePhase, tree: TreeNodeStatus | undefined, identity: IdentityStatus | undefined, mesh: MeshStatus | undefined): string {
  if (phase !== 'running' || !tree) return phase;
  const actors = actorsOf(tree);
  const running = actors.filter((actor) => actor.state === 'running').length;
  const parts = [`${running}/${actors.length} actors running`];
  if (identity) parts.push(identity.status === 'ready' ? `identity ${identity.spiffeId ?? '?'}` : `identity ${identity.status}`);
  if (mesh) parts.push(`${mesh.links.filter((link) => link.status === 'up').length}/${mesh.links.length} links up`);
  return parts.join(', ');
}

export async function startNodeOperations(options: { config: NodeConfig; node: OperatedNode; log: Logger; metrics: NodeMetrics | undefined }): Promise<NodeOperations> {
  const { config, node, log, metrics } = options;
  let phase: NodePhase = 'starting';
  const tree = () => (phase === 'running' ? node.tree() : undefined);
  const summary = () => statusLine(phase, tree(), node.identityStatus(), node.meshStatus());

  let http: OpsHttpServer | undefined;
  if (metrics) {
    try {
      http = await startOpsHttpServer({
        listen: parseHostPort(config.metrics.listen, { allowAnyPort: true }),
        metrics: async () => ({ body: await metrics.render(), contentType: metrics.contentType }),
        readiness: () => {
          const verdict = readiness(phase, tree(), node.identityStatus());
          return { ready: verdict.ok, reason: verdict.reason };
        },
      });
      log.info({ address: http.address }, 'serving /metrics, /health and /ready');
    } catch (error) {
      // The node is worth running without its metrics; the operator sees why they are missing.
      log.error({ err: error, listen: config.metrics.listen }, 'cannot serve /metrics (is another process on that port?); running without it');
    }
  }

  const notifier = SystemdNotifier.fromEnvironment((error) => log.warn({ err: error }, 'systemd notification failed'));
  if (notifier.unavailable) log.warn({ reason: notifier.unavailable }, 'systemd notification is off');
  const intervalMs = watchdogIntervalMs();
  let watchdog: ReturnType<typeof setInterval> | undefined;
  // Stuck: an actor away from `running` for longer than systemd waits for a ping.
  const watch = new TreeWatch(intervalMs ?? 10_000);
  let lastVerdict = '';

  return {
    get metricsAddress() {
      return http?.address;
    },
    started() {
      phase = 'running';
      notifier.notify({ READY: '1', STATUS: summary() });
      if (notifier.enabled && intervalMs !== undefined) {
        // Half the interval, as sd_watchdog_enabled(3) advises: one late ping is not a restart.
        watchdog = setInterval(() => {
          const verdict = watch.check(phase, node.tree(), Date.now());
          if (verdict.ok) notifier.notify({ WATCHDOG: '1', STATUS: summary() });
          else notifier.notify({ STATUS: `unhealthy, ${verdict.reason}` });
          if (verdict.reason !== lastVerdict && !verdict.ok) log.error({ reason: verdict.reason }, 'the tree is stuck: withholding the systemd watchdog ping');
          lastVerdict = verdict.reason;
        }, Math.max(1, Math.floor(intervalMs / 2)));
        watchdog.unref();
        log.info({ watchdogMs: intervalMs }, 'systemd watchdog enabled');
      }
    },
    stopping() {
      phase = 'stopping';
      clearInterval(watchdog);
      notifier.notify({ STOPPING: '1', STATUS: 'stopping' });
    },
    async close() {
      clearInterval(watchdog);
      notifier.close();
      await http?.close();
    },
  };
}
