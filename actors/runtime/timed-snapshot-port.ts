/**
 * A snapshot port that times its writes, so the monitor sees a slow store per actor (the longest
 * write of each sampling interval), and that runs a hook before each write (where chaos adds its
 * store delay).
 */
import type { SnapshotPort } from './snapshot-port.js';

export interface TimedSnapshotPort extends SnapshotPort {
  /** The longest write since the last call, in ms (0 when none), and resets it. */
  takeMaxWriteMs(): number;
}

export function timedSnapshotPort(port: SnapshotPort, beforeWrite: () => void): TimedSnapshotPort {
  let maxWriteMs = 0;
  return {
    load: (actorId) => port.load(actorId),
    save(actorId, record) {
      const started = performance.now();
      beforeWrite();
      port.save(actorId, record);
      maxWriteMs = Math.max(maxWriteMs, performance.now() - started);
    },
    takeMaxWriteMs() {
      const value = maxWriteMs;
      maxWriteMs = 0;
      return value;
    },
  };
}
