/**
 * An actor as the supervisor and the bus see it, across all its incarnations: its mailbox
 * (which outlives every crash), its current incarnation, and its state. The cell pumps the
 * mailbox into the incarnation in batches, keeping at most `inflightWindow` messages
 * unacknowledged, so a crash never has more than that to redeliver.
 */
import type { Envelope } from '../contracts/envelope.js';
import type { ExitInfo, Host, ActorIncarnation } from '../contracts/host.js';
import { Mailbox } from '../bus/mailbox.js';
import type { ActorChildSpec, RestartType } from '../contracts/supervision-spec.js';
import type { SupervisedChild } from './supervised-child.js';
import type { ActorStatus } from '../ops/node-status.js';
import type { Outbound } from '../host/thread-protocol.js';
import { NodeNotRunningError } from '../errors.js';
import type { Clock } from '../contracts/clock.js';

export type ActorCellState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

export interface ActorCellDeps {
  host: Host;
  databasePath: string;
  runId: string;
  throttleMs: number;
  liveness: { intervalMs: number; timeoutMs: number };
  mailboxCapacity: number;
  inflightWindow: number;
  /** Largest batch handed to the actor's thread in one message (1 = unbatched). */
  maxBatch: number;
  shutdownTimeoutMs: number;
  /** The node's clock: message latencies are measured on it (it stamps every message's sentAt). */
  clock: Clock;
  /** Where the actor's outbound messages go (the bus). */
  onOutbound(actorId: string, batch: Outbound[]): void;
  onMalformed(actorId: string, detail: string): void;
  /** Called when the mailbox has room again (senders blocked on it may go on). */
  onSpace(actorId: string): void;
  /**
   * Crashes on one message before the runtime parks it as a dead letter by itself. The MAPE-K
   * loop quarantines a poison message sooner (at the second crash); this is the net under it,
   * set below the supervision intensity so a poison message cannot take a subtree down.
   */
  poisonLimit: number;
  /** An abnormal exit, with how many times the message being processed (if any) has crashed the actor. */
  onCrash(actorId: string, crash: CellCrash): void;
  /** The mailbox's depth reached `mailboxHighWater` from below (mailbox.ts): told at once, not at the next sample. */
  onMailboxHighWater?(actorId: string, depth: number): void;
  mailboxHighWater?: number;
  /** Each message the actor acknowledged, with its time from publication to acknowledgement (metrics). */
  onProcessed?(actorId: string, latencyMs: number): void;
  /** Whether to inspect this actor's machine, and where its inspection events go. */
  inspect?(actorId: string): boolean;
  onInspect?(actorId: string, event: Record<string, unknown>): void;
  /** Messages taken out of the mailbox, to be kept as dead letters. */
  onDeadLetters(actorId: string, envelopes: Envelope[], reason: string): void;
}

export interface CellCrash {
  reason: string;
  seq?: number;
  /** Crashes on that message so far (0 when the exit happened outside a message). */
  crashesOnMessage: number;
}

export class ActorCell implements SupervisedChild {
  readonly mailbox: Mailbox;
  state: ActorCellState = 'stopped';
  restarts = 0;
  generation = 0;
  /** The machine's state value as the current incarnation last reported it (undefined while none runs). */
  machineState: unknown = undefined;
  private incarnation: ActorIncarnation | undefined;
  private exitHandler: (info: ExitInfo) => void = () => undefined;
  private pumpScheduled = false;
  private paused = false;
  /** Crashes per mailbox sequence of the message being processed: a poison message crashes again and again. */
  private readonly crashesBySeq = new Map<number, number>();

  constructor(
    readonly spec: ActorChildSpec,
    private readonly deps: ActorCellDeps,
  ) {
    const onProcessed = deps.onProcessed;
    const onHighWater = deps.onMailboxHighWater;
    this.mailbox = new Mailbox(
      spec.id,
      deps.mailboxCapacity,
      onProcessed ? { clock: deps.clock, observe: (latencyMs) => onProcessed(spec.id, latencyMs) } : undefined,
      onHighWater && deps.mailboxHighWater !== undefined ? { depth: deps.mailboxHighWater, crossed: (depth) => onHighWater(spec.id, depth) } : undefined,
    );
  }

  get id(): string {
    return this.spec.id;
  }

  get restartType(): RestartType {
    return this.spec.restart ?? 'permanent';
  }

  onExit(handler: (info: ExitInfo) => void): void {
    this.exitHandler = handler;
  }

  async start(): Promise<void> {
    const generation = ++this.generation;
    this.state = 'starting';
    // The exit of this launch may be reported before launch() has handed the incarnation over.
    const launch: { incarnation?: ActorIncarnation; earlyExit?: ExitInfo } = {};
    const incarnation = await this.deps.host.launch(
      {
        actorId: this.spec.id,
        module: this.spec.module,
        options: this.spec.options ?? {},
        databasePath: this.deps.databasePath,
        runId: this.deps.runId,
        throttleMs: this.deps.throttleMs,
        liveness: this.deps.liveness,
        ...(this.deps.inspect?.(this.spec.id) ? { inspect: true } : {}),
      },
      {
        ack: (seq) => {
          if (this.crashesBySeq.size > 0) for (const crashed of this.crashesBySeq.keys()) if (crashed <= seq) this.crashesBySeq.delete(crashed);
          if (this.mailbox.ack(seq) > 0) {
            this.deps.onSpace(this.spec.id);
            this.schedulePump();
          }
        },
        outbound: (batch) => this.deps.onOutbound(this.spec.id, batch),
        malformed: (detail) => this.deps.onMalformed(this.spec.id, detail),
        undeliverable: (envelope, detail) => this.dropUndeliverable(envelope, detail),
        inspect: (event) => this.deps.onInspect?.(this.spec.id, event),
        // Only this launch's reports, while it is the one starting or running: a late report of an ended incarnation is stale.
        state: (value) => {
          const current = launch.incarnation ? this.incarnation === launch.incarnation : this.generation === generation && this.state === 'starting' && !launch.earlyExit;
          if (current) this.machineState = value;
        },
        exit: (info) => {
          if (launch.incarnation) this.handleExit(launch.incarnation, info);
          else launch.earlyExit = info;
        },
      },
    ).catch((error: unknown) => {
      this.state = 'failed';
      throw error;
    });
    launch.incarnation = incarnation;
    this.incarnation = incarnation;
    this.state = 'running';
    if (launch.earlyExit) {
      // Died as it started: a crash like any other, handled once start() has returned.
      const info = launch.earlyExit;
      queueMicrotask(() => this.handleExit(incarnation, info));
      return;
    }
    if (this.mailbox.releaseRestored(incarnation.restoredSeq) > 0) this.deps.onSpace(this.spec.id);
    if (this.paused) incarnation.setPaused(true);
    this.schedulePump();
  }

  async stop(): Promise<void> {
    const incarnation = this.incarnation;
    this.incarnation = undefined;
    this.state = 'stopped';
    this.machineState = undefined;
    if (!incarnation) return;
    await incarnation.stop(this.deps.shutdownTimeoutMs);
    // What was handed over but not acknowledged goes back to the head for the next start.
    this.mailbox.requeueInflight();
  }

  markExited(restarting: boolean): void {
    this.state = restarting ? 'restarting' : 'stopped';
  }

  countRestart(): void {
    this.restarts++;
  }

  /**
   * A message the host could not hand to the actor: kept as a dead letter, and a requester told at
   * once (not at its timeout). Its place in the mailbox is freed like an acknowledged one's.
   */
  private dropUndeliverable(envelope: Envelope, detail: string): void {
    if (!this.mailbox.discardInflight(envelope.seq)) return;
    this.deps.onDeadLetters(this.spec.id, [envelope], detail);
    if (envelope.requestId !== undefined) this.deps.onOutbound(this.spec.id, [{ kind: 'reply-error', requestId: envelope.requestId, error: detail }]);
    this.deps.onSpace(this.spec.id);
    this.schedulePump();
  }

  /** New mail: deliver it soon, coalescing everything enqueued in this tick into one batch. */
  schedulePump(): void {
    if (this.pumpScheduled || this.state !== 'running') return;
    this.pumpScheduled = true;
    queueMicrotask(() => this.pump());
  }

  /** Backpressure from the bus: a mailbox this actor publishes to is full and blocks. */
  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    this.incarnation?.setPaused(paused);
  }

  /** Ends the current incarnation as a crash, so the supervisor restarts the actor. False when none runs. */
  kill(reason: string): boolean {
    if (!this.incarnation) return false;
    this.incarnation.kill(reason);
    return true;
  }

  /**
   * Takes the message that crashed the actor most often (at least twice) out of the mailbox, as
   * a dead letter. Undefined when no such message is waiting.
   */
  quarantinePoison(reason: string): Envelope | undefined {
    let worst: { seq: number; crashes: number } | undefined;
    for (const [seq, crashes] of this.crashesBySeq) if (crashes >= 2 && (!worst || crashes > worst.crashes)) worst = { seq, crashes };
    if (!worst) return undefined;
    const removed = this.mailbox.remove(worst.seq);
    this.crashesBySeq.delete(worst.seq);
    if (removed) this.deps.onDeadLetters(this.spec.id, [removed], reason);
    return removed;
  }

  /** The current incarnation, if the actor is running. */
  get current(): ActorIncarnation | undefined {
    return this.incarnation;
  }

  incarnationOrThrow(operation: string): ActorIncarnation {
    if (!this.incarnation) throw new NodeNotRunningError(`${operation} on actor '${this.spec.id}' (${this.state})`);
    return this.incarnation;
  }

  status(): ActorStatus {
    const counters = this.mailbox.counters;
    return {
      kind: 'actor',
      id: this.spec.id,
      host: this.deps.host.kind,
      state: this.state,
      machineState: this.machineState,
      restarts: this.restarts,
      mailbox: {
        depth: this.mailbox.depth,
        inflight: this.mailbox.inflightCount,
        capacity: this.mailbox.capacity,
        dropped: counters.dropped,
        rejected: counters.rejected,
        blocked: counters.blocked,
        accepted: counters.accepted,
        processed: counters.acked,
      },
    };
  }

  private pump(): void {
    this.pumpScheduled = false;
    const incarnation = this.incarnation;
    if (!incarnation || this.state !== 'running') return;
    let room = this.deps.inflightWindow - this.mailbox.inflightCount;
    while (room > 0 && this.mailbox.pendingCount > 0) {
      const batch = this.mailbox.take(Math.min(room, this.deps.maxBatch));
      incarnation.deliver(batch);
      room -= batch.length;
    }
  }

  private handleExit(incarnation: ActorIncarnation, info: ExitInfo): void {
    if (this.incarnation !== incarnation) return;
    this.incarnation = undefined;
    this.state = 'restarting';
    this.machineState = undefined;
    this.mailbox.requeueInflight();
    // A restart a remediation ordered is not a crash on the message the actor was on (the host
    // marks an exit ordered only when the kill is what ended the incarnation).
    if (!info.normal && !info.ordered) this.recordCrash(info);
    this.exitHandler(info);
  }

  private recordCrash(info: ExitInfo): void {
    let crashesOnMessage = 0;
    if (info.seq !== undefined) {
      crashesOnMessage = (this.crashesBySeq.get(info.seq) ?? 0) + 1;
      this.crashesBySeq.set(info.seq, crashesOnMessage);
      if (crashesOnMessage >= this.deps.poisonLimit) {
        const parked = this.mailbox.remove(info.seq);
        this.crashesBySeq.delete(info.seq);
        if (parked) this.deps.onDeadLetters(this.spec.id, [parked], `poison: crashed the actor ${crashesOnMessage} times`);
      }
    }
    this.deps.onCrash(this.spec.id, { reason: info.reason, ...(info.seq !== undefined ? { seq: info.seq } : {}), crashesOnMessage });
  }
}
