/**
 * A snapshot port that times its writes, so the monitor sees a slow store per actor (the longest
 * write of each sampling interval), and tells its hooks when a write starts and ends.
 */
import type { SnapshotPort } from '../../contracts/snapshot-port.js';

export interface TimedSnapshotPort extends SnapshotPort {
  /** The longest write since the last call, in ms (0 when none), and resets it. */
  takeMaxWriteMs(): number;
}

export interface WriteHooks {
  /** Before the write (where chaos adds its store delay). */
  started(): void;
  ended(): void;
}

export function timedSnapshotPort(port: SnapshotPort, hooks?: WriteHooks): TimedSnapshotPort {
  let maxWriteMs = 0;
  return {
    load: (actorId) => port.load(actorId),
    save(actorId, record) {
      // OS time, not the node's Clock: the write is synchronous I/O, during which no virtual time passes.
      const started = performance.now();
      hooks?.started();
      try {
        port.save(actorId, record);
      } finally {
        hooks?.ended();
        maxWriteMs = Math.max(maxWriteMs, performance.now() - started);
      }
    },
    takeMaxWriteMs() {
      const value = maxWriteMs;
      maxWriteMs = 0;
      return value;
    },
  };
}
