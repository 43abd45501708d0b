/**
 * Faults chaos injects into this node's links with one peer (`x0tta6bl4 chaos cut-link`,
 * `lossy-link`; refused in production mode), since this machine has no netem:
 * - cut: nothing passes either way on any connection with the peer, while the sockets stay open
 *   (a cut cable or a dropped route: nothing closes, only the failure detector can tell). A new
 *   connection made meanwhile is cut too: its handshake stalls and its Hello never comes.
 * - lossy: a share of the heartbeat frames (Ping, Pong) is dropped each way. Those are the link's
 *   loss probes, as Babel's Hellos are; what a lossy network does to the link's messages, which
 *   travel on TCP, is retransmission delay, not loss, and dropping them here would break the
 *   stream's order (a gap is a protocol error, link-stream.ts).
 * Each fault ends at its deadline or when healed.
 */
import type { Clock } from '../../lib/timing/clock.js';
import type { Random } from '../../lib/timing/random.js';

/** A fault with no duration given lasts this long. */
export const DEFAULT_LINK_FAULT_MS = 60_000;

/** `until` on the monotonic clock: a wall-clock step does not lengthen or end a fault. */
type LinkFault = { kind: 'cut'; until: number } | { kind: 'lossy'; share: number; until: number };

export interface LinkFaultState {
  peer: string;
  kind: 'cut' | 'lossy';
  share?: number;
  /** How long it still lasts. */
  remainingMs: number;
}

export class LinkFaults {
  private readonly faults = new Map<string, LinkFault>();

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  cut(peer: string, durationMs = DEFAULT_LINK_FAULT_MS): void {
    this.faults.set(peer, { kind: 'cut', until: this.clock.monotonicNow() + durationMs });
  }

  lossy(peer: string, share: number, durationMs = DEFAULT_LINK_FAULT_MS): void {
    if (!(share > 0 && share <= 1)) throw new RangeError(`a loss share is in (0, 1], not ${share}`);
    this.faults.set(peer, { kind: 'lossy', share, until: this.clock.monotonicNow() + durationMs });
  }

  /** Ends the peer's fault; false when it had none in force. */
  heal(peer: string): boolean {
    const inForce = this.current(peer) !== undefined;
    this.faults.delete(peer);
    return inForce;
  }

  /** Whether nothing passes to or from the peer now. */
  isCut(peer: string): boolean {
    return this.current(peer)?.kind === 'cut';
  }

  /** Whether this heartbeat frame, to or from the peer, is lost. */
  dropsHeartbeat(peer: string): boolean {
    const fault = this.current(peer);
    if (fault === undefined) return false;
    return fault.kind === 'cut' || this.random() < fault.share;
  }

  /** Faults in force, for status. */
  state(): LinkFaultState[] {
    const now = this.clock.monotonicNow();
    const list: LinkFaultState[] = [];
    for (const [peer, fault] of this.faults) {
      if (fault.until <= now) continue;
      const remainingMs = fault.until - now;
      list.push(fault.kind === 'lossy' ? { peer, kind: 'lossy', share: fault.share, remainingMs } : { peer, kind: 'cut', remainingMs });
    }
    return list;
  }

  private current(peer: string): LinkFault | undefined {
    if (this.faults.size === 0) return undefined;
    const fault = this.faults.get(peer);
    if (fault === undefined) return undefined;
    if (fault.until > this.clock.monotonicNow()) return fault;
    this.faults.delete(peer);
    return undefined;
  }
}
