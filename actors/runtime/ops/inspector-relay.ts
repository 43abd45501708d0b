/**
 * `run --inspect`: @statelyai/inspect's relay (`createInspectorServer`, its browser auto-open
 * off) and a WebSocket inspector connected to it, to which the node hands the inspection events
 * of every inspected actor, whether its machine runs in a worker thread (forwarded over the
 * thread's bus port) or inline. Open http://localhost:PORT: the page embeds Stately's inspector
 * and feeds it the relay's events.
 *
 * The relay offers no way to close the browsers' connections, which keep a process alive: with
 * the inspector on, the node's process exits explicitly once it has shut down (cli/run-node.ts).
 */
import { connect } from 'node:net';
import type { Logger } from '../actor-kit/logger.js';

export interface InspectorRelay {
  send(actorId: string, event: Record<string, unknown>): void;
  stop(): void;
}

/** The relay listens asynchronously and says nothing when it does: wait until its port answers (the inspector's client retries only every 5 s). */
async function listening(port: number, timeoutMs = 5_000): Promise<void> {
  // OS time: a real TCP port coming up.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the inspector relay is not listening on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startInspectorRelay(port: number, log: Logger): Promise<InspectorRelay> {
  const [{ createInspectorServer }, { createWebSocketInspector }] = await Promise.all([import('@statelyai/inspect/server'), import('@statelyai/inspect')]);
  const server = createInspectorServer({ port, autoOpen: false });
  await listening(port);
  const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
  log.info({ url: `http://localhost:${port}` }, 'XState inspector relay: open this address and Stately\'s inspector shows every actor');
  return {
    send(_actorId, event) {
      inspector.adapter.send(event as never);
    },
    stop() {
      inspector.stop();
      server.stop();
    },
  };
}
