/**
 * Fault injection for tests, benchmarks and `x0tta6bl4 chaos` (refused in production mode).
 * Every injection is recorded with its start time first, so the incident it causes carries
 * fault_started_at and MTTD/MTTR are measured from the fault, not from its detection.
 *
 * Each fault is a real one of its kind, ended only by a real remedy:
 * - crash-loop: a poison message in the actor's mailbox, redelivered after every crash;
 * - hung-actor: the thread's event loop blocked for good;
 * - cpu-hog, memory-leak, slow-store: inside the actor's thread (thread-faults.ts);
 * - mailbox-flood: a sender in this thread outrunning the actor until its topic is shed.
 */
import type { LocalCauseKind } from '../../../lib/mape/causes.js';
import type { InjectedFaultStore } from '../../../store/injected-faults.js';
import type { ActorCell } from '../supervision/actor-cell.js';
import { FLOOD_TOPIC, POISON_TOPIC } from './chaos-topics.js';
import { MailboxFullError } from '../errors.js';
import type { Clock } from '../contracts/clock.js';
import { repeatEvery, type RepeatingTimer } from '../../../lib/timing/repeat-every.js';

/** Flood rate: 80 messages every 10 ms, 8,000/s, twice what an actor processes at 0.25 ms each. */
const FLOOD_BURST = 80;
const FLOOD_PERIOD_MS = 10;
/** A flood nobody remedies stops by itself after this long. */
const FLOOD_MAX_MS = 60_000;
export const CHAOS_SENDER = 'chaos';

export interface InjectedFault {
  faultId: number;
  kind: LocalCauseKind;
  target: string;
  startedAt: number;
}

export class Chaos {
  private readonly floods = new Set<RepeatingTimer>();

  constructor(
    private readonly faults: InjectedFaultStore,
    /** Fault start times and the flood's pace run on it. */
    private readonly clock: Clock,
  ) {}

  async inject(kind: LocalCauseKind, cell: ActorCell): Promise<InjectedFault> {
    const startedAt = this.clock.now();
    switch (kind) {
      case 'crash-loop': {
        const offered = cell.mailbox.offer(POISON_TOPIC, { startedAt }, CHAOS_SENDER, startedAt, undefined, 'reject');
        if (offered === 'full' || offered === 'shed') throw new MailboxFullError(cell.id, POISON_TOPIC, cell.mailbox.capacity);
        cell.schedulePump();
        break;
      }
      case 'hung-actor':
        await cell.incarnationOrThrow('inject a fault').inject('hang');
        break;
      case 'cpu-hog':
      case 'memory-leak':
      case 'slow-store':
        await cell.incarnationOrThrow('inject a fault').inject(kind);
        break;
      case 'mailbox-flood':
        this.flood(cell, startedAt);
        break;
    }
    const faultId = this.faults.record({ kind, target: cell.id, startedAt });
    return { faultId, kind, target: cell.id, startedAt };
  }

  /** Stops every flood still running (the node is stopping). */
  stop(): void {
    for (const timer of this.floods) timer.cancel();
    this.floods.clear();
  }

  private flood(cell: ActorCell, startedAt: number): void {
    const timer = repeatEvery(this.clock, FLOOD_PERIOD_MS, () => {
      const now = this.clock.now();
      let shed = false;
      for (let i = 0; i < FLOOD_BURST; i++) {
        if (cell.mailbox.offer(FLOOD_TOPIC, null, CHAOS_SENDER, now, undefined, 'reject') === 'shed') shed = true;
      }
      cell.schedulePump();
      // A sender whose messages are shed backs off, as a well-behaved client does on a 429.
      if (shed || now - startedAt > FLOOD_MAX_MS) {
        timer.cancel();
        this.floods.delete(timer);
      }
    });
    this.floods.add(timer);
  }
}
