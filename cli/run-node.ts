/**
 * `x0tta6bl4 run`: a node in the foreground until SIGTERM/SIGINT, with its control socket.
 * Shutdown stops actors in reverse start order and flushes the store, and the process then
 * ends by itself (nothing left open); the exit code says why it ended (exit-codes.ts).
 */
import { createNode, type NodeOptions } from '../actors/runtime/node.js';
import { startControlServer, type ControlServer } from '../actors/runtime/ops/control-server.js';
import { createLogger, type Logger } from '../actors/runtime/actor-kit/logger.js';
import type { NodeConfig } from '../actors/runtime/config/node-config.js';
import { FAULT_KINDS } from '../actors/runtime/self-healing/fault-kinds.js';
import { defaultChaosTarget } from '../actors/runtime/self-healing/chaos-target.js';
import { CAUSE_KINDS } from '../lib/mape/causes.js';
import { StoreCorruptError, StoreVersionError } from '../store/errors.js';
import { EXIT_FATAL, EXIT_OK, EXIT_SELF_TEST, EXIT_STORE_REFUSED } from './exit-codes.js';
import { SelfTestError } from '../lib/crypto/crypto-errors.js';
import { loadPqc } from '../lib/crypto/liboqs.js';
import { runCryptoSelfTest } from '../lib/crypto/self-test.js';
import { NodeMetrics } from '../actors/runtime/ops/metrics/node-metrics.js';
import { startNodeOperations, type NodeOperations } from './node-operations.js';
import { startInspectorRelay } from './inspector-relay.js';
import { z } from 'zod';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** After shutdown, the process must end on its own; if handles keep it alive this long, that is a bug worth a non-zero exit. */
const LINGER_LIMIT_MS = 5_000;

const actorParams = z.strictObject({ actorId: z.string().min(1) });
const crashParams = z.strictObject({ actorId: z.string().min(1), kind: z.enum(FAULT_KINDS) });
const chaosParams = z.strictObject({ kind: z.enum(CAUSE_KINDS), target: z.string().min(1).optional() });
const incidentsParams = z.strictObject({ sinceMs: z.number().int().nonnegative().optional() });

export interface RunNodeOptions extends Omit<NodeOptions, 'config' | 'onFatal' | 'logger'> {
  config: NodeConfig;
  logger?: Logger;
  /** Where the self-test's vectors are (default: the ones shipped with the node); tests plant broken ones here. */
  selfTestVectorsDir?: string;
}

export async function runNode(options: RunNodeOptions): Promise<void> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.logLevel);
  let control: ControlServer | undefined;
  let shuttingDown: Promise<void> | undefined;

  // Before anything else: no post-quantum code is used unless it gives the published answers.
  try {
    const started = performance.now();
    runCryptoSelfTest(await loadPqc(), options.selfTestVectorsDir !== undefined ? { vectorsDir: options.selfTestVectorsDir } : {});
    log.info({ ms: Math.round(performance.now() - started), algorithms: ['X-Wing', 'ML-KEM-768', 'ML-KEM-1024', 'ML-DSA-65'] }, 'post-quantum self-test passed');
  } catch (error) {
    log.fatal({ err: error }, error instanceof SelfTestError ? `refusing to start: ${error.message}` : `refusing to start: liboqs could not be loaded (${error instanceof Error ? error.message : String(error)})`);
    process.exitCode = EXIT_SELF_TEST;
    return;
  }

  const metrics = config.metrics.enabled ? new NodeMetrics() : undefined;
  const inspector = config.inspect.enabled ? await startInspectorRelay(config.inspect.port, log) : undefined;
  const node = createNode({
    ...options,
    logger: log,
    onFatal: () => void shutdown(EXIT_FATAL, 'root supervisor gave up'),
    ...(metrics ? { onMessageProcessed: metrics.onMessageProcessed } : {}),
    ...(inspector
      ? { inspection: { ...(config.inspect.actors ? { actors: config.inspect.actors } : {}), onEvent: (actorId: string, event: Record<string, unknown>) => inspector.send(actorId, event) } }
      : {}),
  });
  metrics?.attach(node);
  let operations: NodeOperations | undefined;

  function shutdown(code: number, why: string): Promise<void> {
    shuttingDown ??= (async () => {
      log.info({ why }, 'shutting down');
      operations?.stopping();
      // Bounded: a stop that hangs must not keep systemd waiting for its own timeout.
      const deadline = setTimeout(() => {
        log.error({ timeoutMs: config.shutdownTimeoutMs * 2 }, 'shutdown did not finish in time');
        process.exit(EXIT_FATAL);
      }, config.shutdownTimeoutMs * 2);
      deadline.unref();
      try {
        await control?.close();
        await node.stop();
        await operations?.close();
        inspector?.stop();
      } catch (error) {
        log.error({ err: error }, 'shutdown failed');
        code = EXIT_FATAL;
      } finally {
        clearTimeout(deadline);
      }
      detachSignals();
      process.exitCode = code;
      // The inspector relay's browser connections cannot be closed from here (inspector-relay.ts).
      if (inspector) setImmediate(() => process.exit(code));
      setTimeout(() => {
        log.error({ lingerLimitMs: LINGER_LIMIT_MS }, 'open handles kept the process alive after shutdown');
        process.exit(EXIT_FATAL);
      }, LINGER_LIMIT_MS).unref();
    })();
    return shuttingDown;
  }
  const onSigterm = () => void shutdown(EXIT_OK, 'SIGTERM');
  const onSigint = () => void shutdown(EXIT_OK, 'SIGINT');
  process.on('SIGTERM', onSigterm);
  process.on('SIGINT', onSigint);
  function detachSignals() {
    process.off('SIGTERM', onSigterm);
    process.off('SIGINT', onSigint);
  }

  // The control socket first: it also keeps a second node off the same data directory.
  mkdirSync(dirname(config.controlSocket), { recursive: true, mode: 0o700 });
  try {
    control = await startControlServer({
      socketPath: config.controlSocket,
      handle: (method, params) => handleControl(method, params),
      onError: (error) => log.warn({ err: error }, 'control socket error'),
    });
  } catch (error) {
    log.fatal({ err: error }, 'cannot open the control socket');
    detachSignals();
    process.exitCode = EXIT_FATAL;
    return;
  }

  operations = await startNodeOperations({ config, node, log, metrics });
  try {
    await node.start();
  } catch (error) {
    const refused = error instanceof StoreCorruptError || error instanceof StoreVersionError;
    log.fatal({ err: error }, refused ? 'the store cannot be used; not restarting' : 'the node failed to start');
    await control.close();
    await operations.close();
    inspector?.stop();
    detachSignals();
    process.exitCode = refused ? EXIT_STORE_REFUSED : EXIT_FATAL;
    return;
  }
  operations.started();

  async function handleControl(method: string, params: unknown): Promise<unknown> {
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
      case 'incidents': {
        const { sinceMs } = incidentsParams.parse(params);
        return node.incidents(sinceMs === undefined ? {} : { sinceMs });
      }
      case 'stop':
        setImmediate(() => void shutdown(EXIT_OK, 'stop requested over the control socket'));
        return { stopping: true };
      default:
        throw new TypeError(`unknown control method '${method}' (status, snapshot, crash, chaos, incidents, stop)`);
    }
  }
  log.info({ controlSocket: config.controlSocket }, 'ready');
}
