/**
 * `x0tta6bl4 run`: a node in the foreground until SIGTERM/SIGINT, with the operations its
 * configuration asks for (control socket, /metrics /health /ready, systemd, inspector), which
 * createNode() assembles. What is left here is the process's: the post-quantum self-test before
 * anything starts, signals, a bounded shutdown, and the exit code that says why it ended
 * (exit-codes.ts). Shutdown stops actors in reverse start order and flushes the store, and the
 * process then ends by itself (nothing left open).
 */
import { createLogger, createNode, StoreCorruptError, StoreVersionError, type Logger, type NodeConfig, type NodeOptions } from '../actors/runtime/index.js';
import { NodeKeyFileError } from '../lib/crypto/node-key-file.js';
import { EXIT_FATAL, EXIT_OK, EXIT_SELF_TEST, EXIT_STORE_REFUSED } from './exit-codes.js';
import { SelfTestError } from '../lib/crypto/crypto-errors.js';
import { loadPqc } from '../lib/crypto/liboqs.js';
import { runCryptoSelfTest } from '../lib/crypto/self-test.js';

/** After shutdown, the process must end on its own; if handles keep it alive this long, that is a bug worth a non-zero exit. */
const LINGER_LIMIT_MS = 5_000;

export interface RunNodeOptions extends Omit<NodeOptions, 'config' | 'onFatal' | 'logger' | 'ops'> {
  config: NodeConfig;
  logger?: Logger;
  /** Where the self-test's vectors are (default: the ones shipped with the node); tests plant broken ones here. */
  selfTestVectorsDir?: string;
}

export async function runNode(options: RunNodeOptions): Promise<void> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.logLevel);
  let shuttingDown: Promise<void> | undefined;

  const node = createNode({
    ...options,
    logger: log,
    onFatal: () => void shutdown(EXIT_FATAL, 'root supervisor gave up'),
    ops: {
      controlSocket: { path: config.controlSocket, onStop: () => void shutdown(EXIT_OK, 'stop requested over the control socket') },
      ...(config.metrics.enabled ? { metrics: { listen: config.metrics.listen } } : {}),
      systemd: true,
      ...(config.inspect.enabled ? { inspector: { port: config.inspect.port, ...(config.inspect.actors ? { actors: config.inspect.actors } : {}) } } : {}),
    },
  });

  // Before anything else: no post-quantum code is used unless it gives the published answers. The
  // actors' threads load their modules meanwhile (prepare: no actor runs, nothing is written).
  node.prepare();
  try {
    const started = performance.now();
    runCryptoSelfTest(await loadPqc(), options.selfTestVectorsDir !== undefined ? { vectorsDir: options.selfTestVectorsDir } : {});
    log.info({ ms: Math.round(performance.now() - started), algorithms: ['X-Wing', 'ML-KEM-768', 'ML-KEM-1024', 'ML-DSA-65'] }, 'post-quantum self-test passed');
  } catch (error) {
    log.fatal({ err: error }, error instanceof SelfTestError ? `refusing to start: ${error.message}` : `refusing to start: liboqs could not be loaded (${error instanceof Error ? error.message : String(error)})`);
    await node.stop();
    process.exitCode = EXIT_SELF_TEST;
    return;
  }

  function shutdown(code: number, why: string): Promise<void> {
    shuttingDown ??= (async () => {
      log.info({ why }, 'shutting down');
      // Bounded: a stop that hangs must not keep systemd waiting for its own timeout.
      const deadline = setTimeout(() => {
        log.error({ timeoutMs: config.shutdownTimeoutMs * 2 }, 'shutdown did not finish in time');
        process.exit(EXIT_FATAL);
      }, config.shutdownTimeoutMs * 2);
      deadline.unref();
      try {
        await node.stop();
      } catch (error) {
        log.error({ err: error }, 'shutdown failed');
        code = EXIT_FATAL;
      } finally {
        clearTimeout(deadline);
      }
      detachSignals();
      process.exitCode = code;
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

  try {
    await node.start();
  } catch (error) {
    const refused = error instanceof StoreCorruptError || error instanceof StoreVersionError || error instanceof NodeKeyFileError;
    const why = error instanceof NodeKeyFileError ? `refusing to start: ${error.message}` : refused ? 'the store cannot be used; not restarting' : 'the node failed to start';
    log.fatal({ err: error }, why);
    detachSignals();
    process.exitCode = refused ? EXIT_STORE_REFUSED : EXIT_FATAL;
    return;
  }
  log.info({ controlSocket: config.controlSocket }, 'ready');
}
