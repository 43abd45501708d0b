/**
 * XState inspection of an actor's machine, for Stately's inspector: @statelyai/inspect's
 * `createInspector` turns XState's inspection events into its event format, and this adapter
 * makes each one plain JSON (safe-stable-stringify, depth-limited as the library's own WebSocket
 * adapter does: snapshots hold actor references and functions, which a thread boundary cannot
 * carry) before handing it to `send` (the worker posts it to the host over its bus port; the
 * inline host calls the node directly). Inspection never fails the actor: an event that cannot be
 * sent is dropped. Both libraries load when a forwarder is made, so threads that do not inspect load
 * neither.
 */
import type { InspectionEvent, Observer } from 'xstate';

/** The library's default depth: deep enough for contexts, bounded for cyclic or huge ones. */
const DEPTH_LIMIT = 10;

export async function inspectionForwarder(send: (event: Record<string, unknown>) => void): Promise<Observer<InspectionEvent>> {
  const [{ createInspector }, { configure }] = await Promise.all([import('@statelyai/inspect'), import('safe-stable-stringify')]);
  const stringify = configure({ maximumDepth: DEPTH_LIMIT });
  const inspector = createInspector({
    send: (event) => {
      try {
        const text = stringify(event);
        if (text !== undefined) send(JSON.parse(text) as Record<string, unknown>);
      } catch {
        // A snapshot that cannot be serialized is not worth an actor's crash.
      }
    },
  });
  return inspector.inspect;
}
