/**
 * The node's operations, as createNode() options assemble them around the supervision tree: the
 * control socket (`x0tta6bl4 status`, `stop`, …), the HTTP endpoint for Prometheus and probes
 * (/metrics, /health, /ready), systemd notification and watchdog, and the XState inspector relay.
 * Each is off unless asked for. The node opens them before its tree starts (the control socket
 * first: it also keeps a second node off the same data directory) and closes them as it stops.
 * Everything about a subsystem's state is read through the node's one latest-state accessor.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseHostPort } from '../../../lib/net/host-port.js';
import type { Logger } from '../actor-kit/logger.js';
import { controlMethods, type ControlledNode } from './control-methods.js';
import { startControlServer, type ControlServer } from './control-server.js';
import { startInspectorRelay, type InspectorRelay } from './inspector-relay.js';
import type { MetricsSource, NodeMetrics } from './metrics/node-metrics.js';
import { startOpsHttpServer, type OpsHttpServer } from './metrics/ops-http-server.js';
import { standingSummaries, standingVerdicts } from './standings.js';
import type { SystemdReporting } from './systemd/systemd-reporting.js';
import { readiness, statusLine, type NodePhase } from './tree-health.js';

/** Owner only: the control socket's directory is the node's data directory or a runtime directory of its own. */
const CONTROL_DIRECTORY_MODE = 0o700;

export interface NodeOpsOptions {
  /** Serve the control socket at this path; `onStop` (default: the node stops) answers its `stop` method. */
  controlSocket?: { path: string; onStop?: () => void };
  /** Serve /metrics, /health and /ready at `host:port` (port 0: any free port). */
  metrics?: { listen: string };
  /** Tell systemd when the tree is up, healthy and stopping (NOTIFY_SOCKET, WATCHDOG_USEC). */
  systemd?: boolean;
  /** Relay the XState inspection events of every actor (or those listed) to Stately's inspector on this loopback port (0: any free one). */
  inspector?: { port: number; actors?: readonly string[] };
}

/** The node as its operations read and drive it (X0tta6bl4Node satisfies it). */
export interface OperatedNode extends MetricsSource, ControlledNode {
  stop(): Promise<void>;
}

export class NodeOps {
  /** Collects the message latencies and serves the registry; loaded at open, and only with `metrics`. */
  private metrics: NodeMetrics | undefined;
  /**
   * Handed to createNode as its message-processed hook when metrics are asked for: forwards each
   * latency to the registry once it is loaded (at open, before any actor starts).
   */
  readonly onMessageProcessed: ((actorId: string, latencyMs: number) => void) | undefined;
  private phase: NodePhase = 'starting';
  private node: OperatedNode | undefined;
  private control: ControlServer | undefined;
  private http: OpsHttpServer | undefined;
  private inspector: InspectorRelay | undefined;
  private systemd: SystemdReporting | undefined;

  constructor(
    private readonly options: NodeOpsOptions,
    private readonly log: Logger,
  ) {
    this.onMessageProcessed = options.metrics ? (actorId, latencyMs) => this.metrics?.onMessageProcessed(actorId, latencyMs) : undefined;
  }

  /** Whether (and which) actors' machines are inspected, for createNode's inspection option. */
  get inspection(): { actors?: readonly string[]; onEvent(actorId: string, event: Record<string, unknown>): void } | undefined {
    const wanted = this.options.inspector;
    if (!wanted) return undefined;
    return { ...(wanted.actors ? { actors: wanted.actors } : {}), onEvent: (actorId, event) => this.inspector?.send(actorId, event) };
  }

  /** Where /metrics is served, once open (the port is known only then when 0 was asked). */
  get metricsAddress(): string | undefined {
    return this.http?.address;
  }

  attach(node: OperatedNode): void {
    this.node = node;
  }

  /** Opens what was asked for; a control socket that cannot be opened fails the start, a metrics port that cannot be bound only logs. */
  async open(): Promise<void> {
    const node = this.requireNode();
    const { controlSocket, metrics, inspector, systemd } = this.options;
    try {
      if (controlSocket) {
        mkdirSync(dirname(controlSocket.path), { recursive: true, mode: CONTROL_DIRECTORY_MODE });
        this.control = await startControlServer({
          socketPath: controlSocket.path,
          // The default stop runs after the answer left, with nobody to hand a failure to but the log
          // (left unobserved, a rejected stop would be an unhandled rejection, which ends the process).
          handle: controlMethods(node, controlSocket.onStop ?? (() => void node.stop().catch((error: unknown) => this.log.error({ err: error }, 'the node did not stop cleanly')))),
          onError: (error) => this.log.warn({ err: error }, 'control socket error'),
        });
      }
      if (metrics) {
        // Loaded when asked for: prom-client and the registry cost every node memory otherwise.
        const { NodeMetrics } = await import('./metrics/node-metrics.js');
        this.metrics = new NodeMetrics();
        this.metrics.attach(node);
        await this.openHttp(metrics.listen, this.metrics);
      }
      if (inspector) this.inspector = await startInspectorRelay(inspector.port, this.log);
      if (systemd) {
        // Loaded when asked for: its datagram socket is a native addon, which worker threads that
        // import the package API (actor modules do, for defineActor) cannot load.
        const { startSystemdReporting } = await import('./systemd/systemd-reporting.js');
        this.systemd = startSystemdReporting({
          log: this.log,
          phase: () => this.phase,
          tree: () => node.tree(),
          summary: () => statusLine(this.phase, this.tree(), standingSummaries(node.latestState)),
        });
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** The tree is up: ready from now on. */
  started(): void {
    this.phase = 'running';
    this.systemd?.started();
  }

  /** Shutdown began: /ready answers 503, systemd hears STOPPING=1, the control socket closes. */
  async stopping(): Promise<void> {
    this.phase = 'stopping';
    this.systemd?.stopping();
    await this.control?.close();
    this.control = undefined;
  }

  async close(): Promise<void> {
    await this.control?.close();
    this.control = undefined;
    this.systemd?.close();
    this.systemd = undefined;
    await this.http?.close();
    this.http = undefined;
    await this.inspector?.stop();
    this.inspector = undefined;
  }

  private async openHttp(listen: string, metrics: NodeMetrics): Promise<void> {
    const node = this.requireNode();
    try {
      this.http = await startOpsHttpServer({
        listen: parseHostPort(listen, { allowAnyPort: true }),
        metrics: async () => ({ body: await metrics.render(), contentType: metrics.contentType }),
        readiness: () => {
          const verdict = readiness(this.phase, this.tree(), standingVerdicts(node.latestState));
          return { ready: verdict.ok, reason: verdict.reason };
        },
        onError: (error) => this.log.warn({ err: error }, 'metrics endpoint error'),
      });
      this.log.info({ address: this.http.address }, 'serving /metrics, /health and /ready');
    } catch (error) {
      // The node is worth running without its metrics; the operator sees why they are missing.
      this.log.error({ err: error, listen }, 'cannot serve /metrics (is another process on that port?); running without it');
    }
  }

  private tree() {
    return this.phase === 'running' ? this.requireNode().tree() : undefined;
  }

  private requireNode(): OperatedNode {
    if (!this.node) throw new TypeError('the node operations are not attached to a node');
    return this.node;
  }
}
