/** What a supervisor needs of a child, be it an actor cell or another supervisor. */
import type { ExitInfo } from '../contracts/host.js';
import type { RestartType } from '../contracts/supervision-spec.js';
import type { TreeNodeStatus } from '../ops/node-status.js';

export interface SupervisedChild {
  readonly id: string;
  readonly restartType: RestartType;
  /** Incremented by every start: an exit reported by an earlier start is stale once the child has started again. */
  readonly generation: number;
  /** Starts the child; rejects if it cannot start. */
  start(): Promise<void>;
  /** Stops the child gracefully; no exit is reported for a requested stop. */
  stop(): Promise<void>;
  /** The parent's handler for exits it did not request (crashes, final states, escalations). */
  onExit(handler: (info: ExitInfo) => void): void;
  /** Marks the child as restarting (after a crash) or stopped (not to be restarted). */
  markExited(restarting: boolean): void;
  countRestart(): void;
  status(): TreeNodeStatus;
}
